"""Blending silver (LLM-labelled) and gold data over epochs (Huang et al., Phase Three).

A schedule gives the silver share ``w0(t)`` of epoch ``t`` of ``T``; the gold share is
``w1 = 1 - w0`` (``all``: both 1). Each epoch the reader yields a random ``w0`` share of the
silver examples and a ``w1`` share of the gold ones, shuffled together. The silver side is
any reader, typically the KP reader (each call a fresh KP step, with its types on each doc);
the gold side a ``LabelledCorpus`` or ``spacy.Corpus``. ``spacy train`` must stream the
reader (``[training] max_epochs = -1``) so that it is called once per epoch.
"""
from __future__ import annotations

import math
import random
from typing import Callable, Iterator, List

from spacy.language import Language
from spacy.training import Example
from spacy.util import registry

SCHEDULES = ("silver", "gold", "simple_mix", "sequential", "all", "sigmoid", "cosine", "power")


def silver_share(schedule: str, t: int, total: int, k: float = 8.0, n: float = 0.2) -> float:
    """``w0(t)`` for epoch ``t`` in ``[0, total)``: the functions of Huang et al.

    silver: 1; gold: 0; simple_mix / sequential: 1 for ``t < T/2``, then 0; all: 1 (gold too);
    sigmoid: ``1 - 1/(1 + exp(-k(x - 0.5)))``; cosine: ``0.5(1 + cos(pi x))``; power:
    ``1 - x**n``; with ``x = t / (T - 1)``.
    """
    if schedule not in SCHEDULES:
        raise ValueError(f"Unknown blending schedule '{schedule}': choose from {SCHEDULES}.")
    if total < 1:
        raise ValueError("The number of blending epochs must be >= 1.")
    x = min(t, total - 1) / (total - 1) if total > 1 else 1.0
    if schedule in ("silver", "all"):
        return 1.0
    if schedule == "gold":
        return 0.0
    if schedule in ("simple_mix", "sequential"):
        return 1.0 if t < total / 2 else 0.0
    if schedule == "sigmoid":
        return 1.0 - 1.0 / (1.0 + math.exp(-k * (x - 0.5)))
    if schedule == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * x))
    return 1.0 - x**n


def gold_share(schedule: str, t: int, total: int, k: float = 8.0, n: float = 0.2) -> float:
    return 1.0 if schedule == "all" else 1.0 - silver_share(schedule, t, total, k, n)


def _take(examples: List[Example], share: float, rng: random.Random) -> List[Example]:
    if share >= 1.0:
        return list(examples)
    count = int(round(share * len(examples)))
    return rng.sample(examples, count) if count else []


@registry.readers("spacy_juicer.BlendedCorpus.v1")
def make_blended_corpus(
    silver: Callable[[Language], Iterator[Example]],
    gold: Callable[[Language], Iterator[Example]],
    schedule: str = "simple_mix",
    epochs: int = 20,
    k: float = 8.0,
    n: float = 0.2,
    seed: int = 0,
    gold_per_epoch: int = 0,
) -> Callable[[Language], Iterator[Example]]:
    """``[corpora.train]``: silver and gold blended by ``schedule`` over ``epochs`` epochs
    (after the last, the last epoch's shares hold). ``gold_per_epoch`` > 0: each epoch's gold
    pool is a fresh random sample of that many docs of the whole gold corpus (its ``w1`` share
    is then taken), so short epochs still see all the gold over a run, not only its first docs."""
    silver_share(schedule, 0, epochs, k, n)  # validate early
    if gold_per_epoch < 0:
        raise ValueError(f"gold_per_epoch must be >= 0, not {gold_per_epoch}.")
    rng = random.Random(seed)
    state = {"epoch": 0}

    def read(nlp: Language) -> Iterator[Example]:
        t = state["epoch"]
        state["epoch"] += 1
        w0 = silver_share(schedule, t, epochs, k, n)
        w1 = gold_share(schedule, t, epochs, k, n)
        # the gold reader is called every epoch: a LabelledCorpus with views draws new wordings
        pool = list(gold(nlp)) if w1 > 0 else []
        chosen = _take(list(silver(nlp)), w0, rng) if w0 > 0 else []
        if 0 < gold_per_epoch < len(pool):
            pool = rng.sample(pool, gold_per_epoch)
        chosen += _take(pool, w1, rng)
        rng.shuffle(chosen)
        yield from chosen

    return read
