"""The ``zero_shot_ner`` component: entity types chosen at run time, described in plain words.

    nlp.add_pipe("zero_shot_ner", config={"labels": {"Disease": "An illness or disorder ..."}})
    nlp.get_pipe("zero_shot_ner").set_labels({"Gene": "A gene or gene product ..."})

Tagging is IO (JUICER): each token gets "no entity" or one type, and adjacent tokens of one type
form one span, so two mentions of a type that touch are merged (rare in practice: about 1% of
mentions in the benchmarks JUICER measured). This module imports no torch at import time:
spaCy imports every factory entry point on ``spacy.blank()``.
"""
import warnings
from contextlib import contextmanager
from itertools import islice
from typing import (
    TYPE_CHECKING, Any, Callable, Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, Tuple, Union,
)

import numpy
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.tokens import Doc, Span, SpanGroup
from spacy.training import Example, validate_examples, validate_get_examples
from spacy.util import minibatch
from spacy.vocab import Vocab
from thinc.api import Config, Model, Optimizer, set_dropout_rate

from ..corpora.doc_labels import get_doc_labels, set_doc_labels
from ..corpora.labels import LabelError, LabelsLike, is_bare_name, normalize_labels
from .caches import clear_caches
from .decisions import check_balance, check_negative_class, decode_exclusive, decode_overlapping, loss_and_grads
from .frozen_head import freeze_parts
from .name_check import join, with_names
from .negatives import BUILTIN, load_negative_pool
from .span_edges import token_kinds

if TYPE_CHECKING:  # imported lazily at run time, like the models
    from .inputs import ZeroShotInput

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
# the thresholds that choose_threshold tries by default: a student fine-tuned end to end on few
# types is under-confident on unseen ones (best 0.05-0.5, benchmarks/results/zero_shot/
# regimens.md); a frozen-encoder head trained on many silver types, whose negatives weigh less
# than their share, is over-confident (its best lies above 0.5)
THRESHOLD_GRID = (0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


def check_threshold(threshold: float) -> float:
    if not 0.0 <= float(threshold) <= 1.0:
        raise ValueError(f"threshold must be in [0, 1], not {threshold}.")
    return float(threshold)


def check_other_type_weight(weight: float) -> float:
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"other_type_weight must be in [0, 1], not {weight}.")
    return float(weight)


