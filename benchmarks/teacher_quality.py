"""How good are the embedded teacher's labels? Annotate the sentences of a gold dev set with the
open prompt (OpenNER: the LLM invents the types) and the fixed-label prompt (LabelNER with the
gold types), and compare with the gold mentions.

Reported per prompt:
  found_any_type   gold mentions whose exact span the teacher produced, whatever its type
  overlap_any_type gold mentions that some teacher span overlaps
  found_typed      ... and whose teacher type maps to the gold type (open types are mapped by
                   keywords in the lowercased type (keywords of <= 3 letters only at the
                   start of a word): 'disease'/
                   'disorder'/'syndrome'/... -> Disease; 'chemical'/'drug'/'compound'/... ->
                   Chemical; Disease is tried first)
  precision_typed  teacher spans whose mapped type is a gold type that match a gold mention
                   exactly with that type / teacher spans that map to a gold type
  precision_any    teacher spans that match a gold span exactly / all teacher spans
  seconds, input and output tokens per sentence

Usage:
  python benchmarks/teacher_quality.py --dataset ncbi-disease -n 60 \
      --model qwen2.5-coder-1.5b-instruct
"""
from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

sys.path.insert(0, str(Path(__file__).parent))
import bench_utils  # noqa: E402

DATASETS = {
    "ncbi-disease": ("ncbi-disease/conll/devel.tsv", ["Disease"]),
    "bc5cdr": ("bc5cdr/iob/devel.tsv", ["Chemical", "Disease"]),
}

LABEL_DESCRIPTIONS = {
    "Disease": "a disease, disorder, syndrome or other medical condition, including its abbreviation",
    "Chemical": "a chemical compound, element, ion or drug, including its abbreviation",
}

TYPE_KEYWORDS = {
    "Disease": ("disease", "disorder", "syndrome", "cancer", "tumor", "tumour", "carcinoma",
                "infection", "condition", "illness", "deficiency", "pathology", "symptom",
                "neoplasm", "lesion", "injury", "toxicity", "adverse"),
    "Chemical": ("chemical", "drug", "compound", "medication", "molecule", "substance",
                 "agent", "metabolite", "toxin", "hormone", "inhibitor", "antibiotic",
                 "pharmac", "element", "ion", "steroid", "vitamin"),
}


def map_type(label: str, gold_types: List[str]) -> Optional[str]:
    """The gold type an open type stands for, or None (e.g. 'Gene', 'Cell type')."""
    low = label.lower()
    for gold in gold_types:
        if low == gold.lower():
            return gold
    for gold in sorted(gold_types, key=lambda g: g != "Disease"):  # 'Disease' wins ties
        for word in TYPE_KEYWORDS.get(gold, (gold.lower(),)):
            # short keywords only at the start of a word: 'ion' must not match 'condition'
            if (re.search(r"\b" + re.escape(word), low) if len(word) <= 3 else word in low):
                return gold
    return None


def annotate_docs(task, model, docs):
    """The path of `spacy-juicer annotate`: one prompt per sentence, the task parses."""
    from tqdm import tqdm

    out = []
    for doc in tqdm(docs, desc=getattr(task, "name", "task")):
        prompt = next(iter(task.generate_prompts([doc])))
        answer = model([[prompt]])[0]
        out.append(next(iter(task.parse_responses([doc], [answer]))))
    return out


def predicted_spans(doc) -> List[Tuple[int, int, str]]:
    if "llm_raw" in doc.spans:
        spans = doc.spans["llm_raw"]
    else:
        spans = doc.ents
    return [(s.start, s.end, s.label_) for s in spans]


