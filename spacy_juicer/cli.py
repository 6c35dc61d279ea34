"""The ``spacy-juicer`` command line (also ``python -m spacy_juicer``).

Each command is a thin typer wrapper: the work lives in the stage packages (teacher, silver,
corpora, student), so it is usable from Python and from project.yml alike.
"""
from __future__ import annotations

import typer

app = typer.Typer(
    name="spacy-juicer",
    help="Distil an LLM into a zero-shot NER component for spaCy.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


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


def main() -> None:
    app()
