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
    _copy_for_prediction,
    check_labels,
    find_component,
    gold_types,
    load_gold,
    load_pipeline,
    read_labels,
)
from .student.pipeline_component import THRESHOLD_GRID as THRESHOLDS

PathLike = Union[str, Path]


def tune_threshold(
    nlp,
    data: PathLike,
    labels: Union[PathLike, Mapping[str, str]],
    *,
    grid: Sequence[float] = THRESHOLDS,
    limit: int = 0,
    batch_size: int = 32,
    component: Optional[str] = None,
    metric: str = "span_macro_f",
) -> Dict[str, Any]:
    """The threshold of ``grid`` with the best ``metric`` on ``data`` (ties: the higher
    threshold, the more precise), with the score of every threshold. The pipeline's own
    threshold and labels are left as they were."""
    name = find_component(nlp, component)
    pipe = nlp.get_pipe(name)
    gold = load_gold(data, nlp.vocab, limit)
    label_map = read_labels(labels)
    check_labels(label_map, gold_types(gold), str(labels) if not isinstance(labels, Mapping) else "given")
    own_labels = dict(pipe.cfg["labels"])
    pipe.set_labels(label_map)
    try:
        docs = list(nlp.pipe((_copy_for_prediction(d, nlp.vocab) for d in gold), disable=[name]))
        found = pipe.choose_threshold(docs, gold, grid=grid, metric=metric, batch_size=batch_size)
    except ValueError as err:  # a bad grid or metric: the component's check, in the CLI's error type
        raise EvaluationError(str(err)) from None
    finally:
        if own_labels:
            pipe.set_labels(own_labels)
        else:
            pipe.cfg["labels"] = {}
    return {**found, "data": str(data)}


def calibrate(
    model: PathLike,
    data: PathLike,
    labels: PathLike,
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
