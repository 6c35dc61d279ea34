"""Evaluate a zero-shot NER pipeline on a gold DocBin with types given at run time, and
compare runs side by side.

``evaluate`` loads a pipeline, sets the labels (with their descriptions) on its
``zero_shot_ner`` component, predicts over copies of the gold docs (same tokens, so the scores
never suffer from re-tokenization), and scores with the component's scorer (data contract 6),
adding throughput. Under a forms file every form of the descriptions is scored and the worst
leads (``corpora.forms``). ``report`` turns several metrics files into one Markdown table.
"""
from __future__ import annotations

import json
import platform
import time
from functools import partial
from pathlib import Path
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Union

from spacy.tokens import Doc
from spacy.training import Example

from .records import read_json

PathLike = Union[str, Path]
# called with each form's predictions: (form, predicted docs, gold docs, the component), inside
# the component's settings for that form (e.g. ``reporting.ErrorCases`` reads the errors)
OnPredicted = Callable[[str, Sequence[Doc], Sequence[Doc], Any], None]
FACTORY = "zero_shot_ner"
# the component's settings a metrics file records (the threshold used is its own key)
COMPONENT_KEYS = ("threshold", "name_threshold", "check_names", "spans_key", "gold_spans_key")
SUMMARY_KEYS = (
    ("ents_p", "span P"),
    ("ents_r", "span R"),
    ("ents_f", "span F"),
    ("span_macro_f", "span macro F"),
    ("tok_micro_f", "token F"),
    ("tok_macro_f", "token macro F"),
)


class EvaluationError(ValueError):
    """Bad input to an evaluation: the message says what to fix."""


def find_component(nlp, name: Optional[str] = None) -> str:
    """The name of the pipeline's ``zero_shot_ner`` component."""
    if name is not None:
        if name not in nlp.pipe_names:
            raise EvaluationError(
                f"The pipeline has no component '{name}'; it has {nlp.pipe_names}"
            )
        return name
    found = [p for p in nlp.pipe_names if nlp.get_pipe_meta(p).factory == FACTORY]
    if not found:
        raise EvaluationError(
            f"The pipeline has no '{FACTORY}' component (it has {nlp.pipe_names or 'none'}): "
            "train one (spacy-juicer init-config kp.cfg) or add it with nlp.add_pipe('zero_shot_ner')."
        )
    return found[0]


def load_pipeline(model: PathLike, feature_store: Optional[PathLike] = None):
    """``spacy.load(model)``; with ``feature_store``, its frozen encoders
    (``FrozenBiEncoder.v2``) read and write that store, so that a sentence already encoded by
    training or by an earlier evaluation, under the same encoder weights, costs nothing. The
    store is never saved with the pipeline."""
    import spacy

    try:
        nlp = spacy.load(model)
    except OSError as err:
        raise EvaluationError(f"Cannot load the pipeline '{model}': {err}") from None
    if feature_store is not None:
        attach_store(nlp, feature_store)
    return nlp


def attach_store(nlp, path: PathLike) -> int:
    """Give every frozen encoder of ``nlp``'s ``zero_shot_ner`` components the feature store at
    ``path``; the number of components that have one (others run their encoders as usual)."""
    from .student.feature_store import FeatureStore
    from .student.frozen_bi_encoder import attach_feature_store

    store, attached = None, 0
    for name in nlp.pipe_names:
        model = getattr(nlp.get_pipe(name), "model", None)
        if nlp.get_pipe_meta(name).factory != FACTORY or model is None:
            continue
        if any(node.name == "zero_shot_frozen_bi_encoder" for node in model.walk()):
            store = store or FeatureStore(path)
            attach_feature_store(model, store)
            attached += 1
    return attached


def load_gold(path: PathLike, vocab, limit: int = 0) -> List[Doc]:
    from .corpora.convert import load_docbin

    try:
        docs = load_docbin(path, vocab)
    except (FileNotFoundError, ValueError) as err:
        raise EvaluationError(str(err)) from None
    if limit:
        docs = docs[:limit]
    if not docs:
        raise EvaluationError(f"{path} holds no documents.")
    if not any(doc.ents for doc in docs):
        raise EvaluationError(
            f"{path} has no gold entities in doc.ents: nothing to score. Convert the corpus "
            "with 'spacy-juicer convert' (or build a split with 'spacy-juicer split')."
        )
    return docs


def gold_types(docs: Iterable[Doc]) -> List[str]:
    return sorted({ent.label_ for doc in docs for ent in doc.ents})


def read_labels(labels: Union[PathLike, Mapping[str, str]]) -> Dict[str, str]:
    from .corpora.labels import LabelError, normalize_labels

    try:
        result = normalize_labels(labels if isinstance(labels, Mapping) else Path(labels))
    except LabelError as err:
        raise EvaluationError(str(err)) from None
    if not result:
        raise EvaluationError(f"The labels file {labels} names no types.")
    return result


