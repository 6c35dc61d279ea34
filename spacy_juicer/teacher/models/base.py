"""The protocol every teacher model follows, on top of spacy-llm's own
(``__call__(prompts: Iterable[Iterable[str]]) -> Iterable[Iterable[str]]``):

- ``name``: a stable id (model and weights) that goes into the answer cache key;
- ``settings()``: everything else that changes answers (temperature, max_tokens, stop, ...),
  never a secret: it is written to the cache and the run record;
- ``usage``: counters the annotation run reports (calls, input_tokens, output_tokens, seconds,
  failures);
- ``price``: optional (USD per 1k input tokens, USD per 1k output tokens).

A model answers ``None`` for a prompt whose call failed; the run records it as a failure.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple


def new_usage() -> Dict[str, float]:
    return {"calls": 0, "input_tokens": 0, "output_tokens": 0, "seconds": 0.0, "failures": 0}


def answer_text(content: Any) -> Optional[str]:
    """The text of an answer: a string, or a list of parts (OpenAI's ``{"type": "text", "text":
    ...}`` or strings) joined; None for anything else and for blank text (a failed answer)."""
    if isinstance(content, list):
        pieces = []
        for part in content:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict) and isinstance(part.get("text"), str) and part.get("type", "text") == "text":
                pieces.append(part["text"])
        content = "".join(pieces)
    if not isinstance(content, str) or not content.strip():
        return None
    return content


def model_price(model: Any) -> Optional[Tuple[float, float]]:
    return getattr(model, "price", None)


def model_identity(model: Any) -> Dict[str, Any]:
    """What identifies a model's answers: its name and settings (models lacking them are keyed
    by their class, so at least two different models never share answers)."""
    name = getattr(model, "name", None) or f"{type(model).__module__}.{type(model).__qualname__}"
    settings = model.settings() if hasattr(model, "settings") else {}
    return {"name": name, "settings": settings}
