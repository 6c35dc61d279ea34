"""``spacy_juicer.Describe.v1``: ask the LLM what an entity type is in a domain (JUICER 3.4).

A query is a Doc whose text is the type name, with the domain in
``doc.user_data["juicer"]["domain"]`` (``describe_doc`` builds one). The prompt is JUICER's
``Question: In <domain>, what is <type>? Answer:`` after a few examples; the cleaned answer goes
to ``doc.user_data["juicer"]["description"]`` (with ``raw`` and ``status``).

The task follows spacy-llm's built-in tasks (``BuiltinTask``: Jinja template, swappable parser,
few-shot examples as a ``FewshotExample`` type, sharding signature, serialization), so it also
runs in spaCy's ``llm`` component with any spacy-llm model.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Optional, Type, Union

import srsly
from spacy import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.vocab import Vocab
from spacy_llm.compat import Self
from spacy_llm.registry import registry
from spacy_llm.tasks.builtin_task import BuiltinTask
from spacy_llm.tasks.util.sharding import make_shard_mapper
from spacy_llm.ty import ExamplesConfigType, FewshotExample, ShardMapper, ShardReducer, TaskResponseParser

from ...records import DEFAULT_DOMAIN, RECORD_KEY
from .parser import parse_responses_v1

HERE = Path(__file__).parent


def describe_doc(vocab: Vocab, type_name: str, domain: Optional[str]) -> Doc:
    """The query doc of one (type, domain) pair."""
    doc = Doc(vocab, words=type_name.split()) if type_name.strip() else Doc(vocab, words=[type_name])
    doc.user_data[RECORD_KEY] = {"type": type_name, "domain": domain}
    return doc


def reduce_shards_to_doc(task: "DescribeTask", shards: Iterable[Doc]) -> Doc:
    """A type name never needs sharding; if it was sharded, the first shard holds the answer."""
    return list(shards)[0]


class DescribeTask(BuiltinTask):
    def __init__(
        self,
        parse_responses: TaskResponseParser[Self],
        prompt_example_type: Type[FewshotExample[Self]],
        prompt_examples: Optional[List[FewshotExample[Self]]],
        template: str,
        shard_mapper: ShardMapper,
        shard_reducer: ShardReducer[Self],
        default_domain: str = DEFAULT_DOMAIN,
        lowercase_types: bool = True,
        max_words: int = 120,
        n_examples: Optional[int] = 2,
    ):
        super().__init__(
            parse_responses=parse_responses,
            prompt_example_type=prompt_example_type,
            template=template,
            prompt_examples=prompt_examples,
            shard_mapper=shard_mapper,
            shard_reducer=shard_reducer,
        )
        self.default_domain = default_domain
        self.lowercase_types = lowercase_types
        self.max_words = max_words
        self.n_examples = n_examples
        self.name = "spacy_juicer.Describe.v1"

    def type_name(self, name: str) -> str:
        """How the type reads in the question: "Medical condition" -> "medical condition";
        acronyms and mixed case ("DNA", "mRNA", "COVID-19") stay as written."""
        name = " ".join(name.split())
        if self.lowercase_types and name[:1].isupper() and not name[1:2].isupper():
            return name[:1].lower() + name[1:]
        return name

    def _get_prompt_data(self, shard: Doc, i_shard: int, i_doc: int, n_shards: int) -> Dict[str, Any]:
        record = shard.user_data.get(RECORD_KEY, {})
        type_name = self.type_name(record.get("type") or shard.text)
        return {
            "domain": record.get("domain") or self.default_domain,
            "type_name": type_name,
            "examples": self.examples_for(type_name),
        }

    def examples_for(self, type_name: str) -> List[Any]:
        """The first ``n_examples`` examples about another type: asked about a type that an
        example describes, a small model copies the example's answer word for word."""
        key = type_name.lower()
        examples = [eg for eg in self._prompt_examples if eg.type_name.lower() != key]
        return examples if self.n_examples is None else examples[: self.n_examples]

    def parse_responses(
        self, shards: Iterable[Iterable[Doc]], responses: Iterable[Iterable[Any]]
    ) -> Iterable[Doc]:
        shards_teed = self._tee_2d_iterable(shards, 2)
        responses_teed = self._tee_2d_iterable(responses, 2)
        for shards_for_doc, raw_for_doc, descriptions in zip(
            shards_teed[0], responses_teed[0], self._parse_responses(self, shards_teed[1], responses_teed[1])
        ):
            updated: List[Doc] = []
            for shard, raw, description in zip(shards_for_doc, raw_for_doc, descriptions):
                record = dict(shard.user_data.get(RECORD_KEY, {}))
                status = "failed" if raw is None else ("ok" if description else "empty")
                record.update({"description": description, "raw": raw, "status": status, "task": self.name})
                shard.user_data[RECORD_KEY] = record
                updated.append(shard)
            yield self._shard_reducer(self, updated)  # type: ignore[arg-type]

    def initialize(
        self,
        get_examples: Callable[[], Iterable["Example"]],
        nlp: Language,
        n_prompt_examples: int = 0,
    ) -> None:
        super()._initialize(get_examples=get_examples, nlp=nlp, n_prompt_examples=n_prompt_examples)

    @property
    def _cfg_keys(self) -> List[str]:
        return ["_template", "default_domain", "lowercase_types", "max_words", "n_examples"]


