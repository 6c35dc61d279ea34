"""``spacy train`` on the packaged cross_encoder.cfg and ``spacy evaluate`` end to end on a tiny DocBin
(over the tiny BERT: the commands' plumbing needs no real encoder)."""
from __future__ import annotations

import pytest
import spacy
import srsly

from spacy_juicer.configs import CONFIG_DIR

from .conftest import LABELS, write_gold

CONFIG = CONFIG_DIR / "cross_encoder.cfg"


@pytest.mark.slow
def test_spacy_train_and_evaluate(tiny_bert, tmp_path):
    from spacy.cli.evaluate import evaluate
    from spacy.cli.train import train

    train_path, labels_path = write_gold(tmp_path, "train")
    overrides = {
        "paths.encoder": tiny_bert,
        "paths.train": str(train_path),
        "paths.dev": str(train_path),
        "paths.labels": str(labels_path),
        "training.max_steps": 3,
        "training.eval_frequency": 2,
        "training.optimizer.learn_rate.warmup_steps": 1,
        "components.zero_shot_ner.model.max_length": 64,
        "components.zero_shot_ner.model.window_overlap": 16,
        "components.zero_shot_ner.model.max_description_length": 32,
    }
    train(CONFIG, tmp_path / "out", use_gpu=-1, overrides=overrides)
    best = tmp_path / "out" / "model-best"
    loaded = spacy.load(best)
    assert loaded.get_pipe("zero_shot_ner").label_descriptions == LABELS
    meta = srsly.read_json(best / "meta.json")
    assert "span_macro_f" in meta["performance"]
    scores = evaluate(str(best), tmp_path / "train.spacy", use_gpu=-1, silent=True)
    for key in ("ents_f", "span_macro_f", "tok_macro_f", "ents_per_type"):
        assert key in scores
    assert set(scores["ents_per_type"]) <= set(LABELS)
