"""The entity types one training update scores, shared by the batch's docs.

JUICER scores 10-15 types per update, most of them absent from the batch, so the student learns
to read a description and answer "none of this type" as well as to find a type's mentions.
"""
from __future__ import annotations

from typing import Iterable, List, Mapping, Sequence

import numpy


def choose_types(
    gold_labels: Iterable[str],
    step_labels: Mapping[str, str],
    known: Sequence[str],
    pool: Iterable[str],
    min_types: int,
    max_types: int,
) -> List[str]:
    """The types of one update, in a random order.

    With per-doc labels (``step_labels``: a knowledge pre-training step's types, carried on the
    docs): the batch's gold types and all the step's types. Otherwise: the batch's gold types
    (a random subset if too many), then random negative types from the ``known`` labels and
    then the ``pool``, up to a random size in [min_types, max_types]. A type never comes back
    as a negative under another capitalisation."""
    size = numpy.random.randint(min_types, max_types + 1)
    present = sorted(set(gold_labels))
    if step_labels:
        present = sorted(set(present) | set(step_labels))
        size = max(size, len(present))
    elif len(present) > size:
        present = [present[i] for i in sorted(numpy.random.choice(len(present), size, replace=False))]
    types = list(present)
    taken = {t.casefold() for t in types}
    for source in (list(known), list(pool)):
        if len(types) >= size:
            break
        others = [t for t in source if t.casefold() not in taken]
        n = min(size - len(types), len(others))
        if n > 0:
            picked = [others[i] for i in numpy.random.choice(len(others), n, replace=False)]
            types.extend(picked)
            taken.update(t.casefold() for t in picked)
    numpy.random.shuffle(types)
    return types
