"""The scorer of the ``zero_shot_ner`` component: span-level exact match (seqeval) and
token-level type agreement, each as micro and macro averages and per type.

Definitions (the same at span and token level):

* **Types scored.** Without ``labels``, every type that occurs in the gold *or* the predicted
  annotation of at least one example (seqeval's and scikit-learn's convention). With
  ``labels``, only those types are scored: gold and predicted spans of any other type are
  ignored on both sides (the zero-shot protocol, where a model is asked for the test types
  only), and a label with neither gold nor predicted mentions is left out (no evidence either
  way). A label that the model predicted but that has no gold mention *does* count: its
  precision, recall and F are 0 and it lowers the macro average.
* **Zero division** is 0: a type with no prediction has precision 0, with no gold mention
  recall 0; F is 0 when P + R = 0.
* **Micro** pools true positives, false positives and false negatives over the scored types;
  **macro** is the unweighted mean of the per-type P, R and F (F is the mean of the per-type
  F values, not the F of the mean P and R). With no scored type at all every value is 0.
* **Span level**: a predicted span counts only when its start, end and type equal a gold
  span's (seqeval, ``mode="strict"``, ``scheme=IOB2``, on IOB2 tags built from the spans).
* **Token level**: each gold token has one type (or O); a token counts as a true positive for
  type T when gold and prediction are both T.

Gold comes from ``example.reference``, predictions from ``example.predicted``; the predicted
spans are mapped onto the reference tokens through the example's alignment (as spaCy's own
``Scorer.score_spans`` does), so a prediction that does not align with gold tokens is lost
(counted as missing). Spans come from ``doc.ents``, or from ``doc.spans[spans_key]`` when
given (overlapping spans are reduced with ``spacy.util.filter_spans``, longest first, because
a tag sequence cannot hold overlaps).
"""
from __future__ import annotations

from collections import Counter
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example
from spacy.util import filter_spans

SCORER_NAME = "spacy_juicer.zero_shot_ner_scorer.v1"

Prf = Dict[str, float]


def _spans(doc: Doc, spans_key: Optional[str]) -> List[Span]:
    if spans_key is None:
        return list(doc.ents)
    if spans_key not in doc.spans:
        return []
    return filter_spans(doc.spans[spans_key])


def _predicted_on_reference(example: Example, spans_key: Optional[str]) -> List[Span]:
    """Predicted spans in the reference tokenization."""
    pred = _spans(example.predicted, spans_key)
    if not pred:
        return []
    if example.x is example.y or (
        len(example.x) == len(example.y)
        and all(a.text == b.text for a, b in zip(example.x, example.y))
    ):
        return [Span(example.y, s.start, s.end, label=s.label_) for s in pred]
    aligned = example.get_aligned_spans_x2y(pred, allow_overlap=True)
    return filter_spans(aligned)


def _iob2(length: int, spans: Iterable[Span]) -> List[str]:
    tags = ["O"] * length
    for span in spans:
        tags[span.start] = f"B-{span.label_}"
        for i in range(span.start + 1, span.end):
            tags[i] = f"I-{span.label_}"
    return tags


def _token_types(length: int, spans: Iterable[Span]) -> List[Optional[str]]:
    types: List[Optional[str]] = [None] * length
    for span in spans:
        for i in range(span.start, span.end):
            types[i] = span.label_
    return types


def _prf(tp: int, fp: int, fn: int) -> Prf:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f = 2 * p * r / (p + r) if p + r else 0.0
    return {"p": p, "r": r, "f": f}


def _macro(per_type: Dict[str, Prf]) -> Prf:
    if not per_type:
        return {"p": 0.0, "r": 0.0, "f": 0.0}
    n = len(per_type)
    return {k: sum(v[k] for v in per_type.values()) / n for k in ("p", "r", "f")}


