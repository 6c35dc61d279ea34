"""configs/kp.cfg, kf.cfg and blend.cfg run under ``spacy train`` on tiny real DocBins: KP on
silver selected on dev types, KF sourced from it on gold, a blend; with both architectures."""
from __future__ import annotations

from pathlib import Path

import pytest

from spacy_juicer.student.pipeline_component import THRESHOLD_GRID
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
        # KF may weigh its loss otherwise than the KP it sources
        "initialize.after_init.balance": "per_role",
    }
    train(CONFIGS / "kf.cfg", tmp_path / "kf", use_gpu=-1, overrides=kf)
    ner = spacy.load(tmp_path / "kf" / "model-last").get_pipe("zero_shot_ner")
    assert ner.cfg["balance"] == "per_role" and kp_ner.cfg["balance"] != "per_role"
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


def test_adam_to_start_pulls_each_weight_back_to_its_first_value():
    """KF's optimizer option (``training/optimizers.py``): with ``start_decay`` 0 it is Thinc's
    Adam to the last digit; with it, a gradient that keeps pushing meets a pull back to the
    weight's first value and the weight settles where the two balance."""
    import numpy
    from thinc.api import Adam

    from spacy_juicer.training.optimizers import make_adam_to_start

    def run(opt, steps=200):
        w = numpy.full(3, 1.0, dtype="f")
        for _ in range(steps):
            w, _ = opt((1, "W"), w, numpy.full(3, 1.0, dtype="f"))
        return w

    plain = run(Adam(0.01, L2=0.0, grad_clip=1.0, use_averages=False))
    assert run(make_adam_to_start(0.01, start_decay=0.0)) == pytest.approx(plain, abs=0)
    assert plain[0] == pytest.approx(1.0 - 200 * 0.01, abs=1e-3)  # Adam walks on at lr per step
    # pulled: 0.01 * 20 * (1 - w) balances Adam's 0.01 step at w = 1 - 1 / 20
    assert run(make_adam_to_start(0.01, start_decay=20.0)) == pytest.approx(numpy.full(3, 0.95), abs=1e-3)
    with pytest.raises(ValueError, match="start_decay"):
        make_adam_to_start(0.01, start_decay=-1.0)
