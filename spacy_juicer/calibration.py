"""Choose the decision threshold on the dev types, and write it into the pipeline.

A student trained on few gold types, or on silver data whose teacher misses many mentions, is
under-confident on types it never saw: it ranks their mentions above other tokens but below
0.5 (measured: BC2GM GENE span F 8.2 at 0.5, 28.2 at the threshold chosen on the JNLPBA cell
types, fast mode trained 400 updates on BC5CDR; benchmarks/results/zero_shot/). The dev types
of a zero-shot split are disjoint from the test types, so choosing the threshold on them is
fair, and it is what a user with a few labelled sentences of their own can do.

The model runs once over the dev docs; each threshold only re-decodes its scores.

With held-out sentences of the *seen* types as well (``seen``: e.g. BC5CDR devel for a student
fine-tuned on BC5CDR train), the threshold is the one with the best mean of the two worst-form
curves: one threshold serves both the types a user adds and the ones the model was trained on.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

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
from .student.pipeline_component import THRESHOLD_GRID as THRESHOLDS

PathLike = Union[str, Path]


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
    try:
        if forms is None:
            with pipe.using(labels=label_sets["given"]):
                found = pipe.choose_threshold(docs, gold, grid=grid, metric=metric, batch_size=batch_size)
        else:
            found = pipe.choose_threshold(
                docs, gold, grid=grid, metric=metric, batch_size=batch_size, label_sets=label_sets
            )
    except ValueError as err:  # a bad grid or metric: the component's check, in the CLI's error type
        raise EvaluationError(str(err)) from None
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
