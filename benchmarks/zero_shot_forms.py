"""Zero-shot quality as a user feels it: each pipeline on the unseen test types and on the seen
types under every form of the descriptions (the project's file, the held-out plain one-liner,
the bare name: ``spacy_juicer.corpora.forms``), at the pipeline's own threshold, worst form
first; and, on the seen types, one plain one-line description alone (does it find its own type
and leave the other alone?). The numbers of the issues "Meaning, not wording" and "KP at scale".

    python benchmarks/zero_shot_forms.py --model "all=training/kf/model-calibrated" \\
        --split-dir corpus/splits --limit 500 --output benchmarks/results/zero_shot/forms_all.json
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, SEEN_TEST, header, write_json  # noqa: E402

PLAIN_SEEN = Path(__file__).parent.parent / "spacy_juicer" / "corpora" / "descriptions" / "heldout" / "bc5cdr.json"


def one_description(nlp, data: Path, labels: Dict[str, str], limit: int) -> Dict[str, Any]:
    """For each of two types A, B: span F1 of A given only A's description, and the share of
    B's gold mentions tagged (``label_robustness.py``'s measures)."""
    from label_robustness import leakage, predict, seen_scores

    from spacy_juicer.evaluation import load_gold

    gold = load_gold(data, nlp.vocab, limit)
    a, b = list(labels)[:2]
    out = {}
    for only, other in ((a, b), (b, a)):
        examples = predict(nlp, gold, {only: labels[only]})
        shares = leakage(examples, only, other)
        out[only] = {"span_f": seen_scores(examples, [only])["ents_f"], "other_types_tagged": shares["other_type_tagged"]}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, help="name=path[,threshold=T] (repeatable)")
    parser.add_argument("--split-dir", default="corpus/splits")
    parser.add_argument("--parts", default=f"test-bc2gm,test-jnlpba,{SEEN_TEST}")
    parser.add_argument("--seen-part", default=SEEN_TEST,
                        help=f"held-out sentences of the seen types, for the one-description test (split's {SEEN_TEST}, BC5CDR test; 'train' for the training sentences)")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--output", default=str(RESULTS / "zero_shot" / "forms.json"))
    parser.add_argument("--feature-store", default=None,
                        help="frozen encoders read and write this feature store (a run's corpus/cache/features.sqlite)")
    args = parser.parse_args()

    import srsly

    from spacy_juicer.evaluation import evaluate, find_component, load_pipeline

    split = Path(args.split_dir)
    results: Dict[str, Any] = {**header(), "limit": args.limit, "seen_part": args.seen_part, "models": {}}
    for spec in args.model:
        name, path = spec.split("=", 1)
        path, _, threshold = path.partition(",threshold=")
        nlp = load_pipeline(path, args.feature_store)
        value = float(threshold) if threshold else None
        row: Dict[str, Any] = {"path": path}
        for part in args.parts.split(","):
            m = evaluate(nlp, split / f"{part}.spacy", forms=split / f"{part}.forms.json", limit=args.limit,
                         threshold=value, name=f"{name}/{part}")
            row[part] = {"worst_form": m["worst_form"], "threshold": m["threshold"],
                         "by_form": {f: v["span_macro_f"] for f, v in m["forms"].items()},
                         "ents_per_type": {f: v["ents_per_type"] for f, v in m["forms"].items()}}
            print(f"{name} {part}: {row[part]['by_form']} (threshold {m['threshold']})", flush=True)
        plain = srsly.read_json(PLAIN_SEEN)
        ner = nlp.get_pipe(find_component(nlp))
        with ner.using(threshold=value):
            row["plain_alone"] = one_description(nlp, split / f"{args.seen_part}.spacy", plain, args.limit)
        print(f"{name} one plain description alone: {row['plain_alone']}", flush=True)
        results["models"][name] = row
    out = Path(args.output)
    write_json(out, results)
    out.with_suffix(".md").write_text(markdown(results, args.parts.split(",")))


def markdown(results: Dict[str, Any], parts) -> str:
    lines = ["# Zero-shot under three forms of each type's description", "", f"`{results['command']}`", "",
             f"Machine: {results['machine']['cpu_model']}, {results['machine']['usable_cpus']} CPUs; {results['date_utc']}. "
             f"First {results['limit']} sentences of each part; span macro F1 (%) at each pipeline's own threshold; "
             "forms: project file / held-out plain one-liner / bare name; worst first.", "",
             "| model | part | threshold | worst | project | plain | name | worst / best |", "|---|---|---|---|---|---|---|---|"]
    for name, row in results["models"].items():
        for part in parts:
            r = row[part]
            f = r["by_form"]
            best = max(f.values()) or 1e-9
            lines.append(f"| {name} | {part} | {r['threshold']:.2f} | {100 * min(f.values()):.1f} ({r['worst_form']}) | "
                         f"{100 * f['project']:.1f} | {100 * f['plain']:.1f} | {100 * f['name']:.1f} | {min(f.values()) / best:.2f} |")
    lines += ["", f"One held-out plain description alone, on held-out sentences of the seen types ({results.get('seen_part', 'BC5CDR')}): span F1 of that type, share of "
              "the other type's mentions tagged.", "", "| model | type alone | span F1 | other type tagged |", "|---|---|---|---|"]
    for name, row in results["models"].items():
        for a, v in row["plain_alone"].items():
            lines.append(f"| {name} | {a} | {100 * v['span_f']:.1f} | {100 * v['other_types_tagged']:.0f}% |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
