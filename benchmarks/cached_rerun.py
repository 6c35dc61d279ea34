"""How long a fully cached annotation rerun takes (no LLM call; the model never loads).

The cache of N sentences is filled from answers already in a cache file (recycled: the time of
a cache hit does not depend on which answer it returns), then the annotate command is run and
timed end to end as a subprocess (Python start, imports, sentence splitting, cache look-up,
parsing, DocBin writing).

Usage:
  python benchmarks/cached_rerun.py --n 1000 --answers corpus/minimal_cache.jsonl
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_utils  # noqa: E402
import minimal_annotate as ma  # noqa: E402
import srsly  # noqa: E402

from spacy_juicer.teacher.models.llama_cpp import LlamaCpp  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--answers", default="corpus/minimal_cache.jsonl")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--workdir", default="corpus/cached_rerun")
    parser.add_argument("--out", default=str(bench_utils.RESULTS / "teacher_cached_rerun.json"))
    args = parser.parse_args()

    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    answers = [r["answer"] for r in srsly.read_jsonl(args.answers)]
    if not answers:
        raise SystemExit(f"No answers in {args.answers}: run minimal_annotate.py first.")
    template = ma.TEMPLATE.read_text(encoding="utf8")
    settings = ma.settings_string(template, LlamaCpp(args.model))
    cache = work / "cache.jsonl"
    records = []
    for i, (rid, _, text) in enumerate(ma.sentences(args.n)):
        key = ma.cache_key(settings, template.replace("{text}", text))
        records.append({"key": key, "id": rid, "answer": answers[i % len(answers)], "seconds": 0.0})
    srsly.write_jsonl(cache, records)
    command = [sys.executable, str(Path(__file__).parent / "minimal_annotate.py"), "--n", str(args.n),
               "--model", args.model, "--cache", str(cache), "--out", str(work / "raw.spacy")]
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    report = {
        **bench_utils.header(),
        "annotate_command": " ".join(command),
        "n_sentences": args.n,
        "distinct_answers_recycled": len(answers),
        "wall_seconds": round(seconds, 2),
        "annotate_reported_seconds": summary["seconds"],
        "cached": summary["cached"],
        "model_loaded": summary["model_loaded"],
    }
    print(json.dumps(report, indent=2))
    bench_utils.write_json(Path(args.out), report)


if __name__ == "__main__":
    main()
