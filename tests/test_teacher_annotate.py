"""The annotation run with the replay model: spans, records, cache, resume, shards; the
OpenAI-compatible model against a local server; the tasks inside spacy-llm's own component."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from pathlib import Path

import pytest
import spacy
import srsly
from spacy.tokens import DocBin
from spacy_llm.registry import registry

from spacy_juicer.teacher.annotate import AnnotateError, annotate, register_all
from spacy_juicer.teacher.models.replay import Replay

from .fault_server import FaultServer

DATA = Path(__file__).parent / "data" / "teacher"
INPUT = DATA / "abstracts.jsonl"
ANSWERS = DATA / "open_ner_answers.jsonl"


def write_config(tmp_path: Path, model_block: str = "") -> Path:
    path = tmp_path / "teacher.cfg"
    model_block = model_block or f'@llm_models = "spacy_juicer.Replay.v1"\npath = "{ANSWERS}"'
    path.write_text(f'[task]\n@llm_tasks = "spacy_juicer.OpenNER.v1"\n\n[model]\n{model_block}\n')
    return path


def load(path: Path):
    return list(DocBin().from_disk(path).get_docs(spacy.blank("en").vocab))


def test_annotate_writes_spans_and_records(tmp_path):
    config = write_config(tmp_path)
    record = annotate(INPUT, tmp_path / "raw.spacy", config, cache_path=tmp_path / "cache.jsonl", progress=False)
    docs = load(tmp_path / "raw.spacy")
    assert len(docs) == record["sentences"] == 12
    assert record["statuses"] == {"empty": 1, "malformed": 1, "ok": 10}
    assert (record["calls"], record["cache_hits"]) == (12, 0)
    info = [d.user_data["juicer"] for d in docs]
    assert info[0]["id"] == "easyner-lund-autophagy-1:31961824:0"
    assert [i["domain"] for i in info[:3]] == ["biomedicine", "molecular biology", "gastroenterology"]
    spans = [{(s.text, s.label_) for s in d.spans["llm_raw"]} for d in docs]
    # abbreviation-style answer: both the long form and the abbreviation are labelled
    assert {("inflammatory bowel diseases", "Disease"), ("IBDs", "Disease")} <= spans[0]
    # looping answer deduplicated, its truncated last item dropped
    assert [tuple(m) for m in info[2]["mentions"]] == [("mTOR", "Protein"), ("Tsc1", "Gene"), ("colitis", "Disease"), ("colon cancer", "Disease")]
    # hallucinated mention kept in the record for the critic, but no span
    assert ("NF-kB", "Protein") in [tuple(m) for m in info[3]["mentions"]]
    assert "NF-kB" not in {t for t, _ in spans[3]} and len(spans[3]) == 4
    assert info[5]["status"] == "malformed" and info[5]["raw"].startswith("I'm sorry")
    assert info[6]["status"] == "empty"
    # the invented next example is cut off
    assert all(m[0] != "invented entity" for m in info[7]["mentions"])
    # quotes stripped from mentions
    assert ("TSC", "Disease") in spans[10] and ("TSC1", "Gene") in spans[10]
    assert all(i["model"].startswith("replay:") for i in info)


def test_rerun_is_served_from_the_cache_and_identical(tmp_path):
    config = write_config(tmp_path)
    cache = tmp_path / "cache.jsonl"
    annotate(INPUT, tmp_path / "a.spacy", config, cache_path=cache, progress=False)
    record = annotate(INPUT, tmp_path / "b.spacy", config, cache_path=cache, progress=False)
    assert (record["calls"], record["cache_hits"]) == (0, 12)
    assert (tmp_path / "a.spacy").read_bytes() == (tmp_path / "b.spacy").read_bytes()


class _Interrupt(Replay):
    """The replay model, interrupted (as by Ctrl-C) after a number of answers."""

    def __init__(self, path, after):
        super().__init__(path)
        self.after = after

    def __call__(self, prompts):
        out = []
        for doc_prompts in prompts:
            if self.usage["calls"] >= self.after:
                raise KeyboardInterrupt
            out.extend(super().__call__([doc_prompts]))
        return out


@registry.llm_models("test.InterruptedReplay.v1")
def make_interrupted(path: str, after: int) -> _Interrupt:
    return _Interrupt(path, after)


@pytest.mark.parametrize("store,damage", [(".jsonl", "torn record"), (".jsonl", "lost newline"), (".sqlite", "")])
def test_interrupted_run_resumes_to_the_same_docbin(tmp_path, store, damage):
    full = annotate(INPUT, tmp_path / "full.spacy", write_config(tmp_path), cache_path=tmp_path / "c1.jsonl", progress=False)
    assert full["calls"] == 12
    broken = write_config(tmp_path, f'@llm_models = "test.InterruptedReplay.v1"\npath = "{ANSWERS}"\nafter = 5')
    cache = tmp_path / f"c2{store}"
    with pytest.raises(KeyboardInterrupt):
        annotate(INPUT, tmp_path / "resumed.spacy", broken, cache_path=cache, progress=False)
    assert not (tmp_path / "resumed.spacy").exists()
    if damage == "torn record":
        assert len(cache.read_text().splitlines()) == 5
        with cache.open("a") as handle:
            handle.write('{"key": "torn')  # a kill in the middle of a write
    elif damage == "lost newline":
        cache.write_bytes(cache.read_bytes().rstrip(b"\n"))  # a kill after the record, before its newline
    resumed = annotate(INPUT, tmp_path / "resumed.spacy", write_config(tmp_path), cache_path=cache, progress=False)
    assert (resumed["calls"], resumed["cache_hits"]) == (7, 5)
    assert (tmp_path / "resumed.spacy").read_bytes() == (tmp_path / "full.spacy").read_bytes()
    again = annotate(INPUT, tmp_path / "again.spacy", write_config(tmp_path), cache_path=cache, progress=False)
    assert (again["calls"], again["cache_hits"]) == (0, 12)  # every answer of the resumed run was kept
    assert (tmp_path / "again.spacy").read_bytes() == (tmp_path / "full.spacy").read_bytes()


def test_shards_split_the_corpus_by_document(tmp_path):
    config = write_config(tmp_path)
    ids = []
    for i in range(2):
        annotate(INPUT, tmp_path / f"s{i}.spacy", config, cache_path=tmp_path / "c.jsonl", shard=f"{i}/2", progress=False)
        ids.append([d.user_data["juicer"]["id"] for d in load(tmp_path / f"s{i}.spacy")])
    assert not set(ids[0]) & set(ids[1])
    assert len(ids[0]) + len(ids[1]) == 12
    limited = annotate(INPUT, tmp_path / "l.spacy", config, cache_path=tmp_path / "c.jsonl", limit=3, progress=False)
    assert limited["sentences"] == 3


def test_bad_inputs_are_clear_errors(tmp_path):
    config = write_config(tmp_path)
    with pytest.raises(AnnotateError, match="does not exist"):
        annotate(tmp_path / "missing.jsonl", tmp_path / "o.spacy", config, progress=False)
    (tmp_path / "bad.jsonl").write_text('{"title": "no text"}\n')
    with pytest.raises(AnnotateError, match="'text'"):
        annotate(tmp_path / "bad.jsonl", tmp_path / "o.spacy", config, progress=False)
    with pytest.raises(AnnotateError, match="i/n"):
        annotate(INPUT, tmp_path / "o.spacy", config, shard="2", progress=False)
    (tmp_path / "other.txt").write_text("A sentence nobody recorded an answer for.\n")
    with pytest.raises(ValueError, match="no recorded answer"):
        annotate(tmp_path / "other.txt", tmp_path / "o.spacy", config, cache_path=tmp_path / "c.jsonl", progress=False)


def openai_config(tmp_path: Path, server: FaultServer) -> Path:
    return write_config(tmp_path, f'@llm_models = "spacy_juicer.OpenAIChat.v1"\nmodel = "local"\n'
                        f'base_url = "{server.url}"\napi_key_env = null\nconcurrency = 1\ntimeout = 1.0\n'
                        f'max_retries = 1')


def test_server_faults_cost_only_their_prompts_and_a_rerun_ends_identical(tmp_path):
    with FaultServer(ANSWERS, retry_after="0") as server:
        config = openai_config(tmp_path, server)
        clean = annotate(INPUT, tmp_path / "clean.spacy", config, cache_path=tmp_path / "c1.jsonl", progress=False)
        assert (clean["calls"], clean["requests"], clean["retries"]) == (12, 12, {})
        n = len(server.log)
        server.faults = {n + i: fault for i, fault in
                         {0: "nullusage", 1: "429", 3: "empty", 5: "nonjson", 7: "list", 9: "close", 11: "503"}.items()}
        faulty = annotate(INPUT, tmp_path / "faulty.spacy", config, cache_path=tmp_path / "c2.jsonl", progress=False)
        # retried: 429, close, 503 (one request each); failed and not cached: empty, nonjson
        assert faulty["calls"] == 12 and faulty["requests"] == 15
        assert faulty["retries"] == {"HTTP 429": 1, "HTTP 503": 1, "RemoteProtocolError": 1}
        assert faulty["failure_causes"] == {"empty content": 1, "not JSON": 1}
        assert faulty["statuses"]["failed"] == 2
        assert len((tmp_path / "c2.jsonl").read_text().splitlines()) == 10
        server.faults = {}
        before = len(server.log)
        rerun = annotate(INPUT, tmp_path / "rerun.spacy", config, cache_path=tmp_path / "c2.jsonl", progress=False)
        asked = server.prompts[before:]
    assert (rerun["calls"], rerun["cache_hits"], rerun["requests"]) == (2, 10, 2)
    failed = [d.text for d in load(tmp_path / "faulty.spacy") if d.user_data["juicer"]["status"] == "failed"]
    assert len(failed) == 2 and all(f"Context: {text}\n" in p for text, p in zip(failed, asked))
    assert (tmp_path / "rerun.spacy").read_bytes() == (tmp_path / "clean.spacy").read_bytes()


KILLABLE = """
import sys
from spacy_juicer.teacher.annotate import annotate
annotate(sys.argv[1], sys.argv[2], sys.argv[3], cache_path=sys.argv[4], progress=False)
"""


def test_killed_run_with_a_torn_last_record_resumes_to_the_same_docbin(tmp_path):
    with FaultServer(ANSWERS) as server:
        config = openai_config(tmp_path, server)
        annotate(INPUT, tmp_path / "clean.spacy", config, cache_path=tmp_path / "c1.jsonl", progress=False)
        first = len(server.log)
        server.faults = {first + 6: "stall"}  # the 7th request hangs: the run is killed there
        cache = tmp_path / "c2.jsonl"
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
        proc = subprocess.Popen([sys.executable, "-c", KILLABLE, str(INPUT), str(tmp_path / "killed.spacy"),
                                 str(config), str(cache)], env=env)
        try:
            deadline = time.monotonic() + 120
            while len(server.log) < first + 7 and proc.poll() is None and time.monotonic() < deadline:
                time.sleep(0.05)
        finally:
            proc.kill()
            proc.wait(timeout=30)
        assert len(server.log) == first + 7 and not (tmp_path / "killed.spacy").exists()
        data = cache.read_bytes()
        assert data.count(b"\n") == 6
        cache.write_bytes(data[: data.rindex(b"\n", 0, len(data) - 1) + 20])  # the last record torn mid-write
        server.faults = {}
        resumed = annotate(INPUT, tmp_path / "resumed.spacy", config, cache_path=cache, progress=False)
    assert (resumed["calls"], resumed["cache_hits"]) == (7, 5)
    assert (tmp_path / "resumed.spacy").read_bytes() == (tmp_path / "clean.spacy").read_bytes()
    assert [json.loads(line)["key"] for line in cache.read_text().splitlines()]  # every line readable again


def test_tasks_run_inside_spacy_llm_component(tmp_path):
    register_all()
    text = "Cisplatin caused renal failure."
    srsly.write_jsonl(tmp_path / "label.jsonl", [{"text": text, "response": ' {"Chemical": ["Cisplatin"], "Disease": ["renal failure"]}'}])
    nlp = spacy.blank("en")
    nlp.add_pipe("llm", config={
        "task": {"@llm_tasks": "spacy_juicer.LabelNER.v1", "labels": "Chemical,Disease"},
        "model": {"@llm_models": "spacy_juicer.Replay.v1", "path": str(tmp_path / "label.jsonl")},
    })
    doc = nlp(text)
    assert [(s.text, s.label_) for s in doc.spans["llm_raw"]] == [("Cisplatin", "Chemical"), ("renal failure", "Disease")]
    assert doc.user_data["juicer"]["status"] == "ok"


def test_bad_task_and_model_settings_are_clear_errors(tmp_path):
    from spacy_juicer.teacher.label_ner.task import make_label_ner_task
    from spacy_juicer.teacher.models.replay import make_replay
    from spacy_juicer.teacher.open_ner.task import make_open_ner_task

    with pytest.raises(ValueError, match="at least one label"):
        make_label_ner_task({})
    (tmp_path / "bad.jsonl").write_text('{"text": "A sentence."}\n')
    with pytest.raises(ValueError, match=r"bad.jsonl:1: expected"):
        make_replay(str(tmp_path / "bad.jsonl"))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        make_replay(str(tmp_path / "missing.jsonl"))
    (tmp_path / "examples.json").write_text('[{"domain": "x"}]')
    with pytest.raises(ValueError, match="'text' field"):
        make_open_ner_task(examples=str(tmp_path / "examples.json"))
