"""Entity types and their descriptions, the only thing the zero-shot component needs to know
about the labels. They are data, not parameters: changing them needs no retraining.

Accepted forms: a dict ``{"Disease": "a disorder of ..."}``, a list of names (the name is
then its own description), or a ``.json`` / ``.jsonl`` file holding either.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Dict, Iterable, Mapping, Optional, Union

import srsly
from spacy.util import registry

LabelsLike = Union[Mapping[str, str], Iterable[str], str, Path, None]


class LabelError(ValueError):
    """Labels that cannot be used: empty, duplicated or malformed."""


# a sentence's punctuation: a type text with none of it, in a few words, is a name
_SENTENCE_MARKS = re.compile(r"[.,;:!?]")
MAX_NAME_WORDS = 4


@lru_cache(maxsize=4096)  # asked for every type of every doc the component annotates
def is_bare_name(text: str) -> bool:
    """Whether a type is given by its name alone ("gene", "cell line", "gene or gene
    product"), not described: at most ``MAX_NAME_WORDS`` words and no sentence punctuation.
    The student scores a bare name on another scale than a sentence (its probabilities for
    the same mentions run higher), so the component decides names at a threshold of their
    own (``name_threshold``), which ``calibrate`` chooses on the dev types' names."""
    words = text.split()
    return 0 < len(words) <= MAX_NAME_WORDS and not _SENTENCE_MARKS.search(text)


def read_labels_file(path: Union[str, Path]) -> Dict[str, str]:
    """Read a labels file: a JSON object or list, or JSONL with one
    ``{"label": ..., "description": ...}`` per line."""
    path = Path(path)
    if not path.exists():
        raise LabelError(f"Labels file {path} does not exist.")
    if path.suffix == ".jsonl":
        pairs = []
        for i, record in enumerate(srsly.read_jsonl(path), start=1):
            if not isinstance(record, dict) or "label" not in record:
                raise LabelError(f"{path}:{i}: expected {{\"label\": ..., \"description\": ...}}")
            pairs.append((record["label"], record.get("description")))
        return _check_pairs(pairs, source=str(path))
    try:
        data = srsly.read_json(path)
    except ValueError as err:
        raise LabelError(f"{path} is not valid JSON: {err}") from err
    if isinstance(data, dict) and isinstance(data.get("labels"), (dict, list)):
        data = data["labels"]
    return normalize_labels(data, source=str(path))


def normalize_labels(labels: LabelsLike, source: str = "labels") -> Dict[str, str]:
    """Turn any accepted form into an ordered ``{name: description}`` dict, with checks.

    A missing or empty description falls back to the name: a type given by its name alone
    is decided at the names' own threshold (``name_threshold``).
    """
    if labels is None:
        return {}
    if isinstance(labels, (str, Path)):
        return read_labels_file(labels)
    if isinstance(labels, Mapping):
        pairs = list(labels.items())
    else:
        pairs = [(label, None) for label in labels]
    return _check_pairs(pairs, source=source)


def _check_pairs(pairs, source: str) -> Dict[str, str]:
    result: Dict[str, str] = {}
    for name, description in pairs:
        if not isinstance(name, str) or not name.strip():
            raise LabelError(f"{source}: empty or non-text label name {name!r}.")
        name = name.strip()
        if name in result:
            raise LabelError(f"{source}: duplicate label '{name}'.")
        if description is not None and not isinstance(description, str):
            raise LabelError(f"{source}: the description of '{name}' is not text.")
        if not description or not description.strip():
            description = name  # a bare name is a supported form of a type, read as it is
        result[name] = " ".join(description.split())
    return result


@registry.misc("spacy_juicer.labels_from_file.v1")
def labels_from_file(path: Optional[str] = None) -> Optional[Dict[str, str]]:
    """Config hook: ``[initialize.components.zero_shot_ner.labels]`` from a JSON/JSONL file.
    With no path, the types are taken from the training data (named after themselves)."""
    if path is None or not str(path).strip():
        return None
    return read_labels_file(path)
