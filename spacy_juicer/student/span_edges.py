"""Where a decoded span may begin and end: IO decoding's runs cut to the edges a mention has.

Why: a token's probability for a type spills onto its neighbours, most under a bare name
("Aspirin relieves headache ." tagged whole as "drug"; "basal MAPK ,"; "the transcription
factor Sp1"), and IO tags cannot tell two listed mentions apart ("IL-2 , IL-4"). Mentions in
the gold corpora begin and end on content words: so a run of one type is split at a comma or
semicolon, and each piece loses the punctuation and lower-case stop words at its edges (a
closing bracket stays when it closes one opened inside: "IL-2R ( alpha )"). The span's score,
and the threshold test, are then the piece's own. Measured on the `all` pipelines of three
seeds, the packaged threshold unchanged (docs/results.md, "Span edges"): BC2GM under the bare name "gene"
33.4 / 22.2 / 19.8 to 35.2 / 28.6 / 27.2 span F1, no measure lower.
"""
from __future__ import annotations

from typing import List, Tuple

import numpy
from spacy.tokens import Doc

WORD, EDGE, BREAK, OPEN, CLOSE = 0, 1, 2, 3, 4
BREAKS = (",", ";")


def token_kinds(doc: Doc) -> numpy.ndarray:
    """Per token: ``WORD``, ``EDGE`` (no span begins or ends on it: punctuation, a lower-case
    stop word of the language), ``BREAK`` (a span ends before it), ``OPEN`` or ``CLOSE``
    (brackets: edges, except a closing one that closes a bracket opened inside the span)."""
    kinds = numpy.full(len(doc), WORD, dtype="i")
    for i, token in enumerate(doc):
        text = token.text
        if text in BREAKS:
            kinds[i] = BREAK
        elif token.is_bracket:  # spaCy's lexeme flags, whatever the language's brackets are
            kinds[i] = OPEN if token.is_left_punct else CLOSE
        elif token.is_punct or (token.is_stop and text == token.lower_):
            kinds[i] = EDGE
    return kinds


def cut(start: int, end: int, kinds: numpy.ndarray) -> List[Tuple[int, int]]:
    """The pieces of the run ``[start, end)``: split at ``BREAK`` tokens, each trimmed of edge
    tokens at both ends; pieces left empty are dropped."""
    pieces = []
    begin = start
    for i in range(start, end + 1):
        if i == end or kinds[i] == BREAK:
            piece = _trim(begin, i, kinds)
            if piece is not None:
                pieces.append(piece)
            begin = i + 1
    return pieces


def _trim(start: int, end: int, kinds: numpy.ndarray):
    while start < end and kinds[start] != WORD:
        start += 1
    while end > start and kinds[end - 1] != WORD:
        inside = kinds[start:end - 1]
        if kinds[end - 1] == CLOSE and (inside == OPEN).sum() > (inside == CLOSE).sum():
            break  # it closes a bracket opened inside the span
        end -= 1
    return (start, end) if end > start else None
