"""``spacy_juicer.FrozenBiEncoder.v2``: the fast mode with its transformer frozen, so that
knowledge pre-training reaches the scale it needs on a CPU.

The encoder reads ``[CLS] sentence [SEP]`` (word pieces mean-pooled to spaCy tokens) and
``[CLS] description [SEP]`` as a bi-encoder does, but never learns: its outputs for
a text are computed once and kept in a feature store (``feature_store.py``; in memory, or on
disk when training attaches one with ``spacy_juicer.feature_store.v1``), so every later epoch
costs only the head (``frozen_head.py``): a residual BiLSTM over the token vectors, token and
type MLPs into one space, their scaled dot product against a per-token "no entity" score.
The output has the other architectures' shape, ``(n_tokens, K_doc, 2)`` per doc, so the
component, its losses and decoding are the same. A packaged pipeline runs the encoder as usual;
it needs no store. On a GPU, JUICER's cross-encoder (``CrossEncoder.v1``) fine-tunes the whole encoder.

Entity masking (JUICER's ``mask_prob``) does not apply here: it changes the encoder's input,
and the features are computed once. Zeroing a masked mention's vectors instead was tried and
is a shortcut, not a regulariser: the head learnt that zero vectors are entities (KP dev span
F 0.00 at 1,000 updates, against 3.45 with the vectors kept), and users' text has no zeros.
"""
from __future__ import annotations

import hashlib
from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Model
from thinc.types import Floats3d

from . import hf_encoder
from . import token_layers as layer_mix
from .feature_store import FeatureStore, feature_key, get_or_compute
from .frozen_head import build_frozen_head, freeze_parts
from .inputs import NEG_FILL, ZeroShotInput
from .sequences import SingleTemplate, plan_description_batches

# The store a model reads and writes, by ``Model.id``, kept outside ``model.attrs`` so that it
# is never serialized with the model (a packaged pipeline must not point at a training
# machine's file). Thinc models take no weak references.
NAME = "zero_shot_frozen_bi_encoder"
_STORES: Dict[int, FeatureStore] = {}
_FINGERPRINTS: Dict[int, Tuple[Any, str]] = {}


def attach_feature_store(model: Model, store: FeatureStore) -> None:
    """Let the frozen encoder of ``model`` (or of any layer in it) read and write ``store``."""
    for node in model.walk():
        if is_frozen_mode(node):
            _STORES[node.id] = store


def is_frozen_mode(model: Model) -> bool:
    """Whether ``model`` is this architecture (the component's other settings depend on it)."""
    return model.name == NAME


def freeze_head(model: Model, parts: Sequence[str]) -> int:
    """Hold the named parts of the head fixed from now on (``frozen_head.freeze_parts``)."""
    return freeze_parts(model.get_ref("head"), parts)


def get_feature_store(model: Model) -> FeatureStore:
    store = _STORES.get(model.id)
    if store is None:
        store = _STORES[model.id] = FeatureStore(None)
    return store


@registry.architectures("spacy_juicer.FrozenBiEncoder.v2")
@hf_encoder.takes_encoder_settings
def build_frozen_bi_encoder(
    encoder: hf_encoder.EncoderSettings,
    dropout: float = 0.1,
    width: int = 256,
    lstm_depth: int = 1,
    token_layers: List[int] = [2, 4, 6],
) -> Model[ZeroShotInput, List[Floats3d]]:
    """Build the frozen-encoder fast mode.

    encoder: the encoder's settings (``hf_encoder.EncoderSettings``, keys of the config block
    like the others; ``batch_size``: sequences per encoder pass when features are computed).
    dropout: in the head.
    width: the head's width (BiLSTM output, token and type spaces).
    lstm_depth: BiLSTM layers over the frozen token vectors (0: none, tokens are read alone).
    token_layers: the encoder layers whose states, pooled per token, are joined into a token's
    features (``token_layers.py``; 0 = embeddings, -1 = last); descriptions keep the last layer.
    The default, MiniLM-L6's layers 2, 4 and 6, found more unseen types than the last layer
    alone (docs/results.md).
    """
    if width < 2 or lstm_depth < 0:
        raise ValueError("width >= 2 and lstm_depth >= 0 are needed.")
    attrs = encoder.attrs()
    attrs["token_layers"] = layer_mix.check_layers(token_layers)
    hf = encoder.wrapper()
    head = build_frozen_head(width=width, lstm_depth=lstm_depth, dropout=dropout)
    return Model(
        NAME,
        forward,
        init=init,
        layers=[hf, head],
        refs={"encoder": hf, "head": head},
        attrs=attrs,
    )


