"""Training regimens compared on the unseen types of a zero-shot split (issue: zero-shot for
real). Each regimen is a `spacy train` run of the project's configs (nothing is trained here
by hand), then `spacy_juicer.evaluation.evaluate` on each test part's unseen types and on
the seen types; one JSON per (architecture, regimen) and a Markdown table of all of them.

    python benchmarks/zero_shot_regimens.py --regimen gold --arch bi      # one row
    python benchmarks/zero_shot_regimens.py --report                        # the table

Regimens: untrained; gold (SMXM-style: gold types only); kp (silver only); kp_kf (KP, then
KF on gold); sequential / all / sigmoid8 / sigmoid32 / power0.2 / cosine (Huang et al.'s
blends of silver and gold, from the bare encoder). The scale (updates, sentences per step,
evaluation sizes) is set by the flags; the defaults fit 2 CPU cores and are recorded with
each result. For JUICER's size on a GPU: --updates 20000 --kp-docs 50000 --gpu-id 0.
"""
from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header, write_json  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
OUT = RESULTS / "zero_shot"
BLENDS = {
    "sequential": ["--blend.schedule", "simple_mix"],
    "all": ["--blend.schedule", "all"],
    "sigmoid8": ["--blend.schedule", "sigmoid", "--blend.k", "8"],
    "sigmoid32": ["--blend.schedule", "sigmoid", "--blend.k", "32"],
    "power0.2": ["--blend.schedule", "power", "--blend.n", "0.2"],
    "cosine": ["--blend.schedule", "cosine"],
}
ARCHS = {"bi": "spacy_juicer.BiEncoder.v1", "xenc": "spacy_juicer.CrossEncoder.v1"}


def run(cmd: List[str], log: Path) -> float:
    print("$", " ".join(shlex.quote(c) for c in cmd), flush=True)
    start = time.perf_counter()
    with log.open("a") as handle:
        handle.write("$ " + " ".join(shlex.quote(c) for c in cmd) + "\n")
        handle.flush()
        subprocess.run(cmd, check=True, stdout=handle, stderr=subprocess.STDOUT, cwd=ROOT)
    return time.perf_counter() - start


