"""Frozen token features from one or several encoder layers, for the frozen mode (``token_layers``).

Why: a sentence-transformer's last layer was trained so that the mean of its states is a good
sentence vector; what a single token is (its form, its part in the phrase) is clearer in the
middle layers, and a frozen feature cannot be tuned back. Probing work on BERT-like encoders
(Liu et al. 2019, "Linguistic Knowledge and Transferability of Contextual Representations";
Peters et al. 2019, "To Tune or Not to Tune") finds NER best served by a mix of layers. Each
token's pieces are mean-pooled per chosen layer and the layers are joined side by side; the
head's input map learns the mix. Descriptions keep the last layer: their mean is what the
sentence-transformer was trained to make meaningful.
"""
from __future__ import annotations

from typing import Any, List, Sequence

import numpy
from spacy.tokens import Doc
from thinc.api import Model

from . import hf_encoder
from .inputs import ZeroShotInput
from .pooling import pieces2tokens
from .sequences import SingleTemplate, plan_sentence_batches

def check_layers(layers: Sequence[int]) -> List[int]:
    """``layers`` as a list of distinct ints, or a clear error (the encoder's depth is checked
    at ``initialize``, by ``resolve_layers``)."""
    out = [int(i) for i in layers]
    if not out or len(set(out)) != len(out):
        raise ValueError(f"token_layers must name one or more distinct encoder layers, not {list(layers)}.")
    return out


def resolve_layers(layers: Sequence[int], n_layers: int) -> List[int]:
    """Indices into ``hidden_states`` (0: the embeddings, ``n_layers``: the last layer); negative
    ones count from the end, as Python does."""
    out = []
    for i in layers:
        if not -(n_layers + 1) <= i <= n_layers:
            raise ValueError(
                f"token_layers: {i} is not a layer of this encoder (0 = embeddings ... {n_layers}, or -1 = last)."
            )
        out.append(i % (n_layers + 1))
    return out


def layer_tag(layers: Sequence[int], n_layers: int) -> str:
    """The feature store's kind for these layers: ``tokens`` for the last layer alone (the key
    every earlier store used), else ``tokens@L2,4,6``."""
    resolved = resolve_layers(layers, n_layers)
    if resolved == [n_layers]:
        return "tokens"
    return "tokens@L" + ",".join(map(str, resolved))


def _states(transformer: Any, batch: Any, layers: Sequence[int]) -> numpy.ndarray:
    """``(B, S, H * len(layers))``: the chosen hidden states of one padded batch, side by side."""
    import torch

    states = hf_encoder.hidden_states(transformer, batch.input_ids, batch.attention_mask, batch.token_type_ids)
    return torch.cat([states[i] for i in layers], dim=-1).float().cpu().numpy()


def compute_tokens(model: Model, docs: Sequence[Doc], layers: Sequence[int]) -> List[numpy.ndarray]:
    """Per doc, ``(n_tokens, hidden * len(layers))``: each token's word pieces mean-pooled in
    every chosen layer (a token no window reads stays all zero), windows as the bi-encoder cuts
    them."""
    transformer = model.get_ref("encoder").shims[0]._hfmodel.transformer
    resolved = resolve_layers(layers, int(transformer.config.num_hidden_layers))
    pieces, _ = hf_encoder.doc_pieces(model, ZeroShotInput(list(docs), []), False)
    starts = numpy.concatenate([[0], numpy.cumsum([len(doc) for doc in docs])]).astype("int64")
    template = hf_encoder.get_template(model, SingleTemplate)
    width = int(transformer.config.hidden_size) * len(resolved)
    out = numpy.zeros((int(starts[-1]), width), dtype="float32")
    pool = pieces2tokens(model.ops)
    for batch in plan_sentence_batches(pieces, template, model.attrs["batch_size"]):
        states = _states(transformer, batch, resolved)
        pooled, _ = pool((model.ops.asarray3f(states), batch), False)
        out[batch.dest] = model.ops.to_numpy(pooled)
    return [out[starts[d] : starts[d + 1]] for d in range(len(docs))]