@registry.architectures("spacy_juicer.FrozenBiEncoder.v1")
@hf_encoder.with_settings_of(build_frozen_bi_encoder)
def build_frozen_bi_encoder_v1(trainable_layers: int = 0, layer_lr_scale: float = 1.0, **v2: Any) -> Model:
    """v2's model, for the configs of pipelines saved before v2: they also name
    ``trainable_layers`` (only 0, the encoder all frozen, remains) and ``layer_lr_scale``
    (which only trainable layers read)."""
    if trainable_layers:
        raise ValueError(
            "trainable_layers was removed: the encoder stays frozen (FrozenBiEncoder.v2); "
            "CrossEncoder.v1 fine-tunes it."
        )
    return build_frozen_bi_encoder(**v2)


def init(model: Model, X: Any = None, Y: Any = None) -> Model:
    hidden = hf_encoder.load_transformer(model)
    hf_encoder.check_positions(model, max(model.attrs["max_length"], model.attrs["max_description_length"]) + 2)
    transformer = model.get_ref("encoder").shims[0]._hfmodel.transformer
    for param in transformer.parameters():
        param.requires_grad_(False)
    layers = layer_mix.resolve_layers(model.attrs.get("token_layers", [-1]), int(transformer.config.num_hidden_layers))
    head = model.get_ref("head")
    head.set_dim("nI", hidden)
    head.set_dim("nT", hidden * len(layers))
    head.initialize()
    return model


