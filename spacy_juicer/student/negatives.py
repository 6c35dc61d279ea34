"""The pool of negative types: descriptions of types a training step scores although the batch
has no mention of them, so that the student learns to answer "none of this type".

A model trained on two gold types has only ever seen those two descriptions, so any other
description is out of distribution and its answers are arbitrary; scoring 10-15 types per step,
most of them absent, teaches it to read a description and say no. The pool is the silver
types' descriptions when a silver corpus is at hand, else ``negative_types.json`` shipped here:
about 300 broad types across domains, written for this project, that leave out the held-out
types of the benchmark splits (genes, proteins, cells, chemicals, diseases, persons ...).

It sits beside the component because the component reads the pool (``set_negative_types``,
``initialize``), so a packaged pipeline needs it without the training package.
"""
from __future__ import annotations

from pathlib import Path
from typing import Dict, Optional, Union

BUILTIN = "builtin"
NONE = "none"
BUILTIN_PATH = Path(__file__).with_name("negative_types.json")


def load_negative_pool(source: Optional[Union[str, Path]] = BUILTIN) -> Dict[str, str]:
    """``{type: description}`` from ``"builtin"``, ``"none"`` (empty) or a labels file."""
    from ..corpora.labels import read_labels_file

    if source is None or str(source) == "" or str(source) == BUILTIN:
        return read_labels_file(BUILTIN_PATH)
    if str(source) == NONE:
        return {}
    return read_labels_file(source)