def check_type_ranking(weight: float) -> float:
    if not weight >= 0.0:
        raise ValueError(f"type_ranking must be >= 0, not {weight}.")
    return float(weight)


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
        "name_threshold": None,
        "spans_key": None,
        "gold_spans_key": None,
        "min_types_per_step": 10,
        "max_types_per_step": 15,
        "negative_weight": 1.0,
        "other_type_weight": 1.0,
        "near_type_similarity": 1.0,
        "balance": "tokens",
        "type_ranking": 0.0,
        "negative_class": "per_type",
        "negative_types": "builtin",
        "mask_prob": 0.7,
        "overwrite_ents": True,
        "trim_spans": True,
        "check_names": False,
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
    spans_key: Optional[str],
    gold_spans_key: Optional[str],
    min_types_per_step: int,
    max_types_per_step: int,
    negative_weight: float,
    other_type_weight: float,
    near_type_similarity: float,
    balance: str,
    type_ranking: float,
    negative_class: str,
    negative_types: Optional[str],
    mask_prob: float,
    overwrite_ents: bool,
    trim_spans: bool,
    check_names: bool,
    scorer: Optional[Callable],
) -> "ZeroShotNER":
    """Create a zero-shot NER component.

    labels: {type: description}; more can be set later with ``set_labels`` or at initialize.
    threshold: a span is kept when the mean probability of its tokens reaches it.
    name_threshold: the same for the types given by their name alone (``labels.is_bare_name``:
        "gene", "cell line"), whose probabilities run on another scale than a sentence's;
        ``calibrate`` chooses it on the dev types' names. None: ``threshold`` for every type.
    spans_key: write (possibly overlapping) spans to ``doc.spans[spans_key]`` instead of ents.
    gold_spans_key: train from ``doc.spans[gold_spans_key]`` instead of ``doc.ents``.
    min/max_types_per_step: types scored per update (JUICER: 10-15): the batch's gold types,
        then its docs' own types (``doc._.zero_shot_labels``), the known labels, and last the
        pool of negative types.
    negative_weight: weight of the "no entity" class in the loss.
    other_type_weight: per_type rule, weight of an entity token's "not this type" entries for
        the other scored types: 1.0 for gold types that exclude each other; lower for silver
        data, whose types overlap (a disease the teacher called "Medical condition" is not
        evidence against "Disease").
    near_type_similarity: per_type rule, frozen-encoder mode: two types whose descriptions'
        encoder vectors have a cosine above this are near synonyms, and neither's mentions
        count against the other (silver types overlap); 1.0 turns it off.
    balance: per_type rule: "tokens" (a non-entity token's entries weigh as one token) or
        "per_type" (each type's positives and negatives averaged apart: ``decisions.py``) or
        "per_role" (as per_type, with the other types' mentions averaged apart from the
        tokens of no entity, so that the negatives that tell types apart are not drowned).
    type_ranking: per_type rule, weight of a second term that teaches which of the scored
        types a mention is (a softmax over the types for each entity token, near synonyms left
        out: ``decisions.ranking_loss``); 0 turns it off.
    negative_class: "per_type" (each type against no entity on its own, robust to added
        labels) or "max" (SMXM/JUICER: no entity is the max over types, one softmax).
    negative_types: the pool of negative types: "builtin" (shipped, ~300 broad types),
        "none", or a labels file (e.g. the silver types' descriptions); read at initialize.
    mask_prob: probability that a gold mention's word pieces are masked (training only).
    trim_spans: cut each decoded run to the edges a mention has: split at commas and
        semicolons, no punctuation or lower-case stop word at either end (``span_edges.py``);
        false keeps the runs as they are.
    check_names: a described type is also read by its name ("Disease" -> "disease"), and a
        token is of that type only where both readings find it, each at its own threshold
        (``name_check.py``): a description's examples raise the scores of every mention-like
        span, other types' too. It helps where the model reads the name well and costs where
        it does not, so ``calibrate`` (and the ``dev_threshold`` callback) turn it on or off by
        the dev types' scores, like the thresholds. Costs one more column per described type
        at prediction; training is unchanged. A label that is a code ("T047") is never read
        by name.
    """
    settings = dict(locals())  # every other argument is a setting of the component, by name
    for argument in ("nlp", "name", "model"):
        del settings[argument]
    return ZeroShotNER(nlp.vocab, model, name, **settings)


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
        name_threshold: Optional[float] = None,
        spans_key: Optional[str] = None,
        gold_spans_key: Optional[str] = None,
        min_types_per_step: int = 10,
        max_types_per_step: int = 15,
        negative_weight: float = 1.0,
        other_type_weight: float = 1.0,
        near_type_similarity: float = 1.0,
        balance: str = "tokens",
        type_ranking: float = 0.0,
        negative_class: str = "per_type",
        negative_types: Optional[str] = BUILTIN,
        mask_prob: float = 0.7,
        overwrite_ents: bool = True,
        trim_spans: bool = True,
        check_names: bool = False,
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
        check_other_type_weight(other_type_weight)
        check_type_ranking(type_ranking)
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
            "spans_key": spans_key,
            "gold_spans_key": gold_spans_key,
            "min_types_per_step": min_types_per_step,
            "max_types_per_step": max_types_per_step,
            "negative_weight": negative_weight,
            "other_type_weight": other_type_weight,
            "near_type_similarity": near_type_similarity,
            "balance": check_balance(balance),
            "type_ranking": float(type_ranking),
            "negative_class": check_negative_class(negative_class),
            "negative_types": negative_types,
            "negative_pool": {},
            "mask_prob": mask_prob,
            "overwrite_ents": overwrite_ents,
            "trim_spans": bool(trim_spans),
            "check_names": bool(check_names),
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

    def set_loss_settings(self, *, balance: Optional[str] = None, other_type_weight: Optional[float] = None,
                          type_ranking: Optional[float] = None) -> None:
        """Change how the loss weighs its terms (``None`` keeps a setting): a sourced component,
        e.g. KF's from the KP pipeline, brings the settings it was pre-trained with."""
        if balance is not None:
            self.cfg["balance"] = check_balance(balance)
        if other_type_weight is not None:
            self.cfg["other_type_weight"] = check_other_type_weight(other_type_weight)
        if type_ranking is not None:
            self.cfg["type_ranking"] = check_type_ranking(type_ranking)

    def freeze(self, parts: Sequence[str], strict: bool = True) -> int:
        """Hold parts of the frozen mode's head fixed for the rest of this training ("types":
        the description side; "tokens": the sentence side) and return how many tensors: e.g.
        KF fitting the sentence side to gold while the type side stays as KP left it.
        ``strict=False`` (a config's default, shared by every architecture): another
        architecture, which has no such head, trains as it is, with a warning."""
        heads = [node for node in self.model.walk() if node.name == "frozen_head"]
        if not heads:
            message = f"{self.name}: only the frozen mode's head (FrozenBiEncoder.v1) has parts to freeze"
            if strict:
                raise ValueError(message + ".")
            warnings.warn(message + f"; {list(parts)} ignored, the whole model trains.")
            return 0
        return sum(freeze_parts(head, parts) for head in heads)

    def set_trainable_layers(self, k: Optional[int], lr_scale: Optional[float] = None) -> Tuple[int, float]:
        """Let the frozen mode's top ``k`` encoder layers learn from now on (``None`` keeps the
        count), at ``lr_scale`` times the optimizer's rate (``None`` keeps it), and return both
        as they now are (``frozen_bi_encoder.set_trainable_layers``). Other architectures train
        their whole encoder already, so this is an error there."""
        from .frozen_bi_encoder import set_trainable_layers

        nodes = [node for node in self.model.walk() if node.name == "zero_shot_frozen_bi_encoder"]
        if not nodes:
            raise ValueError(f"{self.name}: trainable_layers applies to the frozen mode (FrozenBiEncoder.v1) only.")
        for node in nodes:
            set_trainable_layers(node, node.attrs.get("trainable_layers", 0) if k is None else k, lr_scale)
        return nodes[0].attrs["trainable_layers"], nodes[0].attrs.get("layer_lr_scale", 1.0)

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
        rule = self.cfg["negative_class"]
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
                found = decode_overlapping(values, rule, threshold, kinds)
            else:
                found = decode_exclusive(values, rule, threshold, kinds)
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
        types = self._choose_types(gold, step_labels)
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

    def finish_update(self, sgd: Optimizer) -> None:
        """Apply the gradients; cached type encodings (fast mode) are stale after it."""
        super().finish_update(sgd)
        clear_caches(self.model)

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
            outputs, targets, self.cfg["negative_class"], self.cfg["negative_weight"], self.model.ops,
            other_type_weight=self.cfg.get("other_type_weight", 1.0), other_type_weights=other_weights,
            balance=self.cfg.get("balance", "tokens"), type_ranking=self.cfg.get("type_ranking", 0.0),
        )

    def _other_type_weights(self, descriptions: List[str]) -> Optional[numpy.ndarray]:
        """``(K, K)`` weights of a type's mentions as negatives of the others: 0 between near
        synonyms (cosine of the frozen encoder's description vectors above
        ``near_type_similarity``), ``other_type_weight`` elsewhere. Only the frozen mode has
        description vectors that do not move with every update."""
        limit = float(self.cfg.get("near_type_similarity", 1.0))
        if limit >= 1.0 or self.model.name != "zero_shot_frozen_bi_encoder":
            return None
        from .frozen_bi_encoder import description_similarity

        sim = description_similarity(self.model, descriptions)
        weights = numpy.where(sim > limit, 0.0, self.cfg.get("other_type_weight", 1.0)).astype("f")
        numpy.fill_diagonal(weights, 1.0)
        return weights

    def _gold_spans(self, doc: Doc) -> Sequence[Span]:
        key = self.cfg["gold_spans_key"]
        if key is None:
            return doc.ents
        return doc.spans[key] if key in doc.spans else []

    def _aligned_gold(self, example: Example) -> List[Tuple[int, int, str]]:
        spans = self._gold_spans(example.reference)
        aligned = example.get_aligned_spans_y2x(spans, allow_overlap=True)
        return [(s.start, s.end, s.label_) for s in aligned]

    def _choose_types(self, gold: List[List[Tuple[int, int, str]]], step_labels: Dict[str, str]) -> List[str]:
        """The types one update scores, shared by the batch's docs.

        With per-doc labels (a knowledge pre-training step): the batch's gold types and all
        the step's types. Otherwise: the batch's gold types (a random subset if too many),
        then random negative types from the known labels and then the negative pool, up to a
        random size in [min_types_per_step, max_types_per_step]. A type never comes back as a
        negative under another capitalisation.
        """
        size = numpy.random.randint(self.cfg["min_types_per_step"], self.cfg["max_types_per_step"] + 1)
        present = sorted({label for spans in gold for *_, label in spans})
        if step_labels:
            present = sorted(set(present) | set(step_labels))
            size = max(size, len(present))
        elif len(present) > size:
            present = [present[i] for i in sorted(numpy.random.choice(len(present), size, replace=False))]
        types = list(present)
        taken = {t.casefold() for t in types}
        for source in (self.labels, self.cfg["negative_pool"]):
            if len(types) >= size:
                break
            others = [t for t in source if t.casefold() not in taken]
            n = min(size - len(types), len(others))
            if n > 0:
                picked = [others[i] for i in numpy.random.choice(len(others), n, replace=False)]
                types.extend(picked)
                taken.update(t.casefold() for t in picked)
        numpy.random.shuffle(types)
        return types

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

    def score_thresholds(
        self,
        docs: Sequence[Doc],
        references: Sequence[Doc],
        scores: Sequence[Any],
        grid: Sequence[float] = THRESHOLD_GRID,
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
            with self.using(threshold=threshold, name_threshold=name_threshold):
                self.set_annotations(decoded, list(scores))
                result = self.score([Example(p, g) for p, g in zip(decoded, references)])
            if metric not in result:
                raise ValueError(f"unknown metric {metric!r}; the scorer gives {sorted(result)}.")
            by_threshold[str(threshold)] = float(result[metric] or 0.0)
        return by_threshold

    def choose_threshold(
        self,
        docs: Sequence[Doc],
        references: Sequence[Doc],
        *,
        grid: Sequence[float] = THRESHOLD_GRID,
        metric: str = "span_macro_f",
        batch_size: int = 32,
        label_sets: Optional[Mapping[str, LabelsLike]] = None,
    ) -> Dict[str, Any]:
        """The threshold of ``grid`` whose predictions on ``docs`` score best against
        ``references`` (ties: the higher, the more precise), with the score of each. ``docs``
        are what this component would receive (earlier components already run, per-doc labels
        kept); the model runs once and each threshold only re-decodes. ``self.cfg`` is left as
        it was: the caller decides whether to keep the choice.

        ``label_sets`` (e.g. the forms of the dev types' descriptions: ``corpora.forms``): the
        docs are predicted once per set, each with its labels instead of any per-doc labels,
        and the threshold chosen is the one whose *worst* set scores best (ties: the higher
        mean), so that it serves a user who words the types differently from us. Sets that
        give every type by its name alone (``labels.is_bare_name``) choose ``name_threshold``
        apart, when described sets are there too (else it is None): a name's probabilities
        run higher than a sentence's, and one threshold for both cost the names 1-5 span F
        on every seed measured (README, "Results").

        ``check_names`` is chosen too: on when, at its best threshold, reading the described
        types by name as well scores better than not (``scores_by_check``)."""
        grid = check_grid(grid)
        docs, references = list(docs), list(references)
        if len(docs) != len(references):
            raise ValueError(f"{len(docs)} docs but {len(references)} references.")
        # the model runs once, with the described types' names read too; each threshold and
        # each setting of check_names then only re-decodes
        if not label_sets:
            with self.using(check_names=True):
                scores = self.predict_all(docs, batch_size)
            by_check = {}
            for check in (False, True):
                with self.using(check_names=check):
                    by_check[check] = self.score_thresholds(docs, references, scores, grid, metric,
                                                            self.cfg.get("name_threshold"))
            # on only when its best beats the best without it (ties: off, the cheaper reading)
            check = max(by_check[True].values()) > max(by_check[False].values())
            curve = by_check[check]
            best = max(grid, key=lambda t: (curve[str(t)], t))
            return {"threshold": float(best), "name_threshold": None, "check_names": check, "metric": metric,
                    "scores": curve, "scores_by_check": _by_check_names(by_check), "n_docs": len(docs)}
        predicted: Dict[str, Tuple[List[Doc], List[Any]]] = {}
        names: List[str] = []
        for set_name, labels in label_sets.items():
            plain = [set_doc_labels(doc.copy(), None) for doc in docs]
            with self.using(labels=labels, check_names=True):
                if all(is_bare_name(d or t) for t, d in self.cfg["labels"].items()):
                    names.append(set_name)
                predicted[set_name] = (plain, self.predict_all(plain, batch_size))

        def sweep(set_name: str, check: bool, name_threshold: Optional[float] = None) -> Dict[str, float]:
            plain, scores = predicted[set_name]
            with self.using(labels=label_sets[set_name], check_names=check):
                return self.score_thresholds(plain, references, scores, grid, metric, name_threshold)

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
            "scores_by_set": by_set,
            "scores_by_check": _by_check_names({c: v[2] for c, v in by_check.items()}),
            "n_docs": len(docs),
        }

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
