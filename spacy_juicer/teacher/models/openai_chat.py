"""``spacy_juicer.OpenAIChat.v1``: any OpenAI-compatible chat endpoint (vLLM, llama.cpp's server,
hosted APIs) as a spacy-llm model.

spacy-llm's own GPT models check credentials against the OpenAI host in their constructor,
which fails offline and against a local server; this one makes no network call until it is
asked something. The API key is read from an environment variable at call time and never
logged, cached or written to a run record.

HTTP is urllib3's: one pool manager (through ``HTTPS_PROXY``/``HTTP_PROXY`` unless
``NO_PROXY`` or a loopback host says otherwise), and ``urllib3.Retry`` retries 408/409/429/5xx answers,
connection and read errors with exponential backoff (``backoff`` s, doubling, with jitter) and
honours a ``Retry-After`` header (capped at ``max_wait`` s). ``timeout`` bounds each attempt as
a whole (connect, send, headers and body): a server that trickles bytes is cut off at the
deadline and the attempt is retried like any other read error. Requests run ``concurrency``
at a time in threads. An answer that is not usable (not JSON, no choices, an empty or
non-text content) is a failure, never an answer: the prompt answers ``None``, which the run
records as failed and never caches, so a rerun asks it again. ``usage`` counts prompts
answered (``calls``), HTTP ``requests``, ``retries`` by cause and ``failures`` by cause.
"""
from __future__ import annotations

import json
import logging
import os
import random
import socket
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, List, Optional, Tuple

import urllib3
from spacy_llm.registry import registry
from urllib.request import getproxies, proxy_bypass

from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import HTTPError, MaxRetryError
from urllib3.util.retry import Retry

from .base import answer_text as message_text, new_usage

logger = logging.getLogger(__name__)
RETRY_STATUS = frozenset({408, 409, 429, 500, 502, 503, 504})

_local = threading.local()  # the attempt log of the request running in this thread


class _Attempts:
    """What happened to the attempts of one prompt: causes of the failed ones, in order."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.causes: List[str] = []
        self.expired = False  # the watchdog cut the attempt in flight
        self.exhausted = False


def _cause(response: Any, error: Optional[Exception], attempts: Optional[_Attempts]) -> str:
    if error is not None:
        if attempts is not None and attempts.expired:
            attempts.expired = False
            return "deadline"
        return type(error).__name__
    return f"HTTP {response.status}" if response is not None else "unknown"


class _Retry(Retry):
    """``urllib3.Retry`` that logs each failed attempt's cause and caps ``Retry-After``."""

    attempts: Optional[_Attempts] = None
    max_wait: float = 60.0

    def new(self, **kw: Any) -> "_Retry":
        retry = super().new(**kw)
        retry.attempts, retry.max_wait = self.attempts, self.max_wait
        return retry

    def get_backoff_time(self) -> float:
        """``backoff`` before the first retry, doubling after (urllib3 retries the first at once)."""
        if not self.history:
            return 0.0
        value = self.backoff_factor * 2 ** (len(self.history) - 1) + random.random() * self.backoff_jitter
        return float(max(0.0, min(self.backoff_max, value)))

    def get_retry_after(self, response: Any) -> Optional[float]:
        value = super().get_retry_after(response)
        return None if value is None else min(value, self.max_wait)

    def increment(self, method=None, url=None, response=None, error=None, _pool=None, _stacktrace=None):
        if self.attempts is not None:
            self.attempts.causes.append(_cause(response, error, self.attempts))
        try:
            return super().increment(method, url, response, error, _pool, _stacktrace)
        except MaxRetryError:
            if self.attempts is not None:
                self.attempts.exhausted = True
            raise


class _DeadlineMixin:
    """A connection whose every request is cut (socket shut down) at its deadline: socket
    timeouts bound each read, not the request, so a server sending a byte a second would
    otherwise hold it for ever."""

    _watchdog: Optional[threading.Timer] = None
    _request_sock: Any = None

    def request(self, *args: Any, **kwargs: Any) -> None:
        self._stop_watchdog()
        attempts: Optional[_Attempts] = getattr(_local, "attempts", None)
        if attempts is not None:
            self._watchdog = threading.Timer(attempts.deadline, self._expire, (attempts,))
            self._watchdog.daemon = True
            self._watchdog.start()
        super().request(*args, **kwargs)  # type: ignore[misc]
        self._request_sock = self.sock  # type: ignore[attr-defined]

    def getresponse(self) -> Any:
        try:
            return super().getresponse()  # type: ignore[misc]  # the body is preloaded here
        finally:
            self._stop_watchdog()

    def close(self) -> None:
        self._stop_watchdog()
        super().close()  # type: ignore[misc]

    def _stop_watchdog(self) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        self._request_sock = None

    def _expire(self, attempts: _Attempts) -> None:
        sock = getattr(self, "sock", None) or self._request_sock
        if sock is not None:
            attempts.expired = True
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


