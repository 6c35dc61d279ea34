"""Type-name variants: "disease", "Disease", "DISEASE", "Diseases" and "cell_type"/"cell type"
are one type. The critic uses this to merge variants in the silver corpus and to match the
evaluation types it must turn into O.

A plural is only folded into its singular when the singular is a known type (seen in the
corpus or in the list being matched): out of context, a lemmatizer turns "Process" into
"proces" and "Status" into "statu", so a guessed singular is never invented.
"""
from __future__ import annotations

import re
from collections import Counter
from typing import Callable, Dict, Iterable, List, Optional

_SPACES = re.compile(r"[\s_\-]+")
_EDGE = "\"'“”‘’`.,;:!?()[]{}*"

Singularize = Callable[[str], List[str]]


def clean_type(label: str) -> str:
    """Strip quotes and edge punctuation and collapse whitespace (keeps case)."""
    return " ".join(label.strip().strip(_EDGE).replace("_", " ").split())


def type_key(label: str) -> str:
    """Case-, space-, underscore- and hyphen-insensitive key of a type name."""
    return _SPACES.sub(" ", clean_type(label).lower()).strip()


def crude_singulars(word: str) -> List[str]:
    """English plural rules for when no lemmatizer is loaded (candidates only)."""
    out = []
    if len(word) > 4 and word.endswith("ies"):
        out.append(word[:-3] + "y")
    if len(word) > 4 and word.endswith(("ses", "xes", "ches", "shes", "zes")):
        out.append(word[:-2])
    if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
        out.append(word[:-1])
    return out


def singular_keys(key: str, singularize: Optional[Singularize] = None) -> List[str]:
    """Candidate singular forms of a type key: its last word singularized."""
    words = key.split(" ")
    if not words or not words[-1]:
        return []
    last = words[-1]
    candidates = list(singularize(last)) if singularize is not None else []
    candidates += crude_singulars(last)
    out = []
    for cand in candidates:
        cand = cand.lower()
        if cand and cand != last:
            new = " ".join(words[:-1] + [cand])
            if new not in out:
                out.append(new)
    return out


def canonical_keys(keys: Iterable[str], singularize: Optional[Singularize] = None) -> Dict[str, str]:
    """Map each key to its group key: its singular when that singular is itself a known key."""
    known = set(keys)
    out = {}
    for key in known:
        target = key
        for cand in singular_keys(key, singularize):
            if cand in known:
                target = cand
                break
        out[key] = target
    return out


def display_forms(counts: Counter, singularize: Optional[Singularize] = None) -> Dict[str, str]:
    """{label as written: its one display form} for a corpus of type strings with counts.

    The display form of a group is the most frequent spelling of the group's (singular) key
    (ties: sorted order), with a lowercase first letter capitalized ("disease" -> "Disease")."""
    cleaned: Counter = Counter()
    for label, n in counts.items():
        cleaned[clean_type(label)] += n
    groups = canonical_keys((type_key(c) for c in cleaned if type_key(c)), singularize)
    spellings: Dict[str, Counter] = {}
    for spelling, n in cleaned.items():
        key = type_key(spelling)
        if key and groups[key] == key:
            spellings.setdefault(key, Counter())[spelling] += n
    forms: Dict[str, str] = {}
    for key, counter in spellings.items():
        best = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        forms[key] = best[0].upper() + best[1:] if best[:1].islower() else best
    out = {}
    for label in counts:
        key = type_key(label)
        if key:
            out[label] = forms[groups[key]]
    return out


class TypeMatcher:
    """Does a type name match one of a list (its case, plural, underscore/hyphen variants)?"""

    def __init__(self, names: Iterable[str], singularize: Optional[Singularize] = None) -> None:
        self.singularize = singularize
        self.keys: Dict[str, str] = {}  # a key of a listed name, or of its singular -> that name
        for name in names:
            key = type_key(name)
            if key:
                for variant in [key] + singular_keys(key, singularize):
                    self.keys.setdefault(variant, name)

    def __bool__(self) -> bool:
        return bool(self.keys)

    def __call__(self, label: str) -> bool:
        return self.find(label) is not None

    def find(self, label: str) -> Optional[str]:
        """The listed name that ``label`` is a variant of (the first listed, on a tie), or None."""
        key = type_key(label)
        if not key:
            return None
        for variant in [key] + singular_keys(key, self.singularize):
            if variant in self.keys:
                return self.keys[variant]
        return None
