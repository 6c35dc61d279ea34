"""Callbacks that ``spacy train`` calls: per-epoch learning-rate decay (Huang et al.: x0.95
after each epoch), which a step-based Thinc schedule cannot express when epochs differ in
length (blended or KP epochs)."""
from __future__ import annotations

from typing import Any, Callable, Dict

from spacy.language import Language
from spacy.util import registry


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
