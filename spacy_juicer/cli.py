"""The ``spacy-juicer`` command line (also ``python -m spacy_juicer``).

Each command is a thin typer wrapper: the work lives in the stage packages (teacher, silver,
corpora, student), so it is usable from Python and from project.yml alike.
"""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional

import typer

app = typer.Typer(
    name="spacy-juicer",
    help="Distil an LLM into a zero-shot NER component for spaCy.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

# Errors that come from bad input: printed as one line with exit code 1, no traceback.
_INPUT_ERRORS = (ValueError, FileNotFoundError, KeyError, OSError)


def _fail(err: BaseException) -> None:
    message = err.args[0] if isinstance(err, KeyError) and err.args else err
    typer.secho(f"Error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code=1)


@app.callback()
def _root() -> None:
    """Distil an LLM into a zero-shot NER component for spaCy."""


@app.command("info")
def info_cmd() -> None:
    """Print versions and where data, cache and offline weights are found."""
    import spacy

    from . import __version__, assets

    typer.echo(f"spacy-juicer {__version__}, spaCy {spacy.__version__}")
    typer.echo(f"cache: {assets.cache_dir()}")
    typer.echo(f"data:  {assets.data_dir(required=False)}")


@app.command("convert")
def convert_cmd(
    input_path: Path = typer.Argument(..., help="CoNLL, PubTator or JSONL file"),
    output: Path = typer.Argument(..., help="Output .spacy DocBin"),
    fmt: Optional[str] = typer.Option(
        None, "--format", "-f", help="conll | pubtator | jsonl (default: from the file name)"
    ),
    label_map: Optional[str] = typer.Option(
        None, "--label-map", "-m",
        help="Rename/merge/drop types: a file (JSON or old=new lines) or 'A=B,C=B,D=O'",
    ),
    sentences: bool = typer.Option(
        False, "--sentences", help="Split PubTator/JSONL documents into sentences"
    ),
    alignment_mode: str = typer.Option(
        "expand", "--alignment-mode", help="Mentions off token boundaries: expand|contract|strict"
    ),
    tag_col: int = typer.Option(-1, "--tag-col", help="CoNLL tag column (0-based, -1 = last)"),
    sep: Optional[str] = typer.Option(
        None, "--sep", help="CoNLL column separator: tab | space (default: tab if present)"
    ),
    scheme: str = typer.Option("auto", "--scheme", help="CoNLL tags: auto|bio|iob1|io|bioes"),
    lang: str = typer.Option("en", "--lang", help="spaCy language of the tokenizer"),
    stats_path: Optional[Path] = typer.Option(None, "--stats", help="Write the counts as JSON"),
) -> None:
    """Convert a gold NER corpus to a spaCy DocBin and print kept/skipped/misaligned counts."""
    from .corpora.convert import FORMATS, convert, guess_format

    fmt = fmt or guess_format(input_path)
    if fmt not in FORMATS:
        _fail(ValueError(
            f"Unknown format {fmt!r} for {input_path}: pass --format with one of "
            f"{', '.join(FORMATS)}"
        ))
    seps = {None: None, "tab": "\t", "\\t": "\t", "space": " ", " ": " "}
    if sep not in seps:
        _fail(ValueError(f"--sep must be 'tab' or 'space', not {sep!r}"))
    try:
        stats = convert(
            [input_path], output, fmt, stats_path=stats_path, label_map=label_map,
            sentences=sentences, alignment_mode=alignment_mode, tag_col=tag_col,
            sep=seps[sep], scheme=scheme, lang=lang,
        )
    except _INPUT_ERRORS as err:
        _fail(err)
    typer.echo(stats.summary())
    typer.echo(f"Saved {stats.docs} docs to {output}")


@app.command("split")
def split_cmd(
    config: Path = typer.Argument(..., help="Split file, e.g. configs/splits/biomedical.json"),
    out_dir: Path = typer.Argument(..., help="Folder for <part>.spacy, <part>.labels.json"),
    parts: Optional[List[str]] = typer.Option(None, "--part", help="Only these parts"),
    limit: int = typer.Option(0, "--limit", help="At most this many docs per part (0 = all)"),
    names_only: bool = typer.Option(
        False, "--names-only", help="Labels files with plain type names as descriptions"
    ),
    data_dir: Optional[Path] = typer.Option(None, "--data", help="Data mirror (default: found)"),
) -> None:
    """Build a zero-shot split: per part a DocBin in which other parts' types are O."""
    from .assets import MissingAssetError
    from .corpora.splits import build_split

    try:
        counts = build_split(
            config, out_dir, data_dir=data_dir, parts=parts, limit=limit, names_only=names_only
        )
    except (*_INPUT_ERRORS, MissingAssetError) as err:
        _fail(err)
    for name, part in counts["parts"].items():
        ents = ", ".join(f"{k} {v}" for k, v in part["entities"].items()) or "none"
        dropped = ", ".join(f"{k} {v}" for k, v in part["relabelled_O"].items()) or "none"
        typer.echo(f"{name} ({part['role']}): {part['docs']} docs; entities: {ents}; "
                   f"relabelled O: {dropped}")
    typer.echo(f"Saved to {out_dir} (counts.json)")


@app.command("evaluate")
def evaluate_cmd(
    model: str = typer.Argument(..., help="Pipeline folder or package with zero_shot_ner"),
    data: Path = typer.Argument(..., help="Gold DocBin (.spacy)"),
    labels: Path = typer.Option(..., "--labels", "-l", help="Labels file {type: description}"),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Metrics JSON (a Markdown table is written beside it)"
    ),
    batch_size: int = typer.Option(32, "--batch-size", "-b"),
    limit: int = typer.Option(0, "--limit", help="Only the first N docs (0 = all)"),
    names_only: bool = typer.Option(False, "--names-only", help="Describe types by name only"),
    component: Optional[str] = typer.Option(None, "--component", help="Component name"),
    name: Optional[str] = typer.Option(None, "--name", help="Run name in tables"),
) -> None:
    """Predict with new types set at run time and score (span and token level, P/R/F)."""
    from .evaluation import evaluate, metrics_table, write_metrics

    try:
        metrics = evaluate(
            model, data, labels, batch_size=batch_size, limit=limit, names_only=names_only,
            component=component, name=name,
        )
    except _INPUT_ERRORS as err:
        _fail(err)
    typer.echo(metrics_table([metrics]))
    if output is not None:
        md = write_metrics(metrics, output)
        typer.echo(f"Saved {output} and {md}")


@app.command("report")
def report_cmd(
    metrics: List[Path] = typer.Argument(..., help="Metrics JSON files of 'evaluate'"),
    output: Optional[Path] = typer.Option(None, "--output", "-o", help="Write the Markdown"),
) -> None:
    """Compare several evaluation runs side by side in one Markdown table."""
    from .evaluation import report

    try:
        table = report(metrics)
    except _INPUT_ERRORS as err:
        _fail(err)
    typer.echo(table)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(table, encoding="utf8")


@app.command("annotate")
def annotate_cmd(
    input_path: Path = typer.Argument(..., help="JSONL {\"text\": ...} (e.g. pubmed-raw-combined/abstracts.jsonl), plain text (a document per line) or a DocBin"),
    output: Path = typer.Argument(..., help="Raw teacher DocBin (.spacy); the run record goes to <output>.run.json"),
    config: Path = typer.Option(Path("configs/teacher.cfg"), "--config", "-c", help="spacy-llm config with [task] and [model]"),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Answer cache file (default: in the user cache, per model and settings)"),
    limit: int = typer.Option(0, "--limit", help="Annotate only the first N sentences (0 = all)"),
    shard: Optional[str] = typer.Option(None, "--shard", help="i/n: annotate the i-th of n shards (by document)"),
    sentences: str = typer.Option("sentencizer", "--sentences", help="sentencizer | en_core_web_sm | none"),
    batch_size: Optional[int] = typer.Option(None, "--batch-size", help="Prompts per model call (default: the model's concurrency)"),
) -> None:
    """Label raw sentences with an LLM through spacy-llm; resumable (cached answers), shardable."""
    from .teacher.annotate import annotate

    try:
        record = annotate(input_path, output, config, cache_path=cache, limit=limit, shard=shard,
                          sentences=sentences, batch_size=batch_size)
    except _INPUT_ERRORS as err:
        _fail(err)
    typer.echo(
        f"{record['sentences']} sentences -> {output}: {record['calls']} calls, {record['cache_hits']} cache hits, "
        f"statuses {record['statuses']}, {record['seconds']} s"
    )


def main() -> None:
    app()
