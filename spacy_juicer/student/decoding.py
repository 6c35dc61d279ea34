"""From per-(token, type) logits to spans: each type against "no entity" on its own.

A token's probability of a type is ``sigmoid(type - none)`` (``loss.py``); a run of tokens that
take one type is a span, kept when the mean probability of its tokens reaches the threshold.
"""
from __future__ import annotations

from typing import List, Optional, Tuple, Union

import numpy

from .span_edges import cut

Decoded = List[Tuple[int, int, int, float]]  # (start, end, type column, score)
Thresholds = Union[float, numpy.ndarray]  # one for every type column, or one each


def type_probabilities(scores: numpy.ndarray) -> numpy.ndarray:
    """``(n_tokens, K)`` probability of each type for each token, each type against no entity."""
    if scores.shape[0] == 0 or scores.shape[1] == 0:
        return numpy.zeros(scores.shape[:2], dtype="f")
    margin = numpy.clip(scores[:, :, 0] - scores[:, :, 1], -60, 60)
    return 1.0 / (1.0 + numpy.exp(-margin))


def _runs(labels: numpy.ndarray) -> List[Tuple[int, int, int]]:
    """Maximal runs of equal non-zero values: (start, end, value)."""
    out = []
    n = len(labels)
    start = 0
    while start < n:
        value = labels[start]
        end = start + 1
        while end < n and labels[end] == value:
            end += 1
        if value > 0:
            out.append((start, end, int(value)))
        start = end
    return out


def _pieces(start: int, end: int, kinds: Optional[numpy.ndarray]) -> List[Tuple[int, int]]:
    return [(start, end)] if kinds is None else cut(start, end, kinds)


def column_thresholds(threshold: Thresholds, n_types: int) -> numpy.ndarray:
    """``(K,)`` thresholds, one a type column: one number for all, or one each."""
    return numpy.broadcast_to(numpy.asarray(threshold, dtype="d"), (n_types,))


def decode_exclusive(scores: numpy.ndarray, threshold: Thresholds, kinds: Optional[numpy.ndarray] = None) -> Decoded:
    """IO decoding for ``doc.ents``: a token takes its most probable type when that probability
    reaches min(0.5, threshold); runs of one type are spans, kept when the mean probability of
    their tokens reaches ``threshold`` (one number, or one per type column). ``kinds`` (the
    doc's ``span_edges.token_kinds``): each run is first cut to mention-like edges
    (``span_edges.cut``), and each piece is a span of its own, scored by its own tokens."""
    if scores.shape[0] == 0 or scores.shape[1] == 0:
        return []
    thresholds = column_thresholds(threshold, scores.shape[1])
    probs = type_probabilities(scores)
    best = probs.argmax(axis=1)
    best_p = probs[numpy.arange(len(best)), best]
    tags = numpy.where(best_p >= numpy.minimum(0.5, thresholds[best]), best + 1, 0)
    found = []
    for run_start, run_end, value in _runs(tags):
        for start, end in _pieces(run_start, run_end, kinds):
            score = float(probs[start:end, value - 1].mean())
            if score >= thresholds[value - 1]:
                found.append((start, end, value - 1, score))
    return found


def decode_overlapping(scores: numpy.ndarray, threshold: Thresholds, kinds: Optional[numpy.ndarray] = None) -> Decoded:
    """Each type on its own, so spans of different types may overlap; ``kinds`` as in
    ``decode_exclusive``."""
    probs = type_probabilities(scores)
    thresholds = column_thresholds(threshold, probs.shape[1])
    found = []
    for j in range(probs.shape[1]):
        for run_start, run_end, _ in _runs((probs[:, j] >= thresholds[j]).astype("i")):
            for start, end in _pieces(run_start, run_end, kinds):
                found.append((start, end, j, float(probs[start:end, j].mean())))
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    return found
