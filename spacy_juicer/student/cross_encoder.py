"""``spacy_juicer.CrossEncoder.v1``: a Thinc model that scores every token of a doc for every
entity type, given each type's description (JUICER's X-ENC, after SMXM).

For each (doc, type) pair the encoder reads ``[CLS] doc [SEP] description [SEP]``; word pieces
are mean-pooled back to spaCy tokens; one linear layer shared by all types gives each token two
logits per type: "is this type" and "is no entity, seen from this type". The negative class of
a token is the max of its per-type negative logits (class-aware, as SMXM), so the output of a
doc with K types is ``(n_tokens, 1 + K)`` logits, column 0 being "no entity". No parameter
depends on the label set: the same weights serve any types.

The Hugging Face encoder sits in spacy-transformers' ``HFWrapper``/``HFShim``, which handle
devices, mixed precision and serialization (tokenizer and weights travel inside the pipeline).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import numpy
from spacy.tokens import Doc
from spacy.util import registry
from thinc.api import Dropout, Linear, Model
from thinc.types import Floats2d

from .encoders import MINILM, EncoderNotFoundError, not_found_message, resolve_encoder
from .pairs import PairTemplate, assign_windows, piece_mask, plan_batches, tokenize_docs, truncate_description

NEG_FILL = -1e4  # type logit of a token no window can score (e.g. a whitespace token)


@dataclass
class CrossEncoderInput:
    """Docs to score against the same list of type descriptions.

    ``masked`` (training only) holds, per doc, a boolean array over its tokens whose word pieces
    are replaced by the mask token (JUICER's entity masking).
    """

    docs: List[Doc]
    descriptions: List[str]
    masked: Optional[List[Optional[numpy.ndarray]]] = None


class _DescriptionCache:
    """Word-piece ids of descriptions already seen, and the tokenizer's pair template (not
    serialized: msgpack refuses it; rebuilt after loading)."""

    def __init__(self) -> None:
        self.ids: Dict[Tuple[str, int], List[int]] = {}
        self.template: Optional[Tuple[int, PairTemplate]] = None


@registry.architectures("spacy_juicer.CrossEncoder.v1")
def build_cross_encoder(
    name: str = MINILM,
    max_length: int = 300,
    window_overlap: int = 64,
    max_description_length: int = 150,
    batch_size: int = 32,
    dropout: float = 0.1,
    mixed_precision: bool = False,
    grad_scaler_config: dict = {},
    tokenizer_config: dict = {"use_fast": True},
    transformer_config: dict = {},
) -> Model[CrossEncoderInput, List[Floats2d]]:
    """Build the cross-encoder.

    name: a Hugging Face model name or a local folder (offline packages are found for the
        default MiniLM-L6 and for MPNet-base, see ``encoders.resolve_encoder``).
    max_length: word pieces of the doc per window (JUICER: 300); longer docs get more windows.
    window_overlap: word pieces shared by neighbouring windows.
    max_description_length: word pieces kept of each type description (JUICER: 150).
    batch_size: (doc window, type) pairs per encoder forward pass.
    dropout: on the pooled token vectors before the shared linear layer.
    """
    if max_length < 8 or max_description_length < 1 or batch_size < 1:
        raise ValueError("max_length >= 8, max_description_length >= 1 and batch_size >= 1 are needed.")
    if not 0 <= window_overlap < max_length:
        raise ValueError(f"window_overlap ({window_overlap}) must be in [0, max_length={max_length}).")
    from spacy_transformers.data_classes import HFObjects
    from spacy_transformers.layers.hf_wrapper import HFWrapper

    hf = HFWrapper(
        HFObjects(None, None, None, dict(tokenizer_config), dict(transformer_config)),
        convert_inputs=_convert_inputs,
        convert_outputs=_convert_outputs,
        mixed_precision=mixed_precision,
        grad_scaler_config=dict(grad_scaler_config),
    )
    head = Linear(nO=2)
    return Model(
        "zero_shot_cross_encoder",
        forward,
        init=init,
        layers=[hf, Dropout(dropout), head],
        refs={"encoder": hf, "head": head},
        attrs={
            "name": str(name),
            "max_length": max_length,
            "window_overlap": window_overlap,
            "max_description_length": max_description_length,
            "batch_size": batch_size,
            "description_cache": _DescriptionCache(),
        },
    )


def get_template(model: Model) -> PairTemplate:
    """The tokenizer's pair template, learnt once per tokenizer (loading replaces it)."""
    cache = model.attrs["description_cache"]
    tokenizer = get_tokenizer(model)
    if cache.template is None or cache.template[0] != id(tokenizer):
        cache.template = (id(tokenizer), PairTemplate.from_tokenizer(tokenizer))
    return cache.template[1]


