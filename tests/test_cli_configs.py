"""``spacy-juicer init-config``: the packaged configs listed, copied out, filled with the teacher's
model (replay, an OpenAI-compatible server, the embedded GGUF) in configs that spacy-llm
resolves; and the one convention of output arguments across the commands."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
import srsly
from thinc.api import Config
from typer.testing import CliRunner

from spacy_juicer.cli import app, config_defaults
from spacy_juicer.configs import CONFIG_DIR, config_names, config_path
from spacy_juicer.teacher.annotate import load_teacher

runner = CliRunner()
SENTENCE = "Aspirin relieves headache."


def invoke(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def read_config(path: Path) -> Config:
    return Config().from_disk(path, interpolate=False)


@pytest.fixture
def replay_file(tmp_path: Path) -> Path:
    path = tmp_path / "answers.jsonl"
    srsly.write_jsonl(path, [{"text": SENTENCE, "response": " pharmacology\nNamed Entities: Aspirin (Drug)"}])
    return path


@pytest.mark.parametrize("args", [[], ["--list"]], ids=["no-name", "--list"])
def test_lists_every_packaged_config_and_the_cli_defaults(args):
    result = invoke("init-config", *args)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert [line.split()[0] for line in lines] == config_names()
    assert {"kp.cfg", "teacher.cfg", "splits/biomedical.json"} <= set(config_names())
    row = {line.split()[0]: line for line in lines}
    assert "default of annotate --config" in row["teacher.cfg"] and "spacy train" in row["kp.cfg"]
    assert "split" in row["splits/biomedical.json"]


def test_cli_defaults_are_packaged_configs():
    defaults = config_defaults()
    assert {"annotate --config", "describe --config", "describe-names --config"} <= set(defaults)
    for option, path in defaults.items():
        assert path.is_file() and path.parent == CONFIG_DIR, option


@pytest.mark.parametrize("name", ["kp.cfg", "teacher.cfg", "splits/biomedical.json"])
def test_writes_a_copy_and_keeps_an_existing_file(tmp_path, name):
    out = tmp_path / "sub" / Path(name).name
    result = invoke("init-config", name, out)
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf8") == config_path(name).read_text(encoding="utf8")  # comments kept
    if name.endswith(".cfg"):
        assert read_config(out) == read_config(config_path(name))
    else:
        assert json.loads(out.read_text()) == json.loads(config_path(name).read_text())
    out.write_text("my edits")
    result = invoke("init-config", name, out)
    assert result.exit_code == 1 and "--force" in result.output and str(out) in result.output
    assert out.read_text() == "my edits"
    assert invoke("init-config", name, out, "--force").exit_code == 0
    assert out.read_text(encoding="utf8") == config_path(name).read_text(encoding="utf8")


def test_dash_prints_the_config():
    result = invoke("init-config", "teacher.cfg", "-", "--model", "llama-cpp")
    assert result.exit_code == 0, result.output
    assert Config().from_str(result.output)["model"]["@llm_models"] == "spacy_juicer.LlamaCpp.v1"


def test_replay_model_resolves_in_spacy_llm(tmp_path, replay_file):
    out = tmp_path / "t.cfg"
    result = invoke("init-config", "teacher.cfg", out, "--model", "replay", "--replay", replay_file)
    assert result.exit_code == 0, result.output
    config, packaged = read_config(out), read_config(config_path("teacher.cfg"))
    assert config["task"] == packaged["task"]
    assert dict(config["model"]) == {"@llm_models": "spacy_juicer.Replay.v1", "path": str(replay_file)}
    assert Config().from_str(config.to_str()) == config
    text = out.read_text()
    assert text.startswith("# The teacher") and "# Written by: spacy-juicer init-config teacher.cfg" in text
    task, model, _ = load_teacher(out)
    assert type(model).__name__ == "Replay"
    assert model([[f"Context: {SENTENCE}"]]) == [[" pharmacology\nNamed Entities: Aspirin (Drug)"]]
    assert type(task).__name__ == "OpenNERTask"


def test_openai_model_names_the_key_variable_never_the_key(tmp_path, monkeypatch):
    monkeypatch.setenv("MY_SERVER_KEY", "sk-do-not-write-me")
    out = tmp_path / "t.cfg"
    result = invoke("init-config", "teacher.cfg", out, "--model", "openai", "--base-url", "http://localhost:8000/v1",
                    "--model-name", "Qwen/Qwen2.5-7B-Instruct", "--api-key-env", "MY_SERVER_KEY")
    assert result.exit_code == 0, result.output
    assert "sk-do-not-write-me" not in out.read_text()
    block = read_config(out)["model"]
    assert block["api_key_env"] == "MY_SERVER_KEY" and block["base_url"] == "http://localhost:8000/v1"
    _, model, _ = load_teacher(out)  # builds no client: that waits for the first uncached prompt
    assert type(model).__name__ == "OpenAIChat"
    assert (model.model, model.base_url, model.api_key_env) == ("Qwen/Qwen2.5-7B-Instruct", "http://localhost:8000/v1", "MY_SERVER_KEY")
    # a local server without a key: no variable at all; the default variable otherwise
    result = invoke("init-config", "teacher.cfg", out, "--force", "--model", "openai", "--base-url", "http://x/v1",
                    "--model-name", "m", "--api-key-env", "")
    assert result.exit_code == 0 and read_config(out)["model"]["api_key_env"] is None
    result = invoke("init-config", "teacher.cfg", out, "--force", "--model", "openai", "--base-url", "http://x/v1",
                    "--model-name", "m")
    assert result.exit_code == 0 and read_config(out)["model"]["api_key_env"] == "OPENAI_API_KEY"


@pytest.mark.parametrize("model", ["openai", "llama-cpp"])
def test_a_new_model_keeps_the_packaged_answer_length(tmp_path, model):
    """describe_short.cfg asks for one line (max_tokens = 48): another model keeps that."""
    out = tmp_path / "short.cfg"
    extra = ["--base-url", "http://x/v1", "--model-name", "m"] if model == "openai" else []
    result = invoke("init-config", "describe_short.cfg", out, "--model", model, *extra)
    assert result.exit_code == 0, result.output
    config, packaged = read_config(out), read_config(config_path("describe_short.cfg"))
    assert config["task"] == packaged["task"]
    assert config["model"]["max_tokens"] == packaged["model"]["max_tokens"] == 48
    if model == "llama-cpp":
        assert config["model"]["model"] == packaged["model"]["model"]
    spacy.util.registry.fill({"model": config["model"]}, validate=True)


@pytest.mark.parametrize(
    "args, message",
    [
        (["kp.cfg", "--model", "replay", "--replay", "{replay}"], "teacher.cfg"),
        (["teacher.cfg", "--model", "replay", "--replay", "{tmp}/missing.jsonl"], "missing.jsonl"),
        (["teacher.cfg", "--model", "replay"], "--replay FILE"),
        (["teacher.cfg", "--model", "openai", "--model-name", "m"], "--base-url"),
        (["teacher.cfg", "--model", "gpt"], "llama-cpp, openai, replay"),
        (["teacher.cfg", "--replay", "{replay}"], "go with --model"),
        (["teacher.cfg", "--model", "llama-cpp", "--base-url", "http://x/v1"], "--model openai"),
        (["no-such.cfg"], "kp.cfg"),
    ],
    ids=["not-a-teacher", "missing-replay", "no-replay", "no-base-url", "unknown-model", "option-without-model",
         "openai-option", "unknown-config"],
)
def test_bad_options_are_one_line_and_write_nothing(tmp_path, replay_file, args, message):
    args = [a.format(replay=replay_file, tmp=tmp_path) for a in args]
    out = tmp_path / "out.cfg"
    result = invoke("init-config", args[0], out, *args[1:])
    assert result.exit_code == 1 and result.output.startswith("Error: ") and message in result.output
    assert not out.exists()


def test_a_name_without_output_is_a_usage_error():
    result = invoke("init-config", "kp.cfg")
    assert result.exit_code == 2 and "OUTPUT" in result.output


def test_one_output_convention():
    """A command whose job is to write one thing takes it as a positional argument; --output/-o
    is only ever the optional product of a command whose job is to print (evaluate, report)."""
    import typer.main

    for name, command in typer.main.get_command(app).commands.items():
        for param in command.params:
            assert "--out" not in param.opts, name
            if "--output" in param.opts:
                assert not param.required and "-o" in param.opts, name


def test_output_is_the_last_argument(tmp_path):
    # stats writes the folder given after the silver file: the run gets as far as reading it
    missing = tmp_path / "missing.spacy"
    result = invoke("stats", missing, tmp_path / "stats")
    assert result.exit_code == 1 and "missing.spacy" in result.output and "does not exist" in result.output
    # the earlier --out DIR spelling is gone
    result = invoke("stats", missing, "--out", tmp_path / "stats")
    assert result.exit_code == 2
    labels = tmp_path / "labels.json"
    result = invoke("describe-names", "gene", "cell line", labels, "--no-teacher")
    assert result.exit_code == 0 and list(json.loads(labels.read_text())) == ["gene", "cell line"]
    # describe-names' -o FILE spelling is gone: the labels file is the last argument
    result = invoke("describe-names", "gene", "-o", labels, "--no-teacher")
    assert result.exit_code == 2 and "-o" in result.output
    # the labels file comes last: a forgotten one is a usage error, not a file named after a type
    result = invoke("describe-names", "gene", "drug", "--no-teacher")
    assert result.exit_code == 2 and "'drug'" in result.output and not Path("drug").exists()
    result = invoke("stats", missing)
    assert result.exit_code == 2 and "OUTPUT_DIR" in result.output
