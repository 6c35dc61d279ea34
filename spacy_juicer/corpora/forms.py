"""The forms of a type's description that every zero-shot number is measured under.

A score measured with one set of descriptions, written by us after the model's behaviour was
known, is tuned to the test. So each test type is given in three forms: ``project`` (our
files, ``descriptions/*.json``), ``plain`` (one plain line a user would write, held out and
written once: ``descriptions/heldout/``) and ``name`` (the bare type name, made readable).
A forms file holds them side by side::

    {"forms": {"project": {"GENE": "The name of a gene ..."},
               "plain":   {"GENE": "A gene, or a protein ..."},
               "name":    {"GENE": "gene"}}}

``spacy-juicer split`` writes one per part (``<part>.forms.json``); ``evaluate --forms`` and
``calibrate --forms`` read it and report every form, leading with the worst.
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, Mapping, Sequence, Union

from .labels import LabelError, normalize_labels, read_json_file

FORMS = ("project", "plain", "name")
Forms = Dict[str, Dict[str, str]]
PathLike = Union[str, Path]

# Abbreviated type names of the benchmarks, as a user who only names the type would say them.
_SPOKEN = {
    "PER": "person",
    "LOC": "location",
    "ORG": "organisation",
    "MISC": "miscellaneous name",
    "GPE": "geopolitical entity",
}
# Acronyms that stay as they are (a user writes "DNA", not "dna").
_KEEP_CASE = {"DNA", "RNA", "mRNA"}


def readable_name(label: str) -> str:
    """The name a user would type for ``label``: ``cell_type`` -> "cell type", ``GENE`` ->
    "gene", ``SpecificDisease`` -> "specific disease", ``PER`` -> "person"."""
    if label in _SPOKEN:
        return _SPOKEN[label]
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", label.replace("_", " ").replace("-", " ")).split()
    out = []
    for word in words:
        if word in _SPOKEN:
            out.append(_SPOKEN[word])
        elif word in _KEEP_CASE or (word.isupper() and len(word) <= 3):
            out.append(word)
        else:
            out.append(word.lower())
    return " ".join(out) or label


def name_form(labels: Mapping[str, str]) -> Dict[str, str]:
    """The ``name`` form of a labels dict: each type described by its readable name."""
    return {label: readable_name(label) for label in labels}


def check_forms(forms: Mapping[str, Mapping[str, str]], source: str = "forms") -> Forms:
    """Every form a labels dict over the same types, in the same order."""
    if not isinstance(forms, Mapping) or not forms:
        raise LabelError(f"{source}: expected {{\"forms\": {{form: {{type: description}}}}}}.")
    out: Forms = {}
    types = None
    for form, labels in forms.items():
        if not isinstance(labels, Mapping):
            raise LabelError(f"{source}: form '{form}' is not a {{type: description}} object.")
        norm = normalize_labels(labels, source=f"{source} ({form})")
        if not norm:
            raise LabelError(f"{source}: form '{form}' names no types.")
        if types is not None and set(norm) != set(types):
            raise LabelError(
                f"{source}: form '{form}' has types {sorted(norm)}, another form has {sorted(types)}."
            )
        types = list(norm) if types is None else types
        out[form] = {t: norm[t] for t in types}
    return out


def read_forms(path: PathLike) -> Forms:
    """Read a forms file (``{"forms": {...}}``)."""
    data = read_json_file(path, "Forms file")
    if not isinstance(data, dict) or "forms" not in data:
        raise LabelError(f"{path} is not a forms file: it needs a top-level 'forms' object.")
    return check_forms(data["forms"], source=str(path))


def write_forms(forms: Mapping[str, Mapping[str, str]], path: PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    checked = check_forms(forms, source=str(path))
    path.write_text(json.dumps({"forms": checked}, indent=2, ensure_ascii=False) + "\n", encoding="utf8")
    return path


def worst_form(scores: Mapping[str, float], order: Sequence[str] = FORMS) -> str:
    """The form with the lowest score (ties: the earlier in ``order``)."""
    rank = {form: i for i, form in enumerate(order)}
    return min(scores, key=lambda f: (scores[f], rank.get(f, len(rank))))
