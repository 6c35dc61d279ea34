"""The trainable head over frozen encoder features (``frozen_bi_encoder.py``), a PyTorch module
in Thinc's ``PyTorchWrapper_v2``.

Tokens: a linear map to ``width``, plus a BiLSTM over it (residual), so each token sees its
sentence again after the frozen encoder; then an MLP into the shared space, and a separate
MLP for the token's "no entity" score. Types: an MLP of the description's pooled vector into
the same space. A (token, type) logit is their scaled dot product; the decision rule compares
it with the token's "no entity" score (``loss.py``). No weight depends on a label set.
The input layers are lazy, so the encoder's width is learnt at ``initialize``.
"""
from __future__ import annotations

import contextlib
from typing import Any, Callable, Dict, Iterator, Sequence, Tuple

from thinc.api import ArgsKwargs, Model, PyTorchShim, PyTorchWrapper_v2, xp2torch

# The head's parts that a later training may hold fixed (``freeze_parts``): "types" is the
# description side (the type MLP), "tokens" the sentence side (input map, BiLSTM, token and
# "no entity" MLPs), "none"
# the "no entity" MLP alone (where entities are, as KP learnt it from hundreds of types).
PARTS = {
    "types": ("type_out.",),
    "tokens": ("token_in.", "lstm.", "token_out.", "none."),
    "none": ("none.",),
}


def _module(width: int, lstm_depth: int, dropout: float) -> Any:
    import torch
    from torch import nn

    class FrozenHead(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.width = width
            self.token_in = nn.LazyLinear(width)
            self.lstm = (
                nn.LSTM(width, width // 2, num_layers=lstm_depth, bidirectional=True, batch_first=True)
                if lstm_depth
                else None
            )
            self.drop = nn.Dropout(dropout)
            self.token_out = nn.Sequential(nn.Linear(width, width), nn.GELU(), nn.Linear(width, width))
            self.none = nn.Sequential(nn.Linear(width, width // 2), nn.GELU(), nn.Linear(width // 2, 1))
            self.type_out = nn.Sequential(nn.LazyLinear(width), nn.GELU(), nn.Linear(width, width))

        def forward(
            self,
            tokens: "torch.Tensor",
            lengths: "torch.Tensor",
            pieces: "torch.Tensor",
            n_pieces: "torch.Tensor",
        ) -> "torch.Tensor":
            x = self.drop(self.token_in(tokens))
            if self.lstm is not None and x.shape[1]:
                packed = nn.utils.rnn.pack_padded_sequence(
                    x, lengths.clamp(min=1).cpu(), batch_first=True, enforce_sorted=False
                )
                y, _ = self.lstm(packed)
                y, _ = nn.utils.rnn.pad_packed_sequence(y, batch_first=True, total_length=x.shape[1])
                x = x + self.drop(y)
            t = self.token_out(x)  # (B, T, D)
            mask = torch.arange(pieces.shape[1], device=pieces.device)[None, :] < n_pieces[:, None]  # (K, P)
            pooled = (pieces * mask[..., None]).sum(1) / n_pieces.clamp(min=1)[:, None].to(pieces.dtype)
            u = self.type_out(pooled)  # (K, D): the description's mean-pooled pieces (sentence-transformers)
            sims = torch.einsum("btd,kd->btk", t, u) / (self.width ** 0.5)
            none = self.none(x).expand_as(sims)
            return torch.stack([sims, none], dim=-1)  # (B, T, K, 2)

    return FrozenHead()


def _convert_inputs(model: Model, X: Tuple[Any, Any, Any], is_train: bool) -> Tuple[ArgsKwargs, Callable]:
    """Torch inputs; frozen features take no gradient."""
    import torch

    tokens, lengths, pieces, n_pieces = X
    args = (
        xp2torch(tokens),
        torch.as_tensor(lengths, dtype=torch.int64),
        xp2torch(pieces),
        torch.as_tensor(n_pieces, dtype=torch.int64),
    )
    return ArgsKwargs(args=args, kwargs={}), lambda d_inputs: X


def build_frozen_head(width: int = 256, lstm_depth: int = 1, dropout: float = 0.1) -> Model:
    """The head as a Thinc model: ``(tokens (B, T, nT), lengths (B,), description pieces (K, P, nI),
    their counts (K,))`` to logits ``(B, T, K, 2)``."""
    wrapped = PyTorchWrapper_v2(
        _module(width, lstm_depth, dropout),
        convert_inputs=_convert_inputs,  # the logits and their gradient: Thinc's default conversion
    )
    wrapped.shims[0] = AveragingPyTorchShim(wrapped.shims[0]._model)
    # nI: a description piece's width (the encoder's); nT: a token's (wider with token_layers)
    return Model("frozen_head", _forward, init=_init, layers=[wrapped], dims={"nI": None, "nT": None})


class AveragingPyTorchShim(PyTorchShim):
    """A ``PyTorchShim`` whose ``use_params`` finds the averages its ``finish_update`` keeps.

    Thinc's shim hands each parameter to the optimizer under the key ``(shim id, name)``, so
    that is where ``optimizer.averages`` holds it; its ``use_params`` looks for string keys
    ``pytorch_<id>_<name>`` instead and finds none, so ``use_averages = true`` never reached the
    head: spaCy evaluated and saved the last weights (measured: a KF run with it gave the same
    scores to the last digit). The fix belongs in Thinc's shim; until then it lives here, where
    the head is built."""

    @contextlib.contextmanager
    def use_params(self, params: Dict[Any, Any]) -> Iterator[None]:
        state = {
            name: xp2torch(params[(self.id, name)], device=self.device)
            for name, _ in self._model.named_parameters()
            if (self.id, name) in params
        }
        if not state:
            yield
            return
        backup = {key: value.clone() for key, value in self._model.state_dict().items()}
        self._model.load_state_dict(state, strict=False)
        try:
            yield
        finally:
            self._model.load_state_dict(backup)


def freeze_parts(model: Model, parts: Sequence[str]) -> int:
    """Hold the named ``PARTS`` of the head fixed from now on (their tensors stop asking for
    gradients, so Thinc's shim skips them in ``finish_update``) and return how many tensors.

    Why: KF fits the type side to a few gold types in one style; the side KP trained on
    hundreds of silver types and many views is what reads a new description. Not saved with
    the model: each training that wants it asks for it."""
    unknown = [p for p in parts if p not in PARTS]
    if unknown:
        raise ValueError(f"Unknown head parts {unknown}: choose from {sorted(PARTS)}.")
    prefixes = tuple(prefix for p in parts for prefix in PARTS[p])
    count = 0
    for name, param in model.layers[0].shims[0]._model.named_parameters():
        if name.startswith(prefixes):
            param.requires_grad_(False)
            param.grad = None
            count += 1
    return count


def _forward(model: Model, X: Any, is_train: bool) -> Tuple[Any, Callable]:
    return model.layers[0](X, is_train)


def _init(model: Model, X: Any = None, Y: Any = None) -> Model:
    """Materialize the lazy input layers at the tokens' (``nT``) and the pieces' (``nI``) widths."""
    import torch

    n_in = model.get_dim("nI")
    n_tokens = model.get_dim("nT") if model.has_dim("nT") and model.get_dim("nT") else n_in
    module = model.layers[0].shims[0]._model
    with torch.no_grad():
        module(
            torch.zeros(1, 1, n_tokens),
            torch.ones(1, dtype=torch.int64),
            torch.zeros(1, 1, n_in),
            torch.ones(1, dtype=torch.int64),
        )
    return model
