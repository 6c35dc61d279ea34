"""CoNLL-style token/tag columns to spaCy Docs (one Doc per blank-line separated sentence).

Reads the layouts of the biomedical and general NER benchmarks: ``token<TAB>tag``
(NCBI-disease, BC5CDR, BC2GM, JNLPBA, WNUT-17) and space separated multi-column files
(CoNLL-2003 ``token POS chunk NER``), with or without ``-DOCSTART-`` lines. Tags may be
BIO (IOB2), IOB1, IO (``I-X`` or a bare ``X``), or BIOES/BILOU; all are decoded the way
conlleval does (an ``I-X`` after ``O`` or after another type starts a new entity), through
spaCy's own ``iob_to_biluo`` and ``biluo_tags_to_spans``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Iterator, List, Mapping, Optional, Tuple, Union

from spacy.tokens import Doc, Span
from spacy.training import biluo_tags_to_spans, iob_to_biluo
from spacy.vocab import Vocab

from .labelmap import map_label
from .stats import ConversionError, ConversionStats

SCHEMES = ("auto", "bio", "iob1", "io", "bioes")
DOCSTART = "-DOCSTART-"
# BIOES / BILOU prefixes folded into IOB: an end tag continues, a single tag begins.
_PREFIX_TO_IOB = {"B": "B", "I": "I", "E": "I", "L": "I", "S": "B", "U": "B"}


def normalize_tag(tag: str, scheme: str = "auto") -> Optional[str]:
    """One tag as an IOB tag (``O``, ``B-X`` or ``I-X``); None if it is malformed."""
    if tag == "O":
        return "O"
    if len(tag) > 2 and tag[1] in "-_" and tag[0] in _PREFIX_TO_IOB:
        prefix = tag[0]
        if scheme in ("bio", "iob1", "io") and prefix not in "BI":
            return None
        if scheme == "io" and prefix == "B":
            return None
        return f"{_PREFIX_TO_IOB[prefix]}-{tag[2:]}"
    if scheme in ("auto", "io") and tag and tag.strip() == tag and "-" != tag[0]:
        return f"I-{tag}"  # IO files that write the bare type name
    return None


def _split(line: str, sep: Optional[str]) -> List[str]:
    if sep is not None:
        return line.split(sep)
    if "\t" in line:
        return line.split("\t")
    return line.split()


def read_sentences(
    path: Union[str, Path],
    *,
    tag_col: int = -1,
    sep: Optional[str] = None,
    scheme: str = "auto",
) -> Iterator[Tuple[int, List[str], List[str]]]:
    """Yield ``(first line number, words, IOB tags)`` per sentence. Malformed lines raise
    :class:`ConversionError` with the file and line number."""
    if scheme not in SCHEMES:
        raise ValueError(f"Unknown tag scheme '{scheme}': use one of {', '.join(SCHEMES)}")
    path = Path(path)
    words: List[str] = []
    tags: List[str] = []
    start = 0
    with path.open(encoding="utf8") as handle:
        for lineno, raw in enumerate(handle, 1):
            line = raw.rstrip("\r\n")
            cols = _split(line, sep) if line.strip() else []
            if not cols or cols[0].startswith(DOCSTART):  # a blank line or -DOCSTART- ends a sentence
                if words:
                    yield start, words, tags
                words, tags = [], []
                continue
            try:
                tag = cols[tag_col]
            except IndexError:
                raise ConversionError(
                    path, lineno, f"expected a tag in column {tag_col}, found {len(cols)} "
                    f"column(s) in {line!r} (set --tag-col or --sep)"
                ) from None
            if len(cols) < 2:
                raise ConversionError(path, lineno, f"expected 'token<sep>tag', got {line!r}")
            word = cols[0]
            if not word.strip():
                raise ConversionError(path, lineno, f"empty token in {line!r}")
            iob = normalize_tag(tag.strip(), scheme)
            if iob is None:
                raise ConversionError(
                    path, lineno, f"tag {tag!r} is not valid in the '{scheme}' scheme"
                )
            if not words:
                start = lineno
            words.append(word)
            tags.append(iob)
    if words:
        yield start, words, tags


def read_conll(
    path: Union[str, Path],
    vocab: Vocab,
    *,
    tag_col: int = -1,
    sep: Optional[str] = None,
    scheme: str = "auto",
    label_map: Optional[Mapping[str, str]] = None,
    stats: Optional[ConversionStats] = None,
) -> Iterator[Doc]:
    """Docs with gold ``doc.ents`` from a CoNLL file; counts go to ``stats``."""
    path = Path(path)
    stats = stats if stats is not None else ConversionStats()
    for index, (lineno, words, tags) in enumerate(
        read_sentences(path, tag_col=tag_col, sep=sep, scheme=scheme)
    ):
        spaces = [True] * len(words)
        spaces[-1] = False
        doc = Doc(vocab, words=words, spaces=spaces)
        try:
            spans = biluo_tags_to_spans(doc, iob_to_biluo(tags))
        except ValueError as err:  # pragma: no cover - normalize_tag already validated
            raise ConversionError(path, lineno, str(err)) from err
        ents = []
        for span in spans:
            label = map_label(span.label_, label_map)
            if label is None:
                stats.dropped[span.label_] += 1
                continue
            if label != span.label_:
                span = Span(doc, span.start, span.end, label=label)
            ents.append(span)
            stats.kept[label] += 1
        doc.ents = ents
        doc.user_data["id"] = f"{path.name}:{index}"
        stats.docs += 1
        stats.tokens += len(doc)
        yield doc
