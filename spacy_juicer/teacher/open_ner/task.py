"""``spacy_juicer.OpenNER.v1``: JUICER's open-world prompt (types and domain chosen by the LLM)."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

from spacy_llm.registry import registry

from ..spans import Mention
from ..task_base import ExamplesLike, TeacherNERTask, read_examples, read_template
from .parser import parse_open_answer

HERE = Path(__file__).parent


class OpenNERTask(TeacherNERTask):
    """``Context: <sentence> / Domain: <domain> / Named Entities: mention (Type), ...``"""

    name = "spacy_juicer.OpenNER.v1"

    def parse(self, answer: str) -> Tuple[List[Mention], str, Optional[str]]:
        return parse_open_answer(answer)


@registry.llm_tasks("spacy_juicer.OpenNER.v1")
def make_open_ner_task(
    template: Optional[str] = None,
    examples: ExamplesLike = None,
    n_examples: Optional[int] = 2,
) -> OpenNERTask:
    """template: a Jinja file (default: the shipped JUICER prompt); examples: few-shot examples
    ({"text", "domain", "entities": [[mention, type], ...]}), a list or a JSON/JSONL/YAML file;
    n_examples: how many of them to show (JUICER: 2)."""
    return OpenNERTask(
        read_template(template or HERE / "open_ner.jinja"),
        read_examples(examples, HERE / "examples.json"),
        n_examples,
    )
