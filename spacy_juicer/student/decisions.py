"""From per-(token, type) logits to decisions: the negative class, the loss and the decoding.

A model returns, per doc, ``(n_tokens, K, 2)`` logits: [this type, no entity as seen from this
type]. Two rules turn them into a decision per token:

* ``per_type`` (default): each type is decided on its own, ``p(type) = sigmoid(type - none)``
  trained with a binary cross-entropy per (token, type); a token takes the most probable type
  that passes the threshold. Adding an unrelated type cannot veto a token: it only competes
  where it scores higher itself. Measured: ``benchmarks/label_robustness.py``.
* ``max`` (SMXM, JUICER): "no entity" is the max of the per-type negative logits, then one
  softmax over ``[no entity, type_1 .. type_K]`` with a cross-entropy. Any type that finds a
  token un-entity-like vetoes it, so a model trained on few types collapses as labels are added.

Targets are token arrays: 0 for no entity, ``j + 1`` for type column ``j``.
"""
from __future__ import annotations

from typing import List, Optional, Sequence, Tuple, Union

import numpy

from .span_edges import cut

NEGATIVE_CLASSES = ("per_type", "max")
Decoded = List[Tuple[int, int, int, float]]  # (start, end, type column, score)
Thresholds = Union[float, numpy.ndarray]  # one for every type column, or one each


BALANCES = ("tokens", "per_type", "per_role")


def check_balance(balance: str) -> str:
    if balance not in BALANCES:
        raise ValueError(f"balance must be one of {BALANCES}, not {balance!r}.")
    return balance


def check_negative_class(name: str) -> str:
    if name not in NEGATIVE_CLASSES:
        raise ValueError(f"negative_class must be one of {NEGATIVE_CLASSES}, not '{name}'.")
    return name


def _sigmoid(x):
    return 1.0 / (1.0 + numpy.exp(-numpy.clip(x, -60, 60)))


def _softmax(x, axis=-1):
    shifted = x - x.max(axis=axis, keepdims=True)
    e = numpy.exp(shifted)
    return e / e.sum(axis=axis, keepdims=True)


def loss_and_grads(
    outputs: Sequence,
    targets: Sequence[numpy.ndarray],
    negative_class: str,
    negative_weight: float,
    ops,
    other_type_weight: float = 1.0,
    other_type_weights: Optional[numpy.ndarray] = None,
    balance: str = "tokens",
    type_ranking: float = 0.0,
) -> Tuple[float, List]:
    """Class-weighted loss over a batch and its gradient, same shapes as ``outputs``; plus,
    under the per_type rule with ``type_ranking > 0``, that weight times ``ranking_loss``.

    The weight of a token is 1 when it is an entity and ``negative_weight`` when not. Per type,
    every entry of an entity token weighs 1 (its own type and each other type), and each of a
    non-entity token's K entries ``negative_weight / K``, so that together they weigh what the
    "no entity" class weighs in the softmax rule; ``other_type_weight`` scales an entity
    token's entries for the types it is not (overlapping silver types). ``other_type_weights``
    ``(K, K)`` (optional, per_type rule; every doc scored with the same K types): entry ``[j, k]``
    replaces ``other_type_weight`` for a token of type ``j`` as a negative of type ``k``, e.g. 0
    where the two types' descriptions are near synonyms. The loss is normalised by the summed
    token weights.

    ``balance="per_type"`` (per_type rule): for each type, its positive entries and its negative
    entries are averaged apart and the two means added (then averaged over types), so that a
    rare type's few mentions weigh as much as its many negatives, and other types' mentions
    count as that type's negatives in full (times ``other_type_weight(s)``). A model trained so
    is over-confident in absolute terms (its threshold lies above 0.5) but tells types apart.

    ``balance="per_role"``: the same, but a type's negatives are averaged in two groups, the
    tokens of no entity and the other types' mentions (each times its weight), and the three
    means added. Under ``per_type`` the other types' mentions, the negatives that tell types
    apart, are a few per cent of a type's negatives and are drowned by the tokens of no entity
    (measured: given only a one-line Disease description, the pipeline tagged 15% of the
    chemicals); here they weigh as much as all those tokens together.
    """
    rule = check_balance(balance)
    if rule != "tokens" and negative_class == "per_type":
        loss, grads = _balanced_loss(outputs, targets, negative_weight, ops, other_type_weight, other_type_weights,
                                     by_role=rule == "per_role")
    else:
        loss, grads = _token_loss(outputs, targets, negative_class, negative_weight, ops, other_type_weight,
                                  other_type_weights)
    if type_ranking > 0 and negative_class == "per_type":
        extra, extra_grads = ranking_loss(outputs, targets, ops, other_type_weights)
        loss += type_ranking * extra
        grads = [g + type_ranking * e for g, e in zip(grads, extra_grads)]
    return loss, grads


