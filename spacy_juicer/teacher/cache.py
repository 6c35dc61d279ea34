"""A disk cache of LLM answers that makes long annotation runs resumable.

Keyed by the sha256 of (prompt, model name, model settings): a changed prompt, model or
temperature is a new key, a reordered corpus is not (spacy-llm's ``BatchCache`` keys a bag of
words and drops its last partial batch, see shared/STACK.md). Each answer is appended as one
JSON line and flushed at once, so a run killed at any moment loses at most the answer being
written; a torn last line is skipped when the cache is read again.
"""
from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple


def default_cache_path(identity: Dict[str, Any], prefix: str = "") -> Path:
    """The answers of one model and settings, in the user cache (``prefix`` keeps the answers
    of different jobs, e.g. ``describe-``, in files of their own)."""
    from .. import assets

    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return assets.cache_dir() / "answers" / f"{prefix}{digest}.jsonl"


def answer_key(prompt: str, identity: Dict[str, Any]) -> str:
    payload = json.dumps({"prompt": prompt, "model": identity}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf8")).hexdigest()


class AnswerCache:
    """``get(key)`` / ``put(key, answer)`` over an append-only JSONL file."""

    def __init__(self, path: Optional[Path]) -> None:
        self.path = Path(path) if path is not None else None
        self.answers: Dict[str, Optional[str]] = {}
        self.torn_lines = 0
        if self.path is not None and self.path.exists():
            with self.path.open(encoding="utf8") as handle:
                for line in handle:
                    try:
                        record = json.loads(line)
                        self.answers[record["key"]] = record["answer"]
                    except (ValueError, KeyError, TypeError):
                        self.torn_lines += 1
        self._handle = None

    def __contains__(self, key: str) -> bool:
        return key in self.answers

    def __len__(self) -> int:
        return len(self.answers)

    def get(self, key: str) -> Optional[str]:
        return self.answers.get(key)

    def put(self, key: str, answer: str) -> None:
        """Store a finished answer (failed calls are not cached: a rerun asks again)."""
        self.answers[key] = answer
        if self.path is None:
            return
        if self._handle is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._handle = self.path.open("a", encoding="utf8")
            if self._handle.tell() and self.torn_lines:
                self._handle.write("\n")  # never glue a new record to a torn one
        self._handle.write(json.dumps({"key": key, "answer": answer}, ensure_ascii=False) + "\n")
        self._handle.flush()
        os.fsync(self._handle.fileno())

    def close(self) -> None:
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def ask_cached(
    model: Any, prompts: Sequence[str], cache: AnswerCache, identity: Dict[str, Any]
) -> Tuple[List[Optional[str]], int]:
    """Answers to ``prompts`` (None where a call failed), asking ``model`` (a spacy-llm model:
    one list of prompts per doc) only for those not in ``cache``; returns (answers, calls)."""
    keys = [answer_key(prompt, identity) for prompt in prompts]
    missing = [i for i, key in enumerate(keys) if key not in cache]
    fresh: Dict[int, Optional[str]] = {}
    if missing:
        for i, answer in zip(missing, model([[prompts[i]] for i in missing])):
            text = next(iter(answer), None) if answer is not None else None
            fresh[i] = text
            if isinstance(text, str) and text.strip():  # a failed or blank answer is asked again
                cache.put(keys[i], text)
    return [fresh[i] if i in fresh else cache.get(key) for i, key in enumerate(keys)], len(missing)
