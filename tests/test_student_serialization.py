"""Saved bytes do not depend on what was predicted: the caches in ``model.attrs`` are never
serialized, and load back as fresh caches of their own class."""
from __future__ import annotations

import numpy
import pytest
import spacy
from thinc.api import Model, deserialize_attr, serialize_attr

from spacy_juicer.student.caches import DescriptionCache

from .conftest import LABELS, TRAIN


def test_caches_save_as_nothing_and_load_fresh():
    model = Model("m", lambda model, X, is_train: (X, lambda d: d))
    descriptions = DescriptionCache()
    descriptions.ids[("A disease.", 8)] = [1, 2]
    assert serialize_attr(descriptions, descriptions, "cache", model) == b""
    fresh = deserialize_attr(descriptions, b"", "description_cache", model)
    assert type(fresh) is DescriptionCache and fresh is not descriptions and not fresh.ids


@pytest.mark.parametrize("fixture", ["tiny_model", "tiny_cross_model"], ids=["frozen", "cross-encoder"])
def test_to_bytes_is_the_same_before_and_after_a_prediction(fixture, request):
    arch = request.getfixturevalue(fixture)
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"model": arch, "labels": LABELS})
    nlp.initialize()
    texts = [text for text, _ in TRAIN[:3]]
    for text in texts:  # the words and labels into the vocab, which nlp.to_bytes also saves
        nlp.make_doc(text)
    for label in LABELS:
        nlp.vocab.strings.add(label)
    before = nlp.to_bytes()
    docs = [nlp.make_doc(text) for text in texts]
    scores = nlp.get_pipe("zero_shot_ner").predict(docs)
    model = nlp.get_pipe("zero_shot_ner").model
    assert model.attrs["description_cache"].ids  # the prediction filled the caches ...
    assert nlp.to_bytes() == before  # ... and the bytes do not show it
    copy = spacy.blank("en")
    copy.add_pipe("zero_shot_ner", config={"model": arch, "labels": LABELS})
    copy.from_bytes(before)
    attrs = copy.get_pipe("zero_shot_ner").model.attrs
    assert isinstance(attrs["description_cache"], DescriptionCache)
    for a, b in zip(scores, copy.get_pipe("zero_shot_ner").predict(docs)):
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)


def test_settings_load_back_as_the_floats_that_were_saved(tiny_model, tmp_path):
    """srsly parses "0.6" as 0.6000000000000001; the calibrated threshold a user reads back
    must be the one calibrate wrote, from disk and from bytes."""
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("zero_shot_ner", config={"model": tiny_model, "labels": LABELS, "threshold": 0.6,
                                                "other_type_weight": 0.3})
    nlp.initialize()
    nlp.to_disk(tmp_path / "pipeline")
    for loaded in (spacy.load(tmp_path / "pipeline"), spacy.blank("en")):
        if "zero_shot_ner" not in loaded.pipe_names:
            loaded.add_pipe("zero_shot_ner", config={"model": tiny_model, "labels": LABELS})
            loaded.from_bytes(nlp.to_bytes())
        cfg = loaded.get_pipe("zero_shot_ner").cfg
        assert (cfg["threshold"], cfg["other_type_weight"]) == (0.6, 0.3)
        assert cfg["labels"] == ner.cfg["labels"]
