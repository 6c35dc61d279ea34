"""``spacy_juicer.CrossEncoder.v1``: a Thinc model that scores every token of a doc for every
entity type, given each type's description (JUICER's X-ENC, after SMXM).

For each (doc, type) pair the encoder reads ``[CLS] doc [SEP] description [SEP]``; word pieces
are mean-pooled back to spaCy tokens; one linear layer shared by all types gives each token two
logits per type: "is this type" and "is no entity, seen from this type", so the output of a doc
with K types is ``(n_tokens, K, 2)`` (``inputs.py``). The component turns them into decisions
(each type against "no entity": ``loss.py``, ``decoding.py``). No parameter depends on the label
set: the same weights serve any types. Cost: one encoder pass per (sentence window, type).

The encoder and its plumbing are shared with the bi-encoder (``hf_encoder.py``), and so is
the pooling of word pieces (``pooling.py``).
"""
from __future__ import annotations

from typing import Any, Callable, List, Tuple

from spacy.util import registry
from thinc.api import Dropout, Linear, Model
from thinc.types import Floats3d

from . import hf_encoder
from .inputs import NEG_FILL, ZeroShotInput
from .pairs import PairTemplate, output_offsets, plan_batches
from .pooling import encode_batch, pieces2tokens


@registry.architectures("spacy_juicer.CrossEncoder.v1")
@hf_encoder.takes_encoder_settings
def build_cross_encoder(encoder: hf_encoder.EncoderSettings, dropout: float = 0.1) -> Model[ZeroShotInput, List[Floats3d]]:
    """Build the cross-encoder: the encoder's settings (``hf_encoder.EncoderSettings``; a
    sequence of ``batch_size`` is a (doc window, type) pair), and ``dropout`` on the pooled
    token vectors before the shared linear layer."""
    hf = encoder.wrapper()
    head = Linear(nO=2)
    return Model(
        "zero_shot_cross_encoder",
        forward,
        init=init,
        layers=[hf, Dropout(dropout), head],
        refs={"encoder": hf, "head": head},
        attrs=encoder.attrs(),
    )


def init(model: Model, X: Any = None, Y: Any = None) -> Model:
    hidden = hf_encoder.load_transformer(model)
    n_special = hf_encoder.get_template(model, PairTemplate).n_special
    hf_encoder.check_positions(model, model.attrs["max_length"] + model.attrs["max_description_length"] + n_special)
    model.get_ref("head").set_dim("nI", hidden)
    model.get_ref("head").initialize()
    return model


def forward(model: Model, X: ZeroShotInput, is_train: bool) -> Tuple[List[Floats3d], Callable]:
    """Per doc ``(n_tokens, K_doc, 2)``: [type logit, "no entity" logit] of every (token, type)."""
    hf_encoder.require_weights(model, "cross-encoder")
    ops = model.ops
    _, dropout, head = model.layers
    template = hf_encoder.get_template(model, PairTemplate)
    docs = X.docs
    n_cols = [len(X.labels_of(d)) for d in range(len(docs))]
    lengths = [len(doc) for doc in docs]
    offsets = output_offsets(lengths, n_cols)
    n_entries = int(offsets[-1])
    pieces, masks = hf_encoder.doc_pieces(model, X, is_train)
    descs = hf_encoder.description_ids(model, X.descriptions)

    flat_out = ops.alloc2f(n_entries, 2)
    flat_out[:, 0] = NEG_FILL
    callbacks = []
    pool = pieces2tokens(ops)
    batches = plan_batches(pieces, descs, template, model.attrs["batch_size"], masks, X.doc_labels)
    for batch in batches:
        pooled, bp_pooled = encode_batch(model, pool, batch, is_train)
        dropped, bp_drop = dropout(pooled, is_train)
        scores, bp_head = head(dropped, is_train)
        dest = ops.xp.asarray(batch.dest)
        flat_out[dest] = scores
        if is_train:
            callbacks.append((dest, bp_pooled, bp_drop, bp_head))
    outputs = [
        flat_out[offsets[d] : offsets[d + 1]].reshape((lengths[d], n_cols[d], 2)) for d in range(len(docs))
    ]

    def backprop(d_outputs: List[Floats3d]) -> ZeroShotInput:
        d_flat = ops.alloc2f(n_entries, 2)
        for d, d_out in enumerate(d_outputs):
            d_flat[offsets[d] : offsets[d + 1]] = d_out.reshape((-1, 2))
        for dest, bp_pooled, bp_drop, bp_head in callbacks:
            bp_pooled(bp_drop(bp_head(d_flat[dest])))
        return X

    return outputs, backprop