def _token_loss(outputs, targets, negative_class, negative_weight, ops, other_type_weight, other_type_weights):
    """``balance="tokens"``: each token weighs 1 (``negative_weight`` when no entity)."""
    total = sum(float(numpy.where(t == 0, negative_weight, 1.0).sum()) for t in targets) or 1.0
    # per type, an entity token also carries K - 1 full "not this type" entries
    loss = 0.0
    grads = []
    xp = ops.xp
    for out, target in zip(outputs, targets):
        n, k = out.shape[0], out.shape[1] if out.ndim == 3 else 0
        if n == 0 or k == 0:
            grads.append(ops.alloc(out.shape, dtype="f"))
            continue
        truth = ops.asarray1i(target)
        if negative_class == "per_type":
            p, y, is_entity, other = _per_type_terms(out, truth, xp, other_type_weight, other_type_weights)
            # A non-entity token's K "not this type" entries weigh as one token, as in the
            # softmax rule: else 99% of the entries are negatives and every probability
            # collapses towards 0 (measured: p(gold type) median 0.015 after 120 KP updates).
            # An entity token's "not this type" entries weigh 1 each: they teach what tells
            # the types apart (measured: weighted 1/K, a model given only Chemical's
            # description tagged 95% of the disease mentions).
            w = xp.where(y > 0, 1.0, xp.where(is_entity, other, negative_weight / k)).astype("f") / total
            loss -= float((w * (y * xp.log(p + 1e-9) + (1 - y) * xp.log(1 - p + 1e-9))).sum())
            d_margin = w * (p - y)
            d = xp.stack([d_margin, -d_margin], axis=-1).astype("f")
        else:
            neg_arg = out[:, :, 1].argmax(axis=1)
            rows = xp.arange(n)
            logits = xp.concatenate([out[rows, neg_arg, 1][:, None], out[:, :, 0]], axis=1)
            shifted = logits - logits.max(axis=1, keepdims=True)
            probs = xp.exp(shifted)
            probs /= probs.sum(axis=1, keepdims=True)
            w = xp.where(truth == 0, negative_weight, 1.0).astype("f") / total
            loss -= float((w * xp.log(probs[rows, truth] + 1e-9)).sum())
            d_logits = probs.copy()
            d_logits[rows, truth] -= 1.0
            d_logits *= w[:, None]
            d = xp.zeros(out.shape, dtype="f")
            d[:, :, 0] = d_logits[:, 1:]
            d[rows, neg_arg, 1] = d_logits[:, 0]
        grads.append(d)
    return loss, grads