def fingerprint(model: Model) -> str:
    """What decides the encoder's outputs: its name, window settings and its weights (a hash
    of the embedding matrix, so a store never serves features of other weights)."""
    transformer = model.get_ref("encoder").shims[0]._hfmodel.transformer
    held = _FINGERPRINTS.get(model.id)
    if held is not None and held[0] is transformer:
        return held[1]
    h = hashlib.sha1()
    for key in ("name", "max_length", "window_overlap", "max_description_length"):
        h.update(f"{key}={model.attrs[key]};".encode())
    embeddings = transformer.get_input_embeddings().weight.detach().cpu().numpy()
    h.update(numpy.ascontiguousarray(embeddings[:: max(1, embeddings.shape[0] // 512)]).tobytes())
    value = h.hexdigest()[:16]
    _FINGERPRINTS[model.id] = (transformer, value)
    return value


def _hidden(model: Model, batch: Any) -> numpy.ndarray:
    hidden = model.get_ref("encoder").predict(batch)
    return model.ops.to_numpy(hidden).reshape((-1, hidden.shape[-1]))


def _compute_descriptions(model: Model, descriptions: Sequence[str]) -> List[numpy.ndarray]:
    """Per description, ``(n_pieces, hidden)``: the states of all its attended positions (their
    mean is what sentence-transformers pools; the pieces serve richer heads)."""
    ids = hf_encoder.description_ids(model, descriptions)
    out: List[Any] = [None] * len(descriptions)
    template = hf_encoder.get_template(model, SingleTemplate)
    for batch in plan_description_batches(ids, template, model.attrs["batch_size"]):
        flat = _hidden(model, batch)
        rows = flat[batch.rows]
        bounds = numpy.concatenate([[0], numpy.cumsum(batch.lengths)])
        for i, j in enumerate(batch.dest):
            out[int(j)] = rows[bounds[i] : bounds[i + 1]]
    return out


def token_features(model: Model, docs: Sequence[Doc]) -> List[numpy.ndarray]:
    """Frozen token vectors of ``docs`` (float16), from the store or computed once: the
    ``token_layers`` side by side (``token_layers.compute_tokens``)."""
    fp = fingerprint(model)
    layers = model.attrs.get("token_layers", [-1])
    n_layers = int(model.get_ref("encoder").shims[0]._hfmodel.transformer.config.num_hidden_layers)
    kind = layer_mix.layer_tag(layers, n_layers)
    keys = [feature_key(fp, kind, doc.text, [t.idx for t in doc] + [len(doc.text)]) for doc in docs]
    compute = lambda todo: layer_mix.compute_tokens(model, [docs[i] for i in todo], layers)
    return get_or_compute(get_feature_store(model), keys, compute)


def description_features(model: Model, descriptions: Sequence[str]) -> List[numpy.ndarray]:
    """Frozen last-layer word-piece states of each description (float16), from the store or
    computed once."""
    keys = [feature_key(fingerprint(model), "description", text) for text in descriptions]
    compute = lambda todo: _compute_descriptions(model, [descriptions[i] for i in todo])
    return get_or_compute(get_feature_store(model), keys, compute)


def description_vectors(model: Model, descriptions: Sequence[str]) -> numpy.ndarray:
    """``(K, hidden)``: each description's frozen word-piece states mean-pooled (as
    sentence-transformers pools)."""
    width = model.get_ref("encoder").get_dim("nO")
    if not descriptions:
        return numpy.zeros((0, width), dtype="float32")
    return numpy.stack([f.astype("float32").mean(axis=0) for f in description_features(model, descriptions)])


def _pad(ops, arrays: Sequence[numpy.ndarray], width: int) -> Tuple[Any, numpy.ndarray]:
    """``(N, longest, width)`` float32, zero-padded by Thinc's ``ops.pad`` (at least one
    column, so that an empty batch keeps its shape), and each array's length."""
    lengths = numpy.asarray([len(a) for a in arrays], dtype="int64")
    if not len(arrays) or not lengths.max():
        return ops.alloc3f(len(arrays), 1, width), lengths
    return ops.pad([ops.asarray2f(numpy.asarray(a, dtype="float32")) for a in arrays]), lengths


def description_similarity(model: Model, descriptions: Sequence[str]) -> numpy.ndarray:
    """``(K, K)`` cosine of the descriptions' frozen vectors: near synonyms score high."""
    vectors = description_vectors(model, descriptions)
    vectors = vectors / numpy.maximum(numpy.linalg.norm(vectors, axis=1, keepdims=True), 1e-9)
    return vectors @ vectors.T


def forward(model: Model, X: ZeroShotInput, is_train: bool) -> Tuple[List[Floats3d], Callable]:
    """Per doc ``(n_tokens, K_doc, 2)``: [type logit, "no entity" logit] of every (token, type)."""
    hf_encoder.require_weights(model, "frozen bi-encoder")
    ops = model.ops
    head = model.get_ref("head")
    docs = X.docs
    width = model.get_ref("encoder").get_dim("nO")
    token_rows, piece_rows = token_features(model, docs), description_features(model, X.descriptions)
    token_width = head.get_dim("nT") if head.has_dim("nT") else width
    padded, lengths = _pad(ops, token_rows, token_width)
    n_batch = len(docs)
    scored = ops.to_numpy(ops.xp.abs(padded).sum(axis=-1) > 0)  # tokens some window read
    pieces, n_pieces = _pad(ops, piece_rows, width)
    logits, bp_head = head((padded, lengths, pieces, n_pieces), is_train)
    logits = ops.to_numpy(logits) if not isinstance(logits, numpy.ndarray) else logits
    logits = logits.copy()
    logits[..., 0][~scored] = NEG_FILL
    cols = [numpy.asarray(list(X.labels_of(d)), dtype="int64") for d in range(n_batch)]
    outputs = [ops.asarray(logits[d, : lengths[d]][:, cols[d]]) for d in range(n_batch)]

    def backprop(d_outputs: List[Floats3d]) -> ZeroShotInput:
        d_logits = numpy.zeros_like(logits)
        for d, d_out in enumerate(d_outputs):
            if len(cols[d]) and lengths[d]:
                block = numpy.asarray(ops.to_numpy(d_out))
                d_logits[d, : lengths[d]][:, cols[d]] += block
        d_logits[..., 0][~scored] = 0.0
        bp_head(ops.asarray(d_logits))  # the frozen features take no gradient
        return X

    return outputs, backprop
