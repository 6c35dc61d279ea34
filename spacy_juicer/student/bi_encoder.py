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
weights change (the component clears ``type_cache`` after each update; it is never saved, so a
loaded model starts with an empty one: ``caches.py``).
The descriptions still decide everything about a type: there is no per-type weight.
"""
from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

import numpy
from spacy.util import registry
from thinc.api import Dropout, Linear, Model
from thinc.types import Floats2d, Floats3d

from .caches import TypeCache
from .encoders import MINILM
from . import hf_encoder
from .inputs import NEG_FILL, ZeroShotInput
from .pooling import encode_pooled
from .sequences import SingleTemplate, plan_description_batches, plan_sentence_batches


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
    if projection < 1:
        raise ValueError(f"projection must be >= 1, not {projection}.")
    attrs = hf_encoder.encoder_attrs(name, max_length, window_overlap, max_description_length, batch_size)
    hf = hf_encoder.make_hf_wrapper(mixed_precision, grad_scaler_config, tokenizer_config, transformer_config)
    token_proj = Linear(nO=projection)
    type_proj = Linear(nO=projection)
    none_head = Linear(nO=1)
    return Model(
        "zero_shot_bi_encoder",
        forward,
        init=init,
        layers=[hf, Dropout(dropout), token_proj, type_proj, none_head],
        refs={"encoder": hf, "token_proj": token_proj, "type_proj": type_proj, "none_head": none_head},
        attrs={**attrs, "type_cache": TypeCache()},
    )


def init(model: Model, X: Any = None, Y: Any = None) -> Model:
    hidden = hf_encoder.load_transformer(model)
    n_special = hf_encoder.get_template(model, SingleTemplate).n_special
    hf_encoder.check_positions(model, max(model.attrs["max_length"], model.attrs["max_description_length"]) + n_special)
    for ref in ("token_proj", "type_proj", "none_head"):
        model.get_ref(ref).set_dim("nI", hidden)
        model.get_ref(ref).initialize()
    return model


def _type_vectors(model: Model, descriptions: Sequence[str], is_train: bool) -> Tuple[Floats2d, Callable]:
    """Pooled encodings of the descriptions; cached by text outside training."""
    template = hf_encoder.get_template(model, SingleTemplate)
    ids = hf_encoder.description_ids(model, descriptions)
    size = model.attrs["batch_size"]
    if is_train:
        return encode_pooled(model, plan_description_batches(ids, template, size), len(ids), True)
    cache: TypeCache = model.attrs["type_cache"]
    todo = [j for j, text in enumerate(descriptions) if text not in cache]
    if todo:
        fresh, _ = encode_pooled(model, plan_description_batches([ids[j] for j in todo], template, size), len(todo), False)
        for row, j in enumerate(todo):
            cache[descriptions[j]] = fresh[row].copy()
    if not descriptions:
        return model.ops.alloc2f(0, model.get_ref("encoder").get_dim("nO")), lambda d: None
    vectors = model.ops.xp.stack([cache[text] for text in descriptions])
    return vectors, lambda d: None


def forward(model: Model, X: ZeroShotInput, is_train: bool) -> Tuple[List[Floats3d], Callable]:
    """Per doc ``(n_tokens, K_doc, 2)``: [type logit, "no entity" logit] of every (token, type)."""
    hf_encoder.require_weights(model, "bi-encoder")
    ops = model.ops
    xp = ops.xp
    dropout = model.layers[1]
    token_proj, type_proj, none_head = (model.get_ref(r) for r in ("token_proj", "type_proj", "none_head"))
    docs = X.docs
    lengths = [len(doc) for doc in docs]
    starts = numpy.concatenate([[0], numpy.cumsum(lengths)]).astype("int64")
    n_total = int(starts[-1])
    cols = [numpy.asarray(list(X.labels_of(d)), dtype="int64") for d in range(len(docs))]

    pieces, masks = hf_encoder.doc_pieces(model, X, is_train)
    scored = numpy.concatenate([p.token_window >= 0 for p in pieces]) if pieces else numpy.zeros(0, bool)
    template = hf_encoder.get_template(model, SingleTemplate)
    sentence_batches = plan_sentence_batches(pieces, template, model.attrs["batch_size"], masks)
    tokens, bp_tokens = encode_pooled(model, sentence_batches, n_total, is_train)
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
