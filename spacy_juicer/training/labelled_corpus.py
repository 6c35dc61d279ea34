"""A gold corpus whose docs carry the types they are to be scored on, so that ``spacy train``
selects ``model-best`` by the dev types of a zero-shot split (types it never trains on) rather
than by the training labels, which a zero-shot dev set does not contain."""
from __future__ import annotations

from typing import Callable, Iterator

from spacy.language import Language
from spacy.training import Corpus, Example
from spacy.util import registry

from ..corpora.doc_labels import set_doc_labels
from ..corpora.labels import LabelError, read_labels_file


@registry.readers("spacy_juicer.LabelledCorpus.v1")
def make_labelled_corpus(
    path: str,
    labels: str,
    limit: int = 0,
    max_length: int = 0,
    gold_preproc: bool = False,
) -> Callable[[Language], Iterator[Example]]:
    """``spacy.Corpus.v1`` plus ``doc._.zero_shot_labels`` from a labels file on every doc."""
    if not labels:
        raise LabelError("LabelledCorpus: give the labels file of the corpus's types (e.g. dev.labels.json).")
    descriptions = read_labels_file(labels)
    corpus = Corpus(path, limit=limit, max_length=max_length, gold_preproc=gold_preproc)

    def read(nlp: Language) -> Iterator[Example]:
        for eg in corpus(nlp):
            set_doc_labels(eg.predicted, descriptions)
            set_doc_labels(eg.reference, descriptions)
            yield eg

    return read
