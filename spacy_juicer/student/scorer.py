"""The scorer of the ``zero_shot_ner`` component: span-level exact match (spaCy's
``Scorer.score_spans``) and token-level type agreement, each as micro and macro averages and
per type.

Definitions (the same at span and token level):

* **Types scored.** Without ``labels``, every type that occurs in the gold *or* the predicted
  annotation of at least one example (spaCy's and scikit-learn's convention). With
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
  span's. Spans may overlap (``doc.spans`` groups): every span is scored on its own, so a
  nested or crossing mention is neither merged nor dropped.
* **Token level**: a token belongs to type T when a span of type T covers it (with
  overlapping spans of two types, to both); for each type, the tokens that gold and prediction
  both give it are true positives, the others false negatives or false positives.

Gold comes from ``example.reference``, predictions from ``example.predicted``; the predicted
spans are mapped onto the reference tokens through the example's alignment (as spaCy's own
scorers do), so a prediction that does not align with gold tokens is lost (counted as
missing; its type is still scored). Spans come from ``doc.ents``, or from ``doc.spans[key]`` when a key is given (a doc
without that group has no spans). Every example is scored: a reference without spans means
"no mentions", not "not annotated".
"""
from __future__ import annotations

from collections import defaultdict
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Set

import spacy
from spacy.scorer import PRFScore, Scorer
from spacy.tokens import Doc, Span
from spacy.training import Example

SCORER_NAME = "spacy_juicer.zero_shot_ner_scorer.v1"
SAME_KEY = "<spans_key>"

Prf = Dict[str, float]
_ZERO: Prf = {"p": 0.0, "r": 0.0, "f": 0.0}


def doc_spans(doc: Doc, key: Optional[str], wanted: Optional[Set[str]] = None) -> List[Span]:
    """``doc.ents`` (``key`` None) or ``doc.spans[key]``, only the ``wanted`` types."""
    if key is None:
        spans: Iterable[Span] = doc.ents
    else:
        spans = doc.spans[key] if key in doc.spans else []
    return [s for s in spans if wanted is None or s.label_ in wanted]


def _token_sets(spans: Iterable[Span]) -> Dict[str, Set[int]]:
    """Each type's covered token indices."""
    covered: Dict[str, Set[int]] = defaultdict(set)
    for span in spans:
        covered[span.label_].update(range(span.start, span.end))
    return covered


def _averages(per_type: Dict[str, Prf]) -> Prf:
    """Unweighted mean of the per-type P, R and F (0 with no type)."""
    if not per_type:
        return dict(_ZERO)
    n = len(per_type)
    return {k: sum(v[k] for v in per_type.values()) / n for k in ("p", "r", "f")}


def _micro(score: PRFScore) -> Prf:
    return {"p": score.precision, "r": score.recall, "f": score.fscore} if len(score) else dict(_ZERO)


def score_zero_shot_ner(
    examples: Iterable[Example],
    *,
    spans_key: Optional[str] = None,
    gold_spans_key: Optional[str] = SAME_KEY,
    labels: Optional[Sequence[str]] = None,
    **kwargs: Any,
) -> Dict[str, Any]:
    """Span- and token-level P/R/F of ``examples``.

    Predictions come from ``spans_key`` (``None``: ``doc.ents``); gold from ``gold_spans_key``
    (``None``: ``doc.ents``; by default the same key as the predictions). The component passes
    its own two settings, so a pipeline that writes ``doc.spans`` is scored against the gold
    it was trained on. Other keyword arguments (spaCy's ``Language.evaluate`` passes some) are
    ignored."""
    gold_key = spans_key if gold_spans_key == SAME_KEY else gold_spans_key
    wanted: Optional[Set[str]] = set(labels) if labels is not None else None
    # spaCy's getter sees only a doc: it finds a doc's spans by the doc's identity, so an
    # example whose predicted doc *is* its reference but is read under another key gets its
    # own predicted copy.
    scored: List[Example] = []
    spans_of: Dict[int, List[Span]] = {}
    tokens: Dict[str, PRFScore] = defaultdict(PRFScore)
    for eg in examples:
        if eg.predicted is eg.reference and gold_key != spans_key:
            eg = Example(eg.predicted.copy(), eg.reference)
        gold = spans_of[id(eg.reference)] = doc_spans(eg.reference, gold_key, wanted)
        pred = spans_of[id(eg.predicted)] = doc_spans(eg.predicted, spans_key, wanted)
        scored.append(eg)
        gold_tokens = _token_sets(gold)
        pred_tokens = _token_sets(eg.get_aligned_spans_x2y(pred, allow_overlap=True))
        # a predicted type counts even when none of its spans align (as at span level)
        for label in set(gold_tokens) | set(pred_tokens) | {s.label_ for s in pred}:
            tokens[label].score_set(pred_tokens.get(label, set()), gold_tokens.get(label, set()))
    spans = Scorer.score_spans(
        scored,
        "ents",
        getter=lambda doc, _attr: spans_of[id(doc)],
        has_annotation=None,  # score every example, and the predicted labels too
        labeled=True,
        allow_overlap=True,
    )
    span_per_type: Dict[str, Prf] = dict(sorted((spans["ents_per_type"] or {}).items()))
    span_micro = {k: spans[f"ents_{k}"] or 0.0 for k in ("p", "r", "f")}
    tok_per_type = {label: tokens[label].to_dict() for label in sorted(tokens)}
    tok_micro = _micro(sum(tokens.values(), PRFScore()))
    span_macro = _averages(span_per_type)
    tok_macro = _averages(tok_per_type)
    # ents_p, ents_r, ents_f (span micro), span_macro_p ... tok_micro_p ... tok_macro_f
    averages = {"ents": span_micro, "span_macro": span_macro, "tok_micro": tok_micro, "tok_macro": tok_macro}
    return {
        **{f"{name}_{k}": scores[k] for name, scores in averages.items() for k in ("p", "r", "f")},
        "ents_per_type": span_per_type,
        "tok_per_type": tok_per_type,
    }


@spacy.registry.scorers(SCORER_NAME)
def make_zero_shot_ner_scorer() -> Callable[..., Dict[str, Any]]:
    """The registered scorer, for ``[components.zero_shot_ner.scorer]`` in a config."""
    return score_zero_shot_ner
