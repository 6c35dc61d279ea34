"""What reading a described type by its name too (the component's ``check_names``) does: one
pipeline, each part under every form of its types (worst form first) and the seen types' plain
one-liners given alone, with the check off and on, each at the threshold ``calibrate`` chose
for it on the dev parts (a pipeline's ``meta.json`` keeps both curves). The dev
parts (``dev``: the unseen dev types; ``seen-bc5cdr``: held-out sentences of the seen types)
are the ones ``calibrate`` reads; the test parts are reported apart.

    python benchmarks/name_check.py --model training/kf/model-calibrated --split-dir corpus/splits \\
        --feature-store corpus/cache/features.sqlite --output benchmarks/results/zero_shot/name_check.json
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any, Dict

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, SEEN_TEST, header, write_json  # noqa: E402
from zero_shot_forms import PLAIN_SEEN, one_description  # noqa: E402

DEV_PARTS = ("dev", "seen-bc5cdr")


def dev_chosen(nlp, ner) -> Dict[bool, float]:
    """The described types' threshold for each setting of the check, as ``calibrate`` chose
    it on the dev parts (``meta.json``'s ``scores_by_check``; ties: the higher): each
    setting is compared at its own dev-chosen threshold, not at the other's. A pipeline
    calibrated before the check existed: its one threshold for both."""
    curves = nlp.meta.get("juicer", {}).get("calibration", {}).get("scores_by_check")
    if not curves:
        return {False: ner.cfg["threshold"], True: ner.cfg["threshold"]}
    return {check: float(max(curves[key], key=lambda t: (curves[key][t], float(t))))
            for check, key in ((False, "off"), (True, "on"))}


def speed(model: str, data: Path, labels: Dict[str, str], n_docs: int, repeats: int = 3) -> Dict[str, float]:
    """Sentences a second of ``nlp.pipe`` with the check off and on: the pipeline as a user
    loads it, ``labels`` described, best of ``repeats`` after one warm-up, each run from an
    empty feature store."""
    import time

    import spacy

    from spacy_juicer.evaluation import find_component, load_gold

    nlp = spacy.load(model)
    ner = nlp.get_pipe(find_component(nlp))
    texts = [doc.text for doc in load_gold(data, nlp.vocab, n_docs)]
    out = {}
    for check in (False, True):
        with ner.using(labels=labels, check_names=check):
            list(nlp.pipe(texts[:8]))
            best = min(_timed(nlp, texts, time) for _ in range(repeats))
        out["on" if check else "off"] = len(texts) / best
    return out


def _timed(nlp, texts, time) -> float:
    """Seconds for ``nlp.pipe(texts)`` from an empty feature store: a packaged pipeline keeps
    every text's frozen features in memory, so a second pass over the same texts would only
    time the head."""
    from spacy_juicer.evaluation import find_component
    from spacy_juicer.student.feature_store import FeatureStore
    from spacy_juicer.student.frozen_bi_encoder import attach_feature_store

    attach_feature_store(nlp.get_pipe(find_component(nlp)).model, FeatureStore(None))
    start = time.perf_counter()
    list(nlp.pipe(texts, batch_size=32))
    return time.perf_counter() - start
TEST_PARTS = ("test-bc2gm", "test-jnlpba", SEEN_TEST)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True)
    parser.add_argument("--split-dir", default="corpus/splits")
    parser.add_argument("--parts", default=",".join(DEV_PARTS + TEST_PARTS))
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--feature-store", default=None)
    parser.add_argument("--speed-docs", type=int, default=0, help="also time nlp.pipe on this many seen test sentences")
    parser.add_argument("--output", default=str(RESULTS / "zero_shot" / "name_check.json"))
    args = parser.parse_args()

    import srsly

    from spacy_juicer.evaluation import evaluate, find_component, load_pipeline

    split = Path(args.split_dir)
    nlp = load_pipeline(args.model, args.feature_store)
    ner = nlp.get_pipe(find_component(nlp))
    results: Dict[str, Any] = {**header(), "model": args.model, "limit": args.limit,
                               "threshold": ner.cfg["threshold"], "name_threshold": ner.cfg.get("name_threshold"),
                               "parts": {}, "alone": {}}
    plain = srsly.read_json(PLAIN_SEEN)
    thresholds = dev_chosen(nlp, ner)
    results["thresholds_by_check"] = {("on" if c else "off"): t for c, t in thresholds.items()}
    for check in (False, True):
        key = "on" if check else "off"
        with ner.using(check_names=check, threshold=thresholds[check], name_threshold=ner.cfg.get("name_threshold")):
            for part in args.parts.split(","):
                run = evaluate(nlp, split / f"{part}.spacy", forms=split / f"{part}.forms.json", limit=args.limit)
                forms = {form: run["forms"][form]["span_macro_f"] for form in run["forms"]}
                results["parts"].setdefault(part, {})[key] = {"worst_form": run["worst_form"], "forms": forms}
                print(f"check {key} {part}: " + ", ".join(f"{f} {100 * v:.1f}" for f, v in forms.items()), flush=True)
            for part in ("seen-bc5cdr", SEEN_TEST):
                alone = one_description(nlp, split / f"{part}.spacy", plain, args.limit)
                results["alone"].setdefault(part, {})[key] = alone
                print(f"check {key} {part} alone: " + ", ".join(
                    f"{t} {100 * v['span_f']:.1f} ({100 * v['other_types_tagged']:.0f}% of the other)" for t, v in alone.items()), flush=True)
    if args.speed_docs:
        results["sentences_per_second"] = speed(args.model, split / f"{SEEN_TEST}.spacy", plain, args.speed_docs)
        print(f"sentences/s: {results['sentences_per_second']}", flush=True)
    out = Path(args.output)
    write_json(out, results)
    lines = ["# Reading described types by name too (check_names)", "", f"`{results['command']}`", "",
             f"Machine: {results['machine']['cpu_model']}, {results['machine']['usable_cpus']} CPUs; {results['date_utc']}. "
             f"Model {args.model}; described types at the threshold calibrate chose for each setting "
             f"(off {results['thresholds_by_check']['off']}, on {results['thresholds_by_check']['on']}), names at {results['name_threshold']}; "
             f"first {args.limit} sentences of each part; span macro F1 (%). Dev parts are what `calibrate` reads.", "",
             "| part | check | worst form | " + " | ".join(("project", "plain", "name")) + " |", "|---|---|---|---|---|---|"]
    for part, by_check in results["parts"].items():
        for key, row in by_check.items():
            tag = " (dev)" if part in DEV_PARTS else ""
            forms = row["forms"]
            lines.append(f"| {part}{tag} | {key} | {row['worst_form']} {100 * forms[row['worst_form']]:.1f} | "
                         + " | ".join(f"{100 * forms[f]:.1f}" if f in forms else "–" for f in ("project", "plain", "name")) + " |")
    lines += ["", "One plain line alone (the held-out file's), span F1 and the share of the other type's mentions tagged:", "",
              "| part | check | " + " | ".join(plain) + " |", "|---|---|" + "---|" * len(plain)]
    for part, by_check in results["alone"].items():
        for key, alone in by_check.items():
            lines.append(f"| {part} | {key} | " + " | ".join(
                f"{100 * alone[t]['span_f']:.1f}, {100 * alone[t]['other_types_tagged']:.0f}%" for t in plain) + " |")
    if "sentences_per_second" in results:
        sps = results["sentences_per_second"]
        lines += ["", f"Speed, `nlp.pipe` over {args.speed_docs} seen test sentences with the two held-out lines, each run from an empty feature store, "
                      f"best of 3: {sps['off']:.1f} sentences/s with the check off, {sps['on']:.1f} with it on."]
    out.with_suffix(".md").write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
