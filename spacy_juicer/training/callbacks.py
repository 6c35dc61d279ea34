"""Callbacks that ``spacy train`` calls: per-epoch learning-rate decay (Huang et al.: x0.95
after each epoch), which a step-based Thinc schedule cannot express when epochs differ in
length (blended or KP epochs); the decision threshold chosen on the dev types before each
evaluation; and a chain, since ``before_update`` is one slot."""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from spacy.language import Language
from spacy.training import Example
from spacy.util import registry, resolve_dot_names

from ..corpora.forms import read_forms


@registry.callbacks("spacy_juicer.epoch_lr_decay.v1")
def make_epoch_lr_decay(initial_rate: float, decay: float = 0.95) -> Callable[[Language, Dict[str, Any]], None]:
    """``[training.before_update]``: learning rate ``initial_rate * decay ** epoch``."""
    if initial_rate <= 0 or not 0 < decay <= 1:
        raise ValueError("epoch_lr_decay needs initial_rate > 0 and 0 < decay <= 1.")

    def before_update(nlp: Language, args: Dict[str, Any]) -> None:
        optimizer = getattr(nlp, "_optimizer", None)
        if optimizer is not None:
            optimizer.learn_rate = initial_rate * decay ** int(args.get("epoch", 0))

    return before_update


@registry.callbacks("spacy_juicer.dev_threshold.v1")
def make_dev_threshold(
    component: str = "zero_shot_ner",
    grid: Optional[List[float]] = None,
    metric: str = "span_macro_f",
    forms: Optional[str] = None,
) -> Callable[[Language, Dict[str, Any]], None]:
    """``[training.before_update]``: before each step that ``spacy train`` scores (every
    ``[training] eval_frequency`` steps), choose the component's threshold on the dev corpus
    and keep it, so the dev score, ``model-best`` and the saved pipeline use it.

    Why: on a zero-shot split the dev types are unseen, and a student is under-confident on
    unseen types; at a fixed 0.5 its dev score stays 0 and ``model-best`` is arbitrary. The
    threshold is chosen one update before the score (``before_update`` runs before the step's
    update), which is what fits in spaCy's loop; the choice is in ``nlp.meta["juicer"]``. Cost:
    one more prediction pass over the dev corpus per evaluation (spaCy's own scoring is the
    other), then a re-decode per threshold.

    ``forms``: a forms file of the dev types (``<part>.forms.json`` of ``split``): the
    threshold is then the one whose worst form of the descriptions scores best (one prediction
    pass per form), so ``model-best`` is chosen for users who word the types their own way."""
    label_sets = read_forms(forms) if forms else None
    state: Dict[str, Any] = {"examples": None}

    def dev_examples(nlp: Language) -> List[Example]:
        if state["examples"] is None:
            config = nlp.config.interpolate()
            corpus = resolve_dot_names(config, [config["training"]["dev_corpus"]])[0]
            state["examples"] = list(corpus(nlp))
        return state["examples"]

    def before_update(nlp: Language, args: Dict[str, Any]) -> None:
        from ..calibration import choose_threshold

        step = int(args.get("step", 0))
        if step % int(nlp.config["training"]["eval_frequency"]):
            return
        examples = dev_examples(nlp)
        if not examples:
            return
        pipe = nlp.get_pipe(component)
        docs = list(nlp.pipe((eg.predicted.copy() for eg in examples), disable=[component]))
        options = {"grid": tuple(grid)} if grid else {}
        found = choose_threshold(
            pipe, docs, [eg.reference for eg in examples], metric=metric, label_sets=label_sets, **options
        )
        pipe.cfg["threshold"] = found["threshold"]
        pipe.cfg["name_threshold"] = found.get("name_threshold")
        pipe.cfg["check_names"] = found["check_names"]
        nlp.meta.setdefault("juicer", {})["calibration"] = {**found, "data": "dev corpus", "step": step}

    return before_update


@registry.callbacks("spacy_juicer.chain.v1")
def make_chain(*callbacks: Callable[..., Any]) -> Callable[..., None]:
    """Several callbacks in the one slot that ``spacy train`` has (e.g. ``before_update``:
    per-epoch learning-rate decay and the dev threshold), called in order."""

    def chained(*args: Any) -> None:
        for callback in callbacks:
            callback(*args)

    return chained


@registry.callbacks("spacy_juicer.feature_store.v1")
def make_feature_store(path: Optional[str] = None, component: str = "zero_shot_ner") -> Callable[[Language], Language]:
    """``[initialize.before_init]``: give the component's frozen encoder
    (``spacy_juicer.FrozenBiEncoder.v2``) a feature store on disk, so its outputs are computed
    once per text and shared by every epoch and every later run (KP, then KF, then a rerun).
    Set at training time only: the saved pipeline carries no path. ``path`` null: in memory."""

    def attach(nlp: Language) -> Language:
        from ..student.feature_store import FeatureStore
        from ..student.frozen_bi_encoder import attach_feature_store

        if path:
            attach_feature_store(nlp.get_pipe(component).model, FeatureStore(path))
        return nlp

    return attach