class _DeadlineHTTPConnection(_DeadlineMixin, HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_DeadlineMixin, HTTPSConnection):
    pass


class _DeadlineHTTPPool(HTTPConnectionPool):
    ConnectionCls = _DeadlineHTTPConnection


class _DeadlineHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _DeadlineHTTPSConnection


LOOPBACK = ("localhost", "127.0.0.1", "::1", "[::1]")


def proxy_for(url: str) -> Optional[str]:
    """The proxy of ``url`` from the environment (``HTTPS_PROXY``, ``HTTP_PROXY``, ``NO_PROXY``,
    as requests and curl read them); a loopback server is always reached directly."""
    parsed = urllib3.util.parse_url(url)
    proxy = getproxies().get(parsed.scheme or "http")
    if not proxy or (parsed.host or "") in LOOPBACK or proxy_bypass(parsed.host or ""):
        return None
    return proxy


def _tokens(usage: Any, key: str) -> int:
    value = usage.get(key) if isinstance(usage, dict) else None
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value > 0 else 0


class OpenAIChat:
    def __init__(
        self,
        model: str,
        base_url: str,
        api_key_env: Optional[str],
        concurrency: int,
        timeout: float,
        max_retries: int,
        backoff: float,
        temperature: float,
        max_tokens: int,
        stop: List[str],
        system: Optional[str],
        price: Optional[Tuple[float, float]],
        max_wait: float = 60.0,
    ) -> None:
        if concurrency < 1 or max_retries < 0 or timeout <= 0 or max_wait < 0:
            raise ValueError("concurrency >= 1, max_retries >= 0, timeout > 0 and max_wait >= 0 are needed.")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.stop = list(stop)
        self.system = system
        self.price = tuple(price) if price else None
        self.name = f"openai-chat:{self.base_url}:{model}"
        self.usage: Dict[str, Any] = {**new_usage(), "requests": 0, "retries": Counter(), "failure_causes": Counter()}
        self._lock = threading.Lock()
        self._pool: Any = None  # made on first use: no network, no socket at construction

    def settings(self) -> Dict[str, Any]:
        return {
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "stop": self.stop,
            "system": self.system,
        }

    def _headers(self) -> Dict[str, str]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env) if self.api_key_env else None
        if key:
            headers["Authorization"] = f"Bearer {key}"
        return headers

    @property
    def pool(self) -> Any:
        """urllib3's pool manager (through the environment's proxy, if any), made on first use."""
        with self._lock:
            if self._pool is None:
                options = dict(num_pools=2, maxsize=self.concurrency, block=False,
                               timeout=urllib3.Timeout(connect=self.timeout, read=self.timeout))
                proxy = proxy_for(self.base_url)
                manager = urllib3.ProxyManager(proxy, **options) if proxy else urllib3.PoolManager(**options)
                manager.pool_classes_by_scheme = {"http": _DeadlineHTTPPool, "https": _DeadlineHTTPSPool}
                self._pool = manager
            return self._pool

    def _retry(self, attempts: _Attempts) -> _Retry:
        retry = _Retry(
            total=self.max_retries, connect=None, read=None, status=None, other=None, redirect=0,
            status_forcelist=RETRY_STATUS, allowed_methods=None, backoff_factor=self.backoff,
            backoff_jitter=self.backoff * 0.1, backoff_max=max(self.max_wait, self.backoff),
            raise_on_status=False, raise_on_redirect=False, respect_retry_after_header=True,
        )
        retry.attempts, retry.max_wait = attempts, self.max_wait
        return retry

    def _body(self, prompt: str) -> bytes:
        messages = [{"role": "user", "content": prompt}]
        if self.system:
            messages.insert(0, {"role": "system", "content": self.system})
        body: Dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.stop:
            body["stop"] = self.stop
        return json.dumps(body).encode("utf8")

    def _request(self, prompt: str, attempts: _Attempts) -> Tuple[Optional[str], Optional[str], Dict]:
        """(answer, failure cause, usage) of one prompt; never raises for what a server does."""
        _local.attempts = attempts
        try:
            response = self.pool.urlopen(
                "POST", f"{self.base_url}/chat/completions", body=self._body(prompt), headers=self._headers(),
                retries=self._retry(attempts), preload_content=True, redirect=False,
            )
        except MaxRetryError as err:
            return None, f"retries exhausted ({attempts.causes[-1] if attempts.causes else type(err.reason).__name__})", {}
        except (HTTPError, OSError) as err:
            return None, type(err).__name__, {}
        finally:
            _local.attempts = None
        if attempts.exhausted:
            return None, f"retries exhausted ({attempts.causes[-1]})", {}
        if response.status != 200:
            logger.warning("%s answered HTTP %s; not retried", self.base_url, response.status)
            return None, f"HTTP {response.status}", {}
        try:
            data = json.loads(response.data.decode("utf8"))
        except (ValueError, UnicodeDecodeError):
            return None, "not JSON", {}
        try:
            content = data["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            return None, "no message content", {}
        text = message_text(content)
        usage = data.get("usage") if isinstance(data, dict) else None
        if text is None:
            cause = "empty content" if content is None or isinstance(content, (str, list)) else "non-text content"
            return None, cause, usage or {}
        return text, None, usage or {}

    def complete(self, prompt: str) -> Optional[str]:
        start = time.perf_counter()
        attempts = _Attempts(self.timeout)
        try:
            text, failure, usage = self._request(prompt, attempts)
        except Exception as err:  # a bug must cost one prompt, not the batch's answers
            logger.exception("OpenAIChat: unexpected error")
            text, failure, usage = None, f"error: {type(err).__name__}", {}
        with self._lock:
            self.usage["requests"] += len(attempts.causes) + (0 if attempts.exhausted else 1)
            retried = attempts.causes[:-1] if attempts.exhausted else attempts.causes
            self.usage["retries"].update(retried)
            self.usage["input_tokens"] += _tokens(usage, "prompt_tokens")
            self.usage["output_tokens"] += _tokens(usage, "completion_tokens")
            self.usage["seconds"] += time.perf_counter() - start
            if text is None:
                self.usage["failures"] += 1
                self.usage["failure_causes"][failure or "unknown"] += 1
            else:
                self.usage["calls"] += 1
        if failure:
            logger.info("%s: prompt failed (%s)", self.base_url, failure)
        return text

    def __call__(self, prompts: Iterable[Iterable[str]]) -> Iterable[Iterable[Optional[str]]]:
        nested = [list(doc_prompts) for doc_prompts in prompts]
        flat = [prompt for doc_prompts in nested for prompt in doc_prompts]
        with ThreadPoolExecutor(max_workers=self.concurrency) as pool:
            answers = list(pool.map(self.complete, flat))
        out, i = [], 0
        for doc_prompts in nested:
            out.append(answers[i : i + len(doc_prompts)])
            i += len(doc_prompts)
        return out


@registry.llm_models("spacy_juicer.OpenAIChat.v1")
def make_openai_chat(
    model: str,
    base_url: str = "https://api.openai.com/v1",
    api_key_env: Optional[str] = "OPENAI_API_KEY",
    concurrency: int = 4,
    timeout: float = 60.0,
    max_retries: int = 5,
    backoff: float = 1.0,
    temperature: float = 0.0,
    max_tokens: int = 256,
    stop: List[str] = ["\n\nContext:", "\nContext:"],
    system: Optional[str] = None,
    price: Optional[List[float]] = None,
    max_wait: float = 60.0,
) -> OpenAIChat:
    """model: the served model's name; base_url: e.g. http://localhost:8000/v1 for vLLM;
    api_key_env: the environment variable holding the key (none needed for a local server);
    concurrency: requests in flight; timeout: seconds one attempt may take in all;
    max_retries: retries per prompt; backoff: the first retry's wait (doubling after);
    max_wait: the longest Retry-After honoured; price: [USD per 1k input, per 1k output tokens]."""
    return OpenAIChat(
        model, base_url, api_key_env, concurrency, timeout, max_retries, backoff,
        temperature, max_tokens, stop, system, tuple(price) if price else None, max_wait,
    )