def score(
    gold: List[List[Tuple[int, int, str]]],
    pred: List[List[Tuple[int, int, str]]],
    gold_types: List[str],
) -> Dict[str, Any]:
    n_gold = sum(len(g) for g in gold)
    found_any = found_typed = overlap_any = 0
    n_pred = n_pred_mapped = pred_exact = pred_typed = 0
    mapped_types: Counter = Counter()
    unmapped_types: Counter = Counter()
    for g_spans, p_spans in zip(gold, pred):
        p_bounds = {(s, e) for s, e, _ in p_spans}
        p_typed = {(s, e, map_type(l, gold_types)) for s, e, l in p_spans}
        g_bounds = {(s, e) for s, e, _ in g_spans}
        g_typed = set(g_spans)
        for s, e, label in g_spans:
            found_any += (s, e) in p_bounds
            found_typed += (s, e, label) in p_typed
            overlap_any += any(ps < e and s < pe for ps, pe in p_bounds)
        for s, e, label in p_spans:
            n_pred += 1
            pred_exact += (s, e) in g_bounds
            mapped = map_type(label, gold_types)
            if mapped is None:
                unmapped_types[label] += 1
                continue
            mapped_types[f"{label} -> {mapped}"] += 1
            n_pred_mapped += 1
            pred_typed += (s, e, mapped) in g_typed

    def ratio(a: int, b: int) -> Optional[float]:
        return round(a / b, 4) if b else None

    recall_typed = ratio(found_typed, n_gold)
    precision_typed = ratio(pred_typed, n_pred_mapped)
    f_typed = (
        round(2 * recall_typed * precision_typed / (recall_typed + precision_typed), 4)
        if recall_typed and precision_typed
        else 0.0
    )
    return {
        "gold_mentions": n_gold,
        "teacher_spans": n_pred,
        "found_any_type": found_any,
        "found_any_type_ratio": ratio(found_any, n_gold),
        "overlap_any_type": overlap_any,
        "overlap_any_type_ratio": ratio(overlap_any, n_gold),
        "found_typed": found_typed,
        "recall_typed": recall_typed,
        "precision_any": ratio(pred_exact, n_pred),
        "teacher_spans_mapped_to_gold_types": n_pred_mapped,
        "precision_typed": precision_typed,
        "f_typed": f_typed,
        "top_mapped_types": mapped_types.most_common(12),
        "top_unmapped_types": unmapped_types.most_common(12),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dataset", default="ncbi-disease", choices=sorted(DATASETS))
    parser.add_argument("-n", type=int, default=60, help="first n sentences of the dev set")
    parser.add_argument("--model", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--max-tokens", type=int, default=160)
    parser.add_argument("--prompts", default="open,label",
                        help="open (spacy_juicer.OpenNER.v1), label (spacy_juicer.LabelNER.v1 with "
                             "the gold types), label_cot (the same, reasoning first), "
                             "universal (spacy_juicer.UniversalNER.v1)")
    parser.add_argument("--out", default=None, help="JSON path (a .md is written beside it)")
    args = parser.parse_args()

    import spacy
    from spacy.tokens import Doc

    from spacy_juicer.assets import data_dir

    rel, gold_types = DATASETS[args.dataset]
    sentences = bench_utils.read_bio(data_dir() / rel, limit=args.n)
    vocab = spacy.blank("en").vocab
    gold = [s["spans"] for s in sentences]
    labels = {t: LABEL_DESCRIPTIONS.get(t, t) for t in gold_types}
    tasks = {
        "open": ("spacy_juicer.OpenNER.v1", {}),
        "universal": ("spacy_juicer.UniversalNER.v1", {}),
        "label": ("spacy_juicer.LabelNER.v1", {"labels": labels}),
        "label_cot": ("spacy_juicer.LabelNER.v1", {"labels": labels, "cot": True}),
    }
    report: Dict[str, Any] = {
        **bench_utils.header(),
        "dataset": args.dataset,
        "file": rel,
        "n_sentences": len(sentences),
        "gold_types": gold_types,
        "type_keywords": TYPE_KEYWORDS,
        "model": args.model,
        "results": {},
    }
    from spacy_llm.registry import registry

    from spacy_juicer.teacher.annotate import register_all
    from spacy_juicer.teacher.models.llama_cpp import LlamaCpp

    register_all()
    for key in args.prompts.split(","):
        docs = [Doc(vocab, words=s["words"], spaces=bench_utils.detok_spaces(s["words"]))
                for s in sentences]
        task_name, task_args = tasks[key]
        task = registry.llm_tasks.get(task_name)(**task_args)
        llm = LlamaCpp(args.model, max_tokens=args.max_tokens)
        start = time.perf_counter()
        out_docs = annotate_docs(task, llm, docs)
        seconds = time.perf_counter() - start
        pred = [predicted_spans(d) for d in out_docs]
        result = score(gold, pred, gold_types)
        usage = dict(llm.usage)
        n = len(docs)
        result.update({
            "task": {"name": task_name, **task_args},
            "model_settings": llm.settings(),
            "statuses": dict(Counter(d.user_data["juicer"]["status"] for d in out_docs)),
            "seconds_total": round(seconds, 1),
            "s_per_sentence": round(seconds / n, 3),
            "input_tokens_per_sentence": round(usage["input_tokens"] / n, 1),
            "output_tokens_per_sentence": round(usage["output_tokens"] / n, 1),
            "llm_failures": usage.get("failures"),
            "truncated": usage.get("truncated"),
            "examples": [
                {"text": d.text, "answer": d.user_data["juicer"]["raw"],
                 "gold": [d[s:e].text + f" ({l})" for s, e, l in g]}
                for d, g in list(zip(out_docs, gold))[:3]
            ],
        })
        report["results"][key] = result
        print(key, {k: v for k, v in result.items() if k not in {"examples", "task"}}, flush=True)
        llm.close()
    out = Path(args.out) if args.out else bench_utils.RESULTS / f"teacher_quality_{args.dataset}.json"
    bench_utils.write_json(out, report)
    out.with_suffix(".md").write_text(markdown(report), encoding="utf8")
    print(f"wrote {out.with_suffix('.md')}")


def markdown(report: Dict[str, Any]) -> str:
    lines = [
        f"# Teacher quality on {report['dataset']} ({report['file']}, first {report['n_sentences']} sentences)",
        "",
        f"Teacher: `{report['model']}` via `spacy_juicer.LlamaCpp.v1`; gold types {report['gold_types']}.",
        f"Command: `{report['command']}`  ",
        f"Machine: {report['machine']['cpu_model']}, {report['machine']['usable_cpus']} usable CPUs, "
        f"load average at start {report['machine']['loadavg_at_start']}.",
        "",
        "| prompt | gold | found (any type) | overlapped (any type) | found, right type | precision (typed) | F (typed) | precision (any span) | s/sentence | in tok/sent | out tok/sent |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for key, r in report["results"].items():
        lines.append(
            f"| {key} | {r['gold_mentions']} | {r['found_any_type']} ({r['found_any_type_ratio']}) | "
            f"{r['overlap_any_type']} ({r['overlap_any_type_ratio']}) | {r['found_typed']} ({r['recall_typed']}) | "
            f"{r['precision_typed']} | {r['f_typed']} | {r['precision_any']} | {r['s_per_sentence']} | "
            f"{r['input_tokens_per_sentence']} | {r['output_tokens_per_sentence']} |"
        )
    lines += ["", "Open types mapped to gold types by keyword (most frequent):", ""]
    for key, r in report["results"].items():
        lines.append(f"- {key}: mapped {r['top_mapped_types'][:8]}; unmapped {r['top_unmapped_types'][:8]}")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