def ranking_loss(outputs: Sequence, targets: Sequence[numpy.ndarray], ops,
                 other_type_weights: Optional[numpy.ndarray] = None) -> Tuple[float, List]:
    """Which of the scored types a mention is: for each entity token, a softmax over the
    types' margins (type against no entity) and a cross-entropy towards its own type, averaged
    over the batch's entity tokens.

    The per_type rule decides each type against "no entity" on its own; a token then takes
    the most probable type that passes the threshold. Its binary terms teach where entities
    are far more than which type they are (measured on the default pipeline: JNLPBA DNA tokens
    scored 0.73 for "protein" and 0.55 for "DNA", protein tokens 0.53 for "DNA"; "Tamoxifen"
    0.89 for a Gene line and 0.82 for a Drug line that names tamoxifen). This term trains the
    ranking alone; the per-token "no entity" score cancels out of it, so where entities are
    is left to the binary terms. Types that are near synonyms of the token's type
    (``other_type_weights`` 0, e.g. "Disease" and "Medical condition") are left out of its
    softmax. Measured at weight 1.0 in KP and KF (README, Results, 2026-12-05, later): every
    score fell, DNA stayed at zero; so it is off by default."""
    xp = ops.xp
    grads = [ops.alloc(out.shape, dtype="f") for out in outputs]
    truths = [ops.asarray1i(t) for t in targets]
    rows = [(i, xp.nonzero(t > 0)[0]) for i, t in enumerate(truths)]
    n_entities = sum(int(r.shape[0]) for i, r in rows if outputs[i].ndim == 3 and outputs[i].shape[1] > 1)
    if not n_entities:
        return 0.0, grads
    loss = 0.0
    for i, ents in rows:
        out = outputs[i]
        if not ents.shape[0] or out.ndim != 3 or out.shape[1] < 2:
            continue
        k = out.shape[1]
        truth = truths[i][ents] - 1
        margin = out[ents, :, 0] - out[ents, :, 1]
        if other_type_weights is not None and other_type_weights.shape == (k, k):
            keep = xp.asarray(other_type_weights, dtype="f")[truth] > 0
            keep[xp.arange(truth.shape[0]), truth] = True
            margin = xp.where(keep, margin, -1e4)
        shifted = margin - margin.max(axis=1, keepdims=True)
        probs = xp.exp(shifted)
        probs /= probs.sum(axis=1, keepdims=True)
        picked = probs[xp.arange(truth.shape[0]), truth]
        loss -= float(xp.log(picked + 1e-9).sum()) / n_entities
        d_margin = probs.copy()
        d_margin[xp.arange(truth.shape[0]), truth] -= 1.0
        d_margin = (d_margin / n_entities).astype("f")
        grads[i][ents, :, 0] = d_margin
        grads[i][ents, :, 1] = -d_margin
    return loss, grads


def _per_type_terms(out, truth, xp, other_type_weight, other_type_weights):
    """The per_type rule's probabilities ``p`` and one-hot targets ``y`` ``(n, K)``, which
    tokens are entities, and the weight of each entity token as a negative of each type."""
    k = out.shape[1]
    margin = out[:, :, 0] - out[:, :, 1]
    p = 1.0 / (1.0 + xp.exp(-xp.clip(margin, -60, 60)))
    y = xp.zeros(margin.shape, dtype="f")
    rows = xp.nonzero(truth > 0)[0]
    y[rows, truth[rows] - 1] = 1.0
    other = other_type_weight
    if other_type_weights is not None and other_type_weights.shape == (k, k):
        other = xp.asarray(other_type_weights, dtype="f")[xp.maximum(truth - 1, 0)]
    return p, y, (truth > 0)[:, None], other


def _balanced_loss(outputs, targets, negative_weight, ops, other_type_weight, other_type_weights, by_role=False):
    xp = ops.xp
    shapes = [out.shape for out in outputs]
    keep = [i for i, shape in enumerate(shapes) if len(shape) == 3 and shape[0] and shape[1]]
    grads = [ops.alloc(shape, dtype="f") for shape in shapes]
    if not keep or len({shapes[i][1] for i in keep}) != 1:
        if keep:
            raise ValueError("balance='per_type' needs every doc of a batch scored with the same types.")
        return 0.0, grads
    k = shapes[keep[0]][1]
    out = xp.concatenate([outputs[i] for i in keep], axis=0)
    truth = xp.concatenate([ops.asarray1i(targets[i]) for i in keep])
    p, y, is_entity, other = _per_type_terms(out, truth, xp, other_type_weight, other_type_weights)
    n_pos = y.sum(axis=0, keepdims=True)
    if by_role:  # no-entity tokens and other types' mentions averaged apart
        mention = is_entity & (y == 0)  # (n, K): another type's mention
        plain = xp.where(is_entity, 0.0, xp.ones_like(y)).astype("f")
        others = xp.where(mention, other, 0.0).astype("f")
        n_others = mention.sum(axis=0, keepdims=True)
        neg = plain / xp.maximum(plain.sum(axis=0, keepdims=True), 1e-9) + others / xp.maximum(n_others, 1)
    else:
        neg = xp.where(y > 0, 0.0, xp.where(is_entity, other, 1.0)).astype("f")
        neg = neg / xp.maximum(neg.sum(axis=0, keepdims=True), 1e-9)
    w = y / xp.maximum(n_pos, 1.0) + negative_weight * neg
    w = (w / k).astype("f")
    loss = -float((w * (y * xp.log(p + 1e-9) + (1 - y) * xp.log(1 - p + 1e-9))).sum())
    d_margin = w * (p - y)
    d = xp.stack([d_margin, -d_margin], axis=-1).astype("f")
    start = 0
    for i in keep:
        grads[i] = d[start : start + shapes[i][0]]
        start += shapes[i][0]
    return loss, grads


