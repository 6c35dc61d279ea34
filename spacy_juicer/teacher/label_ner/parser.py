"""Parse a fixed-label answer: a dict ``{"LABEL": ["mention", ...], ...}`` (Huang et al.).

The dict may follow a chain of thought: the last ``Answer:`` line, else the last ``{...}``
block, is read, with JSON first and Python literals second (single quotes, trailing commas);
a dict cut off mid-way keeps its complete lists. Types outside the label set are dropped
(label matching ignores case), and a string value counts as a one-item list.
"""
from __future__ import annotations

import ast
import json
import re
from typing import Dict, List, Optional, Sequence, Tuple

from ..spans import Mention, dedupe

_ANSWER = re.compile(r"Answer\s*:", re.IGNORECASE)
_LIST_ITEM = re.compile(
    r"""(?P<q>["'])(?P<label>[^"']{1,60})(?P=q)\s*:\s*(?P<value>\[[^\]]*\]|"[^"]*"|'[^']*')"""
)


def _load(block: str) -> Optional[Dict]:
    for loader in (json.loads, ast.literal_eval):
        try:
            value = loader(block)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, dict):
            return value
    return None


def _salvage(text: str) -> Dict:
    """The complete ``"LABEL": [...]`` items of a broken or truncated dict."""
    out: Dict = {}
    for match in _LIST_ITEM.finditer(text):
        value = _load("{" + json.dumps(match.group("label")) + ": " + match.group("value") + "}")
        if value:
            out.update(value)
    return out


def parse_label_answer(answer: str, labels: Sequence[str]) -> Tuple[List[Mention], str, Optional[str]]:
    text = answer
    answers = list(_ANSWER.finditer(text))
    if answers:
        text = text[answers[-1].end() :]
    text = re.split(r"\n\s*Sentence\s*:", text, maxsplit=1)[0]
    start = text.find("{")
    if start < 0:
        return [], "malformed", None
    end = text.rfind("}")
    data = _load(text[start : end + 1]) if end > start else None
    if data is None:
        data = _salvage(text[start:])
    if not data and "}" not in text:
        return [], "malformed", None
    canonical = {label.lower(): label for label in labels}
    mentions: List[Mention] = []
    for key, values in data.items():
        label = canonical.get(str(key).strip().lower())
        if label is None:
            continue
        if isinstance(values, str):
            values = [values]
        if not isinstance(values, (list, tuple)):
            continue
        mentions.extend((str(v), label) for v in values if isinstance(v, (str, int, float)) and str(v).strip())
    mentions = dedupe(mentions)
    return mentions, ("ok" if mentions else "empty"), None
