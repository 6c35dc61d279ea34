"""What the HTML page of ``evaluate --html`` costs on top of the prediction: sorting every
mention into its group (during the evaluation) and building the page (charts, displaCy,
template), against the seconds the prediction itself took.

    python benchmarks/html_report.py training/kf/model-calibrated corpus/splits/test-bc2gm.spacy \\
        --forms corpus/splits/test-bc2gm.forms.json --limit 500 \\
        --feature-store corpus/cache/features.sqlite --page metrics/report.html \\
        --output benchmarks/results/html_report/kf_test-bc2gm.json
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header, write_json  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model")
    parser.add_argument("data")
    parser.add_argument("--forms")
    parser.add_argument("--labels")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--samples", type=int, default=5, help="mentions drawn per type and group")
    parser.add_argument("--feature-store")
    parser.add_argument("--page", default="report.html", help="where the page goes")
    parser.add_argument("--output", default=str(RESULTS / "html_report" / "report.json"))
    args = parser.parse_args()

    from spacy_juicer.evaluation import evaluate
    from spacy_juicer.reporting import ErrorCases, write_report

    record = header()
    cases = ErrorCases(per_group=args.samples, seed=0)
    start = time.perf_counter()
    metrics = evaluate(args.model, args.data, args.labels, forms=args.forms, limit=args.limit,
                       feature_store=args.feature_store, on_predicted=cases)
    evaluate_s = time.perf_counter() - start
    metrics["command"] = record["command"]
    cpu = time.process_time()
    page, build_s = write_report(metrics, cases, args.page)
    build_cpu_s = time.process_time() - cpu
    forms = metrics.get("forms") or {"given": metrics}
    record.update({
        "model": args.model, "data": args.data, "n_docs": metrics["n_docs"], "n_gold_ents": metrics["n_gold_ents"],
        "forms": list(forms), "samples_per_group": args.samples,
        # the prediction of every form (nlp.pipe), the whole evaluate call (loading, scoring too),
        # and the page's own cost: sorting the mentions plus building and writing the page
        "predict_s": round(sum(m["seconds"] for m in forms.values()), 2),
        "evaluate_s": round(evaluate_s, 2),
        "sort_mentions_s": round(cases.seconds, 3),
        "page_build_s": round(build_s, 2),
        # CPU seconds of building and writing the page: what a busy machine does not inflate
        "page_build_cpu_s": round(build_cpu_s, 2),
        "page_bytes": page.stat().st_size,
        "span_macro_f": metrics["span_macro_f"],
    })
    print(f"{metrics['n_docs']} docs, {len(forms)} forms: prediction {record['predict_s']} s, "
          f"page {record['page_build_s']} s ({record['page_build_cpu_s']} s CPU; sorting mentions {record['sort_mentions_s']} s), {record['page_bytes']} bytes")
    write_json(Path(args.output), record)


if __name__ == "__main__":
    main()