def get_tokenizer(model: Model) -> Any:
    return model.get_ref("encoder").shims[0]._hfmodel.tokenizer


def has_transformer(model: Model) -> bool:
    return model.get_ref("encoder").shims[0]._hfmodel.transformer is not None


def init(model: Model, X: Any = None, Y: Any = None) -> Model:
    """Load the encoder (from a folder, an offline package or the hub) unless already loaded."""
    encoder = model.get_ref("encoder")
    if not has_transformer(model):
        from spacy_transformers.layers.transformer_model import huggingface_from_pretrained

        name = model.attrs["name"]
        source = resolve_encoder(name)
        shim = encoder.shims[0]
        try:
            hf_objects = huggingface_from_pretrained(
                source, dict(shim._hfmodel._init_tokenizer_config), dict(shim._hfmodel._init_transformer_config)
            )
        except (OSError, ValueError) as err:
            raise EncoderNotFoundError(not_found_message(name, str(err).splitlines()[0])) from err
        if not getattr(hf_objects.tokenizer, "is_fast", False):
            raise ValueError(f"Encoder '{name}' has no fast tokenizer: offsets are needed to align word pieces.")
        shim._model = hf_objects.transformer
        shim._hfmodel.tokenizer = hf_objects.tokenizer
        shim._hfmodel.transformer = hf_objects.transformer
        shim._hfmodel.vocab_file_contents = hf_objects.vocab_file_contents
    config = encoder.shims[0]._hfmodel.transformer.config
    _check_lengths(model, config)
    hidden = int(config.hidden_size)
    encoder.set_dim("nO", hidden)
    model.get_ref("head").set_dim("nI", hidden)
    model.get_ref("head").initialize()
    return model


def _check_lengths(model: Model, config: Any) -> None:
    limit = getattr(config, "max_position_embeddings", None)
    template = get_template(model)
    need = model.attrs["max_length"] + model.attrs["max_description_length"] + template.n_special
    if limit is not None and need > limit - 2:
        raise ValueError(
            f"max_length ({model.attrs['max_length']}) + max_description_length "
            f"({model.attrs['max_description_length']}) + special tokens = {need} exceeds what "
            f"'{model.attrs['name']}' can read ({limit} positions): lower one of them."
        )


def description_ids(model: Model, descriptions: Sequence[str]) -> List[List[int]]:
    cache = model.attrs["description_cache"].ids
    limit = model.attrs["max_description_length"]
    tokenizer = get_tokenizer(model)
    out = []
    for text in descriptions:
        key = (text, limit)
        if key not in cache:
            cache[key] = truncate_description(tokenizer, text, limit)
        out.append(cache[key])
    return out


