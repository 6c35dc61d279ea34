"""``spacy_juicer.OpenAIChat.v1``: any OpenAI-compatible chat endpoint (vLLM, llama.cpp's server,
hosted APIs) as a spacy-llm model.

spacy-llm's own GPT models check credentials against the OpenAI host in their constructor,
which fails offline and against a local server; this one makes no network call until it is
asked something. The API key is read from an environment variable at call time and never
logged, cached or written to a run record. Requests run N at a time in threads; 429 and 5xx
answers and connection errors are retried with exponential backoff; a prompt that still fails
answers ``None`` (recorded as a failure by the run), so one bad request never ends a long run.
"""
from __future__ import annotations

import logging
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Dict, Iterable, List, Optional, Tuple

from spacy_llm.registry import registry

from .base import new_usage

logger = logging.getLogger(__name__)
RETRY_STATUS = {408, 409, 429, 500, 502, 503, 504}


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
    ) -> None:
        if concurrency < 1 or max_retries < 0 or timeout <= 0:
            raise ValueError("concurrency >= 1, max_retries >= 0 and timeout > 0 are needed.")
        self.model = model
        self.base_url = base_url.rstrip("/")
        self.api_key_env = api_key_env
        self.concurrency = concurrency
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff = backoff
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.stop = list(stop)
        self.system = system
        self.price = tuple(price) if price else None
        self.name = f"openai-chat:{self.base_url}:{model}"
        self.usage = new_usage()

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

    def complete(self, prompt: str) -> Optional[str]:
        import requests

        messages = [{"role": "user", "content": prompt}]
        if self.system:
            messages.insert(0, {"role": "system", "content": self.system})
        body = {
            "model": self.model,
            "messages": messages,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if self.stop:
            body["stop"] = self.stop
        start = time.perf_counter()
        for attempt in range(self.max_retries + 1):
            try:
                response = requests.post(
                    f"{self.base_url}/chat/completions", json=body, headers=self._headers(), timeout=self.timeout
                )
            except requests.RequestException as err:
                reason = type(err).__name__
            else:
                if response.status_code == 200:
                    try:
                        data = response.json()
                        text = data["choices"][0]["message"]["content"]
                    except (ValueError, KeyError, IndexError, TypeError):
                        reason = "malformed response body"
                    else:
                        usage = data.get("usage") or {}
                        self.usage["calls"] += 1
                        self.usage["input_tokens"] += int(usage.get("prompt_tokens", 0))
                        self.usage["output_tokens"] += int(usage.get("completion_tokens", 0))
                        self.usage["seconds"] += time.perf_counter() - start
                        return text
                elif response.status_code in RETRY_STATUS:
                    reason = f"HTTP {response.status_code}"
                else:
                    logger.warning("%s answered HTTP %s; not retried", self.base_url, response.status_code)
                    break
            if attempt < self.max_retries:
                delay = self.backoff * (2**attempt) * (1 + random.random() * 0.1)
                logger.info("%s: %s, retry %d in %.1f s", self.base_url, reason, attempt + 1, delay)
                time.sleep(delay)
        self.usage["failures"] += 1
        self.usage["seconds"] += time.perf_counter() - start
        return None

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
) -> OpenAIChat:
    """model: the served model's name; base_url: e.g. http://localhost:8000/v1 for vLLM;
    api_key_env: the environment variable holding the key (none needed for a local server);
    concurrency: requests in flight; price: [USD per 1k input, per 1k output tokens]."""
    return OpenAIChat(
        model, base_url, api_key_env, concurrency, timeout, max_retries, backoff,
        temperature, max_tokens, stop, system, tuple(price) if price else None,
    )
