"""Choose the decision threshold on the dev types, and write it into the pipeline.

A student trained on few gold types, or on silver data whose teacher misses many mentions, is
under-confident on types it never saw: it ranks their mentions above other tokens but below
0.5 (measured: BC2GM GENE span F 8.2 at 0.5, 28.2 at the threshold chosen on the JNLPBA cell
types, fast mode trained 400 updates on BC5CDR; benchmarks/results/zero_shot/). The dev types
of a zero-shot split are disjoint from the test types, so choosing the threshold on them is
fair, and it is what a user with a few labelled sentences of their own can do.

The model runs once over the dev docs; each threshold only re-decodes its scores
(``score_thresholds``, ``choose_threshold``: the engine that ``calibrate`` and the training
callback ``spacy_juicer.dev_threshold.v1`` share).

With held-out sentences of the *seen* types as well (``seen``: e.g. BC5CDR devel for a student
fine-tuned on BC5CDR train), the threshold is the one with the best mean of the two worst-form
curves: one threshold serves both the types a user adds and the ones the model was trained on.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from spacy.tokens import Doc
from spacy.training import Example

from .corpora.doc_labels import set_doc_labels
from .corpora.labels import LabelsLike, is_bare_name
from .evaluation import (
    EvaluationError,
    check_labels,
    find_component,
    gold_types,
    load_gold,
    load_pipeline,
    read_forms,
    read_labels,
)

if TYPE_CHECKING:
    from .student.pipeline_component import ZeroShotNER

PathLike = Union[str, Path]
# the thresholds tried by default: a student fine-tuned end to end on few types is
# under-confident on unseen ones (best 0.05-0.5); the frozen-encoder head trained on many
# silver types, whose negatives weigh less than their share, is over-confident (best above 0.5)
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def best_worst_case(curves: Sequence[Mapping[str, float]], grid: Sequence[float]) -> Tuple[float, Dict[str, float]]:
    """The threshold of ``grid`` whose worst curve scores best (ties: the higher mean, then the
    higher threshold), and the worst curve."""
    worst = {str(t): min(c[str(t)] for c in curves) for t in grid}
    mean = {str(t): sum(c[str(t)] for c in curves) / len(curves) for t in grid}
    return float(max(grid, key=lambda t: (worst[str(t)], mean[str(t)], t))), worst


def _by_check_names(curves: Mapping[bool, Mapping[str, float]]) -> Dict[str, Dict[str, float]]:
    """``{"off": curve, "on": curve}``: the scores without and with ``check_names``."""
    return {("on" if check else "off"): dict(curve) for check, curve in curves.items()}


def check_grid(grid: Sequence[float]) -> Tuple[float, ...]:
    if not grid or any(not 0.0 <= float(t) <= 1.0 for t in grid):
        raise ValueError(f"thresholds must be in [0, 1]: {list(grid)}")
    return tuple(float(t) for t in grid)


def score_thresholds(
    pipe: "ZeroShotNER",
    docs: Sequence[Doc],
    references: Sequence[Doc],
    scores: Sequence[Any],
    grid: Sequence[float] = THRESHOLDS,
    metric: str = "span_macro_f",
    name_threshold: Optional[float] = None,
) -> Dict[str, float]:
    """``metric`` of the predictions ``scores`` decoded at each threshold of ``grid``: a
    re-decode per threshold, the model does not run again. ``name_threshold``: the bare
    names' threshold meanwhile (the described types' check by name, ``check_names``, is
    held to it); None: each threshold of the grid serves the names too."""
    grid = check_grid(grid)
    if not (len(docs) == len(references) == len(scores)):
        raise ValueError(f"{len(docs)} docs, {len(references)} references, {len(scores)} scores.")
    by_threshold: Dict[str, float] = {}
    for threshold in grid:
        decoded = [doc.copy() for doc in docs]
        with pipe.using(threshold=threshold, name_threshold=name_threshold):
            pipe.set_annotations(decoded, list(scores))
            result = pipe.score([Example(p, g) for p, g in zip(decoded, references)])
        if metric not in result:
            raise ValueError(f"unknown metric {metric!r}; the scorer gives {sorted(result)}.")
        by_threshold[str(threshold)] = float(result[metric] or 0.0)
    return by_threshold


def choose_threshold(
    pipe: "ZeroShotNER",
    docs: Sequence[Doc],
    references: Sequence[Doc],
    *,
    grid: Sequence[float] = THRESHOLDS,
    metric: str = "span_macro_f",
    batch_size: int = 32,
    label_sets: Optional[Mapping[str, LabelsLike]] = None,
) -> Dict[str, Any]:
    """The threshold of ``grid`` whose predictions on ``docs`` score best against
    ``references`` (ties: the higher, the more precise), with the score of each. ``docs``
    are what this component would receive (earlier components already run, per-doc labels
    kept); the model runs once and each threshold only re-decodes. ``pipe.cfg`` is left as
    it was: the caller decides whether to keep the choice.

    ``label_sets`` (e.g. the forms of the dev types' descriptions: ``corpora.forms``; None:
    the docs' own labels): the docs are predicted once per set, each with its labels instead
    of any per-doc labels,
    and the threshold chosen is the one whose *worst* set scores best (ties: the higher
    mean), so that it serves a user who words the types differently from us. Sets that
    give every type by its name alone (``labels.is_bare_name``) choose ``name_threshold``
    apart, when described sets are there too (else it is None): a name's probabilities
    run higher than a sentence's, and one threshold for both cost the names 1-5 span F
    on every seed measured (docs/results.md, "A threshold of their own for names").

    ``check_names`` is chosen too: on when, at its best threshold, reading the described
    types by name as well scores better than not (``scores_by_check``)."""
    grid = check_grid(grid)
    docs, references = list(docs), list(references)
    if len(docs) != len(references):
        raise ValueError(f"{len(docs)} docs but {len(references)} references.")
    # each set's docs run once, with the described types' names read too; each threshold and
    # each setting of check_names then only re-decodes. No sets: the docs' own labels, as given.
    label_sets = label_sets or {"given": None}
    predicted: Dict[str, Tuple[List[Doc], List[Any]]] = {}
    names: List[str] = []
    for set_name, labels in label_sets.items():
        plain = docs if labels is None else [set_doc_labels(doc.copy(), None) for doc in docs]
        with pipe.using(labels=labels, check_names=True):
            if labels is not None and all(is_bare_name(d or t) for t, d in pipe.cfg["labels"].items()):
                names.append(set_name)
            predicted[set_name] = (plain, pipe.predict_all(plain, batch_size))

    def sweep(set_name: str, check: bool, name_threshold: Optional[float] = None) -> Dict[str, float]:
        plain, scores = predicted[set_name]
        with pipe.using(labels=label_sets[set_name], check_names=check):
            return score_thresholds(pipe, plain, references, scores, grid, metric, name_threshold)

    described = [n for n in predicted if n not in names]
    name_curves = {n: sweep(n, False) for n in names}
    found: Dict[str, Any] = {"name_threshold": None}
    if described and names:
        # names first: a described type's check by name is held to the names' threshold
        found["name_threshold"], found["name_scores"] = best_worst_case(list(name_curves.values()), grid)
    by_check = {}
    for check in (False, True):
        by_set = {n: name_curves[n] if n in names else sweep(n, check, found["name_threshold"]) for n in predicted}
        best, worst = best_worst_case([by_set[n] for n in described or names], grid)
        by_check[check] = (worst[str(best)], best, worst, by_set)
    check = by_check[True][0] > by_check[False][0]  # ties: off, the cheaper reading
    _, best, worst, by_set = by_check[check]
    return {
        "threshold": best,
        **found,
        "check_names": check,
        "metric": metric,
        "rule": "best worst-case over the label sets" + (", bare names apart" if described and names else ""),
        "scores": worst,
        **({"scores_by_set": by_set} if len(by_set) > 1 else {}),  # the forms' curves, when there are several
        "scores_by_check": _by_check_names({c: v[2] for c, v in by_check.items()}),
        "n_docs": len(docs),
    }


def tune_threshold(
    nlp,
    data: PathLike,
    labels: Union[PathLike, Mapping[str, str], None] = None,
    *,
    forms: Union[PathLike, Mapping[str, Mapping[str, str]], None] = None,
    grid: Sequence[float] = THRESHOLDS,
    limit: int = 0,
    batch_size: int = 32,
    component: Optional[str] = None,
    metric: str = "span_macro_f",
) -> Dict[str, Any]:
    """The threshold of ``grid`` with the best ``metric`` on ``data`` (ties: the higher
    threshold, the more precise), with the score of every threshold. With ``forms`` (every
    form of the dev types' descriptions, ``corpora.forms``), the best *worst* form: a threshold
    that only serves our own wording would not serve a user's. The pipeline's own threshold
    and labels are left as they were."""
    if (labels is None) == (forms is None):
        raise EvaluationError("Give the types' descriptions: either a labels file or a forms file.")
    name = find_component(nlp, component)
    pipe = nlp.get_pipe(name)
    gold = load_gold(data, nlp.vocab, limit)
    source = str(forms if forms is not None else labels)
    label_sets = read_forms(forms) if forms is not None else {"given": read_labels(labels)}
    for form, label_map in label_sets.items():
        check_labels(label_map, gold_types(gold), source if forms is None else f"{source} ({form})")
    docs = list(nlp.pipe((pipe.copy_for_prediction(d) for d in gold), disable=[name]))
    found = choose_threshold(pipe, docs, gold, grid=grid, metric=metric, batch_size=batch_size, label_sets=label_sets)
    return {**found, "data": str(data), "labels": source}


def tune_joint(nlp, unseen: Dict[str, Any], seen: Dict[str, Any], **options: Any) -> Dict[str, Any]:
    """The threshold with the best mean score over unseen dev types and held-out seen types
    (each dict: ``data`` and ``labels`` or ``forms``, as :func:`tune_threshold` takes; ties: the
    higher threshold), with both curves and their mean; likewise the names' threshold, and
    whether to read described types by name too (``check_names``: on when its best mean beats
    the best without it). Each part holds its check by name to its own names' threshold."""
    parts = {"unseen": tune_threshold(nlp, **unseen, **options), "seen": tune_threshold(nlp, **seen, **options)}

    def best_of_mean(curves: List[Mapping[str, float]]) -> Tuple[float, Dict[str, float]]:
        grid = list(curves[0])
        mean = {t: sum(c[t] for c in curves) / len(curves) for t in grid}
        return float(max(grid, key=lambda t: (mean[t], float(t)))), mean

    found: Dict[str, Any] = {"metric": parts["unseen"]["metric"], "name_threshold": None}
    by_check = {check: best_of_mean([p["scores_by_check"][check] for p in parts.values()]) for check in ("off", "on")}
    best = {check: max(mean.values()) for check, (_, mean) in by_check.items()}
    found["check_names"] = best["on"] > best["off"]  # ties: off, the cheaper reading
    found["threshold"], found["scores"] = by_check["on" if found["check_names"] else "off"]
    found["scores_by_check"] = {check: mean for check, (_, mean) in by_check.items()}
    # the names' curve of each part that has one (a part given one labels file has none)
    name_curves = [p["name_scores"] for p in parts.values() if "name_scores" in p]
    if name_curves:
        found["name_threshold"], found["name_scores"] = best_of_mean(name_curves)
    return {
        **found,
        "rule": "best mean of the unseen dev types' and the held-out seen types' scores"
        + ("; bare names apart" if found["name_threshold"] is not None else ""),
        "n_docs": parts["unseen"]["n_docs"] + parts["seen"]["n_docs"],
        **parts,
    }


def calibrate(
    model: PathLike,
    data: PathLike,
    labels: Optional[PathLike],
    output: PathLike,
    *,
    seen: Optional[PathLike] = None,
    seen_labels: Optional[PathLike] = None,
    seen_forms: Optional[PathLike] = None,
    feature_store: Optional[PathLike] = None,
    **options: Any,
) -> Dict[str, Any]:
    """Tune the threshold of ``model`` on ``data`` (and on ``seen``, held-out sentences of the
    trained types, when given) and save the pipeline with it to ``output`` (the component's
    saved settings carry it, so ``spacy.load`` and ``spacy package`` keep it). ``feature_store``:
    a frozen encoder's store (``evaluation.load_pipeline``); the saved pipeline has none."""
    if seen is not None and (seen_labels is None) == (seen_forms is None):
        raise EvaluationError(
            "--seen: give its types' descriptions: either a labels file or a forms file (--seen-labels / --seen-forms)."
        )
    nlp = load_pipeline(model, feature_store)
    if seen is None:
        result = tune_threshold(nlp, data, labels, **options)
    else:
        forms = options.pop("forms", None)
        result = tune_joint(
            nlp,
            {"data": data, "labels": labels, "forms": forms},
            {"data": seen, "labels": seen_labels, "forms": seen_forms},
            **options,
        )
    name = find_component(nlp, options.get("component"))
    pipe = nlp.get_pipe(name)
    pipe.cfg["threshold"] = result["threshold"]
    pipe.cfg["name_threshold"] = result.get("name_threshold")
    pipe.cfg["check_names"] = result["check_names"]
    nlp.meta.setdefault("juicer", {})["calibration"] = result
    nlp.to_disk(output)
    return result
