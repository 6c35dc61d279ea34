"""The packaged kp.cfg, kf.cfg and blend.cfg run under ``spacy train`` on tiny real DocBins: KP
on silver selected on dev types, KF sourced from it on gold, a blend (over the tiny BERT: the
configs' plumbing needs no real encoder); and kp.cfg's component is the factory's default, the
model the project ships."""
from __future__ import annotations

import pytest

import spacy
import srsly
from thinc.api import Config

from spacy_juicer.calibration import THRESHOLDS as THRESHOLD_GRID
from spacy_juicer.configs import CONFIG_DIR

from .conftest import LABELS, write_gold
from .test_training_readers import silver  # noqa: F401 (fixture)

CONFIGS = CONFIG_DIR
SMALL = {
    "components.zero_shot_ner.model.max_length": 64,
    "components.zero_shot_ner.model.window_overlap": 16,
    "components.zero_shot_ner.model.max_description_length": 24,
    "training.eval_frequency": 2,
}


@pytest.fixture()
def gold(tmp_path):
    return write_gold(tmp_path)


def test_the_factory_default_is_the_model_kp_cfg_trains():
    """``add_pipe("zero_shot_ner")`` builds the architecture and settings that kp.cfg trains and
    KF, calibrate and the package inherit: paths (the encoder's name) aside."""
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner")
    default = nlp.config["components"]["zero_shot_ner"]
    shipped = Config().from_disk(CONFIGS / "kp.cfg", interpolate=False)["components"]["zero_shot_ner"]
    assert shipped["model"].pop("name") == "${paths.encoder}"
    assert default["model"].pop("name") == "sentence-transformers/all-MiniLM-L6-v2"
    assert {k: v for k, v in default.items() if k != "labels"} == {**shipped, "factory": "zero_shot_ner"}
    blend = Config().from_disk(CONFIGS / "blend.cfg", interpolate=False)["components"]["zero_shot_ner"]
    blend["model"].pop("name")
    assert blend == shipped


@pytest.mark.slow
def test_kp_then_kf_with_the_fast_mode(silver, gold, tiny_bert, tmp_path):  # noqa: F811
    from spacy.cli.train import train

    _, path = silver
    gold_path, gold_labels = gold
    dev = {"paths.dev": str(gold_path), "paths.dev_labels": str(gold_labels)}
    kp = {
        **SMALL,
        **dev,
        "paths.encoder": tiny_bert,
        "paths.silver": str(path / "silver.spacy"),
        "paths.descriptions": str(path / "descriptions.json"),
        "kp.min_types": 2,
        "kp.max_types": 3,
        "kp.epochs_per_step": 1,
        "kp.max_updates": 3,
        "training.optimizer.learn_rate.warmup_steps": 1,
        "training.batcher.size": 8,
    }
    train(CONFIGS / "kp.cfg", tmp_path / "kp", use_gpu=-1, overrides=kp)
    meta = srsly.read_json(tmp_path / "kp" / "model-last" / "meta.json")
    assert "span_macro_f" in meta["performance"]  # scored on the dev docs' own labels
    # the threshold was chosen on the dev docs before the last evaluation, and kept
    chosen = meta["juicer"]["calibration"]
    assert chosen["step"] == 2 and chosen["n_docs"] == 6 and set(chosen["scores"]) == {str(t) for t in THRESHOLD_GRID}
    assert chosen["scores"][f"{chosen['threshold']:g}"] == max(chosen["scores"].values())  # srsly reads 0.35 as 0.35000000000000003
    kp_ner = spacy.load(tmp_path / "kp" / "model-last").get_pipe("zero_shot_ner")
    assert kp_ner.cfg["threshold"] == pytest.approx(chosen["threshold"])
    kf = {
        **dev,
        "paths.kp_model": str(tmp_path / "kp" / "model-last"),
        "paths.train": str(gold_path),
        "paths.labels": str(gold_labels),
        # KF blends silver replay with the gold (kf.cfg's default schedule "all")
        "paths.silver": str(path / "silver.spacy"),
        "paths.descriptions": str(path / "descriptions.json"),
        "training.max_steps": 2,
        "training.eval_frequency": 2,
    }
    train(CONFIGS / "kf.cfg", tmp_path / "kf", use_gpu=-1, overrides=kf)
    ner = spacy.load(tmp_path / "kf" / "model-last").get_pipe("zero_shot_ner")
    assert ner.label_descriptions == LABELS
    assert ner.model.name == "zero_shot_frozen_bi_encoder"
    assert "Musical instrument" in ner.cfg["negative_pool"]  # KF negatives: the shipped pool


@pytest.mark.slow
def test_blend_config_trains(silver, gold, tiny_bert, tmp_path):  # noqa: F811
    from spacy.cli.train import train

    _, path = silver
    gold_path, gold_labels = gold
    overrides = {
        **SMALL,
        "paths.encoder": tiny_bert,
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
    meta = srsly.read_json(tmp_path / "blend" / "model-last" / "meta.json")
    assert "threshold" in meta["juicer"]["calibration"]  # the chain ran the dev threshold too


def test_chain_calls_each_callback_in_order():
    from spacy.util import registry

    calls = []
    chained = registry.callbacks.get("spacy_juicer.chain.v1")(
        lambda nlp, args: calls.append(("a", args["step"])), lambda nlp, args: calls.append(("b", args["step"]))
    )
    chained(None, {"step": 3})
    assert calls == [("a", 3), ("b", 3)]
