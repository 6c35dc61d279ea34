"""The encoder's whole path (a local model folder, build, train, predict, save, load) on a tiny
BERT built in the test: these run on every machine, with or without MiniLM-L6's weights."""
from __future__ import annotations

import shutil

import numpy
import pytest
import spacy
import torch

from spacy_juicer.student.encoders import EncoderNotFoundError, resolve_encoder

from .conftest import LABELS, SMALL_MODEL, TRAIN, make_examples, make_tiny_bert, train_pipeline


def _transformer(nlp):
    return nlp.get_pipe("zero_shot_ner").model.get_ref("encoder").shims[0]._hfmodel.transformer


def _weights(module) -> dict:
    return {name: p.detach().clone() for name, p in module.named_parameters()}


def test_a_model_folder_is_its_own_name(tiny_bert):
    assert resolve_encoder(tiny_bert) == tiny_bert


def test_the_shipped_architecture_reads_layers_2_4_and_6_of_the_folder(tiny_nlp):
    model = tiny_nlp.get_pipe("zero_shot_ner").model
    assert SMALL_MODEL["@architectures"] == "spacy_juicer.FrozenBiEncoder.v2"
    assert model.attrs["token_layers"] == [2, 4, 6]
    assert _transformer(tiny_nlp).config.num_hidden_layers == 6
    assert model.get_ref("head").get_dim("nT") == 3 * 32  # three layers of 32 side by side


def test_token_layers_beyond_the_encoders_depth_are_refused(tmp_path):
    shallow = make_tiny_bert(tmp_path / "two-layers", layers=2)
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"model": {**SMALL_MODEL, "name": shallow}, "labels": LABELS})
    with pytest.raises(ValueError, match="token_layers: 4 is not a layer"):
        nlp.initialize()
    nlp = spacy.blank("en")
    model = {**SMALL_MODEL, "name": shallow, "token_layers": [1, 2]}
    nlp.add_pipe("zero_shot_ner", config={"model": model, "labels": LABELS})
    nlp.initialize()
    assert nlp.get_pipe("zero_shot_ner").model.get_ref("head").get_dim("nT") == 2 * 32


def test_a_folder_that_is_not_a_model_names_itself(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"model": {**SMALL_MODEL, "name": str(tmp_path)}, "labels": LABELS})
    with pytest.raises(EncoderNotFoundError, match=str(tmp_path)):
        nlp.initialize()


@pytest.mark.parametrize("arch", ["tiny_model", "tiny_cross_model"], ids=["frozen", "cross-encoder"])
def test_training_lowers_the_loss_and_moves_only_what_may_learn(arch, request):
    model = request.getfixturevalue(arch)
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"model": model, "labels": LABELS, "negative_types": "none"})
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    encoder_before = _weights(_transformer(nlp))
    optimizer = nlp.create_optimizer()
    losses = [nlp.update(examples, sgd=optimizer, drop=0.0, losses={})["zero_shot_ner"] for _ in range(8)]
    assert all(numpy.isfinite(losses)) and losses[-1] < losses[0]
    encoder_after = _weights(_transformer(nlp))
    moved = [n for n in encoder_before if not torch.equal(encoder_before[n], encoder_after[n])]
    if arch == "tiny_model":
        assert moved == []  # the shipped architecture's encoder is frozen
    else:
        assert moved  # the cross-encoder fine-tunes it


@pytest.mark.parametrize("arch", ["tiny_model", "tiny_cross_model"], ids=["frozen", "cross-encoder"])
def test_a_saved_pipeline_carries_its_encoder_and_predicts_the_same(arch, request, tmp_path):
    """The weights and tokenizer travel inside the pipeline: it loads and predicts the same
    after the model folder it was built from is gone."""
    folder = make_tiny_bert(tmp_path / "encoder")
    nlp = train_pipeline({**request.getfixturevalue(arch), "name": folder}, 3)
    texts = [text for text, _ in TRAIN] + ["", "Ärzte gaben Aspirin ☺."]
    docs = [nlp.make_doc(text) for text in texts]
    ner = nlp.get_pipe("zero_shot_ner")
    before = ner.predict(docs)
    assert [s.shape[0] for s in before] == [len(d) for d in docs]
    ents_before = [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in nlp.pipe(texts)]
    nlp.to_disk(tmp_path / "pipeline")
    shutil.rmtree(folder)
    loaded = spacy.load(tmp_path / "pipeline")
    after = loaded.get_pipe("zero_shot_ner").predict([loaded.make_doc(text) for text in texts])
    for a, b in zip(before, after):
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    assert [[(e.start_char, e.end_char, e.label_) for e in doc.ents] for doc in loaded.pipe(texts)] == ents_before
    assert loaded.get_pipe("zero_shot_ner").labels == tuple(LABELS)


def test_a_pipeline_saved_with_frozen_bi_encoder_v1_loads_and_predicts_the_same(tiny_nlp, tmp_path):
    """Configs saved before v2 name FrozenBiEncoder.v1 with ``trainable_layers = 0`` and
    ``layer_lr_scale = 1.0``: they load into the same model; a trainable layer is refused."""
    from thinc.api import Config

    tiny_nlp.to_disk(tmp_path / "old")
    config = Config().from_disk(tmp_path / "old" / "config.cfg", interpolate=False)
    block = config["components"]["zero_shot_ner"]["model"]
    assert block["@architectures"] == "spacy_juicer.FrozenBiEncoder.v2" and "trainable_layers" not in block
    block.update({"@architectures": "spacy_juicer.FrozenBiEncoder.v1", "trainable_layers": 0, "layer_lr_scale": 1.0})
    config.to_disk(tmp_path / "old" / "config.cfg")
    old = spacy.load(tmp_path / "old")
    texts = [text for text, _ in TRAIN]
    before = tiny_nlp.get_pipe("zero_shot_ner").predict([tiny_nlp.make_doc(text) for text in texts])
    after = old.get_pipe("zero_shot_ner").predict([old.make_doc(text) for text in texts])
    for a, b in zip(before, after):
        numpy.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="trainable_layers was removed"):
        spacy.blank("en").add_pipe("zero_shot_ner", config={"model": {**block, "trainable_layers": 1}})


def test_the_thresholds_and_labels_given_at_run_time_decide(tiny_nlp):
    ner = tiny_nlp.get_pipe("zero_shot_ner")
    with ner.using(threshold=0.0):
        loose = [tiny_nlp(text) for text, _ in TRAIN]
    with ner.using(threshold=1.0):
        assert not any(tiny_nlp(text).ents for text, _ in TRAIN)
    assert any(doc.ents for doc in loose)
    assert {e.label_ for doc in loose for e in doc.ents} <= set(LABELS)
    with ner.using({"Drug": "A medicine."}, threshold=0.0):
        relabelled = [tiny_nlp(text) for text, _ in TRAIN]
    assert {e.label_ for doc in relabelled for e in doc.ents} == {"Drug"}
    assert ner.labels == tuple(LABELS)