def _span_scores(
    gold_tags: List[List[str]], pred_tags: List[List[str]]
) -> Tuple[Prf, Dict[str, Prf]]:
    """Micro P/R/F and per-type P/R/F with seqeval (exact match)."""
    from seqeval.metrics import classification_report
    from seqeval.scheme import IOB2

    has_any = any(t != "O" for seq in gold_tags + pred_tags for t in seq)
    if not has_any:
        return {"p": 0.0, "r": 0.0, "f": 0.0}, {}
    report = classification_report(
        gold_tags, pred_tags, output_dict=True, mode="strict", scheme=IOB2, zero_division=0
    )
    per_type: Dict[str, Prf] = {}
    micro = {"p": 0.0, "r": 0.0, "f": 0.0}
    for name, row in report.items():
        scores = {
            "p": float(row["precision"]),
            "r": float(row["recall"]),
            "f": float(row["f1-score"]),
        }
        if name == "micro avg":
            micro = scores
        elif not name.endswith(" avg"):
            per_type[name] = scores
    return micro, per_type


SAME_KEY = "<spans_key>"


def score_zero_shot_ner(
    examples: Iterable[Example],
    *,
    spans_key: Optional[str] = None,
    gold_spans_key: Optional[str] = SAME_KEY,
    labels: Optional[Sequence[str]] = None,
    **kwargs: Any,
) -> Dict[str, Any]:
    """Span- and token-level P/R/F of ``examples`` (keys: contract 6 of the project notes).

    Predictions come from ``spans_key`` (``None``: ``doc.ents``); gold from ``gold_spans_key``
    (``None``: ``doc.ents``; by default the same key as the predictions). The component passes
    its own two settings, so a pipeline that writes ``doc.spans`` is scored against the gold
    it was trained on."""
    gold_key = spans_key if gold_spans_key == SAME_KEY else gold_spans_key
    wanted: Optional[Set[str]] = set(labels) if labels is not None else None
    gold_tags: List[List[str]] = []
    pred_tags: List[List[str]] = []
    tok = {"tp": Counter(), "fp": Counter(), "fn": Counter()}
    for example in examples:
        ref = example.reference
        gold = _spans(ref, gold_key)
        pred = _predicted_on_reference(example, spans_key)
        if wanted is not None:
            gold = [s for s in gold if s.label_ in wanted]
            pred = [s for s in pred if s.label_ in wanted]
        gold_tags.append(_iob2(len(ref), gold))
        pred_tags.append(_iob2(len(ref), pred))
        for g, p in zip(_token_types(len(ref), gold), _token_types(len(ref), pred)):
            if g is not None and g == p:
                tok["tp"][g] += 1
                continue
            if g is not None:
                tok["fn"][g] += 1
            if p is not None:
                tok["fp"][p] += 1
    span_micro, span_per_type = _span_scores(gold_tags, pred_tags)
    tok_types = set(tok["tp"]) | set(tok["fp"]) | set(tok["fn"])
    tok_per_type = {
        t: _prf(tok["tp"][t], tok["fp"][t], tok["fn"][t]) for t in sorted(tok_types)
    }
    tok_micro = _prf(
        sum(tok["tp"].values()), sum(tok["fp"].values()), sum(tok["fn"].values())
    )
    span_macro = _macro(span_per_type)
    tok_macro = _macro(tok_per_type)
    return {
        "ents_p": span_micro["p"],
        "ents_r": span_micro["r"],
        "ents_f": span_micro["f"],
        "span_macro_p": span_macro["p"],
        "span_macro_r": span_macro["r"],
        "span_macro_f": span_macro["f"],
        "tok_micro_p": tok_micro["p"],
        "tok_micro_r": tok_micro["r"],
        "tok_micro_f": tok_micro["f"],
        "tok_macro_p": tok_macro["p"],
        "tok_macro_r": tok_macro["r"],
        "tok_macro_f": tok_macro["f"],
        "ents_per_type": dict(sorted(span_per_type.items())),
        "tok_per_type": tok_per_type,
    }


@spacy.registry.scorers(SCORER_NAME)
def make_zero_shot_ner_scorer() -> Callable[..., Dict[str, Any]]:
    """The registered scorer, for ``[components.zero_shot_ner.scorer]`` in a config."""
    return score_zero_shot_ner
