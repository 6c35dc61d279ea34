"""Choose the decision threshold on the dev types, and write it into the pipeline.

A student trained on few gold types, or on silver data whose teacher misses many mentions, is
under-confident on types it never saw: it ranks their mentions above other tokens but below
0.5 (measured: BC2GM GENE span F 8.2 at 0.5, 28.2 at the threshold chosen on the JNLPBA cell
types, fast mode trained 400 updates on BC5CDR; benchmarks/results/zero_shot/). The dev types
of a zero-shot split are disjoint from the test types, so choosing the threshold on them is
fair, and it is what a user with a few labelled sentences of their own can do.

The model runs once over the dev docs; each threshold only re-decodes its scores.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Mapping, Optional, Sequence, Union

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


def calibrate(
    model: PathLike,
    data: PathLike,
    labels: Optional[PathLike],
    output: PathLike,
    **options: Any,
) -> Dict[str, Any]:
    """Tune the threshold of ``model`` on ``data`` and save the pipeline with it to ``output``
    (the component's saved settings carry it, so ``spacy.load`` and ``spacy package`` keep it)."""
    nlp = load_pipeline(model)
    result = tune_threshold(nlp, data, labels, **options)
    name = find_component(nlp, options.get("component"))
    pipe = nlp.get_pipe(name)
    pipe.cfg["threshold"] = result["threshold"]
    nlp.meta.setdefault("juicer", {})["calibration"] = result
    nlp.to_disk(output)
    return result
