"""The student's speed against its teacher's, in one run, on the same real PubMed sentences and
the same 10 types (JUICER reports a student 157x faster than its teacher).

* teacher: the embedded 1.5B GGUF model through spacy-llm's ``llm`` component with the
  ``spacy_juicer.LabelNER.v1`` prompt on the 10 types (skipped, with the reason, when
  llama-cpp-python or the weights are missing: ``pip install "spacy-juicer[llama]"`` and
  ``bash scripts/get_teacher.sh``);
* students: the cross-encoder and the default frozen-encoder model, at ``nlp.pipe`` batch 1 and 32,
  and sentences/s for 1, 10, 50 and 200 labels; optionally torch dynamic int8 quantization;
* peak resident memory after each part.

Speed does not depend on training, so the students are untrained pipelines unless --xenc /
--frozen name trained ones.

    python benchmarks/student_vs_teacher.py --docs 100
"""
from __future__ import annotations

import argparse
import resource
import sys
import time
from pathlib import Path
from typing import Dict, List

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header, pubmed_sentences, write_json  # noqa: E402
from student_speed import TYPES  # noqa: E402

ARCHS = {"cross-encoder": "spacy_juicer.CrossEncoder.v1", "frozen bi-encoder (default)": "spacy_juicer.FrozenBiEncoder.v2"}


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def label_pool(n: int) -> Dict[str, str]:
    from spacy_juicer.student.negatives import load_negative_pool

    pool = {**TYPES, **load_negative_pool()}
    return dict(list(pool.items())[:n])


def time_teacher(texts: List[str], labels: Dict[str, str], model: str) -> Dict:
    try:
        import llama_cpp  # noqa: F401
    except ImportError:
        return {"skipped": "llama-cpp-python is not installed (pip install 'spacy-juicer[llama]')"}
    import spacy

    nlp = spacy.blank("en")
    try:
        nlp.add_pipe("llm", config={
            "task": {"@llm_tasks": "spacy_juicer.LabelNER.v1", "labels": labels},
            "model": {"@llm_models": "spacy_juicer.LlamaCpp.v1", "model": model},
        })
        list(nlp.pipe(texts[:1]))  # load the weights, warm the prompt prefix
    except Exception as err:  # the weights may be missing: say so, measure the rest
        return {"skipped": f"teacher unavailable: {str(err).splitlines()[0]}"}
    start = time.perf_counter()
    docs = list(nlp.pipe(texts))
    seconds = time.perf_counter() - start
    return {"model": model, "task": "spacy_juicer.LabelNER.v1", "docs": len(docs), "seconds": round(seconds, 2),
            "sentences_per_s": round(len(docs) / seconds, 4), "peak_rss_mb": peak_rss_mb()}


def student(arch: str, path: str = None):
    import spacy

    if path:
        return spacy.load(path)
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"labels": TYPES, "model": {"@architectures": ARCHS[arch]}})
    nlp.initialize()
    return nlp


def quantize(nlp) -> None:
    import torch

    shim = nlp.get_pipe("zero_shot_ner").model.get_ref("encoder").shims[0]
    q = torch.quantization.quantize_dynamic(shim._hfmodel.transformer, {torch.nn.Linear}, dtype=torch.qint8)
    shim._model = q
    shim._hfmodel.transformer = q


