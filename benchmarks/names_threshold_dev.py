"""Does the names' threshold carry better to the test types when more unseen dev types choose it?

`calibrate` chooses the bare names' threshold on the mean of two name curves: the dev cell
types' and the seen BC5CDR devel types'. This adds a third, the name curve of an extra part of
types the model never had gold of (e.g. CRAFT's eight coarse types outside the test families,
from the strict gold split, all given by name), and scores the test parts at the threshold
the three curves choose; every other setting of each calibrated pipeline is kept. For
comparison it writes each test part's own name curve (the oracle: what the test types would
have chosen).

    python benchmarks/names_threshold_dev.py OUT_DIR --model 42=training/kf/model-calibrated \
        --model 1=runs/kf-bc5cdr-open-s1/model-calibrated --extra runs/gold-strict/train-craft \
        --splits corpus/splits --feature-store corpus/cache/features.sqlite

``--extra PREFIX`` names ``PREFIX.spacy`` and ``PREFIX.forms.json`` (what `spacy-juicer split`
writes). Writes OUT_DIR/names_threshold.json and a Markdown table beside it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, List, Optional

import typer

from bench_utils import header, portable, write_json

PARTS = ("test-bc2gm", "test-jnlpba", "seen-bc5cdr-test")


def name_curve(nlp, data: Path, forms: Path, limit: int) -> Dict[str, float]:
    """The bare names' F by threshold on one part (the names' own curve of ``calibrate``)."""
    from spacy_juicer.calibration import tune_threshold

    found = tune_threshold(nlp, data, forms=forms, limit=limit)
    # a part with described forms has the names' own curve; one given only by names, its forms'
    return found.get("name_scores") or found.get("scores_by_set", {}).get("name") or found["scores"]


def main(
    out_dir: Path = typer.Argument(..., help="Folder for names_threshold.json and .md"),
    model: List[str] = typer.Option(..., "--model", help="SEED=calibrated pipeline (repeatable)"),
    extra: Path = typer.Option(..., "--extra", help="Prefix of the extra dev part (PREFIX.spacy, PREFIX.forms.json)"),
    splits: Path = typer.Option(Path("corpus/splits"), "--splits", help="The split's folder (test parts)"),
    feature_store: Optional[Path] = typer.Option(None, "--feature-store"),
    limit: int = typer.Option(500, "--limit", help="Sentences a part"),
) -> None:
    from spacy_juicer.evaluation import evaluate, load_pipeline

    record = {**header(), "extra": portable(str(extra)), "limit": limit, "seeds": {}}
    rows = []
    for spec in model:
        seed, path = spec.split("=", 1)
        nlp = load_pipeline(path, feature_store)
        pipe = nlp.get_pipe("zero_shot_ner")
        chosen = nlp.meta["juicer"]["calibration"]
        curves = [chosen["unseen"]["name_scores"], chosen["seen"]["name_scores"],
                  name_curve(nlp, extra.with_suffix(".spacy"), extra.with_suffix(".forms.json"), limit)]
        grid = list(curves[0])
        mean = {t: sum(c[t] for c in curves) / len(curves) for t in grid}
        new = float(max(grid, key=lambda t: (mean[t], float(t))))
        old = chosen["name_threshold"]
        run = {"name_threshold": {"two curves": old, "three curves": new}, "extra_curve": curves[2],
               "mean_of_three": mean, "test_name_curves": {}, "scores": {}}
        for part in PARTS[:2]:
            run["test_name_curves"][part] = name_curve(nlp, splits / f"{part}.spacy", splits / f"{part}.forms.json", limit)
        for threshold in sorted({old, new}):
            pipe.cfg["name_threshold"] = threshold
            for part in PARTS:
                metrics = evaluate(nlp, splits / f"{part}.spacy", forms=splits / f"{part}.forms.json", limit=limit)
                run["scores"][f"{part}@{threshold}"] = {
                    "worst": metrics["span_macro_f"], "forms": {f: m["span_macro_f"] for f, m in metrics["forms"].items()}}
        record["seeds"][seed] = run
        best = {part: max(run["test_name_curves"][part], key=lambda t: run["test_name_curves"][part][t]) for part in PARTS[:2]}
        cells = [seed, f"{old:g}", f"{new:g}", best["test-bc2gm"], best["test-jnlpba"]]
        cells += [f"{100 * run['scores'][f'{p}@{old}']['worst']:.1f} -> {100 * run['scores'][f'{p}@{new}']['worst']:.1f}" for p in PARTS]
        rows.append("| " + " | ".join(cells) + " |")
    write_json(out_dir / "names_threshold.json", record)
    table = ["| seed | names' threshold (2 curves) | (3 curves) | best for BC2GM's names | best for JNLPBA's names | "
             "BC2GM worst | JNLPBA worst | BC5CDR test worst |", "|---|---|---|---|---|---|---|---|", *rows]
    (out_dir / "names_threshold.md").write_text(f"`{record['command']}`\n\n" + "\n".join(table) + "\n", encoding="utf8")
    print("\n".join(table))


if __name__ == "__main__":
    typer.run(main)
