"""``spacy_juicer.set_labels.v1``: the ``[initialize.after_init]`` hook that sets a component's
labels (and pool of negative types) before training.

It lives here, not beside the component, because only ``spacy train`` calls it: a packaged
pipeline never resolves ``[initialize]``, so the runtime in ``student/`` does without it.
"""
from __future__ import annotations

from typing import Callable, List, Optional

from spacy.language import Language
from spacy.util import registry

from ..corpora.labels import LabelsLike


@registry.callbacks("spacy_juicer.set_labels.v1")
def make_set_labels(
    labels: LabelsLike = None,
    path: Optional[str] = None,
    component: str = "zero_shot_ner",
    negative_types: Optional[str] = None,
    freeze: List[str] = [],
) -> Callable[[Language], Language]:
    """Set the labels of a (possibly sourced) component, e.g. the gold types and descriptions
    for fine-tuning a model pre-trained on silver types, and optionally its pool of negative
    types (a sourced component keeps the pool it was trained with, e.g. the silver types, some
    of which may be synonyms of the gold types), and which parts of the frozen mode's head stay
    as they were (``freeze``: "types", "tokens", "none"; ignored, with a warning, by
    architectures without that head)."""

    def set_labels(nlp: Language) -> Language:
        pipe = nlp.get_pipe(component)
        pipe.set_labels(path if path is not None else labels)
        if negative_types is not None:
            pipe.set_negative_types(negative_types)
        if freeze:
            pipe.freeze(freeze, strict=False)  # kf.cfg's default serves every architecture
        return nlp

    return set_labels
