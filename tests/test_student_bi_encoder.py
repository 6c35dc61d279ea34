"""The fast mode (``spacy_juicer.BiEncoder.v1``) behind the same component: it learns, reads
each doc's own labels, caches description encodings only while the weights stay the same,
and serializes."""
from __future__ import annotations

import numpy
import pytest
import spacy

from spacy_juicer.corpora.doc_labels import set_doc_labels

from .conftest import LABELS, TRAIN, make_examples, needs_minilm

pytestmark = needs_minilm

BI_MODEL = {
    "@architectures": "spacy_juicer.BiEncoder.v1",
    "name": "sentence-transformers/all-MiniLM-L6-v2",
    "max_length": 64,
    "window_overlap": 16,
    "max_description_length": 32,
    "batch_size": 16,
    "projection": 64,
    "dropout": 0.0,
}


@pytest.fixture(scope="module")
def bi_nlp():
    from thinc.api import Adam, fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"model": BI_MODEL, "labels": LABELS, "mask_prob": 0.0})
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    optimizer = Adam(3e-4)
    for _ in range(25):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    return nlp


def test_bi_encoder_learns_the_training_types(bi_nlp):
    from spacy_juicer.student.scorer import score_zero_shot_ner

    examples = make_examples(bi_nlp)
    for eg in examples:
        eg.predicted = bi_nlp(eg.predicted.text)
    assert score_zero_shot_ner(examples, labels=list(LABELS))["ents_f"] >= 0.8


def test_one_sentence_pass_for_any_number_of_types(bi_nlp):
    ner = bi_nlp.get_pipe("zero_shot_ner")
    calls = []
    encoder = ner.model.get_ref("encoder")
    original = encoder._func

    def counting(model, X, is_train):
        calls.append(X.input_ids.shape[0])
        return original(model, X, is_train)

    many = {f"Type{i}": f"An entity of kind number {i}." for i in range(40)}
    many.update(LABELS)
    ner.set_labels(many)
    encoder._func = counting
    try:
        docs = [bi_nlp.make_doc(text) for text, _ in TRAIN[:3]]
        first = ner.predict(docs)
        n_first = sum(calls)
        calls.clear()
        again = ner.predict(docs)
    finally:
        encoder._func = original
        ner.set_labels(LABELS)
    assert [s.shape for s in first] == [(len(d), 42, 2) for d in docs]
    assert n_first == 3 + 40  # three sentences and the 40 new descriptions (the 2 trained ones are cached)
    assert sum(calls) == 3  # descriptions come from the cache the second time
    numpy.testing.assert_allclose(first[0], again[0], rtol=1e-5, atol=1e-5)


def test_cache_is_forgotten_after_an_update(bi_nlp):
    ner = bi_nlp.get_pipe("zero_shot_ner")
    doc = bi_nlp.make_doc(TRAIN[0][0])
    ner.predict([doc])
    assert ner.model.attrs["type_cache"]
    from thinc.api import Adam

    bi_nlp.update(make_examples(bi_nlp)[:1], sgd=Adam(1e-9))
    assert not ner.model.attrs["type_cache"]


def test_per_doc_labels_and_round_trip(bi_nlp, tmp_path):
    docs = [bi_nlp.make_doc(text) for text, _ in TRAIN[:2]]
    set_doc_labels(docs[0], {"Chemical": LABELS["Chemical"]})
    out = list(bi_nlp.pipe(docs))
    assert {e.label_ for e in out[0].ents} <= {"Chemical"}
    assert "aspirin" in {e.text.lower() for e in out[0].ents}
    bi_nlp.to_disk(tmp_path / "bi")
    loaded = spacy.load(tmp_path / "bi")
    text = TRAIN[1][0]
    assert [(e.text, e.label_) for e in loaded(text).ents] == [(e.text, e.label_) for e in bi_nlp(text).ents]
