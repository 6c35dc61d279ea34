"""A described type is read twice: by its description and by its name.

A description can pull a type towards any mention: its examples raise the scores of every
mention-like span, so that "A disease, disorder or symptom that a patient can have, such as
diabetes, cancer or a seizure." given alone tagged 17% of BC5CDR's chemicals. The type's name
("disease") is the student's steadiest reading of a type (docs/results.md, "Types given by name"). So
the component scores each described type a second time by its name (``name_of``), and a token
is of the type only where both readings find it, each at its own threshold: the description's
(``threshold``) and the names' (``name_threshold``). Per token, the reading with the lower
margin over its threshold stands. A type given by its name alone is read once.

The model returns the names' columns after the doc's own (``with_names``); the component joins
them when it decodes (``join``), with the thresholds in force then, so a threshold chosen by
re-decoding stored scores sees the same rule as the saved pipeline.
"""
from __future__ import annotations

import math
import re
from dataclasses import replace
from functools import lru_cache
from typing import Dict, List, Mapping, Optional, Sequence

import numpy

from ..corpora.forms import readable_name
from ..corpora.labels import is_bare_name
from .inputs import ZeroShotInput

_WORD = re.compile(r"[^\W\d_]{2,}")  # a word of letters: "gene", "DNA"; not "T047" or "X"


@lru_cache(maxsize=4096)
def name_of(label: str) -> Optional[str]:
    """The name a user would say for ``label`` ("cell_type" -> "cell type", "GENE" -> "gene"),
    or None when the label is no name to read: a code ("T047", "LABEL_1") or a long phrase."""
    name = readable_name(label)
    if any(ch.isdigit() for ch in name) or not _WORD.search(name) or not is_bare_name(name):
        return None
    return name


def checked(labels: Mapping[str, str]) -> List[int]:
    """Positions, among ``labels``' items, of the described types that are read by name too."""
    return [j for j, (label, text) in enumerate(labels.items())
            if not is_bare_name(text or label) and name_of(label) is not None]


def with_names(inputs: ZeroShotInput, labels_per_doc: Sequence[Mapping[str, str]]) -> ZeroShotInput:
    """``inputs`` with each doc's checked types' names as more columns after its own, in the
    order of ``checked`` (a text the batch already scores is reused); ``inputs`` itself when no
    doc has a type to check."""
    to_check = [checked(labels) for labels in labels_per_doc]
    if not any(to_check):
        return inputs
    descriptions = list(inputs.descriptions)
    index: Dict[str, int] = {text: i for i, text in enumerate(descriptions)}
    doc_labels: List[List[int]] = []
    for d, (labels, positions) in enumerate(zip(labels_per_doc, to_check)):
        cols = list(inputs.labels_of(d))
        names = list(labels)
        for j in positions:
            name = name_of(names[j])
            if name not in index:
                index[name] = len(descriptions)
                descriptions.append(name)
            cols.append(index[name])
        doc_labels.append(cols)
    return replace(inputs, descriptions=descriptions, doc_labels=doc_labels)


def _logit(p: float) -> float:
    p = min(max(float(p), 1e-6), 1.0 - 1e-6)
    return math.log(p / (1.0 - p))


def join(scores: numpy.ndarray, labels: Mapping[str, str], thresholds: Sequence[float],
         name_threshold: float) -> numpy.ndarray:
    """One doc's ``(n_tokens, K, 2)`` scores from its ``(n_tokens, K + n_checked, 2)`` (numpy, as
    the component decodes them, on any device): each
    checked type's column takes, token by token, its name's reading when that one is lower
    against its own threshold. The name's "this type" logit is moved by the two thresholds'
    gap, so that the kept column is decided at the description's threshold (``thresholds[j]``)
    as if the name were decided at ``name_threshold``."""
    positions = checked(labels)
    k = len(labels)
    if scores.shape[1] != k + len(positions):
        raise ValueError(f"scores for {scores.shape[1]} columns, expected {k} types and {len(positions)} names.")
    kept = scores[:, :k].copy()
    for extra, j in enumerate(positions):
        given, name = scores[:, j], scores[:, k + extra].copy()
        name[:, 0] -= _logit(name_threshold) - _logit(thresholds[j])
        lower = (given[:, 0] - given[:, 1]) <= (name[:, 0] - name[:, 1])
        kept[:, j] = numpy.where(lower[:, None], given, name)
    return kept
