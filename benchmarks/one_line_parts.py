"""Which part of a one-line description makes it find its type, or tag another: one type's
line given alone on the seen types' held-out sentences, in variants that each drop or change
one part (``benchmarks/data/disease_line_parts.json``: the held-out Disease line without its
examples, with other examples, ...), at the pipeline's own threshold and at a few others.
A diagnosis, not a score to report: the variants were written after the held-out line's
result was known, and the held-out file itself is never edited.

    python benchmarks/one_line_parts.py --model training/kf/model-calibrated \\
        --data corpus/splits/seen-bc5cdr-test.spacy --output benchmarks/results/zero_shot/one_line_parts.json
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header, write_json  # noqa: E402
from label_robustness import leakage, predict, seen_scores  # noqa: E402

HERE = Path(__file__).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True, help="gold DocBin of the seen types (held-out sentences)")
    parser.add_argument("--variants", default=str(HERE / "data" / "disease_line_parts.json"),
                        help='{"Type": {"variant": "line", ...}}; the other type of the data is the one whose mentions are counted')
    parser.add_argument("--other", default="Chemical")
    parser.add_argument("--thresholds", default="", help="extra thresholds, e.g. 0.8,0.9 (the pipeline's own is always scored)")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--feature-store", default=None)
    parser.add_argument("--output", default=str(RESULTS / "zero_shot" / "one_line_parts.json"))
    args = parser.parse_args()

    import srsly

    from spacy_juicer.evaluation import find_component, load_gold, load_pipeline

    nlp = load_pipeline(args.model, args.feature_store)
    ner = nlp.get_pipe(find_component(nlp))
    gold = load_gold(args.data, nlp.vocab, args.limit)
    thresholds = [None] + [float(t) for t in args.thresholds.split(",") if t]
    results: Dict[str, Any] = {**header(), "model": args.model, "data": args.data, "limit": args.limit,
                               "own_threshold": ner.cfg["threshold"], "rows": []}
    for label, variants in srsly.read_json(args.variants).items():
        for variant, line in variants.items():
            for threshold in thresholds:
                with ner.using(threshold=threshold):
                    examples = predict(nlp, gold, {label: line})
                n_pred = sum(len(eg.predicted.ents) for eg in examples)
                # the other type's mentions predicted with exactly their own edges: named as the asked type
                exact = sum(any(p.start == e.start and p.end == e.end for p in eg.predicted.ents)
                            for eg in examples for e in eg.reference.ents if e.label_ == args.other)
                row = {"type": label, "variant": variant, "line": line,
                       "threshold": ner.cfg["threshold"] if threshold is None else threshold,
                       "span_f": seen_scores(examples, [label])["ents_f"],
                       "other_type_tagged": leakage(examples, label, args.other)["other_type_tagged"],
                       "predicted": n_pred, "other_type_exact": exact}
                results["rows"].append(row)
                print(f"{variant} @ {row['threshold']}: F {100 * row['span_f']:.1f}, "
                      f"{args.other} tagged {100 * row['other_type_tagged']:.0f}% ({exact} with their exact edges), {n_pred} spans", flush=True)
    out = Path(args.output)
    write_json(out, results)
    lines = ["# One line alone, part by part", "", f"`{results['command']}`", "",
             f"Machine: {results['machine']['cpu_model']}, {results['machine']['usable_cpus']} CPUs; {results['date_utc']}. "
             f"Model {args.model}; first {args.limit} sentences of {args.data}; span F1 of the type given alone, share of "
             f"the {args.other} mentions it tags (and how many of them with their exact edges), spans predicted.", "",
             "| type | variant | threshold | span F1 | other tagged | other, exact | spans |", "|---|---|---|---|---|---|---|"]
    for r in results["rows"]:
        lines.append(f"| {r['type']} | {r['variant']} | {r['threshold']:.2f} | {100 * r['span_f']:.1f} | "
                     f"{100 * r['other_type_tagged']:.0f}% | {r.get('other_type_exact', '')} | {r['predicted']} |")
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
