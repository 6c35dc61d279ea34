"""Shared by the teacher benchmarks: the machine and versions a number was measured on, the
sentences it was measured with, and the prompts the project's tasks make for them."""
from __future__ import annotations

import importlib.metadata
import json
import os
import platform
import random
import shlex
import sys
import time
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional

import srsly

RESULTS = Path(__file__).parent / "results"
# the seen types' reported score: BC5CDR test, sentences that neither training nor the threshold's
# choice (calibrate reads the split's seen-bc5cdr, BC5CDR devel) saw; results before 2026-12-03
# evening scored seen-bc5cdr, the calibration sentences
SEEN_TEST = "seen-bc5cdr-test"


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def machine() -> Dict[str, Any]:
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {
        "cpu_count": os.cpu_count(),
        "usable_cpus": usable,
        "cpu_model": cpu_model(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "loadavg_at_start": load,
    }


def versions(*names: str) -> Dict[str, Optional[str]]:
    out: Dict[str, Optional[str]] = {}
    for name in ("spacy-juicer", "spacy", "spacy-llm", "llama-cpp-python", *names):
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    return out


def portable(arg: str) -> str:
    """An argument as the repository's user would type it: a path inside the checkout relative
    to it, any other absolute path by its last two parts (results never name this machine);
    in ``KEY=PATH`` the path."""
    key, sep, value = str(arg).partition("=")
    if sep and value.startswith("/"):
        return f"{key}={portable(value)}"
    path = Path(arg)
    if not path.is_absolute():
        return arg
    try:
        return str(path.resolve().relative_to(Path(__file__).resolve().parents[1]))
    except ValueError:
        return str(Path(*path.parts[-2:]))


def header() -> Dict[str, Any]:
    return {
        "command": " ".join(shlex.quote(portable(a)) for a in sys.argv),
        "date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "versions": versions(),
        "machine": machine(),
    }


def write_json(path: Path, data: Dict[str, Any]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(path, data)
    print(f"wrote {path}")
    return path


def pubmed_sentences(n: int, seed: int = 0, min_words: int = 6, max_words: int = 60) -> List[str]:
    """``n`` sentences of the raw PubMed abstracts, sampled reproducibly (spaCy sentencizer)."""
    import spacy

    from spacy_juicer.assets import data_dir

    path = data_dir() / "pubmed-raw-combined" / "abstracts.jsonl"
    records = list(srsly.read_jsonl(path))
    random.Random(seed).shuffle(records)
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    out: List[str] = []
    for record in records:
        for sent in nlp(record["text"]).sents:
            words = len(sent)
            if min_words <= words <= max_words:
                out.append(sent.text.strip())
                break  # one sentence per abstract: more variety for a small sample
        if len(out) >= n:
            break
    return out


def task_prompts(task_name: str, texts: Iterable[str], task_args: Optional[Dict] = None) -> List[str]:
    """The prompts that a registered spacy-llm task makes for ``texts`` (one per text)."""
    import spacy
    from spacy_llm.registry import registry

    from spacy_juicer.teacher.annotate import register_all

    register_all()
    task = registry.llm_tasks.get(task_name)(**(task_args or {}))
    nlp = spacy.blank("en")
    docs = [nlp.make_doc(t) for t in texts]
    prompts: List[str] = []
    for item in task.generate_prompts(docs):
        if isinstance(item, tuple):  # sharding task: (prompts of the shards, shards)
            shards = list(item[0])
            prompts.append(shards[0])
        else:
            prompts.append(item)
    return prompts


def read_bio(path: Path, limit: Optional[int] = None) -> List[Dict[str, Any]]:
    """Sentences of a token<TAB>BIO file: [{"words": [...], "spans": [(start, end, label)]}]."""
    sentences: List[Dict[str, Any]] = []
    words: List[str] = []
    tags: List[str] = []

    def flush() -> None:
        if words:
            spans, start, label = [], None, None
            for i, tag in enumerate(tags + ["O"]):
                if start is not None and not tag.startswith("I-"):
                    spans.append((start, i, label))
                    start = None
                if tag.startswith("B-") or (tag.startswith("I-") and start is None):
                    start, label = i, tag[2:]
            sentences.append({"words": list(words), "spans": spans})
        words.clear()
        tags.clear()

    for line in Path(path).read_text(encoding="utf8").splitlines():
        if not line.strip() or line.startswith("-DOCSTART-"):
            flush()
            if limit is not None and len(sentences) >= limit:
                break
            continue
        parts = line.split("\t")
        words.append(parts[0])
        tags.append(parts[-1])
    flush()
    return sentences[:limit] if limit is not None else sentences


NO_SPACE_BEFORE = {",", ".", ";", ":", ")", "]", "%", "'s", "-", "/"}
NO_SPACE_AFTER = {"(", "[", "-", "/"}


def detok_spaces(words: List[str]) -> List[bool]:
    """Trailing-space flags that turn the gold files' tokens back into plain text
    ('22 - oxacalcitriol ( OCT ) ,' -> '22-oxacalcitriol (OCT),') with the tokens unchanged,
    so the teacher reads normal prose and its spans still align with the gold tokens."""
    spaces = []
    for i, word in enumerate(words):
        nxt = words[i + 1] if i + 1 < len(words) else None
        spaces.append(nxt is not None and word not in NO_SPACE_AFTER and nxt not in NO_SPACE_BEFORE)
    return spaces


def json_dumps(data: Any) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)
