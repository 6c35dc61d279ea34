"""JSONL gold: one ``{"text": ..., "entities": [[start, end, label], ...]}`` per line (the
derived InLegalNER file); ``"spans": [{"start", "end", "label"}, ...]`` (Prodigy style) is read
as well. An ``"id"`` field is kept in ``doc.user_data``. ``convert.read_docs`` makes the Docs."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Iterator, List

from .spans import Mention, TextRecord
from .stats import ConversionError, ConversionStats


def _mentions(record: dict, path: Path, lineno: int) -> List[Mention]:
    out: List[Mention] = []
    items = record.get("entities", record.get("spans", []))
    if not isinstance(items, list):
        raise ConversionError(path, lineno, "'entities' must be a list of [start, end, label]")
    for item in items:
        if isinstance(item, dict):
            start, end, label = item.get("start"), item.get("end"), item.get("label")
        elif isinstance(item, (list, tuple)) and len(item) >= 3:
            start, end, label = item[0], item[1], item[2]
        else:
            raise ConversionError(path, lineno, f"entity {item!r} is not [start, end, label]")
        if not (isinstance(start, int) and isinstance(end, int) and isinstance(label, str)):
            raise ConversionError(path, lineno, f"entity {item!r} is not [int, int, str]")
        if not 0 <= start < end <= len(record["text"]):
            raise ConversionError(path, lineno, f"entity {item!r} is outside the text")
        out.append(Mention(start, end, label.strip(), None, lineno))
    return out


def read_jsonl(path: Path, stats: ConversionStats) -> Iterator[TextRecord]:
    """Each line's text, mentions and id."""
    with path.open(encoding="utf8") as handle:
        for lineno, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise ConversionError(path, lineno, f"invalid JSON: {err}") from None
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise ConversionError(path, lineno, 'expected an object with a "text" string')
            yield record["text"], _mentions(record, path, lineno), record.get("id", f"{path.name}:{lineno}")
