"""Parse JUICER's open answer: ``<domain>\\nNamed Entities: mention (Type), mention (Type)``.

Small models drift, so the parser is lenient and never raises: it cuts an invented next
example (``Context:``) or a blank line, reads ``X (ABBR) (Type)`` as two mentions of Type (the
last parenthesis is the type), drops numbering, bullets and quotes, ignores commentary after
an item, keeps the complete items of an answer that stopped mid-line, dedupes loops, and
accepts an answer that skipped the domain line (chat models often start with the list).
A blank line may stand between the domain and the list (only a blank line after the list
ends it); Markdown emphasis (``**mTOR**``) and code fences are dropped; ``(Type: Gene)`` is
the type ``Gene``; an answer that starts with a JSON object (read by ``json.raw_decode``)
takes its domain, and its entities when it has them, from that object.
"""
from __future__ import annotations

import json
import re
from typing import Any, Dict, List, Optional, Tuple

from ..spans import Mention, dedupe

MAX_ITEMS = 200
_CONTEXT = re.compile(r"\n\s*Context\s*:", re.IGNORECASE)
_BLANK = re.compile(r"\n\s*\n")
_FENCE = re.compile(r"^\s*```[\w-]*\s*$|^\s*json\s*$", re.IGNORECASE | re.MULTILINE)
_ENTITIES = re.compile(r"Named\s+Entit(?:y|ies)\s*:", re.IGNORECASE)
_NONE = re.compile(r"^\W*(none|n/?a|no (named )?entit(y|ies)( found)?|nothing)\W*$", re.IGNORECASE)
_BULLET = re.compile(r"^\s*(?:\d+\s*[.)\]:-]|[-*•·]|\(\d+\))\s*")
_EMPHASIS = re.compile(r"(\*{1,3}|_{2,3})(?=\S)(.+?)(?<=\S)\1")
_TYPE_PREFIX = re.compile(r"^(?:entity\s+)?(?:type|category|label|class)\s*[:=]\s*", re.IGNORECASE)
_DOMAIN_KEY = re.compile(r"domain", re.IGNORECASE)
_ENTITIES_KEY = re.compile(r"entit|mentions", re.IGNORECASE)
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


def _clean_type(label: str) -> str:
    return _TYPE_PREFIX.sub("", label.strip().strip(_QUOTES).strip()).strip().strip(_QUOTES).strip()


def parse_item(item: str) -> List[Mention]:
    item = _EMPHASIS.sub(r"\2", item)  # Markdown **bold** / *italics*
    item = _BULLET.sub("", item).strip().strip(_QUOTES).strip()
    match = _ITEM.match(item)
    if not match:
        return []
    mention = match.group("mention").strip().strip(_QUOTES).strip()
    label = _clean_type(match.group("type"))
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


def _json_mentions(value: Any) -> List[Mention]:
    """Mentions of a JSON entity list: a "mention (Type), ..." string, a list of such strings,
    of [mention, type] pairs or of {"mention"/"text"/"name"/"entity", "type"/"label"} objects,
    or a {type: [mentions]} object."""
    if isinstance(value, str):
        return _items(value)
    out: List[Mention] = []
    if isinstance(value, dict):
        for label, mentions in value.items():
            for mention in mentions if isinstance(mentions, list) else [mentions]:
                if isinstance(mention, str) and isinstance(label, str):
                    out.append((mention.strip(), _clean_type(label)))
        return dedupe(out)
    for item in value if isinstance(value, list) else []:
        if isinstance(item, str):
            out.extend(parse_item(item))
        elif isinstance(item, (list, tuple)) and len(item) == 2 and all(isinstance(x, str) for x in item):
            out.append((item[0].strip(), _clean_type(item[1])))
        elif isinstance(item, dict):
            mention = next((item[k] for k in ("mention", "text", "name", "entity", "span") if isinstance(item.get(k), str)), None)
            label = next((item[k] for k in ("type", "label", "category", "entity_type") if isinstance(item.get(k), str)), None)
            if mention and label:
                out.append((mention.strip(), _clean_type(label)))
    return dedupe(out[: MAX_ITEMS])


def _json_prefix(text: str) -> Tuple[Optional[Dict[str, Any]], str]:
    """(the JSON object the answer starts with, the rest), or (None, text)."""
    stripped = text.lstrip()
    if not stripped.startswith("{"):
        return None, text
    try:
        value, end = json.JSONDecoder().raw_decode(stripped)
    except ValueError:
        return None, text
    return (value, stripped[end:]) if isinstance(value, dict) else (None, text)


def _clean_domain(head: str, found: bool) -> Optional[str]:
    domain = re.sub(r"^\s*Domain\s*:\s*", "", head.strip(), flags=re.IGNORECASE).strip().strip(".").strip()
    domain = domain.strip(_QUOTES).strip() or None
    if domain and (len(domain) > 80 or "\n" in domain or (not found and len(domain.split()) > 6)):
        return None
    return domain


def parse_open_answer(answer: str) -> Tuple[List[Mention], str, Optional[str]]:
    """(mentions, status, domain) of an answer that continues the prompt after ``Domain:``."""
    text = answer.replace("\r\n", "\n").replace("**", "")
    text = _FENCE.sub("", text)
    text = _CONTEXT.split(text, maxsplit=1)[0].strip()
    data, text = _json_prefix(text)
    json_domain = None
    if data is not None:
        json_domain = next((str(v).strip() for k, v in data.items() if _DOMAIN_KEY.search(str(k)) and isinstance(v, str)), None)
        json_domain = _clean_domain(json_domain or "", True)
        entity_keys = [k for k in data if _ENTITIES_KEY.search(str(k))]
        if entity_keys:
            mentions = _json_mentions(data[entity_keys[0]])
            if mentions:
                return mentions, "ok", json_domain
            value = data[entity_keys[0]]
            if not value or (isinstance(value, str) and _NONE.match(value)):
                return [], "empty", json_domain
            return [], "malformed", json_domain
    found = _ENTITIES.search(text)
    if found:  # a blank line may stand between the domain and the list, not inside the list
        head, body = text[: found.start()], _BLANK.split(text[found.end() :].strip(), maxsplit=1)[0]
    else:
        text = _BLANK.split(text, maxsplit=1)[0]
        lines = text.split("\n", 1)
        head, body = lines[0], lines[1] if len(lines) > 1 else ""
        if _items(head):  # a chat model that skipped the domain line answers the list at once
            head, body = "", text
    domain = json_domain or _clean_domain(head, bool(found))
    body = body.strip()
    if not body or _NONE.match(body):
        return ([], "empty", domain) if found else ([], "malformed", json_domain)
    mentions = _items(body)
    if not mentions:
        return [], "malformed", domain if found else json_domain
    return mentions, "ok", domain
