"""Does a trained zero_shot_ner keep finding its seen types when a user adds labels, and does
it read the descriptions?

* Label-set robustness: span F1 on the seen types (e.g. BC5CDR Chemical + Disease) with 0, 1,
  3, 10 and 50 unrelated labels added (``benchmarks/data/distractors.json``, none of them a
  synonym of a seen type, none in the training pool of negative types). Predictions of the
  added types are ignored by the score; only what they take from the seen types counts.
* Description swap: the seen types' descriptions exchanged (Chemical described as a disease
  and vice versa). A model that reads only descriptions swaps its output: the score is the
  share of its original predictions that come back, same span, with the other label. (Names
  never reach the model, so this holds by construction; the next test is the one that bites.)
* One description alone: labels = only type A's description; the share of type B's gold
  mentions tagged (any overlap) as A, and A's span F1. A model that ignores descriptions tags
  both kinds alike. Run it with the held-out plain one-liners
  (``--labels spacy_juicer/corpora/descriptions/heldout/bc5cdr.json``) for a user's wording.

    python benchmarks/label_robustness.py --model gold=training/gold/model-last \\
        --model "gold at 0.3=training/gold/model-last,threshold=0.3" \\
        --data corpus/bc5cdr_dev.spacy --labels spacy_juicer/corpora/descriptions/bc5cdr.json --limit 150
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Dict, List


sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header, write_json  # noqa: E402

HERE = Path(__file__).parent


def predict(nlp, gold, labels: Dict[str, str]):
    from spacy.training import Example

    from spacy_juicer.evaluation import find_component

    ner = nlp.get_pipe(find_component(nlp))
    with ner.using(labels=labels):
        docs = list(nlp.pipe([ner.copy_for_prediction(doc) for doc in gold], batch_size=32))
    return [Example(p, g) for p, g in zip(docs, gold)]


def seen_scores(examples, seen: List[str]) -> Dict[str, float]:
    from spacy_juicer.student.scorer import score_zero_shot_ner

    s = score_zero_shot_ner(examples, labels=seen)
    return {"ents_f": s["ents_f"], "ents_p": s["ents_p"], "ents_r": s["ents_r"], "span_macro_f": s["span_macro_f"]}


def swap_share(original, swapped, pair) -> Dict[str, float]:
    a, b = pair
    flip = {a: b, b: a}
    before = [(i, e.start, e.end, e.label_) for i, eg in enumerate(original) for e in eg.predicted.ents if e.label_ in flip]
    after = {(i, e.start, e.end, e.label_) for i, eg in enumerate(swapped) for e in eg.predicted.ents}
    followed = sum((i, s, e, flip[label]) in after for i, s, e, label in before)
    kept = sum((i, s, e, label) in after for i, s, e, label in before)
    n = len(before) or 1
    return {"n_predictions": len(before), "followed_swap": followed / n, "kept_label": kept / n}


def leakage(examples, only: str, other: str) -> Dict[str, float]:
    """Share of ``other``'s gold mentions overlapped by a prediction (all labelled ``only``),
    and of ``only``'s own gold mentions (its recall, for comparison)."""
    def share(label):
        gold = [(i, e.start, e.end) for i, eg in enumerate(examples) for e in eg.reference.ents if e.label_ == label]
        hit = 0
        for i, start, end in gold:
            hit += any(p.start < end and start < p.end for p in examples[i].predicted.ents)
        return hit / (len(gold) or 1)

    return {"other_type_tagged": share(other), "own_type_tagged": share(only)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, help="name=path of a trained pipeline, or name=path,threshold=0.5 to score it at that threshold (repeatable)")
    parser.add_argument("--data", required=True, help="gold DocBin of the seen types")
    parser.add_argument("--labels", required=True, help="labels file of the seen types")
    parser.add_argument("--distractors", default=str(HERE / "data" / "distractors.json"))
    parser.add_argument("--counts", default="0,1,3,10,50")
    parser.add_argument("--limit", type=int, default=150)
    parser.add_argument("--output", default=str(RESULTS / "zero_shot" / "label_robustness.json"))
    args = parser.parse_args()

    import spacy

    from spacy_juicer.corpora.labels import read_labels_file
    from spacy_juicer.evaluation import find_component, load_gold

    seen = read_labels_file(args.labels)
    distractors = read_labels_file(args.distractors)
    counts = [int(c) for c in args.counts.split(",")]
    results = {**header(), "data": args.data, "labels": args.labels, "limit": args.limit, "models": {}}
    for spec in args.model:
        name, path = spec.split("=", 1)
        path, _, threshold = path.partition(",threshold=")
        try:
            value = float(threshold) if threshold else None
        except ValueError:
            value = -1.0
        if value is not None and not 0.0 <= value <= 1.0:
            parser.error(f"--model {spec!r}: threshold must be a number in [0, 1]")
        nlp = spacy.load(path)
        if value is not None:  # e.g. 0.5 for a pipeline that carries a calibrated threshold
            nlp.get_pipe(find_component(nlp)).cfg["threshold"] = value
        gold = load_gold(args.data, nlp.vocab, args.limit)
        rows = {}
        for n in counts:
            labels = {**seen, **dict(list(distractors.items())[:n])}
            rows[str(n)] = seen_scores(predict(nlp, gold, labels), list(seen))
            print(f"{name}: +{n} labels: seen-type span F1 {rows[str(n)]['ents_f']:.3f}", flush=True)
        names = list(seen)[:2]
        original = predict(nlp, gold, seen)
        swapped = predict(nlp, gold, {names[0]: seen[names[1]], names[1]: seen[names[0]]})
        swap = swap_share(original, swapped, names)
        print(f"{name}: description swap: {swap}", flush=True)
        alone = {}
        for a, b in (names, names[::-1]):
            examples = predict(nlp, gold, {a: seen[a]})
            alone[a] = {**leakage(examples, a, b), "span_f": seen_scores(examples, [a])["ents_f"]}
            print(f"{name}: only {a}'s description: {alone[a]}", flush=True)
        results["models"][name] = {"path": path, "threshold": nlp.get_pipe(find_component(nlp)).cfg["threshold"], "added_labels": rows, "swap": swap, "one_description": alone}
    out = Path(args.output)
    write_json(out, results)
    out.with_suffix(".md").write_text(markdown(results, counts))


def markdown(results, counts) -> str:
    lines = [
        "# Label-set robustness and description swap",
        "",
        f"`{results['command']}`",
        "",
        f"Machine: {results['machine']['cpu_model']}, {results['machine']['usable_cpus']} CPUs; {results['date_utc']}.",
        f"Data: first {results['limit']} docs of `{results['data']}`; seen-type span F1 (micro) with N unrelated labels added.",
        "",
        "| model | " + " | ".join(f"+{n}" for n in counts) + " | swap followed | only A: B tagged / A tagged / A span F1 | only B: A tagged / B tagged / B span F1 |",
        "|---|" + "---|" * (len(counts) + 3),
    ]
    for name, row in results["models"].items():
        cells = [f"{row['added_labels'][str(n)]['ents_f']:.3f}" for n in counts]
        swap = row["swap"]
        alone = [f"{v['other_type_tagged']:.2f} / {v['own_type_tagged']:.2f} / {v.get('span_f', float('nan')):.2f}"
                 for v in row["one_description"].values()]
        lines.append(f"| {name} | " + " | ".join(cells) + f" | {swap['followed_swap']:.2f} | " + " | ".join(alone) + " |")
    lines += ["", "A = " + ", B = ".join(next(iter(results["models"].values()))["one_description"]) + "."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
