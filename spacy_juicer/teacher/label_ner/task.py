"""``spacy_juicer.LabelNER.v1``: a fixed label set, standard or chain-of-thought prompting, dict
answers (so nested and discontinuous mentions can be expressed)."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

from spacy_llm.registry import registry

from ..spans import Mention
from ..task_base import ExamplesLike, TeacherNERTask, read_examples, read_template
from .parser import parse_label_answer

HERE = Path(__file__).parent


class LabelNERTask(TeacherNERTask):
    name = "spacy_juicer.LabelNER.v1"

    def __init__(self, labels: Dict[str, str], cot: bool, **kwargs: Any) -> None:
        if not labels:
            raise ValueError("LabelNER.v1 needs at least one label.")
        self.labels = labels
        self.cot = cot
        super().__init__(**kwargs)

    def template_vars(self) -> Dict[str, Any]:
        return {"labels": self.labels, "cot": self.cot}

    def parse(self, answer: str) -> Tuple[List[Mention], str, Optional[str]]:
        return parse_label_answer(answer, list(self.labels))


@registry.llm_tasks("spacy_juicer.LabelNER.v1")
def make_label_ner_task(
    labels: Union[Dict[str, str], List[str], str],
    cot: bool = False,
    template: Optional[str] = None,
    examples: ExamplesLike = None,
    n_examples: Optional[int] = 1,
) -> LabelNERTask:
    """labels: {label: description}, a list of names, or a comma-separated string;
    cot: chain-of-thought prompting (reason first, then ``Answer: {...}``);
    examples: {"text", "answer": {label: [mentions]}, "reasoning"?} (a list or a file)."""
    if isinstance(labels, str):
        labels = [label.strip() for label in labels.split(",") if label.strip()]
    if isinstance(labels, list):
        labels = {label: label for label in labels}
    return LabelNERTask(
        dict(labels),
        cot,
        template=read_template(template or HERE / "label_ner.jinja"),
        examples=read_examples(examples, HERE / "examples.json"),
        n_examples=n_examples,
    )
