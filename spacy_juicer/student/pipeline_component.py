"""The ``zero_shot_ner`` component: entity types chosen at run time, described in plain words.

    nlp.add_pipe("zero_shot_ner", config={"labels": {"Disease": "An illness or disorder ..."}})
    nlp.get_pipe("zero_shot_ner").set_labels({"Gene": "A gene or gene product ..."})

Tagging is IO (JUICER): each token gets "no entity" or one type, and adjacent tokens of one type
form one span, so two mentions of a type that touch are merged (rare in practice: about 1% of
mentions in the benchmarks JUICER measured). This module imports no torch at import time:
spaCy imports every factory entry point on ``spacy.blank()``.

The factory's defaults are the model that ``spacy project run all`` trains and packages: the
frozen-encoder architecture (``FrozenBiEncoder.v2``) and its loss settings. The calibration of
the thresholds lives in ``spacy_juicer.calibration``; the draw of each update's types in
``step_types.py``; the loss in ``loss.py``; the decoding in ``decoding.py``.
"""
import warnings
from contextlib import contextmanager
from itertools import islice
from typing import TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Optional, Sequence, Tuple, Union

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.util import minibatch
from spacy.vocab import Vocab
from thinc.api import Config, Model, Optimizer, set_dropout_rate

from ..corpora.doc_labels import get_doc_labels
from ..corpora.labels import LabelError, LabelsLike, is_bare_name, normalize_labels
from .decoding import decode_exclusive, decode_overlapping
from .loss import check_balance, loss_and_grads
from .name_check import join, with_names
from .negatives import BUILTIN, load_negative_pool
from .scorer import doc_spans
from .span_edges import token_kinds
from .step_types import choose_types

if TYPE_CHECKING:  # imported lazily at run time, like the models
    from .inputs import ZeroShotInput

