"""The frozen mode with the encoder's top k layers trainable, over cached lower-layer states.

Why: a frozen encoder's last layer was trained for sentence similarity, not for reading a
sentence against a type description; letting its top 1-2 layers learn is the middle ground
between the frozen head and full fine-tuning (too slow for KP on a CPU). The layers below stay
frozen, so their outputs for a text are computed once and kept in the feature store: each
update runs only the top k layers and the head.

The trainable layers are the transformer's own (``transformer.encoder.layer[-k:]``, their
``requires_grad`` switched on): they are saved with it, a packaged pipeline runs the whole
encoder as usual, and the encoder's shim applies their gradients in ``finish_update``. Only
encoders whose layers take an additive attention mask are supported (BERT-like: MiniLM).
"""
from __future__ import annotations

from typing import Any, Callable, List, Sequence, Tuple

import numpy
from spacy.tokens import Doc
from thinc.api import Model

from . import hf_encoder
from .feature_store import FeatureStore, feature_key, get_or_compute
from .inputs import ZeroShotInput
from .pairs import EncoderBatch, window_tokens
from .pooling import pieces2tokens
from .sequences import SingleTemplate, pad_sequences

SUPPORTED = ("bert", "roberta", "xlm-roberta", "electra")


def top_layers(transformer: Any, k: int) -> List[Any]:
    """The top ``k`` layers of ``transformer``, or a clear error if it has no such layers."""
    model_type = getattr(transformer.config, "model_type", "?")
    layers = getattr(getattr(transformer, "encoder", None), "layer", None)
    if model_type not in SUPPORTED or layers is None:
        raise ValueError(
            f"trainable_layers > 0 needs a BERT-like encoder ({', '.join(SUPPORTED)}); "
            f"'{model_type}' computes its attention differently. Use trainable_layers = 0."
        )
    if not 0 < k <= len(layers):
        raise ValueError(f"trainable_layers must be in [1, {len(layers)}] for this encoder, not {k}.")
    return list(layers)[-k:]


def unfreeze(transformer: Any, k: int) -> None:
    """Let the top ``k`` layers learn (the rest stays frozen)."""
    for layer in top_layers(transformer, k):
        for param in layer.parameters():
            param.requires_grad_(True)


def lower_states(transformer: Any, input_ids: numpy.ndarray, attention: numpy.ndarray,
                 token_types: Any, k: int) -> numpy.ndarray:
    """``(B, S, H)``: the states that enter the top ``k`` layers (the frozen part's output)."""
    return hf_encoder.hidden_states(transformer, input_ids, attention, token_types)[-k - 1].float().cpu().numpy()


def pad_states(ops: Any, arrays: Sequence[numpy.ndarray]) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """``(N, longest, width)`` float32 states, zero-padded by Thinc's ``ops.pad``, and their
    ``(N, longest)`` attention mask (``arrays`` is not empty and no array is)."""
    states = ops.to_numpy(ops.pad([ops.asarray2f(numpy.asarray(a, dtype="float32")) for a in arrays]))
    lengths = numpy.asarray([len(a) for a in arrays], dtype="int64")
    mask = (numpy.arange(states.shape[1])[None, :] < lengths[:, None]).astype("int64")
    return states, mask


def run_top_layers(transformer: Any, k: int, states: numpy.ndarray, mask: numpy.ndarray,
                   is_train: bool) -> Tuple[numpy.ndarray, Callable[[numpy.ndarray], None]]:
    """The top ``k`` layers over ``states`` (``(N, S, H)``, ``mask`` ``(N, S)``); backprop puts
    the gradients on the layers' parameters, for the encoder's shim to apply."""
    import torch

    layers = top_layers(transformer, k)
    device = transformer.device
    h = torch.as_tensor(states, device=device)
    m = torch.as_tensor(mask, device=device)
    extended = transformer.get_extended_attention_mask(m, tuple(m.shape))
    for layer in layers:
        layer.train(is_train)
    with torch.set_grad_enabled(is_train):
        for layer in layers:
            h = layer(h, attention_mask=extended)[0]
    out = h.detach().float().cpu().numpy()

    def backprop(d_out: numpy.ndarray) -> None:
        if is_train and h.requires_grad:
            torch.autograd.backward(h, torch.as_tensor(numpy.ascontiguousarray(d_out, dtype="float32"), device=device).to(h.dtype))

    return out, backprop


def _transformer(model: Model) -> Any:
    return model.get_ref("encoder").shims[0]._hfmodel.transformer


def _lower(model: Model, seqs: Sequence[numpy.ndarray]) -> List[numpy.ndarray]:
    """The states entering the trainable top layers for each ``[CLS] ... [SEP]`` id sequence
    (its own positions only), computed in length-sorted batches."""
    template = hf_encoder.get_template(model, SingleTemplate)
    k = model.attrs["trainable_layers"]
    out: List[Any] = [None] * len(seqs)
    order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
    for b in range(0, len(order), model.attrs["batch_size"]):
        chunk = order[b : b + model.attrs["batch_size"]]
        ids, mask, types, _ = pad_sequences([seqs[i] for i in chunk], template)
        states = lower_states(_transformer(model), ids, mask, types, k)
        for r, i in enumerate(chunk):
            out[i] = states[r, : len(seqs[i])]
    return out


