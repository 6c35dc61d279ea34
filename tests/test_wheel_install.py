"""What a pip user gets: the wheel, installed into a fresh virtual environment, carries every
packaged config, and its command line runs from an empty folder with no checkout around
(init-config writes a replay teacher, annotate labels a sentence with it).

The fresh environment reuses this one's installed dependencies through a .pth file that names
this environment's site-packages only: that folder is put on sys.path without running its own
.pth files, so the editable install of the checkout stays out and ``import spacy_juicer``
finds the wheel's copy."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Dict, List

import pytest
import srsly

from spacy_juicer.configs import config_names

pytestmark = pytest.mark.slow

ROOT = Path(__file__).parents[1]
SENTENCE = "Aspirin relieves headache."
ANSWER = " pharmacology\nNamed Entities: Aspirin (Drug), headache (Disease)"
# Run in the installed package: where it is, what it carries, what the CLI defaults to, and
# whether each teacher config's [task] resolves from a folder with no checkout.
PROBE = """
import json, spacy, spacy_juicer
from thinc.api import Config
from spacy_juicer.cli import config_defaults
from spacy_juicer.configs import CONFIG_DIR, config_names, config_path, is_teacher_config
from spacy_juicer.teacher.annotate import register_all
register_all()
tasks = {}
for name in filter(is_teacher_config, config_names()):
    try:
        spacy.util.registry.resolve({"task": Config().from_disk(config_path(name))["task"]})
        tasks[name] = "ok"
    except Exception as err:
        tasks[name] = f"{type(err).__name__}: {err}"
print(json.dumps({"package": spacy_juicer.__file__, "config_dir": str(CONFIG_DIR), "configs": config_names(),
                  "defaults": {k: str(v) for k, v in config_defaults().items()}, "tasks": tasks}))
"""


def run(args: List[str], cwd: Path, env: Dict[str, str]) -> str:
    result = subprocess.run([str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, f"{args}\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="session")
def wheel(tmp_path_factory) -> Path:
    """The wheel, built once a session from a clean copy of the sources (a stale build/ folder
    of the checkout never gets into it), offline with this environment's setuptools."""
    pytest.importorskip("build")
    src = tmp_path_factory.mktemp("src")
    for name in ("setup.cfg", "pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "spacy_juicer", src / "spacy_juicer", ignore=shutil.ignore_patterns("__pycache__"))
    dist = tmp_path_factory.mktemp("dist")
    run([sys.executable, "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check", "--outdir", dist],
        src, {**os.environ, "PIP_NO_INDEX": "1"})
    (path,) = dist.glob("spacy_juicer-*.whl")
    return path


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """(venv folder, environment for its commands, an empty folder outside the checkout)."""
    base = tmp_path_factory.mktemp("pip-user")
    venv = base / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", venv], base, dict(os.environ))
    python = venv / "bin" / "python"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env.update(SPACY_JUICER_CACHE=str(base / "cache"), HF_HUB_OFFLINE="1", PIP_DISABLE_PIP_VERSION_CHECK="1",
               PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}")
    site = Path(run([python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], base, env).strip())
    ours = dict.fromkeys(sysconfig.get_path(k) for k in ("purelib", "platlib"))
    (site / "_dependencies.pth").write_text("".join(f"{p}\n" for p in ours))
    # --ignore-installed: the checkout's editable install is visible through the .pth, and pip
    # must neither uninstall it nor count it as this wheel
    run([python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "--quiet", wheel], base, env)
    empty = base / "work"
    empty.mkdir()
    return venv, env, empty


@pytest.fixture(scope="module")
def probe(installed) -> dict:
    venv, env, empty = installed
    return json.loads(run([venv / "bin" / "python", "-c", PROBE], empty, env).strip().splitlines()[-1])


def test_the_wheel_is_what_gets_imported_and_it_carries_every_config(installed, probe):
    venv = installed[0]
    package = Path(probe["package"]).resolve()
    assert venv.resolve() in package.parents and ROOT.resolve() not in package.parents
    assert Path(probe["config_dir"]) == Path(probe["package"]).parent / "configs"
    assert probe["configs"] == config_names()


def test_every_cli_default_config_resolves_inside_the_installed_package(probe):
    assert {"annotate --config", "describe --config", "describe-names --config"} <= set(probe["defaults"])
    for option, path in probe["defaults"].items():
        assert Path(path).parent == Path(probe["config_dir"]) and Path(path).is_file(), option


@pytest.mark.parametrize("name", ["teacher.cfg", "describe.cfg"])
def test_a_teacher_config_resolves_from_an_empty_folder(probe, name):
    assert probe["tasks"][name] == "ok"


def test_the_short_describer_resolves_from_an_empty_folder(probe):
    assert probe["tasks"]["describe_short.cfg"] == "ok"


def test_init_config_and_annotate_from_an_empty_folder(installed, tmp_path):
    venv, env, empty = installed
    data = tmp_path / "data"
    data.mkdir()
    srsly.write_jsonl(data / "answers.jsonl", [{"text": SENTENCE, "response": ANSWER}])
    srsly.write_jsonl(data / "input.jsonl", [{"id": "doc1", "text": SENTENCE}])
    cli = venv / "bin" / "spacy-juicer"
    run([cli, "init-config", "teacher.cfg", "t.cfg", "--model", "replay", "--replay", data / "answers.jsonl"], empty, env)
    run([cli, "annotate", data / "input.jsonl", "out.spacy", "--config", "t.cfg"], empty, env)
    import spacy
    from spacy.tokens import DocBin

    (doc,) = DocBin().from_disk(empty / "out.spacy").get_docs(spacy.blank("en").vocab)
    assert doc.text == SENTENCE
    assert {(s.text, s.label_) for s in doc.spans["llm_raw"]} == {("Aspirin", "Drug"), ("headache", "Disease")}
    assert doc.user_data["juicer"]["domain"] == "pharmacology"
    assert srsly.read_json(empty / "out.run.json")["sentences"] == 1
    assert sorted(p.name for p in empty.iterdir()) == ["out.run.json", "out.spacy", "t.cfg"]
