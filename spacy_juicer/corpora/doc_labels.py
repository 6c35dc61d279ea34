"""Per-doc labels: the entity types (with descriptions) that one doc is to be tagged with.

A doc may carry its own ``{"Type": "description"}`` in ``doc._.zero_shot_labels``; the
``zero_shot_ner`` component then tags that doc with those types instead of its own labels.
This is how a knowledge pre-training step tells the component which types it is about, how a
zero-shot dev set is scored on its own (unseen) types inside ``spacy train``, and how a user
asks different questions of different docs in one ``nlp.pipe`` call. The value lives in
``doc.user_data`` (as every extension does), so ``Doc.copy`` and a DocBin saved with
``store_user_data=True`` keep it.
"""
from __future__ import annotations

from typing import Dict, Mapping, Optional

from spacy.tokens import Doc

DOC_LABELS_ATTR = "zero_shot_labels"


def ensure_extension() -> None:
    """Register ``Doc._.zero_shot_labels`` once (``None`` means: use the component's labels)."""
    if not Doc.has_extension(DOC_LABELS_ATTR):
        Doc.set_extension(DOC_LABELS_ATTR, default=None)


def set_doc_labels(doc: Doc, labels: Optional[Mapping[str, str]]) -> Doc:
    """Give ``doc`` its own types (``None`` clears them); returns the doc."""
    ensure_extension()
    doc._.set(DOC_LABELS_ATTR, None if labels is None else dict(labels))
    return doc


def get_doc_labels(doc: Doc) -> Optional[Dict[str, str]]:
    """The doc's own types, or ``None`` when it has none."""
    ensure_extension()
    value = doc._.get(DOC_LABELS_ATTR)
    return dict(value) if value else None


ensure_extension()
