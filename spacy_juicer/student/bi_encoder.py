"""``spacy_juicer.BiEncoder.v1``: the fast mode. One encoder pass per sentence window whatever
the number of types, plus one pass per type description, cached between calls.

The same encoder reads ``[CLS] sentence [SEP]`` (word pieces mean-pooled back to spaCy tokens)
and ``[CLS] description [SEP]`` (mean-pooled, as sentence-transformers pools). Two linear
projections map tokens and types into one space; a token's "this type" logit is the scaled dot
product of the two, and its "no entity" logit comes from the token alone (a learned,
type-independent threshold). The output has the cross-encoder's shape, ``(n_tokens, K, 2)``
per doc, so the component, its training, losses and decoding are the same for both.

Why: the cross-encoder costs one pass per (sentence, type), so 50 labels cost 50 times one
label. Here 50 labels cost one sentence pass and a dot product once the descriptions are
encoded; description encodings are cached by text at inference and forgotten whenever the
weights change (the component clears ``type_cache`` after each update and after loading).
The descriptions still decide everything about a type: there is no per-type weight.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Sequence, Tuple

import numpy
from spacy.util import registry
from thinc.api import Dropout, Linear, Model
from thinc.types import Floats2d, Floats3d

from .cross_encoder import (
    _DescriptionCache,
    description_ids,
    get_tokenizer,
    has_transformer,
    load_transformer,
    make_hf_wrapper,
)
from .encoders import MINILM
from .inputs import NEG_FILL, ZeroShotInput
from .pairs import assign_windows, piece_mask, tokenize_docs
from .sequences import SingleTemplate, plan_description_batches, plan_sentence_batches


class TypeCache(dict):
    """Description text -> pooled encoder vector, valid until the weights change."""


@registry.architectures("spacy_juicer.BiEncoder.v1")
def build_bi_encoder(
    name: str = MINILM,
    max_length: int = 300,
    window_overlap: int = 64,
    max_description_length: int = 150,
    batch_size: int = 32,
    projection: int = 256,
    dropout: float = 0.1,
    mixed_precision: bool = False,
    grad_scaler_config: dict = {},
    tokenizer_config: dict = {"use_fast": True},
    transformer_config: dict = {},
) -> Model[ZeroShotInput, List[Floats3d]]:
    """Build the bi-encoder (fast mode).

    name, max_length, window_overlap, max_description_length, batch_size, dropout: as the
        cross-encoder (batch_size counts sequences: sentence windows or descriptions).
    projection: width of the shared token/type space.
    """
    if max_length < 8 or max_description_length < 1 or batch_size < 1 or projection < 1:
        raise ValueError("max_length >= 8, max_description_length, batch_size and projection >= 1 are needed.")
    if not 0 <= window_overlap < max_length:
        raise ValueError(f"window_overlap ({window_overlap}) must be in [0, max_length={max_length}).")
    hf = make_hf_wrapper(mixed_precision, grad_scaler_config, tokenizer_config, transformer_config)
    token_proj = Linear(nO=projection)
    type_proj = Linear(nO=projection)
    none_head = Linear(nO=1)
    return Model(
        "zero_shot_bi_encoder",
        forward,
        init=init,
        layers=[hf, Dropout(dropout), token_proj, type_proj, none_head],
        refs={"encoder": hf, "token_proj": token_proj, "type_proj": type_proj, "none_head": none_head},
        attrs={
            "name": str(name),
            "max_length": max_length,
            "window_overlap": window_overlap,
            "max_description_length": max_description_length,
            "batch_size": batch_size,
            "description_cache": _DescriptionCache(),
            "type_cache": TypeCache(),
        },
    )


def init(model: Model, X: Any = None, Y: Any = None) -> Model:
    hidden = load_transformer(model)
    config = model.get_ref("encoder").shims[0]._hfmodel.transformer.config
    limit = getattr(config, "max_position_embeddings", None)
    longest = max(model.attrs["max_length"], model.attrs["max_description_length"]) + 2
    if limit is not None and longest > limit - 2:
        raise ValueError(
            f"max_length / max_description_length exceed what '{model.attrs['name']}' can read ({limit} positions)."
        )
    for ref in ("token_proj", "type_proj", "none_head"):
        model.get_ref(ref).set_dim("nI", hidden)
        model.get_ref(ref).initialize()
    return model


def get_single_template(model: Model) -> SingleTemplate:
    cache = model.attrs["description_cache"]
    tokenizer = get_tokenizer(model)
    held = getattr(cache, "single", None)
    if held is None or held[0] != id(tokenizer):
        cache.single = (id(tokenizer), SingleTemplate.from_tokenizer(tokenizer))
    return cache.single[1]


def _encode_pooled(model: Model, batches, n_rows: int, is_train: bool) -> Tuple[Floats2d, Callable]:
    """Run encoder batches, mean-pool the gathered rows into ``out[dest]``."""
    ops = model.ops
    encoder = model.get_ref("encoder")
    out = None
    callbacks = []
    for batch in batches:
        hidden, bp_hidden = encoder(batch, is_train)
        seq_shape = hidden.shape
        if out is None:
            out = ops.alloc2f(n_rows, seq_shape[-1])
        rows = ops.asarray1i(batch.rows)
        lens = ops.asarray1i(batch.lengths)
        pooled = ops.reduce_mean(hidden.reshape((-1, seq_shape[-1]))[rows], lens)
        dest = ops.xp.asarray(batch.dest)
        out[dest] = pooled
        if is_train:
            callbacks.append((dest, rows, lens, seq_shape, bp_hidden))
    if out is None:
        out = ops.alloc2f(n_rows, model.get_ref("encoder").get_dim("nO"))

    def backprop(d_out: Floats2d) -> None:
        for dest, rows, lens, seq_shape, bp_hidden in callbacks:
            d_rows = ops.backprop_reduce_mean(d_out[dest], lens)
            d_hidden = ops.alloc2f(seq_shape[0] * seq_shape[1], seq_shape[2])
            ops.scatter_add(d_hidden, rows, d_rows)
            bp_hidden(d_hidden.reshape(seq_shape))

    return out, backprop


def _type_vectors(model: Model, descriptions: Sequence[str], is_train: bool) -> Tuple[Floats2d, Callable]:
    """Pooled encodings of the descriptions; cached by text outside training."""
    template = get_single_template(model)
    ids = description_ids(model, descriptions)
    size = model.attrs["batch_size"]
    if is_train:
        return _encode_pooled(model, plan_description_batches(ids, template, size), len(ids), True)
    cache: Dict[str, Any] = model.attrs["type_cache"]
    todo = [j for j, text in enumerate(descriptions) if text not in cache]
    if todo:
        fresh, _ = _encode_pooled(model, plan_description_batches([ids[j] for j in todo], template, size), len(todo), False)
        for row, j in enumerate(todo):
            cache[descriptions[j]] = fresh[row].copy()
    if not descriptions:
        return model.ops.alloc2f(0, model.get_ref("encoder").get_dim("nO")), lambda d: None
    vectors = model.ops.xp.stack([cache[text] for text in descriptions])
    return vectors, lambda d: None


def forward(model: Model, X: ZeroShotInput, is_train: bool) -> Tuple[List[Floats3d], Callable]:
    """Per doc ``(n_tokens, K_doc, 2)``: [type logit, "no entity" logit] of every (token, type)."""
    if not has_transformer(model):
        raise ValueError("The bi-encoder has no weights yet: initialize the pipeline (nlp.initialize()) first.")
    ops = model.ops
    xp = ops.xp
    dropout = model.layers[1]
    token_proj, type_proj, none_head = (model.get_ref(r) for r in ("token_proj", "type_proj", "none_head"))
    docs = X.docs
    lengths = [len(doc) for doc in docs]
    starts = numpy.concatenate([[0], numpy.cumsum(lengths)]).astype("int64")
    n_total = int(starts[-1])
    cols = [numpy.asarray(list(X.labels_of(d)), dtype="int64") for d in range(len(docs))]

    pieces = tokenize_docs(get_tokenizer(model), docs)
    stride = model.attrs["max_length"] - model.attrs["window_overlap"]
    for p in pieces:
        assign_windows(p, model.attrs["max_length"], stride)
    masks = None
    if is_train and X.masked is not None:
        masks = [None if m is None else piece_mask(p, m) for p, m in zip(pieces, X.masked)]
    scored = numpy.concatenate([p.token_window >= 0 for p in pieces]) if pieces else numpy.zeros(0, bool)
    template = get_single_template(model)
    sentence_batches = plan_sentence_batches(pieces, template, model.attrs["batch_size"], masks)
    tokens, bp_tokens = _encode_pooled(model, sentence_batches, n_total, is_train)
    types, bp_types = _type_vectors(model, X.descriptions, is_train)

    dropped, bp_drop = dropout(tokens, is_train)
    t_proj, bp_t = token_proj(dropped, is_train)
    none, bp_none = none_head(dropped, is_train)
    u_proj, bp_u = type_proj(types, is_train)
    scale = 1.0 / float(numpy.sqrt(t_proj.shape[1]))
    sims = (t_proj @ u_proj.T) * scale  # (n_total, n_descriptions)
    sims[xp.asarray(~scored)] = NEG_FILL
    outputs = []
    for d in range(len(docs)):
        block = sims[starts[d] : starts[d + 1]][:, cols[d]]
        neg = xp.broadcast_to(none[starts[d] : starts[d + 1]], block.shape)
        outputs.append(xp.stack([block, neg], axis=-1).astype("f"))

    def backprop(d_outputs: List[Floats3d]) -> ZeroShotInput:
        d_sims = ops.alloc2f(n_total, sims.shape[1])
        d_none = ops.alloc2f(n_total, 1)
        for d, d_out in enumerate(d_outputs):
            rows = xp.arange(starts[d], starts[d + 1])
            if len(cols[d]) and len(rows):
                xp.add.at(d_sims, (rows[:, None], cols[d][None, :]), d_out[:, :, 0])
            d_none[starts[d] : starts[d + 1], 0] = d_out[:, :, 1].sum(axis=1)
        d_sims[xp.asarray(~scored)] = 0.0
        d_sims *= scale
        d_dropped = bp_t(d_sims @ u_proj) + bp_none(d_none)
        bp_tokens(bp_drop(d_dropped))
        bp_types(bp_u(d_sims.T @ t_proj))
        return X

    return outputs, backprop
