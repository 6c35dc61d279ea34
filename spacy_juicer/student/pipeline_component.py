"""The ``zero_shot_ner`` component: entity types chosen at run time, described in plain words.

    nlp.add_pipe("zero_shot_ner", config={"labels": {"Disease": "An illness or disorder ..."}})
    nlp.get_pipe("zero_shot_ner").set_labels({"Gene": "A gene or gene product ..."})

Tagging is IO (JUICER): each token gets "no entity" or one type, and adjacent tokens of one type
form one span, so two mentions of a type that touch are merged (rare in practice: about 1% of
mentions in the benchmarks JUICER measured). This module imports no torch at import time:
spaCy imports every factory entry point on ``spacy.blank()``.
"""
import warnings
from itertools import islice
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple, Union

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.util import registry
from spacy.vocab import Vocab
from thinc.api import Config, Model, Optimizer, set_dropout_rate

from .labels import LabelError, LabelsLike, normalize_labels

DEFAULT_MODEL_CONFIG = """
[model]
@architectures = "spacy_juicer.CrossEncoder.v1"
name = "sentence-transformers/all-MiniLM-L6-v2"
max_length = 300
window_overlap = 64
max_description_length = 150
batch_size = 32
dropout = 0.1
mixed_precision = false
"""
DEFAULT_MODEL = Config().from_str(DEFAULT_MODEL_CONFIG)["model"]

DEFAULT_SCORE_WEIGHTS = {
    "span_macro_f": 1.0,
    "span_macro_p": 0.0,
    "span_macro_r": 0.0,
    "ents_f": 0.0,
    "ents_p": 0.0,
    "ents_r": 0.0,
    "tok_macro_f": 0.0,
    "ents_per_type": None,
}


@Language.factory(
    "zero_shot_ner",
    assigns=["doc.ents", "doc.spans"],
    default_config={
        "model": DEFAULT_MODEL,
        "labels": {},
        "threshold": 0.5,
        "spans_key": None,
        "gold_spans_key": None,
        "min_types_per_step": 10,
        "max_types_per_step": 15,
        "negative_weight": 1.0,
        "mask_prob": 0.7,
        "overwrite_ents": True,
        "scorer": {"@scorers": "spacy_juicer.zero_shot_ner_scorer.v1"},
    },
    default_score_weights=DEFAULT_SCORE_WEIGHTS,
)
def make_zero_shot_ner(
    nlp: Language,
    name: str,
    model: Model,
    labels: Dict[str, str],
    threshold: float,
    spans_key: Optional[str],
    gold_spans_key: Optional[str],
    min_types_per_step: int,
    max_types_per_step: int,
    negative_weight: float,
    mask_prob: float,
    overwrite_ents: bool,
    scorer: Optional[Callable],
) -> "ZeroShotNER":
    """Create a zero-shot NER component.

    labels: {type: description}; more can be set later with ``set_labels`` or at initialize.
    threshold: a span is kept when the mean probability of its tokens reaches it.
    spans_key: write (possibly overlapping) spans to ``doc.spans[spans_key]`` instead of ents.
    gold_spans_key: train from ``doc.spans[gold_spans_key]`` instead of ``doc.ents``.
    min/max_types_per_step: types scored per update (JUICER: 10-15), gold types of the batch
        first, the rest random negative types from the known labels.
    negative_weight: weight of the "no entity" class in the cross-entropy.
    mask_prob: probability that a gold mention's word pieces are masked (training only).
    """
    return ZeroShotNER(
        nlp.vocab,
        model,
        name,
        labels=labels,
        threshold=threshold,
        spans_key=spans_key,
        gold_spans_key=gold_spans_key,
        min_types_per_step=min_types_per_step,
        max_types_per_step=max_types_per_step,
        negative_weight=negative_weight,
        mask_prob=mask_prob,
        overwrite_ents=overwrite_ents,
        scorer=scorer,
    )


