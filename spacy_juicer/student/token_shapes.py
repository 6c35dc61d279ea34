"""Each token's written shape, for the frozen mode's head (``shape_buckets``).

Why: MiniLM and MPNet are uncased, so "BRCA1", "MCF-7" and "p53" reach the head only as
lower-cased word pieces; the case and the mix of letters, digits and hyphens that mark gene,
protein and chemical names are gone. spaCy already writes that shape (``Token.shape``:
"XXXXd", "XXX-d", "xdd"); its hash, taken modulo a number of buckets, indexes a small learnt
embedding that the head adds to each token's vector. The hash is spaCy's string hash, the
same on every machine, so a saved pipeline reads the same shapes.
"""
from __future__ import annotations

from typing import Sequence

import numpy
from spacy.tokens import Doc


def shape_ids(docs: Sequence[Doc], buckets: int) -> numpy.ndarray:
    """``(len(docs), longest)`` int64: each token's shape bucket in ``[1, buckets)``; 0 pads."""
    if buckets < 2:
        raise ValueError(f"shape_buckets must be 0 (off) or at least 2, not {buckets}.")
    longest = max([len(doc) for doc in docs] + [1])
    out = numpy.zeros((len(docs), longest), dtype="int64")
    for d, doc in enumerate(docs):
        if len(doc):
            hashes = doc.to_array("SHAPE").astype("uint64")
            out[d, : len(doc)] = (hashes % numpy.uint64(buckets - 1)).astype("int64") + 1
    return out
