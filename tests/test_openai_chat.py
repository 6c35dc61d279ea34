"""The OpenAI-compatible teacher against a loopback server that injects faults (tests/fault_server.py):
every fault costs at most its prompt, never the run, and is counted with its cause."""
from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
import srsly

from spacy_juicer.teacher.models.openai_chat import make_openai_chat, message_text, proxy_for

from .fault_server import FaultServer

ANSWERS = Path(__file__).parent / "data" / "teacher" / "open_ner_answers.jsonl"
RECORDS = list(srsly.read_jsonl(ANSWERS))
SENTENCES = [r["text"] for r in RECORDS]


def prompt(i: int) -> str:
    return f"Find the entities.\nContext: {SENTENCES[i]}\nDomain:"


def model_for(server: FaultServer, **kw):
    options = dict(model="local", base_url=server.url, api_key_env="TEST_LLM_KEY", concurrency=1,
                   timeout=1.0, max_retries=2, backoff=0.01)
    options.update(kw)
    return make_openai_chat(**options)


def ask(model, *indices):
    return [answers[0] for answers in model([[prompt(i)] for i in indices])]


def test_null_usage_is_zero_tokens_not_a_crash():
    with FaultServer(ANSWERS, {0: "nullusage"}) as server:
        model = model_for(server)
        assert ask(model, 0, 1) == [RECORDS[0]["response"], RECORDS[1]["response"]]
    assert (model.usage["input_tokens"], model.usage["output_tokens"]) == (11, 7)
    assert model.usage["calls"] == 2 and model.usage["failures"] == 0


def test_retry_after_is_honoured_and_retries_are_counted_by_cause(monkeypatch):
    monkeypatch.setenv("TEST_LLM_KEY", "sk-test-secret")
    with FaultServer(ANSWERS, {0: "429", 2: "500"}, retry_after="1") as server:
        model = model_for(server, max_retries=3)
        assert ask(model, 0, 1) == [RECORDS[0]["response"], RECORDS[1]["response"]]
    times = [t for t, _, _, _ in server.log]
    assert times[1] - times[0] >= 0.9  # Retry-After: 1, not the backoff of 0.01 s
    assert times[3] - times[2] < 0.9  # a 500 without Retry-After uses the backoff
    assert model.usage["requests"] == 4 and model.usage["calls"] == 2
    assert dict(model.usage["retries"]) == {"HTTP 429": 1, "HTTP 500": 1}
    assert {auth for _, _, auth, _ in server.log} == {"Bearer sk-test-secret"}
    assert "sk-test" not in json.dumps(model.settings()) + model.name


def test_retry_after_is_capped_by_max_wait():
    with FaultServer(ANSWERS, {0: "429"}, retry_after="3600") as server:
        model = model_for(server, max_wait=0.2)
        start = time.monotonic()
        assert ask(model, 0) == [RECORDS[0]["response"]]
    assert time.monotonic() - start < 5


def test_timeout_bounds_a_trickling_answer():
    # the drip sends a byte every 0.1 s: no read ever times out, but the attempt must end at 0.5 s
    with FaultServer(ANSWERS, {0: "drip", 1: "drip"}) as server:
        model = model_for(server, timeout=0.5, max_retries=1)
        start = time.monotonic()
        assert ask(model, 0) == [None]
        elapsed = time.monotonic() - start
    assert elapsed < 2.0  # two attempts of at most 0.5 s each (the drip alone lasts 4 s each)
    assert model.usage["requests"] == 2 and dict(model.usage["retries"]) == {"deadline": 1}
    assert model.usage["failure_causes"] == {"retries exhausted (deadline)": 1}


def test_stall_and_closed_connection_are_retried():
    with FaultServer(ANSWERS, {0: "stall", 1: "close"}) as server:
        model = model_for(server, timeout=0.5, max_retries=2)
        assert ask(model, 0) == [RECORDS[0]["response"]]
    assert model.usage["requests"] == 3 and sum(model.usage["retries"].values()) == 2


@pytest.mark.parametrize("fault,cause", [("empty", "empty content"), ("nonjson", "not JSON"), ("400", "HTTP 400")])
def test_unusable_answers_are_failures_not_answers(fault, cause):
    with FaultServer(ANSWERS, {0: fault}) as server:
        model = model_for(server)
        assert ask(model, 0, 1) == [None, RECORDS[1]["response"]]
    assert model.usage["failures"] == 1 and model.usage["failure_causes"] == {cause: 1}
    assert model.usage["calls"] == 1 and model.usage["requests"] == 2  # not retried


def test_exhausted_retries_answer_none_and_count_every_request():
    with FaultServer(ANSWERS, {0: "500", 1: "500", 2: "500"}) as server:
        model = model_for(server, max_retries=2)
        assert ask(model, 0) == [None]
    assert model.usage["requests"] == 3 and dict(model.usage["retries"]) == {"HTTP 500": 2}
    assert model.usage["failure_causes"] == {"retries exhausted (HTTP 500)": 1}


def test_list_of_parts_is_joined_as_text():
    with FaultServer(ANSWERS, {0: "list"}) as server:
        model = model_for(server)
        assert ask(model, 0) == [RECORDS[0]["response"]]
    assert message_text([{"type": "text", "text": "a"}, {"type": "image_url", "image_url": {}}, "b"]) == "ab"
    assert message_text([{"type": "image_url"}]) is None and message_text(3) is None
    assert message_text("  ") is None


def test_no_network_call_at_construction():
    model = make_openai_chat(model="m", base_url="http://127.0.0.1:9/v1")  # nothing listens there
    assert model._pool is None and model.usage["requests"] == 0


def test_the_environment_proxy_is_used_for_a_remote_server(monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    with FaultServer(ANSWERS) as proxy:
        monkeypatch.setenv("http_proxy", proxy.url.rsplit("/v1", 1)[0])
        model = make_openai_chat(model="m", base_url="http://teacher.invalid/v1", api_key_env=None,
                                 concurrency=1, timeout=1.0, max_retries=0)
        assert ask(model, 0) == [RECORDS[0]["response"]]  # the unresolvable host was reached through the proxy
        monkeypatch.setenv("no_proxy", "teacher.invalid")
        assert proxy_for("http://teacher.invalid/v1") is None
    assert proxy_for("http://127.0.0.1:8000/v1") is None  # a local server is never proxied
