"""``spacy_juicer.CrossEncoder.v1``: a Thinc model that scores every token of a doc for every
entity type, given each type's description (JUICER's X-ENC, after SMXM).

For each (doc, type) pair the encoder reads ``[CLS] doc [SEP] description [SEP]``; word pieces
are mean-pooled back to spaCy tokens; one linear layer shared by all types gives each token two
logits per type: "is this type" and "is no entity, seen from this type", so the output of a doc
with K types is ``(n_tokens, K, 2)`` (``inputs.py``). The component turns them into decisions
(``negative_class``: per type, or SMXM's class-aware max). No parameter depends on the label
set: the same weights serve any types. Cost: one encoder pass per (sentence window, type).

The Hugging Face encoder sits in spacy-transformers' ``HFWrapper``/``HFShim``, which handle
devices, mixed precision and serialization (tokenizer and weights travel inside the pipeline).
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

from spacy.util import registry
from thinc.api import Dropout, Linear, Model
from thinc.types import Floats3d

from .encoders import MINILM, EncoderNotFoundError, not_found_message, resolve_encoder
from .inputs import NEG_FILL, ZeroShotInput
from .pairs import (
    PairTemplate,
    assign_windows,
    output_offsets,
    piece_mask,
    plan_batches,
    tokenize_docs,
    truncate_description,
)


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
) -> Model[ZeroShotInput, List[Floats3d]]:
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
    hf = make_hf_wrapper(mixed_precision, grad_scaler_config, tokenizer_config, transformer_config)
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


def make_hf_wrapper(mixed_precision: bool, grad_scaler_config: dict, tokenizer_config: dict, transformer_config: dict) -> Model:
    """The Hugging Face encoder in spacy-transformers' ``HFWrapper``, not yet loaded (``init``
    loads it), shared by every architecture here."""
    from spacy_transformers.data_classes import HFObjects
    from spacy_transformers.layers.hf_wrapper import HFWrapper

    return HFWrapper(
        HFObjects(None, None, None, dict(tokenizer_config), dict(transformer_config)),
        convert_inputs=_convert_inputs,
        convert_outputs=_convert_outputs,
        mixed_precision=mixed_precision,
        grad_scaler_config=dict(grad_scaler_config),
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


def load_transformer(model: Model) -> int:
    """Load the encoder of ``model`` (from a folder, an offline package or the hub) unless
    already loaded; returns its hidden size. Shared by every architecture here."""
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
    hidden = int(encoder.shims[0]._hfmodel.transformer.config.hidden_size)
    encoder.set_dim("nO", hidden)
    return hidden


def init(model: Model, X: Any = None, Y: Any = None) -> Model:
    hidden = load_transformer(model)
    _check_lengths(model, model.get_ref("encoder").shims[0]._hfmodel.transformer.config)
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


def forward(model: Model, X: ZeroShotInput, is_train: bool) -> Tuple[List[Floats3d], Callable]:
    """Per doc ``(n_tokens, K_doc, 2)``: [type logit, "no entity" logit] of every (token, type)."""
    if not has_transformer(model):
        raise ValueError("The cross-encoder has no weights yet: initialize the pipeline (nlp.initialize()) first.")
    ops = model.ops
    encoder, dropout, head = model.layers
    tokenizer = get_tokenizer(model)
    template = get_template(model)
    docs = X.docs
    n_cols = [len(X.labels_of(d)) for d in range(len(docs))]
    lengths = [len(doc) for doc in docs]
    offsets = output_offsets(lengths, n_cols)
    n_entries = int(offsets[-1])
    pieces = tokenize_docs(tokenizer, docs)
    stride = model.attrs["max_length"] - model.attrs["window_overlap"]
    for p in pieces:
        assign_windows(p, model.attrs["max_length"], stride)
    masks = None
    if is_train and X.masked is not None:
        masks = [None if m is None else piece_mask(p, m) for p, m in zip(pieces, X.masked)]
    descs = description_ids(model, X.descriptions)

    flat_out = ops.alloc2f(n_entries, 2)
    flat_out[:, 0] = NEG_FILL
    callbacks = []
    batches = plan_batches(pieces, descs, template, model.attrs["batch_size"], masks, X.doc_labels)
    for batch in batches:
        hidden, bp_hidden = encoder(batch, is_train)
        seq_shape = hidden.shape
        flat = hidden.reshape((-1, seq_shape[-1]))
        rows = ops.asarray1i(batch.rows)
        lens = ops.asarray1i(batch.lengths)
        pooled = ops.reduce_mean(flat[rows], lens)
        dropped, bp_drop = dropout(pooled, is_train)
        scores, bp_head = head(dropped, is_train)
        dest = ops.xp.asarray(batch.dest)
        flat_out[dest] = scores
        if is_train:
            callbacks.append((dest, rows, lens, seq_shape, bp_hidden, bp_drop, bp_head))
    outputs = [
        flat_out[offsets[d] : offsets[d + 1]].reshape((lengths[d], n_cols[d], 2)) for d in range(len(docs))
    ]

    def backprop(d_outputs: List[Floats3d]) -> ZeroShotInput:
        d_flat = ops.alloc2f(n_entries, 2)
        for d, d_out in enumerate(d_outputs):
            d_flat[offsets[d] : offsets[d + 1]] = d_out.reshape((-1, 2))
        for dest, rows, lens, seq_shape, bp_hidden, bp_drop, bp_head in callbacks:
            d_pooled = bp_drop(bp_head(d_flat[dest]))
            d_rows = ops.backprop_reduce_mean(d_pooled, lens)
            d_hidden = ops.alloc2f(seq_shape[0] * seq_shape[1], seq_shape[2])
            ops.scatter_add(d_hidden, rows, d_rows)
            bp_hidden(d_hidden.reshape(seq_shape))
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
