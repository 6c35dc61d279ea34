"""The training loss of the ``zero_shot_ner`` component, in PyTorch: autograd gives the gradient.

A model returns, per doc, ``(n_tokens, K, 2)`` logits: [this type, no entity as seen from this
type]. Each type is decided on its own: ``p(type) = sigmoid(type - none)``, trained with a
binary cross-entropy per (token, type). Adding an unrelated type cannot veto a token; it only
competes where it scores higher itself (SMXM's one softmax with "no entity" as the max over
types collapsed as labels were added: docs/results.md).

Targets are token arrays: 0 for no entity, ``j + 1`` for type column ``j``.
"""
from __future__ import annotations

from typing import Any, List, Optional, Sequence, Tuple

import numpy

BALANCES = ("tokens", "per_type")


def check_balance(balance: str) -> str:
    if balance not in BALANCES:
        raise ValueError(f"balance must be one of {BALANCES}, not {balance!r}.")
    return balance


def loss_and_grads(
    outputs: Sequence[Any],
    targets: Sequence[numpy.ndarray],
    *,
    negative_weight: float = 1.0,
    balance: str = "per_type",
    other_type_weight: float = 1.0,
    other_type_weights: Optional[numpy.ndarray] = None,
) -> Tuple[float, List[Any]]:
    """The batch's loss and its gradient for each of ``outputs`` (same shapes and array type).

    ``balance="per_type"`` (default): for each type, its positive entries and its negative
    entries are averaged apart and the two means added (then averaged over the types), so that
    a rare type's few mentions weigh as much as its many negatives; the batch's docs must all
    be scored with the same K types. ``balance="tokens"``: each token weighs 1 (``negative_weight``
    when it is no entity); an entity token's entries for the other types weigh 1 each, and a
    non-entity token's K entries together weigh one token.

    ``other_type_weight`` scales an entity token's entries as a negative of the types it is
    not (silver types overlap: a disease the teacher called "Medical condition" is weak
    evidence against "Disease"); ``other_type_weights`` ``(K, K)``, when given, replaces it per
    pair: entry ``[j, k]`` weighs a token of type ``j`` as a negative of type ``k`` (0 for near
    synonyms). ``negative_weight`` scales every negative entry.
    """
    import torch
    from thinc.api import to_numpy, torch2xp, xp2torch

    check_balance(balance)
    keep = [i for i, out in enumerate(outputs) if out.ndim == 3 and out.shape[0] and out.shape[1]]
    grads: List[Any] = [_zeros_like(out) for out in outputs]
    if not keep:
        return 0.0, grads
    logits = [xp2torch(outputs[i], requires_grad=True) for i in keep]
    truths = [torch.as_tensor(to_numpy(targets[i]), dtype=torch.long, device=logits[0].device)
              for i in keep]
    matrix = None
    if other_type_weights is not None:
        matrix = torch.as_tensor(numpy.asarray(other_type_weights, dtype="f"), device=logits[0].device)
    if balance == "per_type":
        if len({int(t.shape[1]) for t in logits}) != 1:
            raise ValueError("balance='per_type' needs every doc of a batch scored with the same types.")
        loss = _per_type_loss(torch.cat(logits), torch.cat(truths), negative_weight, other_type_weight, matrix)
    else:
        total = sum(float(torch.where(t == 0, negative_weight, 1.0).sum()) for t in truths) or 1.0
        loss = sum(_token_loss(x, t, negative_weight, other_type_weight, matrix) for x, t in zip(logits, truths)) / total
    loss.backward()
    for i, x in zip(keep, logits):
        grads[i] = torch2xp(x.grad.to(torch.float32))
    return float(loss.detach()), grads


def _terms(x: Any, truth: Any, other_type_weight: float, matrix: Any) -> Tuple[Any, Any, Any, Any]:
    """The margins ``(n, K)``, one-hot targets, which tokens are entities ``(n, 1)``, and the
    weight of each entity token as a negative of each type (a number or ``(n, K)``)."""
    import torch

    margin = x[:, :, 0] - x[:, :, 1]
    k = margin.shape[1]
    y = torch.zeros_like(margin)
    rows = torch.nonzero(truth > 0).squeeze(1)
    y[rows, truth[rows] - 1] = 1.0
    other: Any = other_type_weight
    if matrix is not None and tuple(matrix.shape) == (k, k):
        other = matrix[torch.clamp(truth - 1, min=0)]
    return margin, y, (truth > 0)[:, None], other


def _token_loss(x: Any, truth: Any, negative_weight: float, other_type_weight: float, matrix: Any) -> Any:
    import torch
    from torch.nn.functional import binary_cross_entropy_with_logits

    margin, y, is_entity, other = _terms(x, truth, other_type_weight, matrix)
    k = margin.shape[1]
    # a non-entity token's K "not this type" entries weigh as one token: else nearly every entry
    # is a negative and every probability collapses towards 0
    w = torch.where(y > 0, 1.0, torch.where(is_entity, other, negative_weight / k) * torch.ones_like(y))
    return binary_cross_entropy_with_logits(margin, y, weight=w.detach(), reduction="sum")


def _per_type_loss(x: Any, truth: Any, negative_weight: float, other_type_weight: float, matrix: Any) -> Any:
    import torch
    from torch.nn.functional import binary_cross_entropy_with_logits

    margin, y, is_entity, other = _terms(x, truth, other_type_weight, matrix)
    k = margin.shape[1]
    negatives = torch.where(y > 0, 0.0, torch.where(is_entity, other, 1.0) * torch.ones_like(y))
    negatives = negatives / negatives.sum(dim=0, keepdim=True).clamp(min=1e-9)
    w = (y / y.sum(dim=0, keepdim=True).clamp(min=1.0) + negative_weight * negatives) / k
    return binary_cross_entropy_with_logits(margin, y, weight=w.detach(), reduction="sum")


def _zeros_like(array: Any) -> Any:
    from thinc.api import get_array_module

    return get_array_module(array).zeros(array.shape, dtype="f")
