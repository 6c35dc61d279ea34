"""``spacy_juicer.OpenAIChat.v1``: any OpenAI-compatible chat endpoint (vLLM, llama.cpp's server,
hosted APIs) as a spacy-llm model, on the official ``openai`` client.

Why not spacy-llm's own GPT models: they check credentials against OpenAI's host when they are
built, which fails offline and against a local server. This model builds its client on the
first prompt that is not in the answer cache, so a fully cached rerun needs no server and no key.

The client does the HTTP: ``max_retries`` retries of connection errors, timeouts, 408/409/429
and 5xx answers with exponential backoff (0.5 s, doubling up to 8 s, with jitter), honouring a
server's ``Retry-After`` / ``retry-after-ms`` up to two minutes (a longer one is not retried),
and the proxy of ``HTTPS_PROXY``/``HTTP_PROXY``/``NO_PROXY`` (a loopback server is always
reached directly). This model adds what an annotation run needs:

- ``concurrency`` prompts in flight, on a thread pool sharing one client;
- ``timeout`` as a deadline on each attempt's answer, not only on each read, so a server that
  trickles bytes is cut off and the attempt retried;
- counts of HTTP ``requests``, ``retries`` by cause and ``failure_causes`` (httpx event hooks
  see every attempt), tokens in and out from the answers' ``usage``;
- an answer that is not usable (not JSON, no choices, empty or non-text content) is a failure,
  never an answer: the prompt answers ``None``, which the run records as failed and never
  caches, so a rerun asks it again. Each failure is logged with the server's URL;
- a server that cannot be used at all (every prompt of a batch unreachable, refused with
  401/403/404, or failed after all its retries, e.g. timed out) stops the run with an
  ``OpenAIServerError`` that names it and says what to check; every answer received before
  is already in the answer cache, so the next run resumes there. A prompt that fails alone
  (an unusable answer, a 400) costs only itself.

The API key is read from the environment variable named by ``api_key_env`` when the client is
built. It is never logged and never part of ``name`` or ``settings()``, which go into the cache
key and the run record.
"""
from __future__ import annotations

import logging
import os
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, Iterator, List, Optional, Tuple
from urllib.parse import urlsplit

from spacy_llm.registry import registry

from .base import answer_text, new_usage

logger = logging.getLogger(__name__)

LOOPBACK = frozenset({"localhost", "127.0.0.1", "::1"})
FATAL_STATUS = {401: "the server refused the API key", 403: "the server refused the API key",
                404: "no such endpoint or model: check base_url (it usually ends in /v1) and model"}
NO_KEY = "EMPTY"  # sent when api_key_env is null: what a server started without a key accepts
DEADLINE = "deadline"

_local = threading.local()  # the attempts of the prompt this thread is asking


class OpenAIServerError(ValueError):
    """The server cannot be used at all: unreachable, refuses the key, lacks the model, or
    fails every prompt after all retries."""


class _Attempts:
    """The HTTP attempts of one prompt, seen through httpx's event hooks and httpcore's trace:
    one cause per attempt (None: answered with a success status)."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.causes: List[Optional[str]] = []
        self.deadline = 0.0
        self._failed = False

    def start(self) -> None:
        self.causes.append("no response")
        self.deadline = time.monotonic() + self.timeout
        self._failed = False

    def answered(self, status: int) -> None:
        self.causes[-1] = f"HTTP {status}" if status >= 400 else None

    def cut(self) -> None:
        self.causes[-1], self._failed = DEADLINE, True

    def trace(self, event: str, info: Dict[str, Any]) -> None:
        """httpcore's ``trace`` extension: the exception of a failed connect, send or read."""
        if event.endswith(".failed") and not self._failed and self.causes:
            self.causes[-1], self._failed = type(info.get("exception")).__name__, True


def _deadline_stream(httpx: Any) -> Any:
    class DeadlineStream(httpx.SyncByteStream):
        """The body of one answer, cut at the attempt's deadline (a read timeout bounds each
        read only, so a byte a second would otherwise hold the prompt for ever)."""

        def __init__(self, stream: Any, attempts: _Attempts, request: Any) -> None:
            self._stream, self._attempts, self._request = stream, attempts, request

        def __iter__(self) -> Iterator[bytes]:
            for chunk in self._stream:
                if time.monotonic() > self._attempts.deadline:
                    self._attempts.cut()
                    raise httpx.ReadTimeout(f"no whole answer within {self._attempts.timeout} s", request=self._request)
                yield chunk

        def close(self) -> None:
            self._stream.close()

        @property
        def elapsed(self) -> Any:
            return getattr(self._stream, "elapsed", None)

    return DeadlineStream


