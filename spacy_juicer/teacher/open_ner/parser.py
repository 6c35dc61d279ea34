"""Parse JUICER's open answer: ``<domain>\\nNamed Entities: mention (Type), mention (Type)``.

Small models drift, so the parser is lenient and never raises: it cuts an invented next
example (``Context:``) or a blank line, reads ``X (ABBR) (Type)`` as two mentions of Type (the
last parenthesis is the type), drops numbering, bullets and quotes, ignores commentary after
an item, keeps the complete items of an answer that stopped mid-line, dedupes loops, and
accepts an answer that skipped the domain line (chat models often start with the list).
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple

from ..spans import Mention, dedupe

MAX_ITEMS = 200
_CUT = re.compile(r"\n\s*\n|\n\s*Context\s*:", re.IGNORECASE)
_ENTITIES = re.compile(r"Named\s+Entit(?:y|ies)\s*:", re.IGNORECASE)
_NONE = re.compile(r"^\W*(none|n/?a|no (named )?entit(y|ies)( found)?|nothing)\W*$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:\d+\s*[.)\]:-]|[-*•·]|\(\d+\))\s*")
_ITEM = re.compile(
    r"^(?P<mention>[^()]+?)\s*(?:\((?P<abbr>[^()]{1,30})\)\s*)?\((?P<type>[^()]{1,80})\)"
)
_QUOTES = "\"'“”‘’`"


def split_items(text: str) -> List[str]:
    """Split on commas, semicolons and newlines that are not inside parentheses."""
    items, depth, current = [], 0, []
    for char in text:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        if depth == 0 and char in ",;\n":
            items.append("".join(current))
            current = []
        else:
            current.append(char)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def parse_item(item: str) -> List[Mention]:
    item = _BULLET.sub("", item).strip().strip(_QUOTES).strip()
    match = _ITEM.match(item)
    if not match:
        return []
    mention = match.group("mention").strip().strip(_QUOTES).strip()
    label = match.group("type").strip().strip(_QUOTES).strip()
    if not mention or not label or _NONE.match(mention):
        return []
    out = [(mention, label)]
    abbr = (match.group("abbr") or "").strip().strip(_QUOTES)
    if abbr and abbr.lower() != label.lower():
        out.append((abbr, label))
    return out


def _items(text: str) -> List[Mention]:
    mentions: List[Mention] = []
    for item in split_items(text)[:MAX_ITEMS]:
        mentions.extend(parse_item(item))
    return dedupe(mentions)


def parse_open_answer(answer: str) -> Tuple[List[Mention], str, Optional[str]]:
    """(mentions, status, domain) of an answer that continues the prompt after ``Domain:``."""
    text = _CUT.split(answer.replace("\r\n", "\n").strip(), maxsplit=1)[0]
    found = _ENTITIES.search(text)
    if found:
        head, body = text[: found.start()], text[found.end() :]
    else:
        lines = text.split("\n", 1)
        head, body = lines[0], lines[1] if len(lines) > 1 else ""
        if _items(head):  # a chat model that skipped the domain line answers the list at once
            head, body = "", text
    domain = re.sub(r"^\s*Domain\s*:\s*", "", head.strip(), flags=re.IGNORECASE).strip().strip(".") or None
    if domain and (len(domain) > 80 or (not found and len(domain.split()) > 6)):
        domain = None
    body = body.strip()
    if not body or _NONE.match(body):
        return ([], "empty", domain) if found else ([], "malformed", None)
    mentions = _items(body)
    if not mentions:
        return [], "malformed", domain if found else None
    return mentions, "ok", domain
