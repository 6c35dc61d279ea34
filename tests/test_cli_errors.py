"""The command line prints bad input as one line and exit code 1, and lets anything else (a bug)
raise with its traceback: a KeyError or an unexpected OSError is not a user's mistake."""
from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from spacy_juicer.cli import app

from .test_splits import DATA, _fixture_split

runner = CliRunner()


def test_unknown_descriptions_dataset_is_one_line(tmp_path):
    path = _fixture_split(tmp_path)
    split = json.loads(path.read_text())
    split["parts"]["train"]["sources"][0]["dataset"] = "no-such-dataset"
    path.write_text(json.dumps(split))
    result = runner.invoke(app, ["split", str(path), str(tmp_path / "o"), "--data", str(DATA)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Error: No type descriptions for dataset 'no-such-dataset'" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("bug", [KeyError("parts"), ConnectionResetError("peer reset")], ids=["KeyError", "OSError"])
def test_a_bug_raises_with_its_traceback(tmp_path, monkeypatch, bug):
    import spacy_juicer.corpora.splits as splits

    def broken(*args, **kwargs):
        raise bug

    monkeypatch.setattr(splits, "build_split", broken)
    result = runner.invoke(app, ["split", str(_fixture_split(tmp_path)), str(tmp_path / "o"), "--data", str(DATA)])
    assert result.exception is bug  # not turned into "Error: ..." and exit code 1
    assert "Error:" not in result.output


def test_a_missing_user_file_is_one_line(tmp_path):
    result = runner.invoke(app, ["stats", str(tmp_path / "missing.spacy"), str(tmp_path / "out")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error: ") and "missing.spacy" in result.output


def _teacher_config(tmp_path, model_block: str):
    path = tmp_path / "teacher.cfg"
    path.write_text(f'[task]\n@llm_tasks = "spacy_juicer.OpenNER.v1"\n\n[model]\n{model_block}\n')
    return path


def test_a_replay_file_without_the_answer_is_one_line(tmp_path):
    from .test_teacher_annotate import ANSWERS

    (tmp_path / "in.txt").write_text("A sentence nobody recorded an answer for.\n")
    config = _teacher_config(tmp_path, f'@llm_models = "spacy_juicer.Replay.v1"\npath = "{ANSWERS}"')
    result = runner.invoke(app, ["annotate", str(tmp_path / "in.txt"), str(tmp_path / "o.spacy"), "--config",
                                 str(config), "--cache", str(tmp_path / "c.jsonl")])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    error = result.output.splitlines()[-1]  # after the progress bar
    assert error.startswith("Error: ") and "no recorded answer" in error and "Traceback" not in result.output


def test_llama_cpp_not_installed_is_one_line_with_the_install_command(tmp_path, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "llama_cpp" else real_find_spec(name, *a))
    (tmp_path / "in.txt").write_text("Aspirin helps.\n")
    config = _teacher_config(tmp_path, '@llm_models = "spacy_juicer.LlamaCpp.v1"\nmodel = "qwen2.5-coder-0.5b-instruct"')
    result = runner.invoke(app, ["annotate", str(tmp_path / "in.txt"), str(tmp_path / "o.spacy"), "--config", str(config)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.output.startswith("Error: ") and "spacy-juicer[llama]" in result.output


def test_critic_names_an_unknown_rule_to_skip(tmp_path):
    result = runner.invoke(app, ["critic", str(tmp_path / "raw.spacy"), str(tmp_path / "s.spacy"), "--skip", "majority_typo"])
    assert result.exit_code == 1 and "unknown rule(s) ['majority_typo']" in result.output