def _tokens(usage: Any, key: str) -> int:
    value = getattr(usage, key, None)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else 0


def is_loopback(url: str) -> bool:
    return (urlsplit(url).hostname or "") in LOOPBACK


class OpenAIChat:
    """A spacy-llm model: ``__call__(prompts) -> answers``, one chat completion per prompt."""

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key_env: Optional[str],
        concurrency: int,
        timeout: float,
        max_retries: int,
        temperature: float,
        max_tokens: int,
        stop: List[str],
        system: Optional[str],
        price: Optional[Tuple[float, float]],
    ) -> None:
        if concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ValueError("OpenAIChat needs concurrency >= 1, max_retries >= 0 and timeout > 0.")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env or None
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.stop = list(stop)
        self.system = system
        self.price = tuple(price) if price else None
        self.name = f"openai-chat:{self.base_url}:{model}"
        self.usage: Dict[str, Any] = {**new_usage(), "requests": 0, "retries": Counter(), "failure_causes": Counter()}
        self._lock = threading.Lock()
        self._client: Any = None  # made on first use: no network, no key needed at construction

    def settings(self) -> Dict[str, Any]:
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "stop": self.stop, "system": self.system}

    def _api_key(self) -> str:
        if self.api_key_env is None:
            return NO_KEY
        key = os.environ.get(self.api_key_env, "").strip()
        if not key:
            raise OpenAIServerError(
                f"{self.base_url}: the API key's environment variable {self.api_key_env} is not set. "
                f"Set it, or set api_key_env = null in the [model] block for a server that needs no key."
            )
        return key

    @property
    def client(self) -> Any:
        """The ``openai.OpenAI`` client, made on first use (a missing key fails here, clearly)."""
        with self._lock:
            if self._client is None:
                import httpx2
                import openai

                stream_cls = _deadline_stream(httpx2)

                def on_request(request: Any) -> None:
                    attempts: Optional[_Attempts] = getattr(_local, "attempts", None)
                    if attempts is not None:
                        attempts.start()
                        request.extensions = {**request.extensions, "trace": attempts.trace}

                def on_response(response: Any) -> None:
                    attempts: Optional[_Attempts] = getattr(_local, "attempts", None)
                    if attempts is not None:
                        attempts.answered(response.status_code)
                        response.stream = stream_cls(response.stream, attempts, response.request)

                http_client = openai.DefaultHttpxClient(
                    trust_env=not is_loopback(self.base_url),  # no proxy for a local server
                    event_hooks={"request": [on_request], "response": [on_response]},
                )
                self._client = openai.OpenAI(
                    base_url=self.base_url, api_key=self._api_key(), max_retries=self.max_retries,
                    timeout=self.timeout, http_client=http_client,
                )
            return self._client

    def _messages(self, prompt: str) -> List[Dict[str, str]]:
        messages = [{"role": "user", "content": prompt}]
        if self.system:
            messages.insert(0, {"role": "system", "content": self.system})
        return messages

    def _ask(self, prompt: str, attempts: _Attempts) -> Tuple[Optional[str], Optional[str], bool, Any]:
        """(answer, failure cause, whether the server is unusable, usage) of one prompt; never
        raises for what a server does."""
        import openai

        options: Dict[str, Any] = {"model": self.model, "messages": self._messages(prompt),
                                   "temperature": self.temperature, "max_tokens": self.max_tokens}
        if self.stop:
            options["stop"] = self.stop
        _local.attempts = attempts
        try:
            completion = self.client.chat.completions.create(**options)
        except openai.APIStatusError as err:
            status = err.status_code
            retried = status in (408, 409, 429) or status >= 500
            exhausted = retried and len(attempts.causes) > self.max_retries
            cause = f"retries exhausted (HTTP {status})" if exhausted else f"HTTP {status}"
            return None, cause, exhausted or status in FATAL_STATUS, None
        except openai.APIConnectionError as err:  # APITimeoutError is one; raised once retries are spent
            last = (attempts.causes[-1] if attempts.causes else None) or type(err).__name__
            return None, f"retries exhausted ({last})", True, None
        except ValueError:  # the body of a success status is not JSON
            return None, "not JSON", False, None
        finally:
            _local.attempts = None
        choices = getattr(completion, "choices", None)
        if not isinstance(choices, list):  # a non-JSON content type comes back as text
            return None, "not JSON", False, None
        if not choices:
            return None, "no choices", False, getattr(completion, "usage", None)
        content = getattr(getattr(choices[0], "message", None), "content", None)
        text = answer_text(content)
        if text is None:
            cause = "empty content" if content is None or isinstance(content, (str, list)) else "non-text content"
            return None, cause, False, completion.usage
        return text, None, False, completion.usage

    def complete(self, prompt: str) -> Tuple[Optional[str], Optional[str], bool]:
        """(answer or None, failure cause, whether the server is unusable) of one prompt."""
        start = time.perf_counter()
        attempts = _Attempts(self.timeout)
        try:
            text, failure, fatal, usage = self._ask(prompt, attempts)
        except OpenAIServerError:
            raise
        except Exception as err:  # a bug must cost one prompt, not the batch's answers
            logger.exception("%s: unexpected error", self.base_url)
            text, failure, fatal, usage = None, f"error: {type(err).__name__}", False, None
        with self._lock:
            self.usage["requests"] += len(attempts.causes)
            self.usage["retries"].update(cause or "unknown" for cause in attempts.causes[:-1])
            self.usage["input_tokens"] += _tokens(usage, "prompt_tokens")
            self.usage["output_tokens"] += _tokens(usage, "completion_tokens")
            self.usage["seconds"] += time.perf_counter() - start
            if text is None:
                self.usage["failures"] += 1
                self.usage["failure_causes"][failure or "unknown"] += 1
            else:
                self.usage["calls"] += 1
        if failure:
            logger.warning("%s (model %s): prompt failed: %s", self.base_url, self.model, failure)
        return text, failure, fatal

    def __call__(self, prompts: Iterable[Iterable[str]]) -> List[List[Optional[str]]]:
        nested = [list(doc_prompts) for doc_prompts in prompts]
        flat = [prompt for doc_prompts in nested for prompt in doc_prompts]
        if flat:
            self.client  # noqa: B018  (a missing key stops the run before any request)
        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(flat)))) as pool:
            results = list(pool.map(self.complete, flat))
        if results and all(text is None and unusable for text, _, unusable in results):
            raise OpenAIServerError(self._unusable(results[0][1] or "unknown"))
        out, i = [], 0
        for doc_prompts in nested:
            out.append([text for text, _, _ in results[i : i + len(doc_prompts)]])
            i += len(doc_prompts)
        return out

    def _unusable(self, cause: str) -> str:
        status = next((s for s in FATAL_STATUS if f"HTTP {s}" in cause), None)
        if status in (401, 403) and self.api_key_env:
            hint = f"{FATAL_STATUS[status]}: check the key in ${self.api_key_env}"
        elif status is not None:
            hint = FATAL_STATUS[status]
        elif "ConnectError" in cause:
            hint = "is the server running, and is base_url right?"
        elif "Timeout" in cause or DEADLINE in cause:
            hint = (f"no whole answer within timeout = {self.timeout} s: raise timeout in the [model] block, "
                    "or lower concurrency for a busy server")
        else:
            hint = "the server's own log says why"
        return (f"The teacher server {self.base_url} (model {self.model!r}) failed every prompt of a batch "
                f"({cause}): {hint}. Every answer received before is in the answer cache: run again to resume.")


