"""Multi-view type descriptions of the silver corpus (JUICER step 3).

For each type, its ``top_domains`` most frequent domains (the teacher's ``domain`` of the
sentences where the type occurs, counted once per sentence; sentences without a domain count
for ``default_domain``) are asked about with ``spacy_juicer.Describe.v1``:
``Question: In <domain>, what is <type>? Answer:``. The cleaned answers are joined in domain
rank order into the type's description, written as the labels-file contract
``{"Type": "description"}``. Every answer is stored in the teacher's answer cache (keyed by the
sha256 of prompt, model name and settings) as soon as it arrives, so a rerun or a resumed run
asks the model nothing twice.
"""
from __future__ import annotations

import platform
import re
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple, Union

import spacy
import srsly
from spacy.tokens import Doc

from ..records import DEFAULT_DOMAIN, RECORD_KEY, SILVER_KEY, mention_spans
from ..teacher.cache import AnswerCache, default_cache_path
from ..teacher.models.base import model_identity
from ..teacher.runner import run_counts, run_llm
from .critic import read_docs
from .types import TypeMatcher

PathLike = Union[str, Path]
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")


def normalize_domain(domain: Optional[str]) -> Optional[str]:
    """"Molecular Biology." and "molecular  biology" are one domain."""
    if not isinstance(domain, str):
        return None
    text = " ".join(domain.split()).strip(" .:;,").lower()
    return text or None


def type_domains(docs: List[Doc], key: str = SILVER_KEY, default_domain: str = DEFAULT_DOMAIN) -> Tuple[Counter, Dict[str, Counter]]:
    """(mentions per type, {type: domains counted once per sentence})."""
    freq: Counter = Counter()
    domains: Dict[str, Counter] = defaultdict(Counter)
    for doc in docs:
        spans = mention_spans(doc, key)
        domain = normalize_domain(doc.user_data.get(RECORD_KEY, {}).get("domain")) or default_domain
        for label in {s.label_ for s in spans}:
            domains[label][domain] += 1
        freq.update(s.label_ for s in spans)
    return freq, domains


def top_domains(counts: Counter, k: int) -> List[str]:
    """The k most frequent domains, ties in alphabetical order."""
    return [d for d, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:k]]


def join_views(views: List[Optional[str]]) -> Optional[str]:
    """Concatenate the descriptions of the domains in rank order, without repeated sentences
    (a model often opens both views with the same definition)."""
    out: List[str] = []
    seen = set()
    for view in views:
        for sentence in _SENTENCE.split(view or ""):
            key = " ".join(sentence.lower().split())
            if key and key not in seen:
                seen.add(key)
                out.append(sentence.strip())
    return " ".join(out) or None


def load_describer(config_path: PathLike):
    """(task, model, config) of a describe config (``[task]`` = Describe.v1, ``[model]``)."""
    from ..teacher.annotate import load_teacher
    from ..teacher.describe import task as _describe  # noqa: F401  (registers Describe.v1)

    return load_teacher(config_path)


def ask(task: Any, model: Any, cache: AnswerCache, queries: List[Tuple[str, Optional[str]]], vocab: Any, *,
        batch_size: Optional[int] = None, progress: bool = True, desc: str = "describe") -> Tuple[Dict[Tuple[str, Optional[str]], Optional[str]], Counter]:
    """Ask the describer about each (type, domain) pair through the answer cache: a pair asked
    before, with the same prompt and model, costs no call. Returns ({pair: cleaned answer or
    None}, the run's counts)."""
    from ..teacher.describe.task import describe_doc

    identity = model_identity(model)
    rendered = {}  # (type, domain) -> (prompts, shards)
    for query in queries:
        prompts, shards = next(iter(task.generate_prompts([describe_doc(vocab, *query)])))
        rendered[query] = (list(prompts), list(shards))
    views: Dict[Tuple[str, Optional[str]], Optional[str]] = {}

    def parse(query: Tuple[str, Optional[str]], answer: Optional[str]) -> str:
        record = next(iter(task.parse_responses([rendered[query][1]], [[answer]]))).user_data[RECORD_KEY]
        views[query] = record["description"]
        return record["status"]

    counts = run_llm(
        model, cache, identity, queries, prompt=lambda query: rendered[query][0][0],
        parse=parse, batch_size=batch_size, progress=progress, desc=desc, unit="query",
    )
    return views, counts


