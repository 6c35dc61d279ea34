"""``spacy_juicer.Replay.v1``: answers recorded earlier, for tests and for re-parsing a run.

Records are ``{"text": <sentence>, "response": <raw answer>}`` lines. A prompt is matched by
the sentence it ends with (the templates put the doc last): first by its last non-empty line
minus a ``Context:``/``Passage:``/``Sentence:`` prefix, else by the longest recorded text found
after the prompt's last such prefix. A prompt with no recorded answer is an error that names the text, never a
silent empty answer.
"""
from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Dict, Iterable, List, Optional, Union

import srsly
from spacy_llm.registry import registry

from .base import new_usage

_PREFIX = re.compile(r"^\s*(Context|Passage|Sentence|Text|Input)\s*:\s*", re.IGNORECASE)


class ReplayMissingError(ValueError):
    """A prompt with no recorded answer."""


class Replay:
    def __init__(self, path: Union[str, Path]) -> None:
        path = Path(path)
        if not path.exists():
            raise FileNotFoundError(f"Replay file {path} does not exist.")
        self.path = path
        self.answers: Dict[str, str] = {}
        for i, record in enumerate(srsly.read_jsonl(path), start=1):
            if not isinstance(record, dict) or "text" not in record or "response" not in record:
                raise ValueError(f"{path}:{i}: expected {{\"text\": ..., \"response\": ...}}")
            self.answers[record["text"].strip()] = record["response"]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
        self.name = f"replay:{path.name}:{digest}"
        self.usage = new_usage()

    def settings(self) -> Dict[str, str]:
        return {}

    def answer(self, prompt: str) -> Optional[str]:
        for line in reversed([line for line in prompt.splitlines() if line.strip()]):
            key = _PREFIX.sub("", line).strip()
            if key in self.answers:
                return self.answers[key]
            if _PREFIX.match(line):
                break
        starts = [m.start() for m in re.finditer(r"(?im)^\s*(Context|Passage|Sentence|Text|Input)\s*:", prompt)]
        tail = prompt[starts[-1] :] if starts else prompt
        found = [text for text in self.answers if text and text in tail]
        if found:
            return self.answers[max(found, key=len)]
        ending = " / ".join(prompt.strip().splitlines()[-2:])
        raise ReplayMissingError(f"{self.path} has no recorded answer for the prompt ending: {ending!r}")

    def __call__(self, prompts: Iterable[Iterable[str]]) -> Iterable[Iterable[str]]:
        out: List[List[str]] = []
        for doc_prompts in prompts:
            answers = []
            for prompt in doc_prompts:
                self.usage["calls"] += 1
                answers.append(self.answer(prompt))
            out.append(answers)
        return out


@registry.llm_models("spacy_juicer.Replay.v1")
def make_replay(path: str) -> Replay:
    """path: a JSONL file of {"text": ..., "response": ...} records."""
    return Replay(path)