def lower_descriptions(model: Model, descriptions: Sequence[str]) -> List[numpy.ndarray]:
    """Per description, the states of ``[CLS] description [SEP]`` entering the top layers."""
    template = hf_encoder.get_template(model, SingleTemplate)
    ids = hf_encoder.description_ids(model, descriptions)
    return _lower(model, [numpy.asarray(template.before + list(i) + template.after, dtype="int64") for i in ids])


def _scored_windows(pieces: Any) -> List[int]:
    return [w for w in range(len(pieces.windows)) if (pieces.token_window == w).any()]


def _window_ids(pieces: Any, w: int, template: SingleTemplate) -> numpy.ndarray:
    start, end = pieces.windows[w]
    return numpy.concatenate([template.before, pieces.ids[start:end], template.after]).astype("int64")


def top_tokens(
    model: Model, docs: Sequence[Doc], store: FeatureStore, fp: str, is_train: bool
) -> Tuple[List[numpy.ndarray], Callable]:
    """Per doc ``(n_tokens, hidden)`` through the trainable top layers: the frozen part's states
    of each window (stored once per doc) run through them, then pooled per token as the
    bi-encoder pools; backprop takes the per-doc gradients."""
    k = model.attrs["trainable_layers"]
    template = hf_encoder.get_template(model, SingleTemplate)
    pieces, _ = hf_encoder.doc_pieces(model, ZeroShotInput(list(docs), []), False)
    windows = [_scored_windows(p) for p in pieces]
    keys = [feature_key(fp, f"windows@-{k}", doc.text, [t.idx for t in doc] + [len(doc.text)]) for doc in docs]

    def compute(todo: List[int]) -> List[numpy.ndarray]:
        seqs = [[_window_ids(pieces[d], w, template) for w in windows[d]] for d in todo]
        flat = _lower(model, [s for doc_seqs in seqs for s in doc_seqs])
        width = _transformer(model).config.hidden_size
        out, i = [], 0
        for doc_seqs in seqs:
            out.append(numpy.concatenate(flat[i : i + len(doc_seqs)]) if doc_seqs else numpy.zeros((0, width), "float32"))
            i += len(doc_seqs)
        return out

    stored = get_or_compute(store, keys, compute)
    arrays, rows, lengths, dest = [], [], [], []
    starts = numpy.concatenate([[0], numpy.cumsum([len(doc) for doc in docs])]).astype("int64")
    for d, doc_windows in enumerate(windows):
        offset = 0
        for w in doc_windows:
            start, end = pieces[d].windows[w]
            n = end - start + template.n_special  # the window's [CLS] ... [SEP] length
            arrays.append(stored[d][offset : offset + n])
            offset += n
    width = model.get_ref("encoder").get_dim("nO")
    out = numpy.zeros((int(starts[-1]), width), dtype="float32")
    if not arrays:
        return [out[starts[d] : starts[d + 1]] for d in range(len(docs))], lambda d_docs: None
    states, mask = pad_states(model.ops, arrays)
    i = 0
    for d, doc_windows in enumerate(windows):
        for w in doc_windows:
            tokens, tok_lengths, piece_rows = window_tokens(pieces[d], w)
            rows.append(i * states.shape[1] + len(template.before) + piece_rows)
            lengths.append(tok_lengths)
            dest.append(starts[d] + tokens)
            i += 1
    top, bp_top = run_top_layers(_transformer(model), k, states, mask, is_train)
    batch = EncoderBatch.gather(mask, mask, None, rows, lengths, dest)  # only rows and lengths are read
    pooled, bp_pool = pieces2tokens(model.ops)((top, batch), is_train)
    where = numpy.concatenate(dest).astype("int64")
    out[where] = model.ops.to_numpy(pooled)

    def backprop(d_docs: Sequence[numpy.ndarray]) -> None:
        d_out = numpy.concatenate([numpy.asarray(d, dtype="float32") for d in d_docs])
        d_top, _ = bp_pool(model.ops.asarray2f(d_out[where]))
        bp_top(model.ops.to_numpy(d_top))

    return [out[starts[d] : starts[d + 1]] for d in range(len(docs))], backprop


def top_descriptions(
    model: Model, stored: Sequence[numpy.ndarray], is_train: bool
) -> Tuple[List[numpy.ndarray], Callable]:
    """Each description's stored lower states (``stored``) through the trainable top layers."""
    k = model.attrs["trainable_layers"]
    if not stored:
        return [], lambda d_pieces: None
    states, mask = pad_states(model.ops, stored)
    top, bp_top = run_top_layers(_transformer(model), k, states, mask, is_train)
    lengths = [len(a) for a in stored]

    def backprop(d_pieces: numpy.ndarray) -> None:
        d_top = numpy.zeros_like(top)
        longest = min(d_top.shape[1], d_pieces.shape[1])
        d_top[:, :longest] = d_pieces[:, :longest]
        bp_top(d_top)

    return [top[j, : lengths[j]] for j in range(len(stored))], backprop
