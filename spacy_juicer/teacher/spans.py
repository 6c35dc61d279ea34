"""From an LLM's (mention, type) pairs to spans on the doc, and the record kept beside them.

LLMs answer with text, not offsets, so every occurrence of a mention in the sentence is
labelled (JUICER). Matches respect word boundaries ("ACE" does not match inside "ACE2"), try
the exact case first and then any case, and snap to spaCy tokens. Mentions that occur nowhere
stay in the record (``mentions``) so that the critic can count them as hallucinated.
"""
from __future__ import annotations

import re
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.tokens import Doc, Span, SpanGroup

from ..records import RAW_KEY, RECORD_KEY

STATUSES = ("ok", "empty", "malformed", "failed")

Mention = Tuple[str, str]


def find_occurrences(doc: Doc, mention: str) -> List[Tuple[int, int]]:
    """Token (start, end) of every occurrence of ``mention`` in ``doc.text``."""
    mention = mention.strip()
    if not mention:
        return []
    pattern = r"(?<!\w)" + re.escape(mention) + r"(?!\w)"
    hits = list(re.finditer(pattern, doc.text))
    if not hits:
        hits = list(re.finditer(pattern, doc.text, flags=re.IGNORECASE))
    out = []
    for hit in hits:
        span = doc.char_span(hit.start(), hit.end(), alignment_mode="expand")
        if span is not None and len(span) and (span.start, span.end) not in out:
            out.append((span.start, span.end))
    return out


def dedupe(mentions: Iterable[Mention]) -> List[Mention]:
    """Keep the first of each (mention, type) pair, case-insensitively: looping answers repeat."""
    seen = set()
    out = []
    for mention, label in mentions:
        key = (mention.strip().lower(), label.strip().lower())
        if key[0] and key[1] and key not in seen:
            seen.add(key)
            out.append((mention.strip(), label.strip()))
    return out


def write_annotation(
    doc: Doc,
    mentions: Sequence[Mention],
    *,
    status: str,
    raw: Optional[str],
    task: str,
    domain: Optional[str] = None,
    extra: Optional[Dict] = None,
) -> Doc:
    """Set ``doc.spans["llm_raw"]`` and ``doc.user_data["juicer"]`` (the raw-DocBin contract)."""
    if status not in STATUSES:
        raise ValueError(f"Unknown status {status!r}")
    spans: List[Span] = []
    seen = set()
    for mention, label in mentions:
        for start, end in find_occurrences(doc, mention):
            if (start, end, label) not in seen:
                seen.add((start, end, label))
                spans.append(Span(doc, start, end, label=label))
    spans.sort(key=lambda s: (s.start, s.end, s.label_))
    doc.spans[RAW_KEY] = SpanGroup(doc, name=RAW_KEY, spans=spans)
    record = dict(doc.user_data.get(RECORD_KEY, {}))
    record.update(
        {
            "domain": domain,
            "status": status,
            "raw": raw,
            "mentions": [[m, t] for m, t in mentions],
            "task": task,
        }
    )
    if extra:
        record.update(extra)
    doc.user_data[RECORD_KEY] = record
    return doc
