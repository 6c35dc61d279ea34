"""`spacy project run smoke` from a copy of the project, then the packaged pipeline installed
into a fresh virtual environment and used offline, as a user would (issue: project.yml).

The smoke workflow is the whole `all` chain (assets, annotate, critic, describe, stats, split,
KP, KF, evaluate, report, package) on 14 sentences with the replay teacher and a few updates:
it proves the chain holds together, not that the model is good (benchmarks/ measure that).
The fresh environment gets only two wheels, spacy-juicer's and the pipeline's, installed with
--no-index; their dependencies (torch, spaCy, ...) are the test environment's, linked through
a .pth file, because CI has no network to install them again.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from .conftest import needs_minilm

ROOT = Path(__file__).resolve().parent.parent
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "PIP_NO_INDEX": "1"}


def run(cmd, cwd: Path, timeout: int = 900, env=None) -> subprocess.CompletedProcess:
    result = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **OFFLINE, **(env or {})})
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def smoke_project(tmp_path_factory) -> Path:
    project = tmp_path_factory.mktemp("project")
    shutil.copy(ROOT / "project.yml", project / "project.yml")
    # project.yml names the packaged configs by their path in a checkout (spacy_juicer/configs):
    # the copy takes the whole package, which then is the one its commands import
    for folder in ("spacy_juicer", "scripts", "tests/data/smoke", "tests/data/silver"):
        shutil.copytree(ROOT / folder, project / folder, ignore=shutil.ignore_patterns("__pycache__"))
    run([sys.executable, "-m", "spacy", "project", "run", "smoke", "."], cwd=project)
    return project


@pytest.mark.slow
@needs_minilm
def test_smoke_workflow_runs_the_whole_chain(smoke_project):
    import srsly

    out = smoke_project / "smoke"
    raw = srsly.read_json(out / "corpus" / "raw.run.json")
    assert raw["calls"] + raw["cache_hits"] == 14 and raw["statuses"]["ok"] == 11
    critic = srsly.read_json(out / "corpus" / "critic.json")
    assert critic["order"][0] == "answers"
    descriptions = srsly.read_json(out / "corpus" / "descriptions.json")
    assert "Disease" in descriptions and len(descriptions) >= 5
    for name in ("kf_test-bc2gm", "kf_test-jnlpba", "kp_test-bc2gm", "kf_seen"):
        metrics = srsly.read_json(out / "metrics" / f"{name}.json")
        assert metrics["n_docs"] > 0 and 0.0 <= metrics["span_macro_f"] <= 1.0
    assert "GENE" in (out / "metrics" / "report.md").read_text()
    # the pipeline that `all` packages is the factory's default model, paths and sizes aside
    import spacy

    packaged = spacy.util.load_config(out / "training" / "kf" / "model-calibrated" / "config.cfg")
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner")
    default = dict(nlp.config["components"]["zero_shot_ner"])
    shipped = dict(packaged["components"]["zero_shot_ner"])
    for block in (default, shipped):
        block.pop("labels")
        block["model"] = {k: v for k, v in block["model"].items() if k not in ("name", "max_length")}
    assert shipped == default
    assert list((out / "packages").glob("*/dist/*.whl"))
    # a rerun skips every step whose deps and outputs are unchanged
    again = run([sys.executable, "-m", "spacy", "project", "run", "smoke", "."], cwd=smoke_project)
    assert "Skipping 'kp': nothing changed" in again.stdout


@pytest.mark.slow
@needs_minilm
def test_packaged_pipeline_installs_into_a_fresh_venv(smoke_project, tmp_path):
    wheel = next((smoke_project / "smoke" / "packages").glob("*/dist/*.whl"))
    dist = tmp_path / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-w", str(dist), str(ROOT)],
        cwd=tmp_path)
    juicer_wheel = next(dist.glob("spacy_juicer-*.whl"))
    venv = tmp_path / "venv"
    fresh = {"PYTHONPATH": ""}  # nothing of the test runner's path leaks into the fresh venv
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    python = venv / "bin" / "python"
    purelib = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp_path,
                  env=fresh).stdout.strip()
    # the dependencies, not spacy-juicer: the test environment's site-packages, appended to sys.path
    Path(purelib, "test_env_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
         str(juicer_wheel), str(wheel)], cwd=tmp_path, env=fresh)
    script = (
        "import spacy, spacy_juicer, sys\n"
        "assert spacy_juicer.__file__.startswith(sys.prefix), spacy_juicer.__file__\n"
        f"nlp = spacy.load({wheel.name.split('-')[0]!r})\n"
        "ner = nlp.get_pipe('zero_shot_ner')\n"
        "ner.set_labels({'Gene': 'A gene or the protein it encodes.', 'Drug': 'A medicinal chemical.'})\n"
        "doc = nlp('Tamoxifen lowers BRCA1 expression in MCF-7 cells.')\n"
        "assert ner.labels == ('Gene', 'Drug') or list(ner.labels) == ['Gene', 'Drug'], ner.labels\n"
        "print('OK', [(e.text, e.label_) for e in doc.ents])\n"
    )
    out = run([str(python), "-c", script], cwd=tmp_path, env=fresh).stdout
    assert out.startswith("OK")
