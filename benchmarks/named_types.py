"""Types given by name only, and what ``describe-names`` makes of them (issue "Meaning, not
wording", item 3): each test part scored under the bare name, under the teacher's one-line
definition of that name (``configs/describe_short.cfg``, asked "In biomedicine, what is
<name>, in one short sentence?"), and under the trained types' description where the name is
one of them (``--known``, e.g. describe's ``corpus/descriptions.json``), beside the project's
file and the held-out plain one-liner; and, on the seen types, each type's name-born
description alone (does it find its own type and leave the other alone?). At the pipeline's
own thresholds (``threshold`` for descriptions, ``name_threshold`` for bare names).

    python benchmarks/named_types.py --model training/kf/model-calibrated --split-dir corpus/splits \\
        --known corpus/descriptions.json --limit 500 --output benchmarks/results/zero_shot/named_types.json
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, SEEN_TEST, header, write_json  # noqa: E402
from zero_shot_forms import one_description  # noqa: E402

ROOT = Path(__file__).parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="path of a trained pipeline")
    parser.add_argument("--split-dir", default="corpus/splits")
    parser.add_argument("--parts", default=f"test-bc2gm,test-jnlpba,{SEEN_TEST}")
    parser.add_argument("--known", default=None, help="labels file of the types the model was trained on")
    parser.add_argument("--config", default=str(ROOT / "configs" / "describe_short.cfg"), help="the describer's spacy-llm config")
    parser.add_argument("--cache", default=None, help="the describer's answer cache")
    parser.add_argument("--domain", default="biomedicine")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--feature-store", default=None)
    parser.add_argument("--output", default=str(RESULTS / "zero_shot" / "named_types.json"))
    args = parser.parse_args()

    from spacy_juicer.corpora.forms import read_forms
    from spacy_juicer.corpora.labels import read_labels_file
    from spacy_juicer.evaluation import evaluate, load_pipeline
    from spacy_juicer.silver.describe import describe_names

    known = read_labels_file(args.known) if args.known else None
    nlp = load_pipeline(args.model, args.feature_store)
    split = Path(args.split_dir)
    results: Dict[str, Any] = {**header(), "model": args.model, "limit": args.limit, "domain": args.domain,
                               "config": args.config, "known": args.known, "parts": {}}
    for part in args.parts.split(","):
        forms = read_forms(split / f"{part}.forms.json")
        names = forms["name"]  # {label: its readable name}
        asked = describe_names(list(names.values()), None, args.config, domain=args.domain, cache_path=args.cache, progress=False)
        forms["teacher"] = {label: asked["descriptions"][name] for label, name in names.items()}
        sources = {name: "teacher" for name in names.values()}
        if known is not None:
            matched = describe_names(list(names.values()), None, None, known=known)
            forms["known"] = {label: (matched["descriptions"][name] if matched["sources"][name] != "name"
                                      else asked["descriptions"][name]) for label, name in names.items()}
            sources = {name: (src if src != "name" else "teacher") for name, src in matched["sources"].items()}
        m = evaluate(nlp, split / f"{part}.spacy", forms=forms, limit=args.limit, name=f"named/{part}")
        results["parts"][part] = {
            "descriptions": {f: forms[f] for f in forms if f in ("teacher", "known")},
            "known_sources": sources,
            "threshold": m["threshold"], "name_threshold": m.get("name_threshold"),
            "by_form": {f: v["span_macro_f"] for f, v in m["forms"].items()},
            "ents_per_type": {f: v["ents_per_type"] for f, v in m["forms"].items()},
        }
        print(f"{part}: {results['parts'][part]['by_form']}", flush=True)
        if part == SEEN_TEST:
            alone = {}
            for form in [f for f in ("teacher", "known", "name") if f in forms]:
                alone[form] = one_description(nlp, split / f"{part}.spacy", forms[form], args.limit)
                print(f"{part} {form} alone: {alone[form]}", flush=True)
            results["parts"][part]["alone"] = alone
    out = Path(args.output)
    write_json(out, results)
    out.with_suffix(".md").write_text(markdown(results))


def markdown(results: Dict[str, Any]) -> str:
    forms = ["name", "teacher", "known", "project", "plain"]
    lines = ["# Types given by name: the bare name, the teacher's one-liner, the trained types' description", "",
             f"`{results['command']}`", "",
             f"Machine: {results['machine']['cpu_model']}, {results['machine']['usable_cpus']} CPUs; {results['date_utc']}. "
             f"Model {results['model']}; first {results['limit']} sentences of each part; span macro F1 (%) at the "
             "pipeline's own thresholds.", "",
             "| part | " + " | ".join(forms) + " |", "|---|" + "---|" * len(forms)]
    for part, r in results["parts"].items():
        f = r["by_form"]
        lines.append(f"| {part} | " + " | ".join(f"{100 * f[x]:.1f}" if x in f else "" for x in forms) + " |")
    lines += ["", "Descriptions the names were given:", ""]
    for part, r in results["parts"].items():
        for form, labels in r["descriptions"].items():
            for label, text in labels.items():
                lines.append(f"- {part} {label} ({form}): {text}")
    for part, r in results["parts"].items():
        if "alone" in r:
            lines += ["", f"Each type's description alone on {part}: span F1, share of the other type's mentions tagged.", "",
                      "| form | type alone | span F1 | other type tagged |", "|---|---|---|---|"]
            for form, by_type in r["alone"].items():
                for a, v in by_type.items():
                    lines.append(f"| {form} | {a} | {100 * v['span_f']:.1f} | {100 * v['other_types_tagged']:.0f}% |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    main()
