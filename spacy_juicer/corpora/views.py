"""Many views of one entity type: the descriptions a model trains on, in several forms.

Why: a student trained on one description per type, always in the same style, learns the
style instead of the meaning (measured: the packaged pipeline found unseen genes at 25.2 span
F1 with our file's description and 0.0 with a user's plain sentence). Users write a type their
own way, or only name it. So training draws, per step and per type, one of several views:

* ``answer``: the teacher's description (one per domain it was asked in, and their join);
* ``short``: a one-line definition (the first sentence of an answer);
* ``examples``: a definition or the name followed by examples taken from the type's own
  mentions, in plain words ("..., such as aspirin or cisplatin") or quoted after "e.g.";
* ``name``: the bare name, in lower case, in the plural.

A views file maps each type to its list of views: ``{"Type": ["view", ...]}``. A labels file
(``{"Type": "description"}``) is a views file with one view per type.
"""
from __future__ import annotations

import json
import random
import re
from collections import Counter
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Sequence, Union

from .forms import readable_name
from ..records import read_json
from .labels import LabelError

PathLike = Union[str, Path]
Views = Dict[str, List[str]]
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(])")
_EXAMPLES = re.compile(r",?\s*\(?(?:e\.g\.|such as|for example|including)\s")


def plural(name: str) -> str:
    """A plain English plural of the last word ("cell type" -> "cell types")."""
    if not name or not name[-1].isalpha() or name.isupper():
        return name
    if re.search(r"(s|x|z|ch|sh)$", name):
        return name + "es"
    if re.search(r"[^aeiou]y$", name):
        return name[:-1] + "ies"
    return name + "s"


def first_sentence(text: str, max_words: int = 40) -> str:
    """The first sentence of ``text`` without its examples (a one-line definition), cut at
    ``max_words``."""
    sentence = _SENTENCE_END.split(" ".join(text.split()), maxsplit=1)[0]
    sentence = _EXAMPLES.split(sentence, maxsplit=1)[0].rstrip(" ,;:.") + "."
    words = sentence.split()
    if len(words) > max_words:
        sentence = " ".join(words[:max_words]).rstrip(",;:") + "."
    return sentence


def top_mentions(mentions: Iterable[str], k: int, skip: int = 0) -> List[str]:
    """The ``k`` most frequent distinct mentions (case-insensitive), after the ``skip`` first."""
    counts: Counter = Counter()
    shown: Dict[str, str] = {}
    for text in mentions:
        key = " ".join(text.split()).casefold()
        if key:
            counts[key] += 1
            shown.setdefault(key, " ".join(text.split()))
    ranked = [shown[key] for key, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return ranked[skip : skip + k]


def _listing(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]


def type_views(
    name: str,
    answers: Sequence[str] = (),
    *,
    mentions: Sequence[str] = (),
    n_examples: int = 3,
) -> List[str]:
    """Every view of one type, without repeats, the most informative first."""
    spoken = readable_name(name)
    views: List[str] = [a for a in answers if a]
    definition = first_sentence(answers[0]) if answers else None
    if definition:
        views.append(definition)
    for skip in (0, n_examples):
        shown = top_mentions(mentions, n_examples, skip=skip)
        if not shown:
            continue
        views.append(f"{spoken[:1].upper()}{spoken[1:]}, such as {_listing(shown)}.")
        if definition:
            quoted = ", ".join(f"'{m}'" for m in shown)
            views.append(f"{definition.rstrip('.')}, e.g. {quoted}.")
    views += [name, spoken, plural(spoken)]
    spaced = (" ".join(view.split()) for view in views)
    return list(dict.fromkeys(view for view in spaced if view))


def read_views(path: PathLike) -> Views:
    """A views file, or a labels file read as one view per type."""
    data = read_json(path, "Views file", LabelError)
    if not isinstance(data, dict) or not data:
        raise LabelError(f"{path}: expected {{\"Type\": [\"view\", ...]}} or {{\"Type\": \"description\"}}.")
    out: Views = {}
    for label, views in data.items():
        views = [views] if isinstance(views, str) else views
        if not isinstance(views, list) or not all(isinstance(v, str) for v in views):
            raise LabelError(f"{path}: the views of '{label}' are not a list of texts.")
        views = [" ".join(v.split()) for v in views if v and v.strip()]
        out[label] = views or [label]
    return out


def write_views(views: Mapping[str, Sequence[str]], path: PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({k: list(v) for k, v in views.items()}, indent=1, ensure_ascii=False) + "\n", encoding="utf8")
    return path


def draw(views: Mapping[str, Sequence[str]], types: Iterable[str], rng: random.Random) -> Dict[str, str]:
    """One view per type, each drawn at random. The examples views list a type's most frequent
    mentions, so a drawn view may spell out a mention of the very sentence; readers that avoided
    such views found fewer unseen genes (docs/results.md), so they are drawn like any other."""
    return {t: rng.choice(views[t]) for t in types}