DEFAULT_MODEL_CONFIG = """
[model]
@architectures = "spacy_juicer.FrozenBiEncoder.v2"
name = "sentence-transformers/all-MiniLM-L6-v2"
max_length = 300
window_overlap = 64
max_description_length = 150
batch_size = 32
dropout = 0.1
mixed_precision = false
width = 256
lstm_depth = 1
token_layers = [2, 4, 6]
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


def check_threshold(threshold: float) -> float:
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], not {threshold}.")
    return float(threshold)


@Language.factory(
    "zero_shot_ner",
    assigns=["doc.ents", "doc.spans"],
    default_config={
        "model": DEFAULT_MODEL,
        "labels": {},
        "threshold": 0.5,
        "name_threshold": None,
        "check_names": False,
        "spans_key": None,
        "gold_spans_key": None,
        "overwrite_ents": True,
        "trim_spans": True,
        "min_types_per_step": 10,
        "max_types_per_step": 15,
        "negative_types": "builtin",
        "negative_weight": 1.0,
        "other_type_weight": 0.2,
        "near_type_similarity": 0.7,
        "balance": "per_type",
        "mask_prob": 0.0,
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
    name_threshold: Optional[float],
    check_names: bool,
    spans_key: Optional[str],
    gold_spans_key: Optional[str],
    overwrite_ents: bool,
    trim_spans: bool,
    min_types_per_step: int,
    max_types_per_step: int,
    negative_types: Optional[str],
    negative_weight: float,
    other_type_weight: float,
    near_type_similarity: float,
    balance: str,
    mask_prob: float,
    scorer: Optional[Callable],
) -> "ZeroShotNER":
    """Create a zero-shot NER component.

    Prediction:
    labels: {type: description}, or a list of names; more can be set later with ``set_labels``.
    threshold: a span is kept when the mean probability of its tokens reaches it.
    name_threshold: the same for the types given by their name alone ("gene", "cell line"),
        whose probabilities run on another scale than a sentence's; ``calibrate`` chooses it on
        the dev types' names. None: ``threshold`` for every type.
    check_names: a described type is also read by its name ("Disease" -> "disease"), and a
        token is of that type only where both readings find it, each at its own threshold
        (``name_check.py``); ``calibrate`` turns it on when the dev types' scores gain.
    spans_key: write (possibly overlapping) spans to ``doc.spans[spans_key]`` instead of ents.
    gold_spans_key: train and score from ``doc.spans[gold_spans_key]`` instead of ``doc.ents``.
    overwrite_ents: replace ``doc.ents`` (else add the spans that overlap no entity).
    trim_spans: cut each decoded run to the edges a mention has (``span_edges.py``).

    Training:
    min/max_types_per_step: types scored per update (JUICER: 10-15): the batch's gold types,
        then the known labels and the pool of negative types (``step_types.py``).
    negative_types: the pool of negative types: "builtin" (shipped, ~300 broad types), "none",
        or a labels file (e.g. the silver types' descriptions).
    negative_weight: weight of the "no entity" entries in the loss.
    other_type_weight: weight of an entity token as a negative of the other scored types:
        silver types overlap (a disease the teacher called "Medical condition" is weak evidence
        against "Disease"); 1.0 for gold types that exclude each other.
    near_type_similarity: two types whose descriptions' frozen encoder vectors have a cosine
        above this are near synonyms, and neither's mentions count against the other; 1.0
        turns it off (other architectures: off).
    balance: "per_type" (each type's positives and negatives averaged apart, so a rare type
        weighs as much as a frequent one) or "tokens" (each token weighs one): ``loss.py``.
    mask_prob: JUICER's entity masking: the probability that a gold mention's word pieces are
        masked in training. It changes the encoder's input, so it serves the architectures
        that fine-tune the encoder (CrossEncoder.v1); the frozen encoder's features are
        computed once, and it must stay 0 there.
    """
    settings = dict(locals())  # every other argument is a setting of the component, by name
    for argument in ("nlp", "name", "model"):
        del settings[argument]
    return ZeroShotNER(nlp.vocab, model, name, **settings)


class ZeroShotNER(TrainablePipe):
    """NER over any set of entity types, each given by a description or a name."""

    def __init__(
        self,
        vocab: Vocab,
        model: Model,
        name: str = "zero_shot_ner",
        *,
        labels: LabelsLike = None,
        threshold: float = 0.5,
        name_threshold: Optional[float] = None,
        check_names: bool = False,
        spans_key: Optional[str] = None,
        gold_spans_key: Optional[str] = None,
        overwrite_ents: bool = True,
        trim_spans: bool = True,
        min_types_per_step: int = 10,
        max_types_per_step: int = 15,
        negative_types: Optional[str] = BUILTIN,
        negative_weight: float = 1.0,
        other_type_weight: float = 0.2,
        near_type_similarity: float = 0.7,
        balance: str = "per_type",
        mask_prob: float = 0.0,
        scorer: Optional[Callable] = None,
    ) -> None:
        check_threshold(threshold)
        if name_threshold is not None:
            check_threshold(name_threshold)
        if not 0.0 <= mask_prob <= 1.0:
            raise ValueError(f"mask_prob must be in [0, 1], not {mask_prob}.")
        if not 1 <= min_types_per_step <= max_types_per_step:
            raise ValueError("Need 1 <= min_types_per_step <= max_types_per_step.")
        if negative_weight <= 0:
            raise ValueError("negative_weight must be > 0.")
        if not 0.0 <= other_type_weight <= 1.0:
            raise ValueError(f"other_type_weight must be in [0, 1], not {other_type_weight}.")
        if not -1.0 <= near_type_similarity <= 1.0:
            raise ValueError(f"near_type_similarity must be in [-1, 1], not {near_type_similarity}.")
        self.vocab = vocab
        self.model = model
        self.name = name
        self.scorer = scorer
        self._warned: set = set()
        self.cfg: Dict[str, Any] = {
            "labels": normalize_labels(labels, source=f"{name} labels"),
            "threshold": threshold,
            "name_threshold": name_threshold,
            "check_names": bool(check_names),
            "spans_key": spans_key,
            "gold_spans_key": gold_spans_key,
            "overwrite_ents": overwrite_ents,
            "trim_spans": bool(trim_spans),
            "min_types_per_step": min_types_per_step,
            "max_types_per_step": max_types_per_step,
            "negative_types": negative_types,
            "negative_pool": {},
            "negative_weight": negative_weight,
            "other_type_weight": float(other_type_weight),
            "near_type_similarity": float(near_type_similarity),
            "balance": check_balance(balance),
            "mask_prob": mask_prob,
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

    def set_negative_types(self, source: Optional[str]) -> None:
        """Replace the pool of negative types ("builtin", "none" or a labels file)."""
        self.cfg["negative_types"] = source
        self.cfg["negative_pool"] = load_negative_pool(source)

    def freeze(self, parts: Sequence[str], strict: bool = True) -> int:
        """Hold parts of the frozen mode's head fixed for the rest of this training ("types":
        the description side; "tokens": the sentence side) and return how many tensors: KF
        fits the sentence side to gold while the type side stays as KP left it, having read
        hundreds of types. ``strict=False`` (a config's default, shared by every
        architecture): another architecture, which has no such head, trains whole, with a
        warning."""
        from .frozen_bi_encoder import freeze_head, is_frozen_mode

        if not is_frozen_mode(self.model):
            message = f"{self.name}: only the frozen mode's head (FrozenBiEncoder.v2) has parts to freeze"
            if strict:
                raise ValueError(message + ".")
            warnings.warn(message + f"; {list(parts)} ignored, the whole model trains.")
            return 0
        return freeze_head(self.model, parts)

    def labels_for(self, doc: Doc) -> Dict[str, str]:
        """The types ``doc`` is tagged with: its own (``doc._.zero_shot_labels``), else the
        component's."""
        own = get_doc_labels(doc)
        return own if own is not None else self.cfg["labels"]

    def _description(self, label: str, extra: Optional[Dict[str, str]] = None) -> str:
        description = (extra or {}).get(label) or self.cfg["labels"].get(label)
        if description is None:
            description = self.cfg["negative_pool"].get(label)
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
            for span in doc_spans(example.reference, self.cfg["gold_spans_key"]):
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
        self.cfg["negative_pool"] = load_negative_pool(self.cfg["negative_types"])
        self.model.initialize()

    # ------------------------------------------------------------------ predict
    def _model_input(self, docs: List[Doc]) -> "ZeroShotInput":
        """One list of distinct descriptions for the batch, and each doc's columns into it."""
        from .inputs import ZeroShotInput

        descriptions: List[str] = []
        index: Dict[str, int] = {}
        doc_labels: List[List[int]] = []
        own = False
        for doc in docs:
            labels = self.labels_for(doc)
            own = own or labels is not self.cfg["labels"]
            if not labels:
                raise LabelError(
                    f"{self.name} has no labels: call nlp.get_pipe('{self.name}').set_labels"
                    "({'Type': 'description', ...}), give labels in the config, or set "
                    "doc._.zero_shot_labels."
                )
            cols = []
            for name, description in labels.items():
                text = description or name
                if text not in index:
                    index[text] = len(descriptions)
                    descriptions.append(text)
                cols.append(index[text])
            doc_labels.append(cols)
        # without per-doc labels every doc takes every column, unless two labels share a text
        shared = not own and len(descriptions) == len(self.cfg["labels"])
        return ZeroShotInput(docs, descriptions, doc_labels=None if shared else doc_labels)

    def predict(self, docs: Iterable[Doc]) -> List[Any]:
        docs = list(docs)
        if not docs:
            return []
        inputs = self._model_input(docs)
        if self.cfg.get("check_names"):
            # each doc's scores then carry its checked types' names after its own columns
            inputs = with_names(inputs, [self.labels_for(doc) for doc in docs])
        return self.model.predict(inputs)

    def names_threshold(self) -> float:
        """The threshold of a type read by its name: ``name_threshold`` when set, else
        ``threshold``."""
        name_threshold = self.cfg.get("name_threshold")
        return self.cfg["threshold"] if name_threshold is None else name_threshold

    def threshold_for(self, text: str) -> float:
        """The decision threshold of a type given by ``text`` (its description, or its name
        alone): ``names_threshold`` for a bare name, else ``threshold``."""
        return self.names_threshold() if is_bare_name(text) else self.cfg["threshold"]

    def set_annotations(self, docs: Iterable[Doc], scores: List[Any]) -> None:
        spans_key = self.cfg["spans_key"]
        for doc, doc_scores in zip(docs, scores):
            described = self.labels_for(doc)
            labels = list(described)
            threshold = numpy.array([self.threshold_for(d or t) for t, d in described.items()], dtype="d")
            values = self.model.ops.to_numpy(doc_scores)
            if values.shape[1] > len(labels):  # predicted with the names' columns
                if self.cfg.get("check_names"):
                    values = join(values, described, threshold, self.names_threshold())
                else:  # read, but not asked for now (calibrate scores both ways from one prediction)
                    values = values[:, : len(labels)]
            kinds = token_kinds(doc) if self.cfg["trim_spans"] else None
            if spans_key is not None:
                found = decode_overlapping(values, threshold, kinds)
            else:
                found = decode_exclusive(values, threshold, kinds)
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
        from .inputs import ZeroShotInput

        if losses is None:
            losses = {}
        losses.setdefault(self.name, 0.0)
        examples = list(examples)
        validate_examples(examples, "ZeroShotNER.update")
        docs = [eg.predicted for eg in examples]
        gold = [self._aligned_gold(eg) for eg in examples]
        step_labels: Dict[str, str] = {}
        for eg in examples:
            step_labels.update(get_doc_labels(eg.predicted) or get_doc_labels(eg.reference) or {})
        types = choose_types(
            [label for spans in gold for *_, label in spans], step_labels, self.labels, self.cfg["negative_pool"],
            self.cfg["min_types_per_step"], self.cfg["max_types_per_step"],
        )
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
        descriptions = [self._description(label, step_labels) for label in types]
        outputs, backprop = self.model.begin_update(ZeroShotInput(docs, descriptions, masked))
        loss, d_outputs = self._loss(outputs, targets, self._other_type_weights(descriptions))
        backprop(d_outputs)
        if sgd is not None:
            self.finish_update(sgd)
        losses[self.name] += loss
        return losses

    def get_loss(self, examples: Iterable[Example], scores: List[Any]) -> Tuple[float, List[Any]]:
        """Loss of predictions made with each doc's labels (``predict``) against the examples."""
        targets = []
        for eg in examples:
            index = {label: j + 1 for j, label in enumerate(self.labels_for(eg.predicted))}
            target = numpy.zeros(len(eg.predicted), dtype="i")
            for start, end, label in self._aligned_gold(eg):
                target[start:end] = index.get(label, 0)
            targets.append(target)
        return self._loss(scores, targets)

    def _loss(
        self, outputs: List[Any], targets: List[numpy.ndarray], other_weights: Optional[numpy.ndarray] = None
    ) -> Tuple[float, List[Any]]:
        return loss_and_grads(
            outputs, targets, negative_weight=self.cfg["negative_weight"], balance=self.cfg["balance"],
            other_type_weight=self.cfg["other_type_weight"], other_type_weights=other_weights,
        )

    def _other_type_weights(self, descriptions: List[str]) -> Optional[numpy.ndarray]:
        """``(K, K)`` weights of a type's mentions as negatives of the others: 0 between near
        synonyms (cosine of the frozen encoder's description vectors above
        ``near_type_similarity``), ``other_type_weight`` elsewhere. Only the frozen mode has
        description vectors that do not move with every update."""
        from .frozen_bi_encoder import description_similarity, is_frozen_mode

        limit = float(self.cfg["near_type_similarity"])
        if limit >= 1.0 or not is_frozen_mode(self.model):
            return None

        sim = description_similarity(self.model, descriptions)
        weights = numpy.where(sim > limit, 0.0, self.cfg["other_type_weight"]).astype("f")
        numpy.fill_diagonal(weights, 1.0)
        return weights

    def _aligned_gold(self, example: Example) -> List[Tuple[int, int, str]]:
        spans = doc_spans(example.reference, self.cfg["gold_spans_key"])
        aligned = example.get_aligned_spans_y2x(spans, allow_overlap=True)
        return [(s.start, s.end, s.label_) for s in aligned]

    # ------------------------------------------------------------------ one prediction path
    @contextmanager
    def using(
        self, labels: LabelsLike = None, threshold: Optional[float] = None, name_threshold: Optional[float] = None,
        check_names: Optional[bool] = None,
    ) -> Iterator["ZeroShotNER"]:
        """Predict with these labels and/or these thresholds inside the block; the component's
        own labels and thresholds are back afterwards, whatever happens inside::

            with ner.using(labels={"Gene": "A gene or protein."}, threshold=0.3):
                docs = list(nlp.pipe(texts))

        ``threshold`` alone serves every type, names too; ``name_threshold`` sets the bare
        names' own; ``check_names`` turns the reading of described types by name on or off."""
        saved = (dict(self.cfg["labels"]), self.cfg["threshold"], self.cfg.get("name_threshold"),
                 self.cfg.get("check_names", False))
        try:
            if labels is not None:
                self.set_labels(labels)
            if threshold is not None:
                self.cfg["threshold"] = check_threshold(threshold)
                self.cfg["name_threshold"] = None
            if name_threshold is not None:
                self.cfg["name_threshold"] = check_threshold(name_threshold)
            if check_names is not None:
                self.cfg["check_names"] = bool(check_names)
            yield self
        finally:
            (self.cfg["labels"], self.cfg["threshold"], self.cfg["name_threshold"],
             self.cfg["check_names"]) = saved

    def copy_for_prediction(self, doc: Doc) -> Doc:
        """The same tokens with no annotation and no per-doc labels: what a user's text would be
        after tokenization, so that scores never suffer from re-tokenization."""
        return Doc(self.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])

    def predict_all(self, docs: Sequence[Doc], batch_size: int = 32) -> List[Any]:
        """``predict`` over ``docs`` in batches (the scores, not yet decoded)."""
        scores: List[Any] = []
        for batch in minibatch(list(docs), batch_size):
            scores.extend(self.predict(batch))
        return scores

    # ------------------------------------------------------------------ score
    def score(self, examples: Iterable[Example], **kwargs: Any) -> Dict[str, Any]:
        """The one entry to the scorer: predictions from ``spans_key`` (or ``doc.ents``), gold
        from ``gold_spans_key`` (or ``doc.ents``), as training reads them; only the types
        each doc was asked for, unless ``labels`` is given."""
        if self.scorer is None:
            raise ValueError(f"{self.name} has no scorer.")
        examples = list(examples)
        kwargs.setdefault("spans_key", self.cfg["spans_key"])
        kwargs.setdefault("gold_spans_key", self.cfg.get("gold_spans_key"))
        if "labels" not in kwargs:
            wanted: Dict[str, None] = {}
            for eg in examples:
                wanted.update(dict.fromkeys(self.labels_for(eg.predicted)))
            kwargs["labels"] = list(wanted)
        return self.scorer(examples, **kwargs)

    # ------------------------------------------------------------------ serialization
    def from_disk(self, path: Any, *, exclude: Iterable[str] = tuple()) -> "ZeroShotNER":
        super().from_disk(path, exclude=exclude)
        _exact_floats(self.cfg)
        return self

    def from_bytes(self, bytes_data: bytes, *, exclude: Iterable[str] = tuple()) -> "ZeroShotNER":
        super().from_bytes(bytes_data, exclude=exclude)
        _exact_floats(self.cfg)
        return self


def _exact_floats(cfg: Dict[str, Any]) -> None:
    """The settings' floats as they were written: srsly's JSON reader parses "0.6" as
    0.6000000000000001 (ujson without precise floats), which a user then sees as the
    calibrated threshold. Rounding to 15 significant digits gives back any float written with
    up to 15 (thresholds, weights); any other moves by under 1e-15 of its size."""
    for key, value in cfg.items():
        if isinstance(value, float):
            cfg[key] = float(f"{value:.15g}")
