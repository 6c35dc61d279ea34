"""Every mention of an evaluation sorted into what a user looks for: found, missed, called the
wrong type, found with wrong edges, or invented.

The groups, per type T of the labels asked for (spans of other types are ignored on both
sides, as the scorer ignores them):

* **correct**: a gold T mention predicted with the same edges and type T.
* **wrong type**: a gold T mention predicted with the same edges (or, with no prediction of T
  over it, overlapping edges) but another type. Filed under the gold type.
* **wrong edges**: a gold T mention overlapped by a prediction of T with other edges.
* **missed**: a gold T mention that no prediction overlaps.
* **spurious**: a predicted T mention that overlaps no gold mention. Filed under the predicted
  type.

``correct`` is the scorer's true positives; ``missed``, ``wrong type`` and ``wrong edges``
together are its false negatives. Spans are read as the scorer reads them: ``doc.ents``, or
``doc.spans[key]`` with overlaps reduced by ``spacy.util.filter_spans``.

Counting reads every doc; only a seeded sample of each group is kept (reservoir sampling), so
the memory stays small on a large test set.
"""
from __future__ import annotations

import random
import time
from collections import Counter
from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Sequence, Tuple

from spacy.tokens import Doc
from spacy.util import filter_spans

GROUPS = ("missed", "spurious", "wrong_type", "wrong_edges", "correct")
GROUP_TITLES = {
    "missed": "Missed",
    "spurious": "Spurious",
    "wrong_type": "Wrong type",
    "wrong_edges": "Wrong edges",
    "correct": "Correct",
}
GROUP_HELP = {
    "missed": "gold mentions no prediction overlaps",
    "spurious": "predicted mentions that overlap no gold mention",
    "wrong_type": "gold mentions predicted as another type",
    "wrong_edges": "gold mentions predicted as this type with other edges",
    "correct": "gold mentions predicted with the same edges and type",
}
SpanTuple = Tuple[int, int, str]


@dataclass(frozen=True)
class Case:
    """One mention of one group: the doc it is in (index into the gold docs), the gold and the
    predicted span it is about (either may be None), and every gold and predicted span of the
    doc, for drawing."""

    doc: int
    group: str
    label: str
    gold: Optional[SpanTuple]
    pred: Optional[SpanTuple]
    gold_spans: Tuple[SpanTuple, ...]
    pred_spans: Tuple[SpanTuple, ...]


def read_spans(doc: Doc, key: Optional[str], labels: Iterable[str]) -> Tuple[SpanTuple, ...]:
    """The spans of ``labels`` the scorer reads: ``doc.ents``, or ``doc.spans[key]`` without
    overlaps (longest first)."""
    wanted = set(labels)
    spans = list(doc.ents) if key is None else filter_spans(doc.spans[key]) if key in doc.spans else []
    return tuple((s.start, s.end, s.label_) for s in spans if s.label_ in wanted)


def classify(gold: Sequence[SpanTuple], pred: Sequence[SpanTuple]) -> List[Tuple[str, str, Optional[SpanTuple], Optional[SpanTuple]]]:
    """``(group, type, gold span, predicted span)`` for each gold mention and each spurious
    prediction of one doc (module docstring)."""
    out: List[Tuple[str, str, Optional[SpanTuple], Optional[SpanTuple]]] = []
    for g in gold:
        same_edges = [p for p in pred if p[:2] == g[:2]]
        overlapping = [p for p in pred if p[0] < g[1] and g[0] < p[1]]
        if g in same_edges:
            out.append(("correct", g[2], g, g))
        elif same_edges:
            out.append(("wrong_type", g[2], g, same_edges[0]))
        elif any(p[2] == g[2] for p in overlapping):
            out.append(("wrong_edges", g[2], g, next(p for p in overlapping if p[2] == g[2])))
        elif overlapping:
            out.append(("wrong_type", g[2], g, overlapping[0]))
        else:
            out.append(("missed", g[2], g, None))
    for p in pred:
        if not any(g[0] < p[1] and p[0] < g[1] for g in gold):
            out.append(("spurious", p[2], None, p))
    return out


class ErrorCases:
    """Counts of each group per type and description form over all docs, and a seeded sample
    of ``per_group`` cases of each; an ``on_predicted`` hook of ``evaluation.evaluate``."""

    def __init__(self, per_group: int = 5, seed: int = 0) -> None:
        if per_group < 0:
            raise ValueError(f"per_group must be >= 0, not {per_group}.")
        self.per_group = per_group
        self.seed = seed
        self.counts: Dict[str, Dict[str, Counter]] = {}
        self.samples: Dict[Tuple[str, str, str], List[Case]] = {}
        self.docs: Sequence[Doc] = ()
        self.seconds = 0.0  # time spent here: part of the report's cost, not of the prediction
        self._seen: Counter = Counter()
        self._rngs: Dict[Tuple[str, str, str], random.Random] = {}

    def __call__(self, form: str, predicted: Sequence[Doc], gold: Sequence[Doc], pipe: Any) -> None:
        cfg = pipe.cfg
        self.add(form, predicted, gold, list(cfg["labels"]), cfg.get("spans_key"), cfg.get("gold_spans_key"))

    def add(
        self,
        form: str,
        predicted: Sequence[Doc],
        gold: Sequence[Doc],
        labels: Sequence[str],
        spans_key: Optional[str] = None,
        gold_spans_key: Optional[str] = None,
    ) -> None:
        """Sort the mentions of ``predicted`` against ``gold`` (same tokens, same order)."""
        start = time.perf_counter()
        if len(predicted) != len(gold):
            raise ValueError(f"{len(predicted)} predicted docs but {len(gold)} gold docs.")
        self.docs = gold
        counts = self.counts.setdefault(form, {label: Counter() for label in labels})
        for i, (pred_doc, gold_doc) in enumerate(zip(predicted, gold)):
            gold_spans = read_spans(gold_doc, gold_spans_key, labels)
            pred_spans = read_spans(pred_doc, spans_key, labels)
            for group, label, g, p in classify(gold_spans, pred_spans):
                counts.setdefault(label, Counter())[group] += 1
                self._keep(form, i, group, label, g, p, gold_spans, pred_spans)
        self.seconds += time.perf_counter() - start

    def _keep(self, form: str, i: int, group: str, label: str, g, p, gold_spans, pred_spans) -> None:
        """Reservoir sampling (Algorithm R): each case of a group is kept with equal chance,
        with a random stream of its own per form, type and group."""
        key = (form, label, group)
        self._seen[key] += 1
        n = self._seen[key]
        kept = self.samples.setdefault(key, [])
        if n <= self.per_group:
            kept.append(Case(i, group, label, g, p, gold_spans, pred_spans))
            return
        rng = self._rngs.get(key)
        if rng is None:
            rng = self._rngs[key] = random.Random(f"{self.seed}|{form}|{label}|{group}")
        j = rng.randrange(n)
        if j < self.per_group:
            kept[j] = Case(i, group, label, g, p, gold_spans, pred_spans)

    def sample(self, form: str, label: str, group: str) -> List[Case]:
        """The kept cases of a group, in document order."""
        return sorted(self.samples.get((form, label, group), []), key=lambda c: (c.doc, c.gold or c.pred))

    def count(self, form: str, label: str, group: str) -> int:
        return self.counts.get(form, {}).get(label, Counter())[group]