def sentences_per_s(nlp, texts: List[str], labels: Dict[str, str], batch_size: int) -> float:
    ner = nlp.get_pipe("zero_shot_ner")
    ner.set_labels(labels)
    list(nlp.pipe(texts[:2], batch_size=batch_size))  # warm-up (and description cache, as in use)
    start = time.perf_counter()
    list(nlp.pipe(texts, batch_size=batch_size))
    return round(len(texts) / (time.perf_counter() - start), 3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100)
    parser.add_argument("--label-counts", default="1,10,50,200")
    parser.add_argument("--sweep-docs", type=int, default=0, help="sentences for the label sweep (default: --docs)")
    parser.add_argument("--teacher", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--teacher-docs", type=int, default=0, help="sentences for the teacher (default: --docs)")
    parser.add_argument("--no-teacher", action="store_true", help="skip the teacher (e.g. llama.cpp crashes on this CPU)")
    parser.add_argument("--xenc", default=None, help="a trained cross-encoder pipeline")
    parser.add_argument("--frozen", default=None, help="a trained pipeline of the default architecture")
    parser.add_argument("--quantize", action="store_true", help="also measure torch dynamic int8 quantization")
    parser.add_argument("--eval-data", default=None, help="gold DocBin: span F1 of each (trained) student variant")
    parser.add_argument("--eval-labels", default=None, help="labels file of --eval-data")
    parser.add_argument("--eval-limit", type=int, default=200)
    parser.add_argument("--threads", default="", help="also measure these torch thread counts, e.g. 1")
    parser.add_argument("--output", default=str(RESULTS / "student_vs_teacher.json"))
    args = parser.parse_args()

    import torch

    texts = pubmed_sentences(args.docs)
    ten = dict(list(TYPES.items())[:10])
    result = {**header(), "docs": len(texts), "sweep_docs": args.sweep_docs or len(texts), "types": list(ten),
              "torch_threads": torch.get_num_threads()}
    if args.no_teacher:
        result["teacher"] = {"skipped": "--no-teacher"}
    else:
        result["teacher"] = time_teacher(texts[: args.teacher_docs or len(texts)], ten, args.teacher)
    print("teacher:", result["teacher"], flush=True)
    result["students"] = {}
    for arch, path in (("cross-encoder", args.xenc), ("frozen bi-encoder (default)", args.frozen)):
        variants = [("fp32", False)] + ([("int8", True)] if args.quantize else [])
        for variant, q in variants:
            nlp = student(arch, path)
            if q:
                quantize(nlp)
            row = {"batch_1": sentences_per_s(nlp, texts, ten, 1), "batch_32": sentences_per_s(nlp, texts, ten, 32)}
            row["by_labels_batch_32"] = {
                str(n): sentences_per_s(nlp, texts[: args.sweep_docs or len(texts)], label_pool(n), 32)
                for n in (int(c) for c in args.label_counts.split(","))
            }
            if args.eval_data and path:
                from spacy_juicer.evaluation import evaluate

                m = evaluate(nlp, args.eval_data, args.eval_labels, limit=args.eval_limit)
                row["eval"] = {"data": args.eval_data, "limit": args.eval_limit, "ents_f": m["ents_f"], "span_macro_f": m["span_macro_f"]}
            for threads in [int(t) for t in args.threads.split(",") if t]:
                before = torch.get_num_threads()
                torch.set_num_threads(threads)
                row[f"batch_32_threads_{threads}"] = sentences_per_s(nlp, texts, ten, 32)
                torch.set_num_threads(before)
            row["peak_rss_mb"] = peak_rss_mb()
            teacher = result["teacher"].get("sentences_per_s")
            if teacher:
                row["vs_teacher_batch_1"] = round(row["batch_1"] / teacher, 1)
                row["vs_teacher_batch_32"] = round(row["batch_32"] / teacher, 1)
            result["students"][f"{arch} {variant}"] = row
            print(arch, variant, row, flush=True)
    out = Path(args.output)
    write_json(out, result)
    out.with_suffix(".md").write_text(markdown(result))


def markdown(r) -> str:
    t = r["teacher"]
    counts = list(next(iter(r["students"].values()))["by_labels_batch_32"])
    lines = ["# Student against teacher: sentences per second", "", f"`{r['command']}`", "",
             f"{r['docs']} real PubMed sentences, the same 10 types; {r['machine']['cpu_model']}, "
             f"{r['machine']['usable_cpus']} CPUs, load {r['machine']['loadavg_at_start']}; {r['date_utc']}.", "",
             f"Label sweep (batch 32) on the first {r['sweep_docs']} sentences.", "",
             f"Teacher: {t.get('sentences_per_s', t.get('skipped'))} sentences/s"
             + (f" ({t['model']}, {t['task']})" if "model" in t else ""), "",
             "| student | batch 1 | batch 32 | x teacher (1) | x teacher (32) | " + " | ".join(f"{c} labels" for c in counts) + " | peak MB |",
             "|---|" + "---|" * (5 + len(counts))]
    for name, row in r["students"].items():
        lines.append(f"| {name} | {row['batch_1']} | {row['batch_32']} | {row.get('vs_teacher_batch_1', '–')} | "
                     f"{row.get('vs_teacher_batch_32', '–')} | " + " | ".join(str(row['by_labels_batch_32'][c]) for c in counts)
                     + f" | {row['peak_rss_mb']} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
