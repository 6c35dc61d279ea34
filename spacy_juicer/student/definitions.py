"""Reading a described type twice: as given, and without its examples.

The student reads a description's examples ("..., such as diabetes, cancer or a seizure") as a
strong cue: with them, every mention-like span of a sentence scores higher, those of other
types too. Measured on BC5CDR's held-out sentences (``benchmarks/one_line_parts.py``), a plain
one-line Disease description alone tagged 17% of the chemicals, and 8% without its examples.
So the component scores each type described with examples a second time by its definition
alone (``corpora.labels.without_examples``), and a token is of that type only where both
readings agree: per token, the reading with the lower margin (type logit minus no-entity logit)
stands. A type with no examples, or given by its name, is read once, as before.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Dict, List, Sequence, Tuple

import numpy

from ..corpora.labels import without_examples
from .inputs import ZeroShotInput

# (doc's column of the description as given, doc's column of its definition), for each doc
Pairs = List[List[Tuple[int, int]]]


def with_definitions(inputs: ZeroShotInput) -> Tuple[ZeroShotInput, Pairs]:
    """``inputs`` with each described type's definition added as one more column (a text the
    batch already scores is reused), and, per doc, which of its columns pair up."""
    descriptions = list(inputs.descriptions)
    index: Dict[str, int] = {text: i for i, text in enumerate(descriptions)}
    definition_of: Dict[int, int] = {}
    for i, text in enumerate(inputs.descriptions):
        definition = without_examples(text)
        if definition is None:
            continue
        if definition not in index:
            index[definition] = len(descriptions)
            descriptions.append(definition)
        definition_of[i] = index[definition]
    if not definition_of:
        return inputs, [[] for _ in inputs.docs]
    doc_labels: List[List[int]] = []
    pairs: Pairs = []
    for d in range(len(inputs.docs)):
        cols = list(inputs.labels_of(d))
        position = {c: p for p, c in enumerate(cols)}
        doc_pairs = []
        for p, c in enumerate(list(cols)):
            if c not in definition_of:
                continue
            extra = definition_of[c]
            if extra not in position:
                position[extra] = len(cols)
                cols.append(extra)
            doc_pairs.append((p, position[extra]))
        doc_labels.append(cols)
        pairs.append(doc_pairs)
    return replace(inputs, descriptions=descriptions, doc_labels=doc_labels), pairs


def agree(scores: Sequence, pairs: Pairs, n_types: Sequence[int], xp=numpy) -> List:
    """Each doc's ``(n_tokens, K_doc, 2)`` scores for its own ``n_types[d]`` columns, where a
    column that has a definition takes, token by token, whichever of its two readings has the
    lower margin: both must find the type for the type to be found."""
    out = []
    for doc_scores, doc_pairs, k in zip(scores, pairs, n_types):
        kept = doc_scores[:, :k].copy()
        for given, definition in doc_pairs:
            a, b = doc_scores[:, given], doc_scores[:, definition]
            lower = (a[:, 0] - a[:, 1]) <= (b[:, 0] - b[:, 1])
            kept[:, given] = xp.where(lower[:, None], a, b)
        out.append(kept)
    return out