@registry.llm_models("spacy_juicer.OpenAIChat.v1")
def make_openai_chat(
    model: str,
    base_url: str = "https://api.openai.com/v1",
    api_key_env: Optional[str] = "OPENAI_API_KEY",
    concurrency: int = 4,
    timeout: float = 60.0,
    max_retries: int = 5,
    temperature: float = 0.0,
    max_tokens: int = 256,
    stop: List[str] = ["\n\nContext:", "\nContext:"],
    system: Optional[str] = None,
    price: Optional[List[float]] = None,
) -> OpenAIChat:
    """model: the served model's name; base_url: e.g. http://localhost:8000/v1 for vLLM;
    api_key_env: the environment variable holding the key (null: a server that needs none);
    concurrency: prompts in flight; timeout: seconds one attempt's whole answer may take;
    max_retries: retries per prompt (the client's backoff, Retry-After honoured);
    price: [USD per 1k input tokens, USD per 1k output tokens] for the run record's cost."""
    if price is not None and (len(price) != 2 or any(p < 0 for p in price)):
        raise ValueError(f"OpenAIChat price is [USD per 1k input tokens, USD per 1k output tokens], not {price}.")
    return OpenAIChat(
        model=model, base_url=base_url, api_key_env=api_key_env, concurrency=concurrency, timeout=timeout,
        max_retries=max_retries, temperature=temperature, max_tokens=max_tokens, stop=stop, system=system,
        price=price,
    )
