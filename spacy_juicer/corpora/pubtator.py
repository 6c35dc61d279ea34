"""PubTator gold (``convert.read_docs`` makes the Docs): ``pmid|t|title``, ``pmid|a|abstract``, then one mention per
line ``pmid<TAB>start<TAB>end<TAB>text<TAB>type[<TAB>id...]`` with character offsets into
``title + " " + abstract``; relation lines (``pmid<TAB>CID<TAB>...``) are counted and skipped.
Each mention's text is checked against the document slice (mismatches are counted).
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator, List, Optional

from .spans import Mention, TextRecord
from .stats import ConversionError, ConversionStats

_HEADER = re.compile(r"^([^|\t]+)\|([ta])\|(.*)$")


class _Record:
    def __init__(self, pmid: str, line: int) -> None:
        self.pmid = pmid
        self.line = line
        self.title: Optional[str] = None
        self.abstract: Optional[str] = None
        self.mentions: List[Mention] = []
        self.skipped = 0  # relation lines

    @property
    def text(self) -> str:
        if self.abstract is None:
            return self.title or ""
        return f"{self.title or ''} {self.abstract}"


def read_records(path: Path) -> Iterator[_Record]:
    """Parse a PubTator file into records; malformed lines raise with file and line."""
    record: Optional[_Record] = None
    with path.open(encoding="utf8") as handle:
        for lineno, raw in enumerate(handle, 1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                if record is not None:
                    yield record
                record = None
                continue
            header = _HEADER.match(line)
            if header:
                pmid, kind, content = header.groups()
                if record is not None and record.pmid != pmid:
                    yield record
                    record = None
                if record is None:
                    record = _Record(pmid, lineno)
                if kind == "t":
                    record.title = content
                else:
                    record.abstract = content
                continue
            cols = line.split("\t")
            if record is None:
                raise ConversionError(path, lineno, "annotation line before any 'pmid|t|' line")
            if cols[0] != record.pmid:
                raise ConversionError(
                    path, lineno, f"annotation for {cols[0]!r} inside document {record.pmid!r}"
                )
            if len(cols) >= 5 and cols[1].isdigit() and cols[2].isdigit():
                start, end = int(cols[1]), int(cols[2])
                if not 0 <= start < end:
                    raise ConversionError(path, lineno, f"bad offsets {start}-{end}")
                record.mentions.append(Mention(start, end, cols[4].strip(), cols[3], lineno))
            elif len(cols) >= 3 and not cols[1].isdigit():
                record.skipped += 1  # a relation line, e.g. "pmid CID chemical disease"
            else:
                raise ConversionError(
                    path, lineno,
                    "expected 'pmid<TAB>start<TAB>end<TAB>text<TAB>type[<TAB>id]' or a relation "
                    f"line, got {line[:80]!r}",
                )
    if record is not None:
        yield record


def read_pubtator(path: Path, stats: ConversionStats) -> Iterator[TextRecord]:
    """Each abstract's text, mentions and PMID (relation lines are counted in ``stats``)."""
    for record in read_records(path):
        stats.skipped_lines += record.skipped
        if record.title is None and record.abstract is None:
            raise ConversionError(path, record.line, f"document {record.pmid} has no text")
        text = record.text
        for m in record.mentions:
            if m.end > len(text):
                raise ConversionError(
                    path, m.line, f"offset {m.end} is past the end of document {record.pmid} "
                    f"({len(text)} characters)"
                )
        yield text, record.mentions, record.pmid