def describe(
    silver_path: PathLike,
    output_path: PathLike,
    config_path: PathLike,
    *,
    top_k: int = 2,
    limit: int = 0,
    default_domain: str = DEFAULT_DOMAIN,
    cache_path: Optional[PathLike] = None,
    batch_size: Optional[int] = None,
    progress: bool = True,
) -> Dict[str, Any]:
    """Write ``{"Type": "description"}`` for the types of a silver DocBin; return the run record
    (also written to ``<output>.run.json``, with each type's domains and per-domain answers)."""
    task, model, config = load_describer(config_path)
    nlp = spacy.blank("en")
    docs = read_docs(silver_path, nlp.vocab)
    freq, domains = type_domains(docs, default_domain=default_domain)
    if not freq:
        raise ValueError(f"{silver_path} has no silver mentions: run 'spacy-juicer critic' first.")
    types = [t for t, _ in sorted(freq.items(), key=lambda kv: (-kv[1], kv[0]))]
    if limit:
        types = types[:limit]
    queries = [(t, d) for t in types for d in top_domains(domains[t], top_k)]
    identity = model_identity(model)
    cache = AnswerCache(Path(cache_path) if cache_path else default_cache_path(identity, prefix="describe-"))
    started = time.perf_counter()
    views, counts = ask(task, model, cache, queries, nlp.vocab, batch_size=batch_size, progress=progress)
    descriptions: Dict[str, str] = {}
    per_type: Dict[str, Any] = {}
    fallback = []
    for type_name in types:
        ranked = top_domains(domains[type_name], top_k)
        joined = join_views([views.get((type_name, d)) for d in ranked])
        if joined is None:
            fallback.append(type_name)
            joined = type_name  # the labels contract: a name is its own description
        descriptions[type_name] = joined
        per_type[type_name] = {"mentions": freq[type_name], "domains": ranked, "views": [views.get((type_name, d)) for d in ranked]}
    output_path = Path(output_path)
    output_path.parent.mkdir(parents=True, exist_ok=True)
    srsly.write_json(output_path, descriptions)
    record = {
        "input": str(silver_path),
        "output": str(output_path),
        "config": str(config_path),
        "model": identity,
        "top_domains": top_k,
        "types": len(types),
        "queries": len(queries),
        **run_counts(counts, model),
        "fallback_to_name": fallback,
        "seconds": round(time.perf_counter() - started, 3),
        "cache": str(cache.path),
        "machine": {"platform": platform.platform(), "python": platform.python_version()},
        "per_type": per_type,
    }
    srsly.write_json(output_path.with_suffix(".run.json"), record)
    return record


def describe_names(
    names: List[str],
    output_path: Optional[PathLike],
    config_path: Optional[PathLike],
    *,
    domain: str = DEFAULT_DOMAIN,
    known: Optional[Dict[str, str]] = None,
    cache_path: Optional[PathLike] = None,
    progress: bool = True,
) -> Dict[str, Any]:
    """Descriptions for types a user gives by name only.

    A name that matches a ``known`` type (``types.TypeMatcher``: e.g. the silver types'
    descriptions the model was trained on) takes that type's description and costs no call; every other name is
    asked of the describer in ``domain`` (one call per new name and domain: answers are cached
    like ``describe``'s), unless ``config_path`` is None, when it stays a bare name. An empty
    answer leaves the name as its own description. Writes ``{name: description}`` (the names as
    given, in their order) to ``output_path`` when given; returns the run record with the
    descriptions and where each came from."""
    names = [" ".join(str(n).split()) for n in names]
    if not names or any(not n for n in names):
        raise ValueError("describe_names needs one or more non-empty type names.")
    if len(set(names)) != len(names):
        raise ValueError(f"describe_names: a name is given twice in {names}.")
    described = {t: " ".join(d.split()) for t, d in (known or {}).items() if d and d.strip() and d.strip() != t}
    matcher = TypeMatcher(described)  # the critic's rule: case, spacing and a plural do not count
    descriptions: Dict[str, str] = {}
    sources: Dict[str, str] = {}
    to_ask = []
    for name in names:
        match = matcher.find(name)
        if match is not None:
            descriptions[name], sources[name] = described[match], f"known:{match}"
        else:
            to_ask.append(name)
    started = time.perf_counter()
    counts: Counter = Counter()
    identity: Optional[Dict[str, Any]] = None
    model: Any = None
    cache_file: Optional[str] = None
    if to_ask and config_path is not None:
        task, model, _ = load_describer(config_path)
        identity = model_identity(model)
        cache = AnswerCache(Path(cache_path) if cache_path else default_cache_path(identity, prefix="describe-"))
        cache_file = str(cache.path)
        views, counts = ask(task, model, cache, [(n, domain) for n in to_ask], spacy.blank("en").vocab,
                            progress=progress, desc="describe names")
        for name in to_ask:
            answer = views.get((name, domain))
            descriptions[name], sources[name] = (answer, "teacher") if answer else (name, "name")
    else:
        for name in to_ask:
            descriptions[name], sources[name] = name, "name"
    descriptions = {name: descriptions[name] for name in names}
    if output_path is not None:
        output_path = Path(output_path)
        output_path.parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(output_path, descriptions)
    return {
        "names": names,
        "domain": domain,
        "config": None if config_path is None else str(config_path),
        "model": identity,
        "descriptions": descriptions,
        "sources": {name: sources[name] for name in names},
        **run_counts(counts, model),
        "cache": cache_file,
        "seconds": round(time.perf_counter() - started, 3),
    }