class ZeroShotNER(TrainablePipe):
    """Cross-encoder NER over any set of described entity types."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str = "zero_shot_ner",
        *,
        labels: LabelsLike = None,
        threshold: float = 0.5,
        spans_key: Optional[str] = None,
        gold_spans_key: Optional[str] = None,
        min_types_per_step: int = 10,
        max_types_per_step: int = 15,
        negative_weight: float = 1.0,
        mask_prob: float = 0.7,
        overwrite_ents: bool = True,
        scorer: Optional[Callable] = None,
    ) -> None:
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold must be in [0, 1], not {threshold}.")
        if not 0.0 <= mask_prob <= 1.0:
            raise ValueError(f"mask_prob must be in [0, 1], not {mask_prob}.")
        if not 1 <= min_types_per_step <= max_types_per_step:
            raise ValueError("Need 1 <= min_types_per_step <= max_types_per_step.")
        if negative_weight <= 0:
            raise ValueError("negative_weight must be > 0.")
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scorer = scorer
        self._warned: set = set()
        self.cfg: Dict[str, Any] = {
            "labels": normalize_labels(labels, source=f"{name} labels"),
            "threshold": threshold,
            "spans_key": spans_key,
            "gold_spans_key": gold_spans_key,
            "min_types_per_step": min_types_per_step,
            "max_types_per_step": max_types_per_step,
            "negative_weight": negative_weight,
            "mask_prob": mask_prob,
            "overwrite_ents": overwrite_ents,
        }

    # ------------------------------------------------------------------ labels
    @property
    def labels(self) -> Tuple[str, ...]:
        return tuple(self.cfg["labels"])

    @property
    def label_descriptions(self) -> Dict[str, str]:
        return dict(self.cfg["labels"])

    def set_labels(self, labels: LabelsLike) -> None:
        """Replace the entity types (a dict of descriptions, a list of names or a file).
        No retraining is needed: no weight depends on the label set."""
        new = normalize_labels(labels, source=f"{self.name} labels")
        if not new:
            raise LabelError(f"{self.name}: set_labels needs at least one label.")
        self.cfg["labels"] = new

    def add_label(self, label: str, description: Optional[str] = None) -> int:
        labels = dict(self.cfg["labels"])
        if label in labels:
            return 0
        labels.update(normalize_labels({label: description}, source=f"{self.name} add_label"))
        self.cfg["labels"] = labels
        return 1

    def _description(self, label: str) -> str:
        description = self.cfg["labels"].get(label)
        if description is None:
            if label not in self._warned:
                self._warned.add(label)
                warnings.warn(f"{self.name}: type '{label}' has no description; using its name.")
            description = label
        return description

    # ------------------------------------------------------------------ setup
    def initialize(
        self,
        get_examples: Callable[[], Iterable[Example]],
        *,
        nlp: Optional[Language] = None,
        labels: Optional[Union[Dict[str, str], List[str], str]] = None,
    ) -> None:
        """Load the encoder and set the labels: from ``labels`` (dict, list or file path), else
        those already configured, plus any type seen in the examples (named after itself)."""
        validate_get_examples(get_examples, "ZeroShotNER.initialize")
        known = dict(self.cfg["labels"])
        if labels is not None:
            known = normalize_labels(labels, source=f"{self.name} initialize labels")
        seen: List[str] = []
        for example in islice(get_examples(), 10_000):
            for span in self._gold_spans(example.reference):
                if span.label_ not in known and span.label_ not in seen:
                    seen.append(span.label_)
        if seen:
            known.update(normalize_labels(seen, source=f"{self.name} types in the training data"))
        if not known:
            raise LabelError(
                f"{self.name}: no entity types. Give labels with descriptions in the config "
                "([components.zero_shot_ner.labels] or [initialize.components.zero_shot_ner.labels]) "
                "or train on data with entities."
            )
        self.cfg["labels"] = known
        self.model.initialize()

    # ------------------------------------------------------------------ predict
    def predict(self, docs: Iterable[Doc]) -> List[Any]:
        from .cross_encoder import CrossEncoderInput

        docs = list(docs)
        if not self.labels:
            raise LabelError(
                f"{self.name} has no labels: call nlp.get_pipe('{self.name}').set_labels"
                "({'Type': 'description', ...}) or give labels in the config."
            )
        descriptions = [self._description(label) for label in self.labels]
        return self.model.predict(CrossEncoderInput(docs, descriptions))

    def set_annotations(self, docs: Iterable[Doc], logits: List[Any]) -> None:
        labels = self.labels
        threshold = self.cfg["threshold"]
        spans_key = self.cfg["spans_key"]
        for doc, doc_logits in zip(docs, logits):
            scores = self.model.ops.to_numpy(doc_logits)
            if spans_key is not None:
                found = _decode_overlapping(scores, threshold)
            else:
                found = _decode_io(scores, threshold)
            spans = [Span(doc, start, end, label=labels[j]) for start, end, j, _ in found]
            group = SpanGroup(doc, name=spans_key or self.name, spans=spans)
            group.attrs["scores"] = [round(float(s), 6) for *_, s in found]
            doc.spans[spans_key or self.name] = group
            if spans_key is None:
                if self.cfg["overwrite_ents"]:
                    doc.ents = spans
                else:
                    taken = {i for ent in doc.ents for i in range(ent.start, ent.end)}
                    free = [s for s in spans if not any(i in taken for i in range(s.start, s.end))]
                    doc.ents = list(doc.ents) + free

    # ------------------------------------------------------------------ train
    def update(
        self,
        examples: Iterable[Example],
        *,
        drop: float = 0.0,
        sgd: Optional[Optimizer] = None,
        losses: Optional[Dict[str, float]] = None,
    ) -> Dict[str, float]:
        from .cross_encoder import CrossEncoderInput

        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, "ZeroShotNER.update")
        docs = [eg.predicted for eg in examples]
        gold = [self._aligned_gold(eg) for eg in examples]
        types = self._choose_types(gold)
        if not types or not any(len(doc) for doc in docs):
            return losses
        index = {label: j + 1 for j, label in enumerate(types)}
        targets, masked = [], []
        mask_prob = self.cfg["mask_prob"]
        for doc, spans in zip(docs, gold):
            target = numpy.zeros(len(doc), dtype="i")
            mask = numpy.zeros(len(doc), dtype=bool)
            for start, end, label in spans:
                if label in index:
                    target[start:end] = index[label]
                if mask_prob and numpy.random.random() < mask_prob:
                    mask[start:end] = True
            targets.append(target)
            masked.append(mask)
        set_dropout_rate(self.model, drop)
        descriptions = [self._description(label) for label in types]
        outputs, backprop = self.model.begin_update(CrossEncoderInput(docs, descriptions, masked))
        loss, d_outputs = self._loss(outputs, targets)
        backprop(d_outputs)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], scores: List[Any]) -> Tuple[float, List[Any]]:
        """Loss of predictions made over all labels (``predict``) against the examples."""
        index = {label: j + 1 for j, label in enumerate(self.labels)}
        targets = []
        for eg in examples:
            target = numpy.zeros(len(eg.predicted), dtype="i")
            for start, end, label in self._aligned_gold(eg):
                target[start:end] = index.get(label, 0)
            targets.append(target)
        return self._loss(scores, targets)

    def _loss(self, outputs: List[Any], targets: List[numpy.ndarray]) -> Tuple[float, List[Any]]:
        """Class-weighted cross-entropy over [no entity, type_1 .. type_K] per token."""
        ops = self.model.ops
        neg_w = self.cfg["negative_weight"]
        total_w = sum(float(numpy.where(t == 0, neg_w, 1.0).sum()) for t in targets) or 1.0
        loss = 0.0
        grads = []
        for logits, target in zip(outputs, targets):
            if logits.shape[0] == 0:
                grads.append(logits)
                continue
            probs = ops.softmax(logits, axis=-1)
            truth = ops.asarray1i(target)
            weights = ops.asarray1f(numpy.where(target == 0, neg_w, 1.0).astype("f")) / total_w
            rows = ops.xp.arange(len(target))
            loss -= float((weights * ops.xp.log(probs[rows, truth] + 1e-9)).sum())
            d = probs.copy()
            d[rows, truth] -= 1.0
            grads.append(d * weights[:, None])
        return loss, grads

    def _gold_spans(self, doc: Doc) -> Sequence[Span]:
        key = self.cfg["gold_spans_key"]
        if key is None:
            return doc.ents
        return doc.spans[key] if key in doc.spans else []

    def _aligned_gold(self, example: Example) -> List[Tuple[int, int, str]]:
        spans = self._gold_spans(example.reference)
        aligned = example.get_aligned_spans_y2x(spans, allow_overlap=True)
        return [(s.start, s.end, s.label_) for s in aligned]

    def _choose_types(self, gold: List[List[Tuple[int, int, str]]]) -> List[str]:
        """Gold types of the batch (a random subset if too many), then random negative types
        from the known labels, up to a random size in [min_types_per_step, max_types_per_step]."""
        size = numpy.random.randint(self.cfg["min_types_per_step"], self.cfg["max_types_per_step"] + 1)
        present = sorted({label for spans in gold for *_, label in spans})
        if len(present) > size:
            present = [present[i] for i in sorted(numpy.random.choice(len(present), size, replace=False))]
        others = [label for label in self.labels if label not in set(present)]
        n_neg = min(size - len(present), len(others))
        negatives = [others[i] for i in numpy.random.choice(len(others), n_neg, replace=False)] if n_neg > 0 else []
        types = present + negatives
        numpy.random.shuffle(types)
        return types

    # ------------------------------------------------------------------ score
    def score(self, examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
        if self.scorer is None:
            raise ValueError(f"{self.name} has no scorer.")
        kwargs.setdefault("spans_key", self.cfg["spans_key"])
        kwargs.setdefault("labels", list(self.labels))
        return self.scorer(examples, **kwargs)


def _runs(labels: numpy.ndarray) -> List[Tuple[int, int, int]]:
    """Maximal runs of equal non-zero values: (start, end, value)."""
    out = []
    n = len(labels)
    start = 0
    while start < n:
        value = labels[start]
        end = start + 1
        while end < n and labels[end] == value:
            end += 1
        if value > 0:
            out.append((start, end, int(value)))
        start = end
    return out


def _softmax(scores: numpy.ndarray) -> numpy.ndarray:
    shifted = scores - scores.max(axis=-1, keepdims=True)
    exp = numpy.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def _decode_io(logits: numpy.ndarray, threshold: float) -> List[Tuple[int, int, int, float]]:
    """Argmax over [no entity, types] per token; runs of one type become spans, kept when the
    mean probability of their tokens reaches ``threshold``. Returns (start, end, label_index, score)."""
    if logits.shape[0] == 0 or logits.shape[1] < 2:
        return []
    probs = _softmax(logits)
    best = probs.argmax(axis=1)
    found = []
    for start, end, value in _runs(best):
        score = float(probs[start:end, value].mean())
        if score >= threshold:
            found.append((start, end, value - 1, score))
    return found


def _decode_overlapping(logits: numpy.ndarray, threshold: float) -> List[Tuple[int, int, int, float]]:
    """Each type on its own (type vs no entity), so spans of different types may overlap."""
    found = []
    if logits.shape[0] == 0:
        return found
    neg = logits[:, :1]
    for j in range(logits.shape[1] - 1):
        pair = _softmax(numpy.concatenate([neg, logits[:, j + 1 : j + 2]], axis=1))[:, 1]
        for start, end, _ in _runs((pair >= threshold).astype("i")):
            found.append((start, end, j, float(pair[start:end].mean())))
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    return found


@registry.callbacks("spacy_juicer.set_labels.v1")
def make_set_labels(labels: LabelsLike = None, path: Optional[str] = None, component: str = "zero_shot_ner") -> Callable[[Language], Language]:
    """``[initialize.after_init]`` hook: set the labels of a (possibly sourced) component, e.g.
    the gold types and descriptions for fine-tuning a model pre-trained on silver types."""

    def set_labels(nlp: Language) -> Language:
        nlp.get_pipe(component).set_labels(path if path is not None else labels)
        return nlp

    return set_labels
