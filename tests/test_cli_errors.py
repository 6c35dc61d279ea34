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
