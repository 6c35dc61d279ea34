"""What the student's models read and return, shared by every architecture.

A model reads docs and the descriptions of the types to score, optionally with each doc's own
subset of those types, and returns for each doc an array of shape ``(n_tokens, K_doc, 2)``:
for every (token, type) a "this type" logit and a "no entity, seen from this type" logit. How
those become one decision per token (the negative class) is the component's business, so one
model serves every entity type alike (``loss.py``, ``decoding.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy
from spacy.tokens import Doc

NEG_FILL = -1e4  # type logit of a token no window can score (e.g. a whitespace token)


@dataclass
class ZeroShotInput:
    """Docs to score against type descriptions.

    ``doc_labels[d]`` (optional) lists the indices into ``descriptions`` that doc ``d`` is
    scored with; without it every doc is scored with every description. ``masked`` (training
    only) holds, per doc, a boolean array over its tokens whose word pieces are replaced by
    the mask token (JUICER's entity masking).
    """

    docs: List[Doc]
    descriptions: List[str]
    masked: Optional[List[Optional[numpy.ndarray]]] = None
    doc_labels: Optional[List[Sequence[int]]] = None

    def labels_of(self, d: int) -> Sequence[int]:
        if self.doc_labels is None:
            return range(len(self.descriptions))
        return self.doc_labels[d]
