"""What the student's layers keep in ``model.attrs`` between calls, and never save.

Thinc msgpacks every attr on ``to_bytes``; a cache filled by predictions would make the saved
bytes depend on what was predicted last (and load back as a plain dict). Thinc's
``serialize_attr``/``deserialize_attr`` hooks are registered here for every ``RunCache``: it
saves as empty bytes and loads as a fresh, empty cache of its own class, whatever was saved
(pipelines saved before this module existed included).
"""
from __future__ import annotations

from typing import Any, Dict, List, Tuple

from thinc.api import Model, deserialize_attr, serialize_attr


class RunCache:
    """Base of the caches in attrs: valid for one process, rebuilt on demand."""


@serialize_attr.register(RunCache)
def _serialize_cache(_: RunCache, value: RunCache, name: str, model: Model) -> bytes:
    return b""


@deserialize_attr.register(RunCache)
def _deserialize_cache(default: RunCache, value: Any, name: str, model: Model) -> RunCache:
    return type(default)()


class DescriptionCache(RunCache):
    """Word-piece ids of descriptions already seen (by text and length limit), and the
    tokenizer's sequence templates (by template class, with the id of their tokenizer)."""

    def __init__(self) -> None:
        self.ids: Dict[Tuple[str, int], List[int]] = {}
        self.templates: Dict[type, Tuple[int, Any]] = {}
