"""KP's learning curve over silver sentences at a fixed number of sentence reads.

Does more silver still pay once KP reads 100,000 sentences? Each point runs the project's own
``kp``, ``kf`` and ``calibrate`` steps (``project_seeds.py``) on the first N silver sentences of
a finished ``all`` run's corpus: KP reads them through ``--corpora.train.limit N`` and KF's
silver replay through ``--corpora.train.silver.limit N`` (spaCy's ``SPACY_CONFIG_OVERRIDES``),
so that both see the same silver. A point ``N@DIR`` reads another run's corpus (say, one built
with ``--vars.sentences 3862``: every sentence the mirror's answer cache holds), ``0`` meaning
all of it. Every point is then measured as the packaged pipeline is (``zero_shot_forms.py``):
KP alone and KP+KF, each test part under its worst description form, at its own threshold.

    python benchmarks/kp_learning_curve.py --base . --points 100,300,1000,0,0@../big \\
        --seeds 42 --root training/curve --var kp_updates=3200
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any, Dict, List, Tuple

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, SEEN_TEST, header, write_json  # noqa: E402
from project_seeds import flat, measure, run_seed, summary  # noqa: E402

COLUMNS = ("KP alone test-bc2gm worst", "KP alone test-jnlpba worst", "test-bc2gm worst", "test-jnlpba worst",
           f"{SEEN_TEST} worst", "Disease alone F", "Disease alone other tagged")


def parse_point(text: str, base: Path) -> Tuple[int, Path]:
    """``N`` (first N silver sentences of ``base``) or ``N@DIR`` (of another run's corpus)."""
    limit, _, where = text.partition("@")
    return int(limit), Path(where) if where else base


def silver_size(corpus: Path, limit: int) -> Dict[str, int]:
    """Sentences, mentions and types in the first ``limit`` silver docs (0: all)."""
    import spacy
    from spacy.tokens import DocBin

    docs = list(DocBin().from_disk(corpus / "corpus" / "silver.spacy").get_docs(spacy.blank("en").vocab))
    docs = docs[:limit] if limit else docs
    spans = [s for d in docs for s in d.spans.get("silver", [])]
    return {"sentences": len(docs), "mentions": len(spans), "types": len({s.label_ for s in spans})}


def markdown(results: Dict[str, Any]) -> str:
    lines = [f"# KP learning curve: {results['reads']:,} sentence reads a KP run", "", f"`{results['command']}`", "",
             f"Machine: {results['machine']['cpu_model']}, {results['machine']['usable_cpus']} CPUs; {results['date_utc']}. "
             f"Seeds {', '.join(map(str, results['seeds']))}; first {results['limit']} sentences of each part; span macro F1 (%) "
             "at each pipeline's own threshold, worst of the three description forms; mean (min-max) over seeds.", "",
             "| silver sentences | types | " + " | ".join(COLUMNS) + " |", "|---" * (len(COLUMNS) + 2) + "|"]
    for point in sorted(results["points"], key=lambda p: p["silver"]["sentences"]):
        cells = []
        for key in COLUMNS:
            s = point["summary"][key]
            cells.append(f"{100 * s['mean']:.1f}" + (f" ({100 * s['min']:.1f}-{100 * s['max']:.1f})" if len(s["values"]) > 1 else ""))
        lines.append(f"| {point['silver']['sentences']:,} | {point['silver']['types']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base", required=True, help="vars.out of a finished `all` run (its corpus/ is reused)")
    parser.add_argument("--points", default="100,300,1000,0", help="N or N@DIR, comma-separated (0: all)")
    parser.add_argument("--seeds", default="42")
    parser.add_argument("--root", default="training/curve")
    parser.add_argument("--var", action="append", default=[], help="k=v for the project's vars (repeatable)")
    parser.add_argument("--limit", type=int, default=500)
    parser.add_argument("--output", default=str(RESULTS / "kp_scale" / "learning_curve.json"))
    args = parser.parse_args()
    extra = [f"--vars.{kv.split('=', 1)[0]}={kv.split('=', 1)[1]}" for kv in args.var]
    variables = dict(kv.split("=", 1) for kv in args.var)
    reads = int(variables.get("kp_updates", 3000)) * int(variables.get("kp_batch", 32))
    seeds = [int(s) for s in args.seeds.split(",")]
    points: List[Dict[str, Any]] = []
    for text in args.points.split(","):
        limit, base = parse_point(text, Path(args.base))
        rows, seconds = [], {}
        for seed in seeds:
            out = Path(args.root) / f"{base.resolve().name}-n{limit or 'all'}-s{seed}"
            kp_override = f"--corpora.train.limit {limit}" if limit else ""
            kf_override = f"--corpora.train.silver.limit {limit}" if limit else ""
            seconds[seed] = run_seed(base, out, seed, extra, kp_override, kf_override=kf_override)
            rows.append(flat(measure(out, args.limit, "curve"), "curve"))
            print(f"{text} seed {seed}: {rows[-1]}", flush=True)
        points.append({"point": text, "base": str(base), "limit": limit, "silver": silver_size(base, limit),
                       "seconds": seconds, "per_seed": rows, "summary": summary(rows)})
        results = {**header(), "base": args.base, "vars": args.var, "reads": reads, "seeds": seeds,
                   "limit": args.limit, "points": points}
        output = Path(args.output)
        write_json(output, results)  # after every point: a cut-off run keeps what it measured
        output.with_suffix(".md").write_text(markdown(results))
    print(f"wrote {output}")


if __name__ == "__main__":
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    main()
