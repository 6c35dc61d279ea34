"""The teacher itself on the zero-shot test types, scored exactly like the student (issue:
zero-shot for real, the "teacher" row): spacy-llm's ``llm`` component with the
``spacy_juicer.LabelNER.v1`` prompt given each test part's types and descriptions, its
``llm_raw`` spans made non-overlapping (longest first, as ``filter_spans`` does), then the
student's scorer on the same sentences.

    python benchmarks/teacher_zero_shot.py --limit 60

The teacher takes about 2 s a sentence on 2 idle cores, so a sample is scored (``--limit``, the
first sentences of each part, the same ones the student's rows start with); answers go to a
SQLite cache (``--cache``) so a rerun or a larger ``--limit`` only asks for new sentences.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header, write_json  # noqa: E402
from spacy.tokens import Doc  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split-dir", default="corpus/splits/biomedical")
    parser.add_argument("--test-parts", default="test-jnlpba,test-bc2gm")
    parser.add_argument("--limit", type=int, default=60, help="sentences per test part")
    parser.add_argument("--teacher", default="qwen2.5-coder-1.5b-instruct")
    parser.add_argument("--cache", default="training/teacher_zero_shot.sqlite")
    parser.add_argument("--output", default=str(RESULTS / "zero_shot" / "teacher" / "label_ner.json"))
    args = parser.parse_args()

    import spacy
    import spacy_llm  # noqa: F401  (registers the llm_tasks and llm_models registries)
    from spacy.training import Example
    from spacy.util import filter_spans

    from spacy_juicer.evaluation import load_gold, read_labels
    from spacy_juicer.records import RECORD_KEY
    from spacy_juicer.student.scorer import score_zero_shot_ner
    from spacy_juicer.teacher.cache import AnswerCache
    from spacy_juicer.teacher.models.base import model_identity
    from spacy_juicer.teacher.runner import run_llm

    split = Path(args.split_dir)
    Path(args.cache).parent.mkdir(parents=True, exist_ok=True)
    result = {**header(), "teacher": args.teacher, "task": "spacy_juicer.LabelNER.v1", "limit": args.limit, "scores": {}}
    model = spacy.util.registry.resolve({"m": {"@llm_models": "spacy_juicer.LlamaCpp.v1", "model": args.teacher}})["m"]
    identity = model_identity(model)
    for part in args.test_parts.split(","):
        labels = read_labels(split / f"{part}.labels.json")
        task = spacy.util.registry.resolve({"t": {"@llm_tasks": "spacy_juicer.LabelNER.v1", "labels": labels}})["t"]
        vocab = spacy.blank("en").vocab
        gold = load_gold(split / f"{part}.spacy", vocab, args.limit)
        predicted = {}

        def parse(ref, answer, predicted=predicted, task=task):
            doc = task.annotate(Doc(vocab, words=[t.text for t in ref], spaces=[bool(t.whitespace_) for t in ref]), answer)
            doc.ents = filter_spans(list(doc.spans.get("llm_raw", [])))
            predicted[id(ref)] = doc
            return doc.user_data[RECORD_KEY]["status"]

        start = time.perf_counter()
        counts = run_llm(model, AnswerCache(args.cache), identity, gold,
                         prompt=lambda ref, task=task: next(iter(task.generate_prompts([ref]))),
                         parse=parse, desc=f"teacher on {part}", unit="sent")
        seconds = time.perf_counter() - start
        examples = [Example(predicted[id(ref)], ref) for ref in gold]
        scores = score_zero_shot_ner(examples, labels=list(labels))
        keep = ("span_macro_f", "span_macro_p", "span_macro_r", "tok_macro_f", "ents_f", "ents_per_type")
        result["scores"][part] = {k: scores[k] for k in keep if k in scores}
        result["scores"][part].update({"docs": len(gold), "seconds": round(seconds, 1),
                                       **{k: v for k, v in counts.items()}})
        print(f"{part}: span macro F {scores['span_macro_f']:.3f}, token macro F {scores['tok_macro_f']:.3f} "
              f"({len(gold)} sentences, {counts['calls']} teacher calls, {seconds:.0f} s)", flush=True)
    write_json(Path(args.output), result)


if __name__ == "__main__":
    main()
