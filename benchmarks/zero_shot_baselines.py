"""Zero-shot baselines on one split, with one scorer: the SMXM-style student (trained on the
split's train types only, then asked for the unseen test types) and the untrained student
(the same pipeline right after initialization: should score near zero).

Each step runs the project's own commands (recorded in ``commands.json`` beside the results,
with versions and machine), skips what is already built, and ends with the ``report`` table:

    nice -n 10 python benchmarks/zero_shot_baselines.py --split biomedical --steps 250
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(cmd, log):
    print("$", shlex.join(cmd), flush=True)
    start = time.time()
    subprocess.run(cmd, cwd=ROOT, check=True)
    log.append({"command": shlex.join(cmd), "seconds": round(time.time() - start, 1)})


def init_untrained(config: Path, out: Path, overrides: dict) -> None:
    """What ``spacy train`` builds before its first update, saved as a pipeline."""
    from spacy.training.initialize import init_nlp
    from spacy.util import load_config

    nlp = init_nlp(load_config(config, overrides=overrides, interpolate=False).interpolate())
    nlp.to_disk(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--split", default="biomedical")
    parser.add_argument("--steps", type=int, default=250)
    parser.add_argument("--limit", type=int, default=0, help="test docs per part (0 = all)")
    parser.add_argument("--config", default="spacy_juicer/configs/cross_encoder.cfg")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--names-only", action="store_true", help="also a names-only row")
    args = parser.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    py = sys.executable
    corpus = Path("corpus/splits") / args.split
    results = Path("benchmarks/results") / args.split
    smxm = Path("training") / f"{args.split}-smxm"
    untrained = Path("training") / f"{args.split}-untrained"
    log: list = []
    os.chdir(ROOT)
    if not (corpus / "counts.json").exists():
        run([py, "-m", "spacy_juicer", "split", f"spacy_juicer/configs/splits/{args.split}.json", str(corpus)], log)
    counts = json.loads((corpus / "counts.json").read_text())
    paths = {
        "paths.train": str(corpus / "train.spacy"),
        "paths.dev": str(corpus / "dev.spacy"),
        "paths.labels": str(corpus / "train.labels.json"),
    }
    if not (smxm / "model-last").exists():
        cmd = [py, "-m", "spacy", "train", args.config, "--output", str(smxm), "--gpu-id", "-1"]
        for key, value in paths.items():
            cmd += [f"--{key}", value]
        # The dev part holds dev types, which the student is not asked for while training:
        # its dev score is 0 by construction, so evaluate once, at the end, on a few docs.
        cmd += ["--training.max_steps", str(args.steps), "--training.eval_frequency",
                str(args.steps), "--corpora.dev.limit", "50"]
        run(cmd, log)
    if not untrained.exists():
        start = time.time()
        init_untrained(Path(args.config), untrained, paths)
        log.append({"command": f"init_nlp({args.config}, {paths}) -> {untrained}",
                    "seconds": round(time.time() - start, 1)})
    results.mkdir(parents=True, exist_ok=True)
    runs = [("smxm-style", smxm / "model-last", False), ("untrained", untrained, False)]
    if args.names_only:
        runs.append(("smxm-style names-only", smxm / "model-last", True))
    outputs = []
    for part, info in counts["parts"].items():
        if info["role"] != "test":
            continue
        for name, model, names_only in runs:
            out = results / f"{name.replace(' ', '-')}_{part}.json"
            outputs.append(str(out))
            if out.exists():
                continue
            cmd = [py, "-m", "spacy_juicer", "evaluate", str(model), str(corpus / f"{part}.spacy"),
                   "--labels", str(corpus / f"{part}.labels.json"), "--output", str(out),
                   "--batch-size", str(args.batch_size), "--name", f"{name} / {part}"]
            if args.limit:
                cmd += ["--limit", str(args.limit)]
            if names_only:
                cmd.append("--names-only")
            run(cmd, log)
    run([py, "-m", "spacy_juicer", "report", *outputs, "--output", str(results / "report.md")], log)
    import spacy

    from spacy_juicer import __version__

    record = {
        "split": args.split,
        "argv": sys.argv,
        "steps": log,
        "versions": {"spacy_juicer": __version__, "spacy": spacy.__version__,
                     "python": platform.python_version()},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count()},
    }
    with (results / "commands.json").open("a", encoding="utf8") as handle:
        handle.write(json.dumps(record) + "\n")


if __name__ == "__main__":
    main()
