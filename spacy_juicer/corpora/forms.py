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

from ..records import read_json
from .labels import LabelError, normalize_labels

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
# Mixed-case words of ontology type names, read as one word ("bHLHTF" -> "bHLH TF").
_MIXED = {"mRNA": "mRNA", "tRNA": "tRNA", "rRNA": "rRNA", "ncRNA": "ncRNA", "NcRNA": "ncRNA",
          "miRNA": "miRNA", "siRNA": "siRNA", "MicroRNA": "microRNA", "bHLH": "bHLH",
          "bZIP": "bZIP", "CpG": "CpG", "TATA": "TATA"}
# One word of a CamelCase name: a known mixed-case word, an acronym with digits ("AP2"), an
# acronym before a "TF" or before a capitalised word ("RNAPolymerase"), a capitalised word.
_WORDS = re.compile(
    "|".join(sorted(_MIXED, key=len, reverse=True))
    + r"|[A-Z]+[0-9]+(?![a-z])|[A-Z]{2,}?(?=TF(?![a-z]))|[A-Z]+(?=[A-Z][a-z])|[A-Z]+[0-9]*(?![a-z])"
    r"|[A-Z]?[a-z]+[0-9]*|[0-9]+|[^\sA-Za-z0-9]+"
)
# An ontology class as a note writes it: "GO:0005634 nucleus" (id, then the class label).
_ONTOLOGY_ID = re.compile(r"^[A-Za-z][\w.-]*:\S+\s+(?=\S)")


def readable_name(label: str) -> str:
    """The name a user would type for ``label``: ``cell_type`` -> "cell type", ``GENE`` ->
    "gene", ``SpecificDisease`` -> "specific disease", ``PER`` -> "person",
    ``TranscriptionFactor`` -> "transcription factor", ``RNAPolymeraseII`` -> "RNA polymerase
    II", ``GO:0005634 nucleus`` -> "nucleus". A label that already has spaces is words as
    written (an ontology's own label: "Homo sapiens", "T-cell receptor")."""
    if label in _SPOKEN:
        return _SPOKEN[label]
    text = _ONTOLOGY_ID.sub("", label.strip())
    if " " in text:
        return " ".join(text.replace("_", " ").split())
    # in an all-capitals label ("OTHER_PERSON") words are capitalised, not acronyms
    shouting = text.upper() == text
    out = []
    for chunk in text.replace("_", " ").replace("-", " ").split():
        glue = False  # punctuation joins its neighbours: "Graves'", "A/B"
        for word in _WORDS.findall(chunk):
            if not word[0].isalnum():
                spoken = word
            elif word in _SPOKEN:
                spoken = _SPOKEN[word]
            elif word in _MIXED:
                spoken = _MIXED[word]
            elif word in _KEEP_CASE or (word.isupper() and (len(word) <= 3 or not shouting)):
                spoken = word
            else:
                spoken = word.lower()
            if out and (glue or not word[0].isalnum()):
                out[-1] += spoken
            else:
                out.append(spoken)
            glue = not word[0].isalnum()
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
    data = read_json(path, "Forms file", LabelError)
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
