"""Parse UniversalNER's list of ``("mention", "type")`` tuples, tolerant of near-JSON.

Pairs are read one by one with a regular expression rather than by loading the whole list, so
single or double quotes, brackets or parentheses, trailing commas, text around the list and a
list cut off mid-way all keep every complete pair.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ..spans import Mention, dedupe

_PAIR = re.compile(
    r"""[\[(]\s*(?P<q1>["'])(?P<mention>(?:\\.|(?!(?P=q1)).)+)(?P=q1)\s*,\s*"""
    r"""(?P<q2>["'])(?P<type>(?:\\.|(?!(?P=q2)).)+)(?P=q2)\s*[\])]"""
)
_CUT = re.compile(r"\n\s*(Passage|Text)\s*:", re.IGNORECASE)


def parse_tuples(answer: str) -> Tuple[List[Mention], str, Optional[str]]:
    text = _CUT.split(answer, maxsplit=1)[0]
    pairs = [(m.group("mention"), m.group("type")) for m in _PAIR.finditer(text)]
    mentions = dedupe((m.replace('\\"', '"'), t) for m, t in pairs)
    if mentions:
        return mentions, "ok", None
    if re.search(r"\[\s*\]", text):
        return [], "empty", None
    return [], "malformed", None
