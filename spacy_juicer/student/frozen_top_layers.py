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
    import torch

    device = transformer.device
    kwargs = {"input_ids": torch.as_tensor(input_ids, device=device),
              "attention_mask": torch.as_tensor(attention, device=device)}
    if token_types is not None:
        kwargs["token_type_ids"] = torch.as_tensor(token_types, device=device)
    was_training = transformer.training
    transformer.eval()
    with torch.no_grad():
        out = transformer(**kwargs, output_hidden_states=True)
    transformer.train(was_training)
    return out.hidden_states[-k - 1].float().cpu().numpy()


def pad_states(arrays: Sequence[numpy.ndarray], width: int) -> Tuple[numpy.ndarray, numpy.ndarray]:
    """``(N, longest, width)`` float32 states and their ``(N, longest)`` attention mask."""
    longest = max([len(a) for a in arrays] + [1])
    states = numpy.zeros((len(arrays), longest, width), dtype="float32")
    mask = numpy.zeros((len(arrays), longest), dtype="int64")
    for i, a in enumerate(arrays):
        states[i, : len(a)] = a
        mask[i, : len(a)] = 1
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
