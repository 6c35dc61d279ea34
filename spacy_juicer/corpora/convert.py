"""Convert gold corpora (CoNLL, PubTator, JSONL, brat standoff) to spaCy DocBins (data contract 3)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, Mapping, Optional, Sequence, Union

from spacy.tokens import Doc, DocBin

from ..records import load_docbin  # noqa: F401  (the corpora's DocBin reader)
from .brat import BratStats, read_brat
from .conll import read_conll
from .jsonl import read_jsonl
from .labelmap import parse_label_map
from .pubtator import read_pubtator
from .spans import make_tokenizer_pipeline, mentions_to_docs
from .stats import ConversionStats

FORMATS = ("conll", "pubtator", "jsonl", "brat")
TEXT_READERS = {"pubtator": read_pubtator, "jsonl": read_jsonl}  # (text, mentions, id) records
PathLike = Union[str, Path]


def guess_format(path: PathLike) -> Optional[str]:
    name = Path(path).name.lower()
    if Path(path).is_dir() or name.endswith(".ann"):
        return "brat"
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
    discontinuous: str = "extent",
    type_from_notes: Optional[str] = None,
    notes_types: Optional[Sequence[str]] = None,
    documents: Optional[Sequence[str]] = None,
) -> Iterator[Doc]:
    """Docs from one or more files of one format (counts go to ``stats``). A brat input is a
    folder of ``.txt``/``.ann`` pairs or one pair; the options after ``scheme`` are brat's
    (see ``corpora.brat.read_brat``)."""
    if fmt not in FORMATS:
        raise ValueError(f"Unknown format {fmt!r} for {', '.join(map(str, paths))}: pass --format with one of {', '.join(FORMATS)}")
    mapping = parse_label_map(label_map)
    nlp = make_tokenizer_pipeline(lang, sentences=sentences and fmt != "conll")
    for path in paths:
        path = Path(path)
        if fmt == "brat":
            yield from read_brat(
                path, nlp, stats=stats, alignment_mode=alignment_mode, label_map=mapping,
                sentences=sentences, discontinuous=discontinuous,
                type_from_notes=type_from_notes, notes_types=notes_types, documents=documents,
            )
            continue
        if not path.is_file():
            raise FileNotFoundError(f"Input file not found: {path}")
        if fmt == "conll":
            yield from read_conll(
                path, nlp.vocab, tag_col=tag_col, sep=sep, scheme=scheme,
                label_map=mapping, stats=stats,
            )
        else:
            for text, mentions, doc_id in TEXT_READERS[fmt](path, stats):
                yield from mentions_to_docs(
                    nlp, text, mentions, doc_id=doc_id, stats=stats, alignment_mode=alignment_mode,
                    label_map=mapping, sentences=sentences, source=str(path),
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
    stats = BratStats() if fmt == "brat" else ConversionStats()
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
