"""The OpenAI-compatible teacher (on the ``openai`` client) against a loopback server that injects
faults (tests/fault_server.py): every fault costs at most its prompt and is counted with its
cause; a server that cannot be used stops the run with an error naming it; the key is sent to
the server and written nowhere."""
from __future__ import annotations

import json
import logging
import socket
import time
from pathlib import Path

import pytest
import srsly

from spacy_juicer.teacher.annotate import annotate
from spacy_juicer.teacher.cache import AnswerCache
from spacy_juicer.teacher.models.openai_chat import OpenAIServerError, make_openai_chat

from .fault_server import SLOW_S, FaultServer

DATA = Path(__file__).parent / "data" / "teacher"
ANSWERS = DATA / "open_ner_answers.jsonl"
RECORDS = list(srsly.read_jsonl(ANSWERS))
SENTENCES = [r["text"] for r in RECORDS]
SECRET = "sk-test-0123456789abcdef"


def prompt(i: int) -> str:
    return f"Find the entities.\nContext: {SENTENCES[i]}\nDomain:"


def model_for(server: FaultServer, **kw):
    options = dict(model="local", base_url=server.url, api_key_env=None, concurrency=1, timeout=1.0, max_retries=2)
    options.update(kw)
    return make_openai_chat(**options)


def ask(model, *indices):
    return [answers[0] for answers in model([[prompt(i)] for i in indices])]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_429_with_retry_after_is_retried_and_succeeds(monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    with FaultServer(ANSWERS, {0: "429", 2: "500"}, retry_after="1") as server:
        model = model_for(server, api_key_env="TEST_LLM_KEY", max_retries=3)
        assert ask(model, 0, 1) == [RECORDS[0]["response"], RECORDS[1]["response"]]
    times = [t for t, _, _, _ in server.log]
    assert times[1] - times[0] >= 0.9  # Retry-After: 1 is waited for
    assert times[3] - times[2] < 0.9  # a 500 without Retry-After: the client's backoff (0.5 s at most)
    assert model.usage["requests"] == 4 and model.usage["calls"] == 2 and model.usage["failures"] == 0
    assert dict(model.usage["retries"]) == {"HTTP 429": 1, "HTTP 500": 1}
    assert (model.usage["input_tokens"], model.usage["output_tokens"]) == (22, 14)
    assert {auth for _, _, auth, _ in server.log} == {f"Bearer {SECRET}"}
    assert SECRET not in json.dumps(model.settings()) + model.name


def test_retry_after_ms_is_preferred_and_a_long_retry_after_is_not_waited_for():
    with FaultServer(ANSWERS, {0: "503"}, retry_after="30", retry_after_ms="20") as server:
        model = model_for(server)
        start = time.monotonic()
        assert ask(model, 0) == [RECORDS[0]["response"]]
        assert time.monotonic() - start < 5
    with FaultServer(ANSWERS, {0: "429"}, retry_after="3600") as server:
        model = model_for(server)
        start = time.monotonic()
        assert ask(model, 0, 1) == [None, RECORDS[1]["response"]]  # an hour: the prompt fails now
        assert time.monotonic() - start < 5
    assert model.usage["failure_causes"] == {"HTTP 429": 1} and model.usage["requests"] == 2


def test_timeout_bounds_a_trickling_answer():
    # the drip sends a byte every 0.1 s: no read ever times out, but each attempt ends at 0.5 s
    with FaultServer(ANSWERS, {0: "drip", 1: "drip"}) as server:
        model = model_for(server, timeout=0.5, max_retries=1)
        start = time.monotonic()
        assert ask(model, 0, 1) == [None, RECORDS[1]["response"]]
        elapsed = time.monotonic() - start
    assert elapsed < 2.5  # two attempts of ~0.5 s and one backoff (a drip alone lasts 4 s)
    assert model.usage["requests"] == 3 and dict(model.usage["retries"]) == {"deadline": 1}
    assert model.usage["failure_causes"] == {"retries exhausted (deadline)": 1}


def test_a_server_that_answers_no_prompt_in_time_is_an_error_naming_it():
    with FaultServer(ANSWERS, {0: "stall", 1: "drip"}) as server:
        model = model_for(server, timeout=0.3, max_retries=0, concurrency=2)
        with pytest.raises(OpenAIServerError, match=f"{server.url}.*within timeout = 0.3 s: raise timeout"):
            ask(model, 0, 1)
    assert sorted(model.usage["failure_causes"]) == ["retries exhausted (ReadTimeout)", "retries exhausted (deadline)"]


def test_stall_and_closed_connection_are_retried_with_their_causes():
    with FaultServer(ANSWERS, {0: "stall", 1: "close"}) as server:
        model = model_for(server, timeout=0.5, max_retries=2)
        assert ask(model, 0) == [RECORDS[0]["response"]]
    assert model.usage["requests"] == 3
    assert dict(model.usage["retries"]) == {"ReadTimeout": 1, "RemoteProtocolError": 1}


@pytest.mark.parametrize("fault,cause", [
    ("empty", "empty content"), ("nonjson", "not JSON"), ("htmltype", "not JSON"),
    ("nochoices", "no choices"), ("400", "HTTP 400"),
])
def test_unusable_answers_are_failures_not_answers(fault, cause, caplog):
    with FaultServer(ANSWERS, {0: fault}) as server:
        model = model_for(server)
        with caplog.at_level(logging.WARNING, logger="spacy_juicer.teacher.models.openai_chat"):
            assert ask(model, 0, 1) == [None, RECORDS[1]["response"]]
    assert model.usage["failures"] == 1 and model.usage["failure_causes"] == {cause: 1}
    assert model.usage["calls"] == 1 and model.usage["requests"] == 2  # not retried
    assert server.url in caplog.text and cause in caplog.text  # the log names the server


def test_exhausted_retries_answer_none_and_count_every_request():
    with FaultServer(ANSWERS, {0: "500", 1: "500", 2: "500"}) as server:
        model = model_for(server, max_retries=2)
        assert ask(model, 0, 1) == [None, RECORDS[1]["response"]]
    assert model.usage["requests"] == 4 and dict(model.usage["retries"]) == {"HTTP 500": 2}
    assert model.usage["failure_causes"] == {"retries exhausted (HTTP 500)": 1}


def test_null_usage_is_zero_tokens_and_parts_are_joined_as_text():
    with FaultServer(ANSWERS, {0: "nullusage", 1: "list"}) as server:
        model = model_for(server)
        assert ask(model, 0, 1) == [RECORDS[0]["response"], RECORDS[1]["response"]]
    assert (model.usage["input_tokens"], model.usage["output_tokens"]) == (11, 7)


def test_prompts_run_concurrently_and_answers_keep_their_order():
    with FaultServer(ANSWERS, {i: "slow" for i in range(4)}) as server:
        model = model_for(server, concurrency=4)
        start = time.monotonic()
        assert ask(model, 3, 2, 1, 0) == [RECORDS[i]["response"] for i in (3, 2, 1, 0)]
        elapsed = time.monotonic() - start
    arrivals = [t for t, _, _, _ in server.log]
    assert max(arrivals) - min(arrivals) < SLOW_S and elapsed < 3 * SLOW_S  # in flight together


def test_no_network_call_and_no_key_needed_at_construction(monkeypatch):
    monkeypatch.delenv("TEST_LLM_KEY", raising=False)
    model = make_openai_chat(model="m", base_url="http://127.0.0.1:9/v1", api_key_env="TEST_LLM_KEY")
    assert model._client is None and model.usage["requests"] == 0
    assert model([]) == []  # nothing to ask: no client, no key needed


def test_a_missing_key_stops_before_any_request(monkeypatch):
    monkeypatch.delenv("TEST_LLM_KEY", raising=False)
    with FaultServer(ANSWERS) as server:
        model = model_for(server, api_key_env="TEST_LLM_KEY")
        with pytest.raises(OpenAIServerError, match="TEST_LLM_KEY is not set.*api_key_env = null"):
            ask(model, 0)
    assert server.log == []


def test_an_unreachable_server_is_an_error_naming_it():
    url = f"http://127.0.0.1:{free_port()}/v1"  # nothing listens there
    model = make_openai_chat(model="m", base_url=url, api_key_env=None, max_retries=0)
    with pytest.raises(OpenAIServerError, match=f"{url}.*ConnectError.*run again to resume"):
        ask(model, 0, 1)


@pytest.mark.parametrize("fault,hint", [("401", r"refused the API key: check the key in \$TEST_LLM_KEY"),
                                        ("404", "check base_url")])
def test_a_server_refusing_every_prompt_is_an_error_naming_it(fault, hint, monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    with FaultServer(ANSWERS, {0: fault, 1: fault, 3: fault}) as server:
        model = model_for(server, api_key_env="TEST_LLM_KEY")
        with pytest.raises(OpenAIServerError, match=hint) as err:
            ask(model, 0, 1)
        assert server.url in str(err.value) and SECRET not in str(err.value)
        assert ask(model, 2, 3) == [RECORDS[2]["response"], None]  # one refused prompt only costs itself


def test_the_environment_proxy_is_used_for_a_remote_server_never_a_local_one(monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    with FaultServer(ANSWERS) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url.rsplit("/v1", 1)[0])
        remote = make_openai_chat(model="m", base_url="http://teacher.invalid/v1", api_key_env=None, max_retries=0)
        assert ask(remote, 0) == [RECORDS[0]["response"]]  # the unresolvable host was reached through the proxy
    assert len(proxy.log) == 1
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{free_port()}")  # a dead proxy
    with FaultServer(ANSWERS) as server:
        assert ask(model_for(server), 1) == [RECORDS[1]["response"]]  # a loopback server is reached directly


def test_the_key_is_sent_and_written_nowhere(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("TEST_LLM_KEY", SECRET)
    with FaultServer(ANSWERS, {1: "429"}, retry_after_ms="10") as server:
        config = tmp_path / "teacher.cfg"
        config.write_text(
            '[task]\n@llm_tasks = "spacy_juicer.OpenNER.v1"\n\n[model]\n@llm_models = "spacy_juicer.OpenAIChat.v1"\n'
            f'model = "local"\nbase_url = "{server.url}"\napi_key_env = "TEST_LLM_KEY"\nconcurrency = 2\n'
            "price = [0.5, 1.5]\n"
        )
        with caplog.at_level(logging.DEBUG):
            record = annotate(DATA / "abstracts.jsonl", tmp_path / "out" / "raw.spacy", config,
                              cache_path=tmp_path / "answers.sqlite", limit=4, progress=False)
    assert {auth for _, _, auth, _ in server.log} == {f"Bearer {SECRET}"}
    assert (record["calls"], record["requests"], record["retries"]) == (4, 5, {"HTTP 429": 1})
    assert record["cost_usd"] == pytest.approx((44 * 0.5 + 28 * 1.5) / 1000)
    assert len(AnswerCache(tmp_path / "answers.sqlite")) == 4
    written = [path for path in tmp_path.rglob("*") if path.is_file()]
    assert {p.name for p in written} >= {"raw.spacy", "raw.run.json", "answers.sqlite", "teacher.cfg"}
    for path in written:
        assert SECRET.encode() not in path.read_bytes(), path
    assert SECRET not in caplog.text and "chat/completions" in caplog.text  # logged at DEBUG, keyless


def test_a_run_stopped_by_a_refusing_server_keeps_its_answers_and_resumes(tmp_path):
    with FaultServer(ANSWERS) as server:
        config = tmp_path / "teacher.cfg"
        config.write_text(
            '[task]\n@llm_tasks = "spacy_juicer.OpenNER.v1"\n\n[model]\n@llm_models = "spacy_juicer.OpenAIChat.v1"\n'
            f'model = "local"\nbase_url = "{server.url}"\napi_key_env = null\nconcurrency = 2\n'
        )
        run = dict(input_path=DATA / "abstracts.jsonl", config_path=config, limit=8, progress=False)
        annotate(output_path=tmp_path / "clean.spacy", cache_path=tmp_path / "clean.jsonl", **run)
        server.faults = {len(server.log) + i: "401" for i in range(4, 8)}  # the third batch is refused
        cache = tmp_path / "answers.jsonl"
        with pytest.raises(OpenAIServerError, match=f"{server.url}.*HTTP 401.*run again to resume"):
            annotate(output_path=tmp_path / "raw.spacy", cache_path=cache, **run)
        assert len(AnswerCache(cache)) == 4  # the two batches answered before the refusal
        server.faults = {}
        record = annotate(output_path=tmp_path / "raw.spacy", cache_path=cache, **run)
    assert (record["calls"], record["cache_hits"]) == (4, 4)
    assert (tmp_path / "raw.spacy").read_bytes() == (tmp_path / "clean.spacy").read_bytes()
