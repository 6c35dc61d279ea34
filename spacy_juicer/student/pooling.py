"""Word pieces back to spaCy tokens: one Thinc layer, and the encoder runs that use it.

An ``EncoderBatch`` (``pairs.py``, ``sequences.py``) says which flat rows of the encoder output
belong to each scored token (``rows``) and how many (``lengths``). ``pieces2tokens`` gathers
them into a ``Ragged`` and reduces it with a Thinc pooling layer (``reduce_mean``), as
spacy-transformers' ``trfs2arrays`` does; its backprop scatters the gradient back onto the
encoder output. Both architectures pool through it: the cross-encoder per batch
(``encode_batch``), the frozen encoder per layer (``token_layers.compute_tokens``).

The layer has no weights and is built per call, outside the saved model tree, so pipelines
saved before it existed load unchanged.
"""
from __future__ import annotations

from typing import Callable, Tuple

from thinc.api import Model, Ops, reduce_mean
from thinc.types import Floats2d, Floats3d, Ragged

from .pairs import EncoderBatch

PoolIn = Tuple[Floats3d, EncoderBatch]


def pieces2tokens(ops: Ops) -> Model[PoolIn, Floats2d]:
    """``(encoder output, batch) -> (n_scored_tokens, width)``: each token's pieces mean-pooled."""
    layer = Model("pieces2tokens", _pieces2tokens_forward, layers=[reduce_mean()])
    for node in layer.walk():
        node.ops = ops
    return layer


def _pieces2tokens_forward(model: Model[PoolIn, Floats2d], X: PoolIn, is_train: bool) -> Tuple[Floats2d, Callable]:
    hidden, batch = X
    ops = model.ops
    shape = hidden.shape
    rows = ops.asarray1i(batch.rows)
    lengths = ops.asarray1i(batch.lengths)
    pooled, bp_pooled = model.layers[0](Ragged(hidden.reshape((-1, shape[-1]))[rows], lengths), is_train)

    def backprop(d_pooled: Floats2d) -> PoolIn:
        d_flat = ops.alloc2f(shape[0] * shape[1], shape[2])
        ops.scatter_add(d_flat, rows, bp_pooled(d_pooled).dataXd)
        return d_flat.reshape(shape), batch

    return pooled, backprop


def encode_batch(
    model: Model, pool: Model[PoolIn, Floats2d], batch: EncoderBatch, is_train: bool
) -> Tuple[Floats2d, Callable[[Floats2d], None]]:
    """Run ``model``'s encoder on one batch and pool: one row per scored token, batch order."""
    hidden, bp_hidden = model.get_ref("encoder")(batch, is_train)
    pooled, bp_pooled = pool((hidden, batch), is_train)

    def backprop(d_pooled: Floats2d) -> None:
        bp_hidden(bp_pooled(d_pooled)[0])

    return pooled, backprop
