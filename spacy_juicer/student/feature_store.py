"""Frozen-encoder features, computed once and read back by every later epoch and run.

Why: knowledge pre-training reads each silver sentence many times. With the encoder frozen,
its outputs for a text never change, so the encoder needs to run once per text: later epochs
of KP, KF or a blend cost only the trainable head (``frozen_bi_encoder.py``).

The store is SQLite (one table: key, shape, float16 bytes): a crash loses at most the batch
being written, several runs may read and write it at once (WAL, busy timeout), and reads go
through SQLite's memory-mapped I/O. A key is a hash of the encoder's fingerprint (its name,
its weights, the window settings), the kind of row (sentence tokens or description pieces),
the text and, for sentences, the spaCy token boundaries (features are pooled per token). An
in-process dictionary keeps what was read, so a row is decoded once per run. Without a path
the store lives in memory only (a packaged pipeline at run time).
"""
from __future__ import annotations

import hashlib
import sqlite3
import threading
from pathlib import Path
from typing import Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

import numpy

PathLike = Union[str, Path]
_SCHEMA = "CREATE TABLE IF NOT EXISTS features (key TEXT PRIMARY KEY, rows INTEGER, cols INTEGER, data BLOB)"


class FeatureStoreError(RuntimeError):
    """A store file that cannot be read: the message says what to do."""


def feature_key(fingerprint: str, kind: str, text: str, boundaries: Sequence[int] = ()) -> str:
    """The key of one row set: everything that decides the features, and nothing else."""
    h = hashlib.sha1()
    for part in (fingerprint, kind, text, ",".join(map(str, boundaries))):
        h.update(part.encode("utf8"))
        h.update(b"\x00")
    return h.hexdigest()


class FeatureStore:
    """float16 feature arrays by key, on disk (``path``) or in memory only (``path=None``)."""

    def __init__(self, path: Optional[PathLike] = None, *, mmap_bytes: int = 1 << 30) -> None:
        self.path = Path(path) if path is not None else None
        self._memory: Dict[str, numpy.ndarray] = {}
        self._lock = threading.Lock()
        self._conn: Optional[sqlite3.Connection] = None
        self.hits = self.misses = self.writes = 0
        if self.path is not None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                conn = sqlite3.connect(str(self.path), timeout=60.0, check_same_thread=False)
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute(f"PRAGMA mmap_size={int(mmap_bytes)}")
                conn.execute(_SCHEMA)
                conn.commit()
            except sqlite3.DatabaseError as err:
                raise FeatureStoreError(
                    f"Feature store {self.path} cannot be read ({err}): it is not a spacy-juicer "
                    "feature store or it is damaged. Delete it: it is only a cache and is rebuilt."
                ) from None
            self._conn = conn

    def __len__(self) -> int:
        if self._conn is None:
            return len(self._memory)
        return int(self._conn.execute("SELECT COUNT(*) FROM features").fetchone()[0])

    def get_many(self, keys: Sequence[str]) -> Dict[str, numpy.ndarray]:
        """The stored arrays (float16) of ``keys`` that are present."""
        found = {k: self._memory[k] for k in keys if k in self._memory}
        todo = [k for k in dict.fromkeys(keys) if k not in found]
        if todo and self._conn is not None:
            with self._lock:
                for start in range(0, len(todo), 500):
                    chunk = todo[start : start + 500]
                    marks = ",".join("?" * len(chunk))
                    rows = self._conn.execute(
                        f"SELECT key, rows, cols, data FROM features WHERE key IN ({marks})", chunk
                    ).fetchall()
                    for key, n, m, data in rows:
                        found[key] = self._memory[key] = _decode(key, n, m, data, self.path)
        self.hits += len(found)
        self.misses += len([k for k in keys if k not in found])
        return found

    def put_many(self, items: Mapping[str, numpy.ndarray]) -> None:
        """Store ``items`` (converted to float16); keys already stored are left as they are."""
        arrays = {k: numpy.ascontiguousarray(v, dtype=numpy.float16) for k, v in items.items()}
        self._memory.update(arrays)
        if self._conn is None or not arrays:
            return
        with self._lock:
            self._conn.executemany(
                "INSERT OR IGNORE INTO features (key, rows, cols, data) VALUES (?, ?, ?, ?)",
                [(k, a.shape[0], a.shape[1] if a.ndim > 1 else 0, a.tobytes()) for k, a in arrays.items()],
            )
            self._conn.commit()
        self.writes += len(arrays)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def stats(self) -> Dict[str, int]:
        return {"hits": self.hits, "misses": self.misses, "writes": self.writes, "in_memory": len(self._memory)}


def _decode(key: str, rows: int, cols: int, data: bytes, path: Optional[Path]) -> numpy.ndarray:
    shape: Tuple[int, ...] = (rows, cols) if cols else (rows,)
    expected = int(numpy.prod(shape)) * 2
    if len(data) != expected:
        raise FeatureStoreError(
            f"Feature store {path}: row {key} holds {len(data)} bytes, {expected} expected. "
            "The file is damaged: delete it (it is only a cache and is rebuilt)."
        )
    return numpy.frombuffer(data, dtype=numpy.float16).reshape(shape)


def get_or_compute(
    store: FeatureStore,
    keys: Sequence[str],
    compute: Callable[[List[int]], Sequence[numpy.ndarray]],
) -> List[numpy.ndarray]:
    """The arrays of ``keys``, computing the missing ones at once with ``compute(indices)``
    (which returns one array per index) and storing them."""
    found = store.get_many(keys)
    missing = [i for i, k in enumerate(keys) if k not in found]
    if missing:
        fresh = compute(missing)
        store.put_many({keys[i]: array for i, array in zip(missing, fresh)})
        found.update({keys[i]: store._memory[keys[i]] for i in missing})  # the float16 copies stored
    return [found[k] for k in keys]
