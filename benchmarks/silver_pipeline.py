"""The silver stage end to end on real PubMed sentences with the embedded teacher: annotate
(``configs/teacher.cfg``) -> critic -> describe (``configs/describe.cfg``) -> stats, then describe
again on the same answer cache. Writes JSON with per-step seconds, the critic report's counts,
description lengths, the rerun's calls and cache hits, the command, versions and machine.

    python benchmarks/silver_pipeline.py --sentences 40 --out benchmarks/results/silver_pipeline.json
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import spacy

from spacy_juicer import __version__, assets
from spacy_juicer.silver.critic import CriticOptions, critic
from spacy_juicer.silver.describe import describe
from spacy_juicer.silver.stats import write_stats
from spacy_juicer.teacher.annotate import annotate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sentences", type=int, default=40)
    parser.add_argument("--teacher", type=Path, default=Path("spacy_juicer/configs/teacher.cfg"))
    parser.add_argument("--describer", type=Path, default=Path("spacy_juicer/configs/describe.cfg"))
    parser.add_argument("--work", type=Path, default=None, help="Folder for the corpora (default: a temporary one)")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results/silver_pipeline.json"))
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="silver-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    source = assets.data_dir() / "pubmed-raw-combined" / "abstracts.jsonl"
    steps = {}

    t = time.perf_counter()
    run = annotate(source, work / "raw.spacy", args.teacher, cache_path=work / "annotate.jsonl", limit=args.sentences, progress=False)
    steps["annotate"] = {"seconds": round(time.perf_counter() - t, 2), "sentences": run["sentences"], "statuses": run["statuses"],
                         "model": run["model"], "seconds_per_sentence": run["seconds_per_sentence"]}

    t = time.perf_counter()
    report = critic(work / "raw.spacy", work / "silver.spacy", CriticOptions(), report_path=work / "critic.json", progress=False)
    steps["critic"] = {"seconds": round(time.perf_counter() - t, 2), "before": report["before"], "after": report["after"],
                       "rules": report["rules"]}

    t = time.perf_counter()
    first = describe(work / "silver.spacy", work / "descriptions.json", args.describer, cache_path=work / "describe.jsonl", progress=False)
    steps["describe"] = {"seconds": round(time.perf_counter() - t, 2), "types": first["types"], "questions": first["queries"],
                         "calls": first["calls"], "statuses": first["statuses"], "fallback_to_name": len(first["fallback_to_name"])}
    t = time.perf_counter()
    again = describe(work / "silver.spacy", work / "descriptions-again.json", args.describer, cache_path=work / "describe.jsonl", progress=False)
    steps["describe_rerun"] = {"seconds": round(time.perf_counter() - t, 2), "calls": again["calls"], "cache_hits": again["cache_hits"],
                               "same_output": (work / "descriptions.json").read_bytes() == (work / "descriptions-again.json").read_bytes()}

    t = time.perf_counter()
    stats = write_stats(work / "silver.spacy", work / "stats", work / "descriptions.json")
    steps["stats"] = {"seconds": round(time.perf_counter() - t, 2)}
    summary = {k: stats[k] for k in ("sentences", "mentions", "types", "domains", "distinct_mention_type_links", "mentions_per_sentence")}
    summary["type_bands"] = [{k: b[k] for k in ("band", "items", "share")} for b in stats["type_bands"]]
    summary["description_words"] = stats["descriptions"]["words"]
    summary["top_types"] = stats["top_types"][:10]
    summary["top_domains"] = stats["top_domains"][:10]

    result = {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "work": str(work),
        "steps": steps,
        "silver": summary,
        "versions": {"spacy-juicer": __version__, "spacy": spacy.__version__, "python": platform.python_version()},
        "machine": {"platform": platform.platform(), "cpus": os.cpu_count(), "processor": platform.processor()},
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2))
    print(json.dumps(steps, indent=1))


if __name__ == "__main__":
    main()
