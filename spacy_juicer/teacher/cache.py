"""A disk cache of LLM answers that makes long annotation runs resumable.

Keyed by the sha256 of (prompt, model name, model settings): a changed prompt, model or
temperature is a new key, a reordered corpus is not (spacy-llm's ``BatchCache`` keys a bag of
words and drops its last partial batch, see shared/STACK.md). Only finished answers are
stored: a failed or blank answer is asked again by the next run.

Two stores, chosen by the file's suffix, with the same keys and answers:

- ``.jsonl`` (the default, and every cache written so far): one ``{"key", "answer"}`` line per
  answer, appended and fsynced at once, so a kill loses at most the answer being written.
  Each append holds a lock file (``filelock``) and first ends an unfinished last line, so a
  torn record never glues the next one onto itself, and shard workers may share the file;
  torn lines are skipped and counted on reading (two records glued by an older writer are
  both read) and dropped from the file before the next append.
- ``.sqlite`` / ``.db``: an SQLite table in WAL mode, for many workers writing at once.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

from filelock import FileLock

from .models.base import answer_text

SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
PathLike = Union[str, Path]


def default_cache_path(identity: Dict[str, Any], prefix: str = "") -> Path:
    """The answers of one model and settings, in the user cache (``prefix`` keeps the answers
    of different jobs, e.g. ``describe-``, in files of their own)."""
    from .. import assets

    digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()[:16]
    return assets.cache_dir() / "answers" / f"{prefix}{digest}.jsonl"


def answer_key(prompt: str, identity: Dict[str, Any]) -> str:
    payload = json.dumps({"prompt": prompt, "model": identity}, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf8")).hexdigest()


def read_jsonl_records(path: Path) -> Tuple[List[Tuple[str, str]], int]:
    """((key, answer) of every readable record, count of torn lines) of a JSONL cache."""
    decoder = json.JSONDecoder()
    records: List[Tuple[str, str]] = []
    torn = 0
    with Path(path).open(encoding="utf8", errors="replace") as handle:
        for line in handle:
            line = line.strip()
            pos, bad = 0, False
            while pos < len(line):  # a line may hold records glued by a lost newline
                try:
                    record, end = decoder.raw_decode(line, pos)
                except ValueError:
                    bad = True
                    break
                if isinstance(record, dict) and isinstance(record.get("key"), str) and isinstance(record.get("answer"), str):
                    if record["answer"].strip():  # a blank answer (older writers) is no answer
                        records.append((record["key"], record["answer"]))
                else:
                    bad = True
                pos = end
                while pos < len(line) and line[pos].isspace():
                    pos += 1
            torn += bad
    return records, torn


class JsonlAnswerCache:
    """``get(key)`` / ``put(key, answer)`` over an append-only JSONL file."""

    def __init__(self, path: Optional[PathLike]) -> None:
        self.path = Path(path) if path is not None else None
        self.answers: Dict[str, str] = {}
        self.torn_lines = 0
        if self.path is not None and self.path.exists():
            records, self.torn_lines = read_jsonl_records(self.path)
            self.answers.update(records)
        self._lock = FileLock(str(self.path) + ".lock") if self.path is not None else None

    def __contains__(self, key: str) -> bool:
        return key in self.answers

    def __len__(self) -> int:
        return len(self.answers)

    def get(self, key: str) -> Optional[str]:
        return self.answers.get(key)

    def items(self) -> Iterator[Tuple[str, str]]:
        return iter(self.answers.items())

    def put(self, key: str, answer: str) -> None:
        """Store a finished answer (failed calls are not cached: a rerun asks again)."""
        if not isinstance(answer, str):
            raise TypeError(f"A cached answer is a string, not {type(answer).__name__}.")
        self.answers[key] = answer
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = (json.dumps({"key": key, "answer": answer}, ensure_ascii=False) + "\n").encode("utf8")
        with self._lock:
            if self.torn_lines:
                self._drop_torn_lines()
            fd = os.open(self.path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                size = os.fstat(fd).st_size
                if size and os.pread(fd, 1, size - 1) != b"\n":
                    line = b"\n" + line  # never glue a record to an unfinished last line
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)

    def _drop_torn_lines(self) -> None:
        """Rewrite the file with its readable records only (under the lock; atomic)."""
        records, torn = read_jsonl_records(self.path)
        if torn:
            tmp = self.path.with_name(self.path.name + ".tmp")
            with tmp.open("w", encoding="utf8") as out:
                for key, answer in records:
                    out.write(json.dumps({"key": key, "answer": answer}, ensure_ascii=False) + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, self.path)
        self.torn_lines = 0

    def close(self) -> None:
        pass


class SqliteAnswerCache:
    """The same interface over an SQLite table in WAL mode (safe for concurrent workers)."""

    def __init__(self, path: PathLike) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.torn_lines = 0
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(self.path), timeout=60, check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute("CREATE TABLE IF NOT EXISTS answers (key TEXT PRIMARY KEY, answer TEXT NOT NULL)")

    def _one(self, sql: str, *args: Any) -> Any:
        with self._lock:
            return self._db.execute(sql, args).fetchone()

    def __contains__(self, key: str) -> bool:
        return self._one("SELECT 1 FROM answers WHERE key = ?", key) is not None

    def __len__(self) -> int:
        return int(self._one("SELECT COUNT(*) FROM answers")[0])

    def get(self, key: str) -> Optional[str]:
        row = self._one("SELECT answer FROM answers WHERE key = ?", key)
        return row[0] if row else None

    def items(self) -> Iterator[Tuple[str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT key, answer FROM answers ORDER BY rowid").fetchall()
        return iter(rows)

    def put(self, key: str, answer: str) -> None:
        if not isinstance(answer, str):
            raise TypeError("A cached answer is a string.")
        with self._lock:
            with self._db:  # one transaction
                self._db.execute("INSERT OR REPLACE INTO answers (key, answer) VALUES (?, ?)", (key, answer))

    def close(self) -> None:
        with self._lock:
            self._db.close()


def AnswerCache(path: Optional[PathLike]) -> Union[JsonlAnswerCache, SqliteAnswerCache]:  # noqa: N802
    """The cache at ``path``: SQLite for .sqlite/.db, JSONL otherwise (None: in memory)."""
    if path is not None and Path(path).suffix.lower() in SQLITE_SUFFIXES:
        return SqliteAnswerCache(path)
    return JsonlAnswerCache(path)


def ask_cached(
    model: Any, prompts: Sequence[str], cache: Any, identity: Dict[str, Any]
) -> Tuple[List[Optional[str]], int]:
    """Answers to ``prompts`` (None where a call failed), asking ``model`` (a spacy-llm model:
    one list of prompts per doc) only for those not in ``cache``; returns (answers, calls)."""
    keys = [answer_key(prompt, identity) for prompt in prompts]
    missing = [i for i, key in enumerate(keys) if key not in cache]
    fresh: Dict[int, Optional[str]] = {}
    if missing:
        for i, answer in zip(missing, model([[prompts[i]] for i in missing])):
            raw = next(iter(answer), None) if answer is not None else None
            text = raw if isinstance(raw, str) else answer_text(raw)  # never a Python repr
            fresh[i] = text
            if isinstance(text, str) and text.strip():  # a failed or blank answer is asked again
                cache.put(keys[i], text)
    return [fresh[i] if i in fresh else cache.get(key) for i, key in enumerate(keys)], len(missing)