def check_labels(labels: Mapping[str, str], types: Sequence[str], source: str) -> None:
    missing = [t for t in types if t not in labels]
    if missing:
        raise EvaluationError(
            f"The labels file {source} has no description for the type(s) "
            f"{', '.join(missing)} found in the data: add them to it (or relabel the data)."
        )


def read_forms(forms: Union[PathLike, Mapping[str, Mapping[str, str]]]) -> Dict[str, Dict[str, str]]:
    from .corpora.forms import check_forms, read_forms as read_forms_file
    from .corpora.labels import LabelError

    try:
        return check_forms(forms) if isinstance(forms, Mapping) else read_forms_file(forms)
    except LabelError as err:
        raise EvaluationError(str(err)) from None


def predict_and_score(
    nlp,
    pipe,
    gold: Sequence[Doc],
    labels: Mapping[str, str],
    *,
    threshold: Optional[float] = None,
    batch_size: int = 32,
    on_predicted: Optional[Callable[[Sequence[Doc], Sequence[Doc], Any], None]] = None,
) -> Dict[str, Any]:
    """Predict ``gold``'s texts with ``labels`` (and ``threshold``) through the whole pipeline,
    score with the component's own ``score``; the component's settings are restored after.
    ``on_predicted(predicted, gold, pipe)`` sees the predictions before they are dropped."""
    inputs = [pipe.copy_for_prediction(doc) for doc in gold]
    with pipe.using(labels=labels, threshold=threshold):
        start = time.perf_counter()
        predicted = list(nlp.pipe(inputs, batch_size=batch_size))
        seconds = time.perf_counter() - start
        # the threshold these labels were decided at: the bare names' own when every type is
        # given by its name alone (and the component has one), else the described types'.
        used = {pipe.threshold_for(d or t) for t, d in pipe.cfg["labels"].items()}
        used = used.pop() if len(used) == 1 else pipe.cfg["threshold"]
        used_name = pipe.cfg.get("name_threshold")
        scores = pipe.score([Example(p, g) for p, g in zip(predicted, gold)], labels=list(labels))
        if on_predicted is not None:
            on_predicted(predicted, gold, pipe)
    n_words = sum(len(doc) for doc in inputs)
    spans_key = pipe.cfg.get("spans_key")
    n_pred = sum(len(doc.spans.get(spans_key, [])) if spans_key else len(doc.ents) for doc in predicted)
    return {
        "threshold": used,
        "name_threshold": used_name,
        "n_words": n_words,
        "n_pred_ents": n_pred,
        "seconds": seconds,
        "docs_per_s": len(gold) / seconds if seconds else 0.0,
        "words_per_s": n_words / seconds if seconds else 0.0,
        **scores,
    }


def evaluate(
    model: Union[PathLike, Any],
    data: PathLike,
    labels: Union[PathLike, Mapping[str, str], None] = None,
    *,
    forms: Union[PathLike, Mapping[str, Mapping[str, str]], None] = None,
    batch_size: int = 32,
    limit: int = 0,
    component: Optional[str] = None,
    name: Optional[str] = None,
    threshold: Optional[float] = None,
    metric: str = "span_macro_f",
    feature_store: Optional[PathLike] = None,
    on_predicted: Optional[OnPredicted] = None,
) -> Dict[str, Any]:
    """Metrics of ``model`` (a path, a package name, or a loaded ``Language``) on ``data``.

    ``labels``: one labels file (or dict). ``forms``: a forms file (``corpora.forms``), every
    form of the types' descriptions: each is scored, and the top-level scores are those of the
    worst form by ``metric`` (``worst_form``; every form under ``forms``), so that a number
    quoted from a metrics file is never the best wording's. ``threshold`` overrides the
    component's decision threshold for this run; the pipeline's own settings are restored.
    ``feature_store``: a frozen encoder's store (``load_pipeline``), for a path ``model``.
    ``on_predicted``: called with each form's predictions (:data:`OnPredicted`), which are not
    kept otherwise (e.g. ``reporting.ErrorCases``, for ``reporting.write_report``).
    """
    from . import __version__

    if (labels is None) == (forms is None):
        raise EvaluationError("Give the types' descriptions: either a labels file or a forms file.")
    nlp = model if hasattr(model, "pipe_names") else load_pipeline(model, feature_store)
    comp_name = find_component(nlp, component)
    pipe = nlp.get_pipe(comp_name)
    gold = load_gold(data, nlp.vocab, limit)
    types = gold_types(gold)
    if forms is not None:
        label_sets = read_forms(forms)
        source = str(forms) if not isinstance(forms, Mapping) else "given"
    else:
        label_sets = {"given": read_labels(labels)}
        source = str(labels) if not isinstance(labels, Mapping) else "given"
    for form, label_map in label_sets.items():
        check_labels(label_map, types, source if forms is None else f"{source} ({form})")
    by_form = {
        form: predict_and_score(
            nlp, pipe, gold, label_map, threshold=threshold, batch_size=batch_size,
            on_predicted=None if on_predicted is None else partial(on_predicted, form),
        )
        for form, label_map in label_sets.items()
    }
    if forms is not None:
        from .corpora.forms import worst_form

        worst = worst_form({f: float(m.get(metric) or 0.0) for f, m in by_form.items()})
    else:
        worst = "given"
    import spacy

    metrics: Dict[str, Any] = {
        "name": name or _run_name(model),
        "model": str(model) if not hasattr(model, "pipe_names") else nlp.meta.get("name"),
        "data": str(data),
        "labels": source,
        "types": list(label_sets[worst]),
        "descriptions": dict(label_sets[worst]),
        "gold_types": types,
        "n_docs": len(gold),
        "n_gold_ents": sum(len(doc.ents) for doc in gold),
        "batch_size": batch_size,
        "component": {"name": comp_name, **{key: pipe.cfg.get(key) for key in COMPONENT_KEYS}},
        # the curves 'calibrate' chose the pipeline's threshold on (None: never calibrated)
        "calibration": nlp.meta.get("juicer", {}).get("calibration"),
        **by_form[worst],
        "versions": {"spacy_juicer": __version__, "spacy": spacy.__version__},
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "processor": platform.processor() or platform.machine()},
    }
    if forms is not None:
        metrics["worst_form"] = worst
        metrics["metric"] = metric
        metrics["forms"] = {f: {**m, "labels": label_sets[f]} for f, m in by_form.items()}
    return metrics