class DescribeExample(FewshotExample[DescribeTask]):
    domain: str
    type_name: str
    description: str

    @classmethod
    def generate(cls, example: Example, task: DescribeTask) -> Optional[Self]:
        record = example.reference.user_data.get(RECORD_KEY, {})
        if not record.get("description"):
            return None
        return cls(
            domain=record.get("domain") or task.default_domain,
            type_name=task.type_name(example.reference.text),
            description=record["description"],
        )


def packaged(path: Union[str, Path]) -> Path:
    """``path`` as given when it exists, else the file of that name shipped beside this task: a
    config names the shipped prompts by file name, so it works from any folder and from a
    wheel."""
    given = Path(path)
    shipped = HERE / given.name
    return shipped if not given.exists() and shipped.exists() else given


def read_examples(examples: Union[str, Path, ExamplesConfigType], n_examples: Optional[int]) -> List[DescribeExample]:
    """All examples (``n_examples`` is applied per prompt, skipping examples of the asked type)."""
    if examples is None:
        raw = srsly.read_json(HERE / "examples.json")
    elif callable(examples):
        raw = examples()
    elif isinstance(examples, (str, Path)):
        path = packaged(examples)
        if not path.exists():
            raise FileNotFoundError(f"Few-shot examples file {path} does not exist.")
        raw = list(srsly.read_jsonl(path)) if path.suffix == ".jsonl" else srsly.read_json(path)
    else:
        raw = examples
    out = []
    for i, eg in enumerate(raw or []):
        if isinstance(eg, DescribeExample):
            out.append(eg)
            continue
        if not isinstance(eg, dict) or not {"domain", "description"} <= set(eg) or not ({"type_name", "type"} & set(eg)):
            raise ValueError(f"Describe example {i}: expected {{\"domain\", \"type_name\", \"description\"}}, got {eg!r}")
        out.append(DescribeExample(domain=eg["domain"], type_name=eg.get("type_name") or eg["type"], description=eg["description"]))
    return out


@registry.llm_tasks("spacy_juicer.Describe.v1")
def make_describe_task(
    template: Optional[str] = None,
    examples: Union[str, ExamplesConfigType] = None,
    n_examples: Optional[int] = 2,
    default_domain: str = DEFAULT_DOMAIN,
    lowercase_types: bool = True,
    max_words: int = 120,
    parse_responses: Optional[TaskResponseParser[DescribeTask]] = None,
    shard_mapper: Optional[ShardMapper] = None,
    shard_reducer: Optional[ShardReducer] = None,
) -> DescribeTask:
    """template: a Jinja file (default: the shipped JUICER prompt); examples: few-shot examples
    ({"domain", "type_name", "description"}: a list, a JSON/JSONL file, or spacy-llm's
    ``spacy.FewShotReader.v1``; default: the three shipped ones); n_examples: how many to show
    (0: zero-shot; an example about the asked type is skipped for the next one); default_domain: for a query without a domain; lowercase_types: ask about
    "medical condition" rather than "Medical condition"; max_words: cut longer answers."""
    if template is None:
        text = (HERE / "describe.jinja").read_text(encoding="utf8")
    elif Path(template).suffix in (".jinja", ".jinja2", ".txt") and packaged(template).exists():
        text = packaged(template).read_text(encoding="utf8")
    elif Path(template).suffix in (".jinja", ".jinja2"):
        raise FileNotFoundError(f"Prompt template {template} does not exist.")
    else:
        text = template
    return DescribeTask(
        parse_responses=parse_responses or parse_responses_v1,
        prompt_example_type=DescribeExample,
        prompt_examples=read_examples(examples, n_examples),
        n_examples=n_examples,
        template=text,
        shard_mapper=shard_mapper or make_shard_mapper(),
        shard_reducer=shard_reducer or reduce_shards_to_doc,
        default_domain=default_domain,
        lowercase_types=lowercase_types,
        max_words=max_words,
    )
