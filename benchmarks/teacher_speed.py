"""How fast the embedded GGUF teacher labels sentences, per model, prompt and decoding setting.

Settings compared on the same sentences (the answers of each are compared with the baseline's):
  reuse      llama.cpp keeps the KV cache of the prompt prefix shared by all calls (default)
  noreuse    the evaluated tokens are forgotten before each call (the whole prompt is re-read)
  maxtokM    reuse with max_tokens = M
The first call of each setting (it evaluates the whole prefix) is reported separately.

Usage:
  python benchmarks/teacher_speed.py --models qwen2.5-coder-0.5b-instruct \
      --tasks spacy_juicer.OpenNER.v1 --variants reuse,noreuse -n 20
"""
from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path
from typing import Any, Dict, List

sys.path.insert(0, str(Path(__file__).parent))
import bench_utils  # noqa: E402

from spacy_juicer.teacher.models.llama_cpp import LlamaCpp  # noqa: E402


TASK_ARGS = {
    "std": {"labels": ["Disease", "Chemical"], "cot": False},
    "cot": {"labels": ["Disease", "Chemical"], "cot": True},
}


def parse_variant(name: str) -> Dict[str, Any]:
    if "+" in name:  # e.g. threads1+noreuse
        merged: Dict[str, Any] = {}
        for part in name.split("+"):
            merged.update(parse_variant(part))
        return merged
    if name == "reuse":
        return {}
    if name == "noreuse":
        return {"reuse_prefix": False}
    if name.startswith("maxtok"):
        return {"max_tokens": int(name[len("maxtok"):])}
    if name.startswith("threads"):
        return {"n_threads": int(name[len("threads"):])}
    raise SystemExit(f"Unknown variant {name!r}: reuse, noreuse, maxtokM, threadsT")


def run_setting(model: LlamaCpp, prompts: List[str]) -> Dict[str, Any]:
    """Answer the warm-up prompt then every prompt; time each call."""
    model.usage.update({k: 0 for k in model.usage})
    _ = model.llm  # load outside the timed calls
    start = time.perf_counter()
    warmup = model.complete(prompts[0])
    first_call = time.perf_counter() - start
    before = dict(model.usage)
    answers, times = [], []
    for prompt in prompts[1:]:
        t0 = time.perf_counter()
        answers.append(model.complete(prompt))
        times.append(time.perf_counter() - t0)
    usage = {k: model.usage[k] - before.get(k, 0) for k in model.usage}
    n = len(times)
    total = sum(times)
    times_sorted = sorted(times)
    return {
        "n_sentences": n,
        "seconds_total": round(total, 3),
        "s_per_sentence": round(total / n, 3),
        "s_per_sentence_median": round(times_sorted[n // 2], 3),
        "sentences_per_s": round(n / total, 3),
        "output_tokens_per_s": round(usage["output_tokens"] / total, 2),
        "mean_input_tokens": round(usage["input_tokens"] / n, 1),
        "mean_output_tokens": round(usage["output_tokens"] / n, 1),
        "truncated": int(usage["truncated"]),
        "failures": int(usage["failures"]),
        "first_call_s": round(first_call, 3),
        "load_s": round(model.usage.get("load_seconds", 0.0) or 0.0, 3),
        "answers": [warmup, *answers],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", default="qwen2.5-coder-0.5b-instruct,qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--tasks", default="spacy_juicer.OpenNER.v1",
                        help="registered spacy-llm task names; NAME:std / NAME:cot for LabelNER "
                             "with Disease and Chemical")
    parser.add_argument("--variants", default="reuse,noreuse")
    parser.add_argument("-n", type=int, default=20, help="timed sentences per setting (+1 warm-up)")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--n-ctx", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=0, help="which sentences")
    parser.add_argument("--out", default=None)
    parser.add_argument("--keep-answers", action="store_true", help="store every answer in the JSON")
    args = parser.parse_args()

    texts = bench_utils.pubmed_sentences(args.n + 1, seed=args.seed)
    report: Dict[str, Any] = {**bench_utils.header(), "n_sentences": args.n, "results": []}
    for task_name in args.tasks.split(","):
        name, _, arg = task_name.partition(":")
        prompts = bench_utils.task_prompts(name, texts, TASK_ARGS.get(arg, {}))
        report.setdefault("prompt_examples", {})[task_name] = prompts[0]
        for model_name in args.models.split(","):
            baseline = None
            for variant in args.variants.split(","):
                kwargs = {"n_ctx": args.n_ctx, "max_tokens": args.max_tokens, **parse_variant(variant)}
                model = LlamaCpp(model_name, **kwargs)
                print(f"{model_name} | {task_name} | {variant} ...", flush=True)
                load_before = bench_utils.machine()["loadavg_at_start"]
                result = run_setting(model, prompts)
                result["loadavg_before"] = load_before
                result["loadavg_after"] = bench_utils.machine()["loadavg_at_start"]
                model.close()
                answers = result.pop("answers")
                if baseline is None:
                    baseline = answers
                same = sum(a == b for a, b in zip(answers, baseline))
                row = {
                    "model": model_name,
                    "task": task_name,
                    "variant": variant,
                    "settings": {**model.settings(), "n_threads": model.threads_used,
                                 "reuse_prefix": model.reuse_prefix},
                    **result,
                    "same_answers_as_first_variant": f"{same}/{len(answers)}",
                    "answers_sha1": hashlib.sha1("\n".join(answers).encode()).hexdigest(),
                }
                if args.keep_answers:
                    row["answers"] = answers
                print(
                    f"  {row['s_per_sentence']} s/sentence, {row['output_tokens_per_s']} out tok/s, "
                    f"in {row['mean_input_tokens']} / out {row['mean_output_tokens']} tokens, "
                    f"first call {row['first_call_s']} s, same answers {row['same_answers_as_first_variant']}",
                    flush=True,
                )
                report["results"].append(row)
    report["example_sentence"] = texts[0]
    out = Path(args.out) if args.out else bench_utils.RESULTS / "teacher_speed.json"
    bench_utils.write_json(out, report)


if __name__ == "__main__":
    main()
