"""The `all` pipeline's training steps under several seeds, side by side: mean and spread.

For each seed the project's own steps run (``spacy project run kp``, ``kf``, ``calibrate``)
into ``<root>/<name>-s<seed>``, reading the corpus (silver, views, splits, feature store) of a
finished ``all`` run (``--base``: its ``vars.out``), which each run links instead of
rebuilding (a step whose pipeline is already saved there is kept: the run resumes, and a
finished KP can be linked in to fine-tune it again); then every packaged-pipeline number is measured on it (``zero_shot_forms.py``: each test part under every form,
worst first, at the pipeline's own threshold; held-out seen types; one plain description
alone), and the KP pipeline alone on BC2GM. Extra ``--var k=v`` go to every step (e.g.
``--var encoder=sentence-transformers/all-mpnet-base-v2``, ``--var kf_schedule=gold``);
``--kp-override "--components.zero_shot_ner.model.lstm_depth 2"`` reaches the
KP step's ``spacy train`` through spaCy's ``SPACY_CONFIG_OVERRIDES`` (KF sources the KP model);
``--kf-override`` does the same for KF.
``--no-kp``: the gold-only baseline at the same KF budget: KF starts from an initialized,
untrained frozen-mode pipeline instead of KP's (use it with ``--var kf_schedule=gold``).

    python benchmarks/project_seeds.py --base . --name strict --seeds 1,2,3 --root training/seeds \\
        --output benchmarks/results/kp_scale/strict.json
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, SEEN_TEST, header, write_json  # noqa: E402

ROOT = Path(__file__).parent.parent
STEPS = ("kp", "kf", "calibrate")
DONE = {"kp": "training/kp/model-last", "kf": "training/kf/model-last", "calibrate": "training/kf/model-calibrated"}


def project_dir(out: Path) -> Path:
    """A project folder of this run's own for ``spacy project run``: the repository's
    ``project.yml``, ``configs`` and ``scripts`` linked in, and a ``project.lock`` apart. weasel
    keeps one lock entry per command in the project folder, whatever ``--vars.out`` says, so
    steps run from the repository itself would overwrite the entries that the user's
    ``spacy project run all`` checks, and make it rerun every step after a benchmark."""
    shadow = out / "project"
    shadow.mkdir(parents=True, exist_ok=True)
    for name in ("project.yml", "configs", "scripts"):
        if not (shadow / name).exists():
            (shadow / name).symlink_to(ROOT.resolve() / name)
    return shadow


def run_seed(base: Path, out: Path, seed: int, extra: List[str], kp_override: str = "", steps=STEPS,
             kf_override: str = "") -> Dict[str, float]:
    """The project's training steps for one seed; seconds per step."""
    out = out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    project = project_dir(out)
    if not (out / "corpus").exists():
        (out / "corpus").symlink_to(base.resolve() / "corpus", target_is_directory=True)
    seconds = {}
    for step in steps:
        if (out / DONE[step]).exists():  # resume: a step whose pipeline is saved is not run again
            print(f"seed {seed} {step}: {out / DONE[step]} exists, kept", flush=True)
            continue
        cmd = [sys.executable, "-m", "spacy", "project", "run", step, str(project), "--vars.out", str(out),
               "--vars.seed", str(seed), *extra]
        start = time.perf_counter()
        override = {"kp": kp_override, "kf": kf_override}.get(step, "")
        env = {**os.environ, "SPACY_CONFIG_OVERRIDES": override} if override else None
        with open(out / f"{step}.log", "w") as log:
            subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, cwd=project, env=env)
        seconds[step] = round(time.perf_counter() - start, 1)
        print(f"seed {seed} {step}: {seconds[step]} s", flush=True)
    return seconds


def untrained_pipeline(base: Path, out: Path, seed: int) -> None:
    """An initialized frozen-mode pipeline, no update: where the gold-only baseline starts."""
    import spacy
    import srsly
    from spacy.tokens import DocBin
    from spacy.training import Example
    from thinc.api import fix_random_seed

    fix_random_seed(seed)
    splits = base / "corpus" / "splits"
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={
        "model": {"@architectures": "spacy_juicer.FrozenBiEncoder.v2"}, "balance": "per_type",
        "near_type_similarity": 0.7, "mask_prob": 0.0, "labels": srsly.read_json(splits / "train.labels.json")})
    docs = list(DocBin().from_disk(splits / "train.spacy").get_docs(nlp.vocab))[:8]
    nlp.initialize(lambda: [Example(nlp.make_doc(d.text), d) for d in docs])
    (out / DONE["kp"]).parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(out / DONE["kp"])


