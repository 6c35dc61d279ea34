"""A gold corpus whose docs carry the types they are to be scored on, so that ``spacy train``
selects ``model-best`` by the dev types of a zero-shot split (types it never trains on) rather
than by the training labels, which a zero-shot dev set does not contain."""
from __future__ import annotations

import random
from typing import Callable, Iterator, Optional

from spacy.language import Language
from spacy.training import Corpus, Example
from spacy.util import registry

from ..corpora.doc_labels import set_doc_labels
from ..corpora.labels import LabelError, read_labels_file
from ..corpora.views import draw, read_views


@registry.readers("spacy_juicer.LabelledCorpus.v1")
def make_labelled_corpus(
    path: str,
    labels: str,
    limit: int = 0,
    max_length: int = 0,
    gold_preproc: bool = False,
    views: Optional[str] = None,
    seed: int = 0,
) -> Callable[[Language], Iterator[Example]]:
    """``spacy.Corpus.v1`` plus ``doc._.zero_shot_labels`` from a labels file on every doc.

    views: a views file of the same types (``spacy-juicer views``): each doc then describes
    each type with one of its views, drawn at random (fine-tuning on gold types in many
    wordings, so that KF does not teach one house style again)."""
    if not labels:
        raise LabelError("LabelledCorpus: give the labels file of the corpus's types (e.g. dev.labels.json).")
    descriptions = read_labels_file(labels)
    by_type = read_views(views) if views else None
    if by_type is not None:
        missing = [t for t in descriptions if t not in by_type]
        if missing:
            raise LabelError(f"LabelledCorpus: the views file {views} has no views of {', '.join(missing)}.")
    rng = random.Random(seed)
    corpus = Corpus(path, limit=limit, max_length=max_length, gold_preproc=gold_preproc)

    def read(nlp: Language) -> Iterator[Example]:
        for eg in corpus(nlp):
            doc_labels = descriptions if by_type is None else draw(by_type, descriptions, rng)
            set_doc_labels(eg.predicted, doc_labels)
            set_doc_labels(eg.reference, doc_labels)
            yield eg

    return read
