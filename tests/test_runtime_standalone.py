"""A saved pipeline loads and predicts in a process where ``spacy_juicer.training`` cannot be
imported: the runtime (``student/``) stands alone, as in a package installed for inference."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import spacy_juicer

from .conftest import TRAIN, needs_minilm

pytestmark = needs_minilm

# Run in a fresh interpreter: a finder first on sys.meta_path refuses spacy_juicer.training*,
# then the pipeline is loaded and run; prints the entities and what was imported.
SCRIPT = r"""
import importlib.abc, json, sys

class BlockTraining(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name == "spacy_juicer.training" or name.startswith("spacy_juicer.training."):
            raise ImportError(f"blocked by the test: {name}")
        return None

sys.meta_path.insert(0, BlockTraining())
try:
    import spacy_juicer.training  # noqa: F401
    blocked = False
except ImportError:
    blocked = True
import spacy

nlp = spacy.load(sys.argv[1])
doc = nlp(sys.argv[2])
print(json.dumps({
    "blocked": blocked,
    "ents": [[e.text, e.label_] for e in doc.ents],
    "scores": doc.spans["zero_shot_ner"].attrs["scores"],
    "pool": len(nlp.get_pipe("zero_shot_ner").cfg["negative_pool"]),
    "juicer_modules": sorted(m for m in sys.modules if m.startswith("spacy_juicer")),
}))
"""


def test_saved_pipeline_predicts_without_the_training_package(trained_nlp, tmp_path):
    trained_nlp.to_disk(tmp_path / "pipeline")
    text = TRAIN[0][0]
    expected = trained_nlp(text)
    root = str(Path(spacy_juicer.__file__).resolve().parent.parent)  # this checkout's code
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([root, os.environ.get("PYTHONPATH", "")])}
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(tmp_path / "pipeline"), text],
        capture_output=True, text=True, timeout=300, env=env, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["blocked"]
    assert not [m for m in out["juicer_modules"] if m.startswith("spacy_juicer.training")]
    assert "spacy_juicer.student.pipeline_component" in out["juicer_modules"]
    assert out["ents"] == [[e.text, e.label_] for e in expected.ents]
    assert ["Aspirin", "Chemical"] in out["ents"]
    assert out["scores"] == pytest.approx(expected.spans["zero_shot_ner"].attrs["scores"], abs=1e-5)
    assert out["pool"] == len(trained_nlp.get_pipe("zero_shot_ner").cfg["negative_pool"]) > 0
