"""How long a fully cached `spacy-juicer annotate` rerun takes (no LLM call; with the embedded
teacher the weights never load, since LlamaCpp loads them on its first call).

The answer cache of N sentences is filled from answers already in a cache file (recycled: a
cache hit costs the same whichever answer it returns), with the keys the annotate command
computes (prompt of the task + model identity). Then the command is run and timed end to end
as a subprocess: Python start, imports, config, sentence splitting, cache look-up, parsing,
DocBin writing.

Usage:
  python benchmarks/cached_rerun.py --n 1000 --answers corpus/real/answers.cache
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
import spacy  # noqa: E402
import srsly  # noqa: E402

from spacy_juicer.teacher import annotate as ann  # noqa: E402
from spacy_juicer.teacher.cache import answer_key  # noqa: E402
from spacy_juicer.teacher.models.base import model_identity  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1000)
    parser.add_argument("--answers", default="corpus/real/answers.cache")
    parser.add_argument("--config", default="spacy_juicer/configs/teacher.cfg")
    parser.add_argument("--input", default=None, help="default: pubmed-raw-combined/abstracts.jsonl")
    parser.add_argument("--workdir", default="corpus/cached_rerun")
    parser.add_argument("--out", default=str(bench_utils.RESULTS / "teacher_cached_rerun.json"))
    args = parser.parse_args()

    from spacy_juicer.assets import data_dir

    source = Path(args.input) if args.input else data_dir() / "pubmed-raw-combined" / "abstracts.jsonl"
    work = Path(args.workdir)
    work.mkdir(parents=True, exist_ok=True)
    answers = [r["answer"] for r in srsly.read_jsonl(args.answers)]
    if not answers:
        raise SystemExit(f"No answers in {args.answers}: run spacy-juicer annotate first.")
    task, model, _ = ann.load_teacher(args.config)
    identity = model_identity(model)
    docs = ann.sentence_docs(source, spacy.blank("en"), ann.make_splitter("sentencizer"), limit=args.n)
    cache = work / "answers.cache"
    records = []
    for i, doc in enumerate(docs):
        prompt = next(iter(task.generate_prompts([doc])))
        records.append({"key": answer_key(prompt, identity), "answer": answers[i % len(answers)]})
    srsly.write_jsonl(cache, records)
    output = work / "raw.spacy"
    command = [str(Path(sys.executable).with_name("spacy-juicer")), "annotate", str(source), str(output),
               "--config", args.config, "--limit", str(args.n), "--cache", str(cache)]
    start = time.perf_counter()
    subprocess.run(command, capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - start
    run = srsly.read_json(output.with_suffix(".run.json"))
    report = {
        **bench_utils.header(),
        "annotate_command": " ".join(command),
        "n_sentences": run["sentences"],
        "distinct_answers_recycled": len(answers),
        "wall_seconds_end_to_end": round(seconds, 2),
        "annotate_run_seconds": run["seconds"],
        "calls": run["calls"],
        "cache_hits": run["cache_hits"],
        "model_seconds": run["model_seconds"],
        "statuses": run["statuses"],
    }
    print(json.dumps(report, indent=2))
    bench_utils.write_json(Path(args.out), report)


if __name__ == "__main__":
    main()
