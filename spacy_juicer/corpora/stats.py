"""Counts of what a conversion kept, dropped and repaired, per entity type.

Every converter fills one of these so that nothing is dropped silently: the command line
prints it, and tests compare it with the published corpus statistics.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List


class ConversionError(ValueError):
    """Malformed input: the message names the file and the line."""

    def __init__(self, path: object, line: int, message: str) -> None:
        self.path = str(path)
        self.line = line
        super().__init__(f"{path}:{line}: {message}")


@dataclass
class ConversionStats:
    """What a converter did. ``kept`` counts entities written to the DocBin (in ``doc.ents`` or
    only in ``doc.spans["gold"]`` when they overlap); the other counters are per type."""

    docs: int = 0
    skipped_docs: int = 0
    tokens: int = 0
    kept: Counter = field(default_factory=Counter)
    dropped: Counter = field(default_factory=Counter)  # mapped to "O" by the label map
    misaligned: Counter = field(default_factory=Counter)  # no spaCy-token span (alignment "strict")
    realigned: Counter = field(default_factory=Counter)  # span boundaries moved to tokens
    split: Counter = field(default_factory=Counter)  # mentions kept exact by splitting tokens
    overlapping: Counter = field(default_factory=Counter)  # kept in spans["gold"] only
    text_mismatch: Counter = field(default_factory=Counter)  # mention text != document slice
    crossing_sentences: Counter = field(default_factory=Counter)
    skipped_lines: int = 0  # e.g. PubTator relation lines
    split_tokens: int = 0  # tokens split at a mention boundary (alignment mode "split")
    notes: List[str] = field(default_factory=list)

    COUNTERS = (
        "kept",
        "dropped",
        "misaligned",
        "realigned",
        "split",
        "overlapping",
        "text_mismatch",
        "crossing_sentences",
    )

    @property
    def entities(self) -> int:
        return sum(self.kept.values())

    def merge(self, other: "ConversionStats") -> "ConversionStats":
        self.docs += other.docs
        self.skipped_docs += other.skipped_docs
        self.tokens += other.tokens
        self.skipped_lines += other.skipped_lines
        self.split_tokens += other.split_tokens
        for name in self.COUNTERS:
            getattr(self, name).update(getattr(other, name, None) or Counter())
        self.notes.extend(other.notes)
        return self

    def to_dict(self) -> Dict[str, object]:
        out: Dict[str, object] = {
            "docs": self.docs,
            "skipped_docs": self.skipped_docs,
            "tokens": self.tokens,
            "entities": self.entities,
            "skipped_lines": self.skipped_lines,
            "split_tokens": self.split_tokens,
        }
        for name in self.COUNTERS:
            out[name] = dict(sorted(getattr(self, name).items()))
        if self.notes:
            out["notes"] = list(self.notes)
        return out

    def summary(self) -> str:
        """A few human-readable lines: docs, then one line per type."""
        lines = [
            f"docs kept: {self.docs}, docs skipped: {self.skipped_docs}, tokens: {self.tokens}, "
            f"entities kept: {self.entities}, lines skipped: {self.skipped_lines}, "
            f"tokens split at mention boundaries: {self.split_tokens}"
        ]
        types = set()
        for name in self.COUNTERS:
            types.update(getattr(self, name))
        for label in sorted(types):
            parts = [
                f"{name}={getattr(self, name)[label]}"
                for name in self.COUNTERS
                if getattr(self, name)[label]
            ]
            lines.append(f"  {label}: " + ", ".join(parts))
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)
