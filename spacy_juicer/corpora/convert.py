"""Convert gold corpora (CoNLL, PubTator, JSONL) to spaCy DocBins (data contract 3)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Mapping, Optional, Sequence, Union

from spacy.tokens import Doc, DocBin

from ..records import load_docbin  # noqa: F401  (the corpora's DocBin reader)
from .conll import read_conll
from .jsonl import read_jsonl
from .labelmap import parse_label_map
from .pubtator import read_pubtator
from .spans import make_tokenizer_pipeline
from .stats import ConversionStats

FORMATS = ("conll", "pubtator", "jsonl")
PathLike = Union[str, Path]


def guess_format(path: PathLike) -> Optional[str]:
    name = Path(path).name.lower()
    if name.endswith(".jsonl"):
        return "jsonl"
    if "pubtator" in name or name.endswith("_corpus.txt"):
        return "pubtator"
    if name.endswith((".tsv", ".conll", ".iob2", ".iob", ".annotated")):
        return "conll"
    return None


def read_docs(
    paths: Sequence[PathLike],
    fmt: str,
    *,
    stats: ConversionStats,
    label_map: Union[None, str, Mapping[str, str]] = None,
    sentences: bool = False,
    alignment_mode: str = "split",
    lang: str = "en",
    tag_col: int = -1,
    sep: Optional[str] = None,
    scheme: str = "auto",
) -> Iterator[Doc]:
    """Docs from one or more files of one format (counts go to ``stats``)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format '{fmt}': use one of {', '.join(FORMATS)}")
    mapping = parse_label_map(label_map)
    nlp = make_tokenizer_pipeline(lang, sentences=sentences and fmt != "conll")
    for path in paths:
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"Input file not found: {path}")
        if fmt == "conll":
            yield from read_conll(
                path, nlp.vocab, tag_col=tag_col, sep=sep, scheme=scheme,
                label_map=mapping, stats=stats,
            )
        elif fmt == "pubtator":
            yield from read_pubtator(
                path, nlp, stats=stats, alignment_mode=alignment_mode, label_map=mapping,
                sentences=sentences,
            )
        else:
            yield from read_jsonl(
                path, nlp, stats=stats, alignment_mode=alignment_mode, label_map=mapping,
                sentences=sentences,
            )


def convert(
    inputs: Sequence[PathLike],
    output: PathLike,
    fmt: str,
    *,
    stats_path: Optional[PathLike] = None,
    **options,
) -> ConversionStats:
    """Write the gold DocBin ``output`` (and the counts as JSON to ``stats_path``)."""
    stats = ConversionStats()
    docbin = DocBin(store_user_data=True)
    for doc in read_docs(inputs, fmt, stats=stats, **options):
        docbin.add(doc)
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    docbin.to_disk(output)
    if stats_path is not None:
        payload = {"inputs": [str(p) for p in inputs], "format": fmt, **stats.to_dict()}
        Path(stats_path).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf8")
    return stats