def type_probabilities(scores: numpy.ndarray, negative_class: str) -> numpy.ndarray:
    """``(n_tokens, K)`` probability of each type for each token, each type against no entity."""
    if scores.shape[0] == 0 or scores.shape[1] == 0:
        return numpy.zeros(scores.shape[:2], dtype="f")
    if negative_class == "per_type":
        return _sigmoid(scores[:, :, 0] - scores[:, :, 1])
    neg = scores[:, :, 1].max(axis=1, keepdims=True)
    return _sigmoid(scores[:, :, 0] - neg)


def _runs(labels: numpy.ndarray) -> List[Tuple[int, int, int]]:
    """Maximal runs of equal non-zero values: (start, end, value)."""
    out = []
    n = len(labels)
    start = 0
    while start < n:
        value = labels[start]
        end = start + 1
        while end < n and labels[end] == value:
            end += 1
        if value > 0:
            out.append((start, end, int(value)))
        start = end
    return out


def _pieces(start: int, end: int, kinds: Optional[numpy.ndarray]) -> List[Tuple[int, int]]:
    return [(start, end)] if kinds is None else cut(start, end, kinds)


def column_thresholds(threshold: Thresholds, n_types: int) -> numpy.ndarray:
    """``(K,)`` thresholds, one a type column: one number for all, or one each."""
    return numpy.broadcast_to(numpy.asarray(threshold, dtype="d"), (n_types,))


def decode_exclusive(
    scores: numpy.ndarray, negative_class: str, threshold: Thresholds, kinds: Optional[numpy.ndarray] = None
) -> Decoded:
    """IO decoding for ``doc.ents``: one type or none per token; runs of one type are spans,
    kept when the mean probability of their tokens reaches ``threshold`` (one number, or one
    per type column: ``column_thresholds``).

    ``max``: argmax of the softmax over [no entity, types] (SMXM). ``per_type``: the most
    probable type, when its own probability reaches min(0.5, threshold). ``kinds`` (the
    doc's ``span_edges.token_kinds``): each run is first cut to mention-like edges
    (``span_edges.cut``), and each piece is a span of its own, scored by its own tokens.
    """
    if scores.shape[0] == 0 or scores.shape[1] == 0:
        return []
    thresholds = column_thresholds(threshold, scores.shape[1])
    if negative_class == "per_type":
        probs = _sigmoid(scores[:, :, 0] - scores[:, :, 1])
        best = probs.argmax(axis=1)
        best_p = probs[numpy.arange(len(best)), best]
        tags = numpy.where(best_p >= numpy.minimum(0.5, thresholds[best]), best + 1, 0)
        full = numpy.concatenate([1.0 - best_p[:, None], probs], axis=1)
    else:
        neg = scores[:, :, 1].max(axis=1, keepdims=True)
        full = _softmax(numpy.concatenate([neg, scores[:, :, 0]], axis=1))
        tags = full.argmax(axis=1)
    found = []
    for run_start, run_end, value in _runs(tags):
        for start, end in _pieces(run_start, run_end, kinds):
            score = float(full[start:end, value].mean())
            if score >= thresholds[value - 1]:
                found.append((start, end, value - 1, score))
    return found


def decode_overlapping(
    scores: numpy.ndarray, negative_class: str, threshold: Thresholds, kinds: Optional[numpy.ndarray] = None
) -> Decoded:
    """Each type on its own (type vs no entity), so spans of different types may overlap;
    ``kinds`` as in ``decode_exclusive``."""
    probs = type_probabilities(scores, negative_class)
    thresholds = column_thresholds(threshold, probs.shape[1])
    found = []
    for j in range(probs.shape[1]):
        for run_start, run_end, _ in _runs((probs[:, j] >= thresholds[j]).astype("i")):
            for start, end in _pieces(run_start, run_end, kinds):
                found.append((start, end, j, float(probs[start:end, j].mean())))
    found.sort(key=lambda f: (f[0], f[1], f[2]))
    return found
