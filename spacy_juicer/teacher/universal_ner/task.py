"""``spacy_juicer.UniversalNER.v1``: UniversalNER's open prompt, answered as a list of tuples."""
from __future__ import annotations

from pathlib import Path
from typing import List, Optional, Tuple

from spacy_llm.registry import registry

from ..spans import Mention
from ..task_base import ExamplesLike, TeacherNERTask, read_examples, read_template
from .parser import parse_tuples

HERE = Path(__file__).parent


class UniversalNERTask(TeacherNERTask):
    name = "spacy_juicer.UniversalNER.v1"

    def parse(self, answer: str) -> Tuple[List[Mention], str, Optional[str]]:
        return parse_tuples(answer)


@registry.llm_tasks("spacy_juicer.UniversalNER.v1")
def make_universal_ner_task(
    template: Optional[str] = None,
    examples: ExamplesLike = None,
    n_examples: Optional[int] = 1,
) -> UniversalNERTask:
    """Examples: {"text", "entities": [[mention, type], ...]} (a list or a file)."""
    return UniversalNERTask(
        read_template(template or HERE / "universal_ner.jinja"),
        read_examples(examples, HERE / "examples.json"),
        n_examples,
    )
