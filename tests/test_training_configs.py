"""configs/kp.cfg, kf.cfg and blend.cfg run under ``spacy train`` on tiny real DocBins: KP on
silver selected on dev types, KF sourced from it on gold, a blend; with both architectures."""
from __future__ import annotations

from pathlib import Path

import pytest
import spacy
import srsly

from .conftest import LABELS, needs_minilm, write_gold
from .test_training_readers import silver  # noqa: F401 (fixture)

pytestmark = needs_minilm
CONFIGS = Path(__file__).parent.parent / "configs"
SMALL = {
    "components.zero_shot_ner.model.max_length": 64,
    "components.zero_shot_ner.model.window_overlap": 16,
    "components.zero_shot_ner.model.max_description_length": 24,
    "training.eval_frequency": 2,
}


@pytest.fixture()
def gold(tmp_path):
    return write_gold(tmp_path)


def test_kp_then_kf_with_the_fast_mode(silver, gold, tmp_path):  # noqa: F811
    from spacy.cli.train import train

    _, path = silver
    gold_path, gold_labels = gold
    dev = {"paths.dev": str(gold_path), "paths.dev_labels": str(gold_labels)}
    kp = {
        **SMALL,
        **dev,
        "paths.silver": str(path / "silver.spacy"),
        "paths.descriptions": str(path / "descriptions.json"),
        "kp.min_types": 2,
        "kp.max_types": 3,
        "kp.epochs_per_step": 1,
        "kp.max_updates": 3,
        "training.optimizer.learn_rate.warmup_steps": 1,
        "components.zero_shot_ner.model.@architectures": "spacy_juicer.BiEncoder.v1",
    }
    train(CONFIGS / "kp.cfg", tmp_path / "kp", use_gpu=-1, overrides=kp)
    meta = srsly.read_json(tmp_path / "kp" / "model-last" / "meta.json")
    assert "span_macro_f" in meta["performance"]  # scored on the dev docs' own labels
    kf = {
        **dev,
        "paths.kp_model": str(tmp_path / "kp" / "model-last"),
        "paths.train": str(gold_path),
        "paths.labels": str(gold_labels),
        "training.max_epochs": 0,
        "training.max_steps": 2,
        "training.eval_frequency": 2,
    }
    train(CONFIGS / "kf.cfg", tmp_path / "kf", use_gpu=-1, overrides=kf)
    ner = spacy.load(tmp_path / "kf" / "model-last").get_pipe("zero_shot_ner")
    assert ner.label_descriptions == LABELS
    assert ner.model.name == "zero_shot_bi_encoder"
    assert "Musical instrument" in ner.cfg["negative_pool"]  # KF negatives: the shipped pool


def test_blend_config_trains(silver, gold, tmp_path):  # noqa: F811
    from spacy.cli.train import train

    _, path = silver
    gold_path, gold_labels = gold
    overrides = {
        **SMALL,
        "paths.silver": str(path / "silver.spacy"),
        "paths.descriptions": str(path / "descriptions.json"),
        "paths.train": str(gold_path),
        "paths.labels": str(gold_labels),
        "paths.dev": str(gold_path),
        "paths.dev_labels": str(gold_labels),
        "kp.min_types": 2,
        "kp.max_types": 2,
        "blend.schedule": "sigmoid",
        "blend.epochs": 3,
        "blend.lr_decay": 0.95,
        "blend.max_updates": 3,
    }
    train(CONFIGS / "blend.cfg", tmp_path / "blend", use_gpu=-1, overrides=overrides)
    assert (tmp_path / "blend" / "model-last" / "meta.json").exists()