def _run_name(model: Any) -> str:
    if hasattr(model, "pipe_names"):
        return str(model.meta.get("name", "pipeline"))
    path = Path(str(model))
    return "/".join(path.parts[-2:]) if path.name.startswith("model-") else path.name


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{100 * value:.1f}"
    return str(value)


def _rows(run: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """A run measured under several forms gives a row per form, the worst first."""
    forms = run.get("forms")
    if not forms:
        return [dict(run)]
    worst = run.get("worst_form")
    order = [worst] + [f for f in forms if f != worst]
    rows = []
    for form in order:
        tag = f"worst: {form}" if form == worst else form
        rows.append({**run, **forms[form], "name": f"{run.get('name', '?')} [{tag}]"})
    return rows


def metrics_table(runs: Sequence[Mapping[str, Any]]) -> str:
    """One Markdown table: a row per run (per description form, worst first; scores in %),
    then per-type span F."""
    runs = [row for run in runs for row in _rows(run)]
    header = ["run", "data", "docs", "gold ents", "pred ents", "threshold"]
    header += [label for _, label in SUMMARY_KEYS] + ["docs/s", "words/s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for run in runs:
        row = [str(run.get("name", "?")), Path(str(run.get("data", "?"))).name,
               str(run.get("n_docs", "")), str(run.get("n_gold_ents", "")),
               str(run.get("n_pred_ents", "")), f"{run.get('threshold', float('nan')):.2f}"]
        row += [_fmt(run.get(key, 0.0)) for key, _ in SUMMARY_KEYS]
        row += [f"{run.get('docs_per_s', 0.0):.1f}", f"{run.get('words_per_s', 0.0):.0f}"]
        lines.append("| " + " | ".join(row) + " |")
    types = sorted({t for run in runs for t in run.get("ents_per_type", {})})
    if types:
        lines += ["", "Span-level F per type (%):", ""]
        lines.append("| run | " + " | ".join(types) + " |")
        lines.append("|" + "---|" * (len(types) + 1))
        for run in runs:
            per = run.get("ents_per_type", {})
            cells = [_fmt(per[t]["f"]) if t in per else "–" for t in types]
            lines.append(f"| {run.get('name', '?')} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_metrics(metrics: Mapping[str, Any], output: PathLike) -> Path:
    """Write ``output`` (JSON) and the Markdown table beside it (``.md``)."""
    output = Path(output)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(metrics, indent=2) + "\n", encoding="utf8")
    md = output.with_suffix(".md")
    md.write_text(metrics_table([metrics]), encoding="utf8")
    return md


def read_metrics(paths: Sequence[PathLike]) -> List[Dict[str, Any]]:
    runs = []
    for path in paths:
        path = Path(path)
        run = read_json(path, "Metrics file", EvaluationError)
        if not isinstance(run, dict) or "ents_f" not in run:
            raise EvaluationError(f"{path} is not a metrics file of 'spacy-juicer evaluate'")
        run.setdefault("name", path.stem)
        runs.append(run)
    if not runs:
        raise EvaluationError("No metrics files given.")
    return runs


def report(paths: Sequence[PathLike]) -> str:
    return metrics_table(read_metrics(paths))
