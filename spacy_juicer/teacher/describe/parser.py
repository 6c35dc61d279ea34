"""Clean an LLM's description answer into one paragraph.

Small models run on: they invent the next "Question:", add a blank line and commentary, or stop
mid-sentence at the token limit. The cleaner keeps the first paragraph, joins its lines, cuts
an invented follow-up and drops an unfinished last sentence when a finished one precedes it.
It never raises: an answer with nothing left is ``None`` (status "empty").
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Iterable, List, Optional

from spacy.tokens import Doc

if TYPE_CHECKING:
    from .task import DescribeTask

_LEAD = re.compile(r"^\s*(?:Answer|A)\s*:\s*", re.IGNORECASE)
_CUT = re.compile(r"\n\s*\n|(?:^|\s)(?:Question|Q)\s*:|\n\s*(?:Context|Domain|Note)\s*:", re.IGNORECASE)
_END = ".!?)\"'”’"


def clean_description(answer: Optional[str], max_words: int = 120) -> Optional[str]:
    """One paragraph of at most ``max_words`` words, or None."""
    if answer is None:
        return None
    text = _LEAD.sub("", answer.replace("\r\n", "\n").strip())
    text = _CUT.split(text, maxsplit=1)[0]
    words = text.split()
    if max_words and len(words) > max_words:
        words = words[:max_words]
    text = " ".join(words).strip()
    if text and text[-1] not in _END:
        cut = max(text.rfind(". "), text.rfind("! "), text.rfind("? "))
        if cut > 0:
            text = text[: cut + 1]
    return text or None


def parse_responses_v1(
    task: "DescribeTask", shards: Iterable[Iterable[Doc]], responses: Iterable[Iterable[Optional[str]]]
) -> Iterable[List[Optional[str]]]:
    """The cleaned description of each shard's answer (None: failed or empty)."""
    for responses_for_doc in responses:
        yield [clean_description(response, task.max_words) for response in responses_for_doc]