def train_commands(args, regimen: str, out: Path) -> List[List[str]]:
    py = sys.executable
    split = Path(args.split_dir)
    seed = ["--system.seed", str(args.seed)] if args.seed is not None else []
    common = ["--gpu-id", str(args.gpu_id), "--components.zero_shot_ner.model.@architectures", ARCHS[args.arch], *seed]
    dev = [
        "--paths.dev", str(split / "dev.spacy"), "--paths.dev_labels", str(split / "dev.labels.json"),
        "--corpora.dev.limit", str(args.dev_limit), "--training.logger.progress_bar", "false",
    ]
    gold = ["--paths.train", str(split / "train.spacy"), "--paths.labels", str(split / "train.labels.json")]
    silver = ["--paths.silver", args.silver, "--paths.descriptions", args.descriptions]
    kp_scale = ["--kp.docs_per_step", str(args.kp_docs), "--kp.epochs_per_step", "1",
                "--kp.type_sampling", args.type_sampling, "--kp.other_type_weight", str(args.other_type_weight)]
    # the KP reader is corpora.train in kp.cfg and corpora.train.silver inside blend.cfg's blend
    kp_limit = ["--corpora.train.limit", str(args.kp_limit)]
    blend_limit = ["--corpora.train.silver.limit", str(args.kp_limit)]
    eval_every = ["--training.eval_frequency", str(max(args.updates // 4, 10))]
    # the configs' warmups are sized for full runs; a short run warms up for its first tenth
    warmup = ["--training.optimizer.learn_rate.warmup_steps", str(max(args.updates // 10, 1))]
    kf_warmup = ["--training.optimizer.learn_rate.warmup_steps", str(max(args.kf_updates // 10, 1))]
    if regimen == "untrained":
        return [[py, "-m", "spacy", "train", "configs/student.cfg", "--output", str(out), *common, *gold,
                 "--paths.dev", str(split / "train.spacy"), "--training.max_steps", "1",
                 "--training.optimizer.learn_rate.initial_rate", "1e-12"]]
    if regimen in ("gold", "gold_max"):
        # gold_max: the old baseline, SMXM/JUICER's class-aware max and no negative pool
        rule = ["--components.zero_shot_ner.negative_class", "max", "--components.zero_shot_ner.negative_types", "none"]
        return [[py, "-m", "spacy", "train", "configs/student.cfg", "--output", str(out), *common, *gold,
                 "--paths.dev", str(split / "train.spacy"), "--corpora.dev.limit", str(args.dev_limit),
                 "--training.max_steps", str(args.updates), "--training.logger.progress_bar", "false",
                 *(rule if regimen == "gold_max" else []), *eval_every, *warmup]]
    kp_out = out.parent / ("kp" + suffix(args))
    kp = [py, "-m", "spacy", "train", "configs/kp.cfg", "--output", str(kp_out), *common, *silver, *dev,
          *kp_scale, *kp_limit, "--kp.max_updates", str(args.updates), *eval_every, *warmup]
    if regimen == "kp":
        return [kp]
    if regimen == "kp_kf":
        kf = [py, "-m", "spacy", "train", "configs/kf.cfg", "--output", str(out), "--gpu-id", str(args.gpu_id), *seed,
              "--paths.kp_model", str(kp_out / "model-last"), *gold, *dev,
              "--training.max_epochs", "0", "--training.max_steps", str(args.kf_updates),
              "--training.eval_frequency", str(max(args.kf_updates // 3, 10)), *kf_warmup]
        # the kp row's pipeline is reused when it exists (same scale)
        return [kf] if (kp_out / "model-last").exists() else [kp, kf]
    if regimen in BLENDS:
        return [[py, "-m", "spacy", "train", "configs/blend.cfg", "--output", str(out), *common, *silver, *gold, *dev,
                 *kp_scale, *blend_limit, *BLENDS[regimen], "--blend.epochs", str(args.blend_epochs),
                 "--blend.gold_per_epoch", str(args.gold_per_epoch), "--blend.max_updates", str(args.updates),
                 *eval_every]]
    raise SystemExit(f"unknown regimen {regimen}")


def suffix(args) -> str:
    return f"_{args.tag}" if args.tag else ""


def tune_threshold(args, nlp) -> Dict[str, float]:
    """The decision threshold with the best span macro F on the dev types (disjoint from the test
    types), so a model that ranks unseen types right but is under-confident is scored fairly."""
    from spacy_juicer.calibration import tune_threshold as tune

    split = Path(args.split_dir)
    found = tune(nlp, split / "dev.spacy", **descriptions_of(split, "dev"), limit=args.dev_limit)
    print(f"  dev span macro F by threshold: {found['scores']}; chosen {found['threshold']}", flush=True)
    return {"chosen": found["threshold"], "dev_span_macro_f": found["scores"]}


def descriptions_of(split: Path, part: str) -> Dict[str, Path]:
    """Every form of the part's descriptions when the split has them (scores are then the
    worst form's, ``corpora.forms``), else its labels file (splits built before forms)."""
    forms = split / f"{part}.forms.json"
    return {"forms": forms} if forms.is_file() else {"labels": split / f"{part}.labels.json"}


def evaluate_all(args, model: Path) -> Dict[str, Dict]:
    from spacy_juicer.evaluation import evaluate, load_pipeline

    split = Path(args.split_dir)
    nlp = load_pipeline(model)
    tuned = tune_threshold(args, nlp)
    scores: Dict[str, Dict] = {"threshold": tuned}
    keys = ("span_macro_f", "tok_macro_f", "ents_f", "ents_per_type", "docs_per_s")
    for part in args.test_parts.split(","):
        # at 0.5, not at the threshold that training chose on the dev types (configs' dev_threshold
        # callback), so that rows trained before and after that callback compare
        m = evaluate(nlp, split / f"{part}.spacy", **descriptions_of(split, part), limit=args.test_limit, threshold=0.5)
        scores[part] = {k: m[k] for k in keys}
        t = m if tuned["chosen"] == m["threshold"] else evaluate(
            nlp, split / f"{part}.spacy", **descriptions_of(split, part), limit=args.test_limit, threshold=tuned["chosen"])
        scores[part]["worst_form"] = t.get("worst_form")
        scores[part]["by_form"] = {f: v["span_macro_f"] for f, v in t.get("forms", {}).items()}
        scores[part]["tuned"] = {k: t[k] for k in keys}
        print(f"  {part}: span macro F {m['span_macro_f']:.3f} (dev-tuned threshold: {t['span_macro_f']:.3f}), "
              f"token macro F {m['tok_macro_f']:.3f}", flush=True)
    m = evaluate(nlp, split / "train.spacy", **descriptions_of(split, "train"), limit=args.seen_limit, threshold=0.5)
    scores["seen"] = {k: m[k] for k in ("span_macro_f", "tok_macro_f", "ents_f", "ents_per_type")}
    return scores


def report() -> str:
    import srsly

    rows = sorted(OUT.glob("*/*.json"))
    lines = ["# Zero-shot regimens on the biomedical split", "",
             "Span / token macro F1 (%) on the unseen test types (JNLPBA protein/DNA/RNA, BC2GM GENE) and on the seen "
             "train types (BC5CDR Chemical/Disease, first docs of BC5CDR train: seen sentences, a sanity check). "
             "'tuned': at the decision threshold with the best span macro F on the dev types (JNLPBA cell types, "
             "disjoint from the test types), chosen by `spacy_juicer.calibration.tune_threshold` from 0.05 to 0.5. Silver 'strict': "
             "the test types' mentions were removed from the silver data; 'open': the teacher's labels as they are "
             "(distillation, as UniversalNER evaluates). Each row's JSON holds its exact commands, scale and machine.", "",
             "| arch | regimen | silver | updates | JNLPBA span | JNLPBA tok | BC2GM span | BC2GM tok | JNLPBA span tuned | "
             "BC2GM span tuned | threshold | seen span | KP types | train min |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for path in rows:
        r = srsly.read_json(path)
        if "regimen" not in r:  # e.g. the teacher row of teacher_zero_shot.py
            continue
        s = r["scores"]
        cell = lambda part, key: f"{100 * s[part][key]:.1f}" if part in s else "–"  # noqa: E731
        tuned = lambda part: f"{100 * s[part]['tuned']['span_macro_f']:.1f}" if "tuned" in s.get(part, {}) else "–"  # noqa: E731
        minutes = f"{r['train_seconds'] / 60:.1f}" if r["train_seconds"] else "–"
        uses_silver = not r["regimen"].startswith(("gold", "untrained"))
        silver = ("open" if "open" in str(r.get("silver", "")) else "strict") if uses_silver else "–"
        if uses_silver and r["scale"].get("kp_limit"):
            silver += f" (first {r['scale']['kp_limit']})"
        threshold = s["threshold"]["chosen"] if "threshold" in s else 0.5
        scale = r["scale"]
        kp_types = (f"{scale.get('type_sampling', 'uniform')}, {scale.get('other_type_weight', 1.0):g}"
                    if uses_silver else "–")
        if scale.get("seed") is not None:
            kp_types += f", seed {scale['seed']}"
        lines.append(
            f"| {r['arch']} | {r['regimen']} | {silver} | {r['scale']['updates']} | {cell('test-jnlpba', 'span_macro_f')} | "
            f"{cell('test-jnlpba', 'tok_macro_f')} | {cell('test-bc2gm', 'span_macro_f')} | {cell('test-bc2gm', 'tok_macro_f')} | "
            f"{tuned('test-jnlpba')} | {tuned('test-bc2gm')} | {threshold:.2g} | {cell('seen', 'span_macro_f')} | {kp_types} | {minutes} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--regimen", action="append", default=[])
    parser.add_argument("--arch", choices=sorted(ARCHS), default="bi")
    parser.add_argument("--split-dir", default="corpus/splits/biomedical")
    parser.add_argument("--silver", default="corpus/silver.spacy")
    parser.add_argument("--descriptions", default="corpus/descriptions.json")
    parser.add_argument("--updates", type=int, default=300, help="training updates (KP, gold or blend)")
    parser.add_argument("--kf-updates", type=int, default=150)
    parser.add_argument("--kp-docs", type=int, default=64, help="silver sentences per KP step")
    parser.add_argument("--blend-epochs", type=int, default=10)
    parser.add_argument("--gold-per-epoch", type=int, default=64)
    parser.add_argument("--dev-limit", type=int, default=100)
    parser.add_argument("--test-limit", type=int, default=500)
    parser.add_argument("--seen-limit", type=int, default=200)
    parser.add_argument("--test-parts", default="test-jnlpba,test-bc2gm")
    parser.add_argument("--kp-limit", type=int, default=0, help="only the first N silver sentences (learning curve)")
    parser.add_argument("--type-sampling", default="sqrt", help="KP: uniform | sqrt | frequency")
    parser.add_argument("--other-type-weight", type=float, default=0.2, help="KP: weight of other-type negatives")
    parser.add_argument("--tag", default="", help="suffix of the row's name (e.g. open, l300)")
    parser.add_argument("--seed", type=int, default=None, help="system.seed of every run (default: the configs'): run-to-run spread")
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--report", action="store_true")
    args = parser.parse_args()
    if args.report or not args.regimen:
        text = report()
        (OUT / "regimens.md").write_text(text)
        print(text)
        return
    for regimen in args.regimen:
        row = regimen + suffix(args)
        out = ROOT / "training" / "regimens" / args.arch / row
        out.mkdir(parents=True, exist_ok=True)
        log = out / "train.log"
        commands = train_commands(args, regimen, out)
        if (out / "model-last").exists():
            print(f"{out}/model-last exists: not retrained (its train.log has the commands)", flush=True)
            seconds = float((out / "train_seconds").read_text()) if (out / "train_seconds").exists() else 0.0
        else:
            seconds = sum(run(cmd, log) for cmd in commands)
            (out / "train_seconds").write_text(str(seconds))
        model = out / "model-last"
        print(f"{args.arch}/{row}: trained in {seconds / 60:.1f} min; evaluating {model}", flush=True)
        result = {**header(), "arch": args.arch, "regimen": row, "silver": args.silver,
                  "train_commands": [" ".join(shlex.quote(c) for c in cmd) for cmd in commands],
                  "train_seconds": seconds, "model": str(model.relative_to(ROOT)),
                  "scale": {k: getattr(args, k) for k in ("updates", "kf_updates", "kp_docs", "blend_epochs",
                                                          "gold_per_epoch", "dev_limit", "test_limit", "seen_limit",
                                                          "kp_limit", "type_sampling", "other_type_weight", "seed")},
                  "scores": evaluate_all(args, model)}
        write_json(OUT / args.arch / f"{row}.json", result)
    (OUT / "regimens.md").write_text(report())


if __name__ == "__main__":
    main()