def measure(out: Path, limit: int, name: str) -> Dict[str, Any]:
    """zero_shot_forms.py on the calibrated pipeline and on the KP pipeline."""
    result = out / "forms.json"
    cmd = [sys.executable, str(ROOT / "benchmarks" / "zero_shot_forms.py"),
           "--model", f"{name}=" + str(out / "training" / "kf" / "model-calibrated"),
           "--model", f"{name} KP alone=" + str(out / "training" / "kp" / "model-last"),
           "--split-dir", str(out / "corpus" / "splits"), "--limit", str(limit), "--output", str(result),
           "--feature-store", str(out / "corpus" / "cache" / "features.sqlite")]
    with open(out / "forms.log", "w") as log:
        subprocess.run(cmd, check=True, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
    import srsly

    return srsly.read_json(result)["models"]


def summary(rows: List[Dict[str, Any]]) -> Dict[str, Any]:
    """Per measure: mean, spread (min, max) and the values, over seeds."""
    out: Dict[str, Any] = {}
    for key in rows[0]:
        values = [r[key] for r in rows]
        out[key] = {"mean": statistics.fmean(values), "min": min(values), "max": max(values), "values": values}
    return out


def flat(models: Dict[str, Any], name: str) -> Dict[str, float]:
    """The numbers the issues ask for, one row per seed (span macro F, 0-1)."""
    kf, kp = models[name], models[f"{name} KP alone"]
    row = {"threshold": kf["test-bc2gm"]["threshold"]}
    for part in ("test-bc2gm", "test-jnlpba", SEEN_TEST):
        forms = kf[part]["by_form"]
        row[f"{part} worst"] = min(forms.values())
        row.update({f"{part} {f}": v for f, v in forms.items()})
    for part in ("test-bc2gm", "test-jnlpba"):
        row[f"KP alone {part} worst"] = min(kp[part]["by_form"].values())
    for label, v in kf["plain_alone"].items():
        row[f"{label} alone F"] = v["span_f"]
        row[f"{label} alone other tagged"] = v["other_types_tagged"]
    return row


def markdown(results: Dict[str, Any]) -> str:
    lines = [f"# {results['name']}: {len(results['seeds'])} seeds", "", f"`{results['command']}`", "",
             f"Machine: {results['machine']['cpu_model']}, {results['machine']['usable_cpus']} CPUs; {results['date_utc']}. "
             f"First {results['limit']} sentences of each part; span macro F1 (%) of the packaged pipeline at its own threshold "
             "(chosen on dev types and BC5CDR devel; the seen types scored on BC5CDR test); worst = worst of the three description forms.", "",
             "| measure | mean | min | max | per seed |", "|---|---|---|---|---|"]
    for key, s in results["summary"].items():
        scale = 1 if key == "threshold" else 100
        vals = ", ".join(f"{scale * v:.1f}" if scale == 100 else f"{v:.2f}" for v in s["values"])
        fmt = (lambda v: f"{v:.2f}") if scale == 1 else (lambda v: f"{100 * v:.1f}")
        lines.append(f"| {key} | {fmt(s['mean'])} | {fmt(s['min'])} | {fmt(s['max'])} | {vals} |")
    lines += ["", "Seconds per step: " + "; ".join(f"seed {s}: {t}" for s, t in results["seconds"].items())]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="vars.out of a finished `all` run (its corpus/ is reused)")
    parser.add_argument("--name", required=True)
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--root", default="training/seeds")
    parser.add_argument("--var", action="append", default=[], help="k=v for the project's vars (repeatable)")
    parser.add_argument("--kp-override", default="", help="spacy train overrides for the KP step only")
    parser.add_argument("--kf-override", default="", help="spacy train overrides for the KF step only")
    parser.add_argument("--no-kp", action="store_true", help="gold-only baseline: KF from an untrained pipeline")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--output", default=str(RESULTS / "kp_scale" / "seeds.json"))
    args = parser.parse_args()
    extra = [f"--vars.{kv.split('=', 1)[0]}={kv.split('=', 1)[1]}" for kv in args.var]
    seeds = [int(s) for s in args.seeds.split(",")]
    rows, seconds = [], {}
    for seed in seeds:
        out = Path(args.root) / f"{args.name}-s{seed}"
        if args.no_kp and not (out / DONE["kp"]).exists():
            untrained_pipeline(Path(args.base), out, seed)
        seconds[seed] = run_seed(Path(args.base), out, seed, extra, args.kp_override, kf_override=args.kf_override)
        rows.append(flat(measure(out, args.limit, args.name), args.name))
        print(f"seed {seed}: {rows[-1]}", flush=True)
    results = {**header(), "name": args.name, "base": args.base, "vars": args.var, "kp_override": args.kp_override,
               "kf_override": args.kf_override, "seeds": seeds, "limit": args.limit,
               "seconds": seconds, "per_seed": rows, "summary": summary(rows)}
    output = Path(args.output)
    write_json(output, results)
    output.with_suffix(".md").write_text(markdown(results))
    print(f"wrote {output}")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