def forward(model: Model, X: CrossEncoderInput, is_train: bool) -> Tuple[List[Floats2d], Callable]:
    if not has_transformer(model):
        raise ValueError("The cross-encoder has no weights yet: initialize the pipeline (nlp.initialize()) first.")
    ops = model.ops
    encoder, dropout, head = model.layers
    tokenizer = get_tokenizer(model)
    template = get_template(model)
    docs = X.docs
    n_labels = len(X.descriptions)
    lengths = [len(doc) for doc in docs]
    n_total = sum(lengths)
    pieces = tokenize_docs(tokenizer, docs)
    stride = model.attrs["max_length"] - model.attrs["window_overlap"]
    for p in pieces:
        assign_windows(p, model.attrs["max_length"], stride)
    masks = None
    if is_train and X.masked is not None:
        masks = [None if m is None else piece_mask(p, m) for p, m in zip(pieces, X.masked)]
    descs = description_ids(model, X.descriptions)

    type_flat = ops.alloc1f(n_total * n_labels) + NEG_FILL
    neg_flat = ops.alloc1f(n_total * n_labels)
    callbacks = []
    for batch in plan_batches(pieces, descs, template, model.attrs["batch_size"], masks):
        hidden, bp_hidden = encoder(batch, is_train)
        seq_shape = hidden.shape
        flat = hidden.reshape((-1, seq_shape[-1]))
        rows = ops.asarray1i(batch.rows)
        lens = ops.asarray1i(batch.lengths)
        pooled = ops.reduce_mean(flat[rows], lens)
        dropped, bp_drop = dropout(pooled, is_train)
        scores, bp_head = head(dropped, is_train)
        dest = ops.xp.asarray(batch.dest)
        type_flat[dest] = scores[:, 0]
        neg_flat[dest] = scores[:, 1]
        if is_train:
            callbacks.append((dest, rows, lens, seq_shape, bp_hidden, bp_drop, bp_head))

    type_scores = type_flat.reshape((n_total, n_labels))
    neg_scores = neg_flat.reshape((n_total, n_labels))
    if n_labels:
        neg_arg = neg_scores.argmax(axis=1)
        neg = neg_scores[ops.xp.arange(n_total), neg_arg]
    else:
        neg_arg = ops.alloc1i(n_total)
        neg = ops.alloc1f(n_total)
    logits = ops.xp.concatenate([neg[:, None], type_scores], axis=1)
    outputs = list(ops.unflatten(logits, ops.asarray1i(lengths))) if docs else []

    def backprop(d_outputs: List[Floats2d]) -> CrossEncoderInput:
        d_logits = ops.flatten(d_outputs) if d_outputs else ops.alloc2f(0, n_labels + 1)
        d_type = d_logits[:, 1:].reshape(-1)
        d_neg = ops.alloc2f(n_total, n_labels)
        if n_labels:
            d_neg[ops.xp.arange(n_total), neg_arg] = d_logits[:, 0]
        d_neg = d_neg.reshape(-1)
        for dest, rows, lens, seq_shape, bp_hidden, bp_drop, bp_head in callbacks:
            d_scores = ops.xp.stack([d_type[dest], d_neg[dest]], axis=1)
            d_pooled = bp_drop(bp_head(d_scores))
            d_rows = ops.backprop_reduce_mean(d_pooled, lens)
            d_flat = ops.alloc2f(seq_shape[0] * seq_shape[1], seq_shape[2])
            ops.scatter_add(d_flat, rows, d_rows)
            bp_hidden(d_flat.reshape(seq_shape))
        return X

    return outputs, backprop


def _convert_inputs(model: Model, batch: Any, is_train: bool):
    from thinc.api import xp2torch
    from thinc.types import ArgsKwargs

    device = model.shims[0]._hfmodel.transformer.device
    kwargs = {
        "input_ids": xp2torch(model.ops.asarray(batch.input_ids), device=device),
        "attention_mask": xp2torch(model.ops.asarray(batch.attention_mask), device=device),
    }
    if batch.token_type_ids is not None:
        kwargs["token_type_ids"] = xp2torch(model.ops.asarray(batch.token_type_ids), device=device)
    return ArgsKwargs(args=(), kwargs=kwargs), lambda d_inputs: batch


def _convert_outputs(model: Model, inputs_outputs: Any, is_train: bool):
    from thinc.api import torch2xp, xp2torch
    from thinc.types import ArgsKwargs

    _, output = inputs_outputs
    hidden_torch = output.last_hidden_state
    hidden = torch2xp(hidden_torch.float() if hidden_torch.dtype != _float32() else hidden_torch)

    def backprop(d_hidden):
        grad = xp2torch(d_hidden, device=hidden_torch.device).to(hidden_torch.dtype)
        return ArgsKwargs(args=(hidden_torch,), kwargs={"grad_tensors": (grad,)})

    return hidden, backprop


def _float32():
    import torch

    return torch.float32
