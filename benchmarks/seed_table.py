"""One Markdown table of designs over seeds from the `evaluate --output` files of each run: span
macro F (%) at the worst of the description forms, mean (min-max) and per seed, per test part,
with JNLPBA's DNA and RNA and the thresholds the calibration chose.

    python benchmarks/seed_table.py OUT.md --design "KF on BC5CDR=runs/kf-bc5cdr-open-s{seed}" \
        --design "KF on many=runs/kf-open-s{seed}" --seeds 42,1,2 [--title ...] [--note ...]

A run folder holds test-bc2gm.json, test-jnlpba.json and seen-bc5cdr-test.json (what
benchmarks/kf_many.sh and `spacy project run all`'s evaluate steps write); a folder whose
files are named otherwise is mapped with --parts (e.g. "kf_test-bc2gm,kf_test-jnlpba,kf_seen").
"""
from __future__ import annotations

import json
from pathlib import Path
from statistics import mean
from typing import Dict, List, Optional

import typer

from bench_utils import header, portable

PARTS = ("test-bc2gm", "test-jnlpba", "seen-bc5cdr-test")
TITLES = {"test-bc2gm": "BC2GM (unseen)", "test-jnlpba": "JNLPBA (unseen)", "seen-bc5cdr-test": "BC5CDR test (seen)"}


def read_run(folder: Path, names: List[str]) -> Optional[Dict[str, dict]]:
    files = {part: folder / f"{name}.json" for part, name in zip(PARTS, names)}
    if not all(path.is_file() for path in files.values()):
        return None
    return {part: json.loads(path.read_text()) for part, path in files.items()}


def spread(values: List[float]) -> str:
    if not values:
        return "–"
    if len(values) == 1:
        return f"{values[0]:.1f}"
    return f"**{mean(values):.1f}** ({min(values):.1f}-{max(values):.1f})"


def main(
    output: Path = typer.Argument(..., help="Markdown file to write"),
    design: List[str] = typer.Option(..., "--design", help="NAME=FOLDER with {seed} in FOLDER"),
    seeds: str = typer.Option("42,1,2", "--seeds"),
    parts: str = typer.Option(",".join(PARTS), "--parts", help="file names of the three parts, comma separated"),
    title: str = typer.Option("Designs over seeds", "--title"),
    note: str = typer.Option("", "--note", help="a paragraph under the title: what was run and how"),
) -> None:
    head = header()
    names = parts.split(",")
    seed_list = [s.strip() for s in seeds.split(",") if s.strip()]
    rows, per_seed, data = [], [], {}
    for spec in design:
        label, pattern = spec.split("=", 1)
        runs = {seed: read_run(Path(pattern.format(seed=seed)), names) for seed in seed_list}
        runs = {seed: run for seed, run in runs.items() if run is not None}
        data[label] = {"folders": {s: portable(pattern.format(seed=s)) for s in runs}, "seeds": list(runs)}
        cells, seed_cells = [], []
        for part in PARTS:
            worst = [100 * run[part]["span_macro_f"] for run in runs.values()]
            cells.append(spread(worst))
            seed_cells.append(", ".join(f"{w:.1f}" for w in worst))
            data[label][part] = worst
        dna_rna = [
            "/".join(f"{100 * run['test-jnlpba']['ents_per_type'].get(t, {}).get('f', 0.0):.1f}" for t in ("DNA", "RNA"))
            for run in runs.values()
        ]
        chosen = [run[PARTS[0]].get("component", run[PARTS[0]]) for run in runs.values()]
        thresholds = [f"{c['threshold']:g}/{c.get('name_threshold') or 0:g}" for c in chosen]
        rows.append(f"| {label} | {', '.join(runs)} | " + " | ".join(cells) + f" | {', '.join(dna_rna)} | {', '.join(thresholds)} |")
        per_seed.append(f"| {label} | " + " | ".join(seed_cells) + " |")
    lines = [
        f"# {title}", "",
        note, "",
        "Span macro F1 (%), first 500 sentences of each part, at the worst of the three description forms "
        "(our file, a plain line, the bare name); mean (min-max) over the seeds.", "",
        "| design | seeds | " + " | ".join(TITLES[p] for p in PARTS) + " | JNLPBA DNA/RNA F per seed | thresholds (described/names) |",
        "|---|---|" + "---|" * len(PARTS) + "---|---|",
        *rows, "",
        "Per seed (in the order of the seeds column):", "",
        "| design | " + " | ".join(TITLES[p] for p in PARTS) + " |",
        "|---|" + "---|" * len(PARTS),
        *per_seed, "",
        f"`python benchmarks/seed_table.py {portable(output)} "
        + " ".join(f'--design "{d}"' for d in design) + f" --seeds {seeds}`", "",
        "Machine: {cpu_model}, {usable_cpus} CPUs; {date}.".format(date=head["date_utc"], **head["machine"]), "",
    ]
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text("\n".join(lines))
    output.with_suffix(".json").write_text(json.dumps(data, indent=1))
    typer.echo("\n".join(lines))


if __name__ == "__main__":
    typer.run(main)
