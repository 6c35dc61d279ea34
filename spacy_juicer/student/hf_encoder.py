"""The Hugging Face encoder that every student architecture reads with, and its plumbing.

The encoder sits in spacy-transformers' ``HFWrapper``/``HFShim``, which handle devices, mixed
precision and serialization (tokenizer and weights travel inside the pipeline). An
architecture takes its settings as ``EncoderSettings`` (``takes_encoder_settings``), keeps the
encoder as its ``"encoder"`` ref and the settings it reads later in ``attrs`` (``EncoderSettings.attrs``):
the name, the window and description lengths, the batch size and a ``DescriptionCache``.
"""
from __future__ import annotations

import functools
import inspect
from dataclasses import dataclass, field, fields
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple, Type, TypeVar, get_type_hints

import numpy
from thinc.api import Model

from .caches import DescriptionCache
from .encoders import MINILM, EncoderNotFoundError, not_found_message, resolve_encoder
from .inputs import ZeroShotInput
from .pairs import DocPieces, assign_windows, piece_mask, tokenize_docs, truncate_description

T = TypeVar("T")


@dataclass
class EncoderSettings:
    """The encoder's settings, the same keys in every architecture's config block (so that a
    config switches architecture with ``@architectures`` alone; ``takes_encoder_settings``).

    name: a Hugging Face model name or a local folder (offline packages are found for the
        default MiniLM-L6 and for MPNet-base, see ``encoders.resolve_encoder``).
    max_length: word pieces of the doc per window (JUICER: 300); longer docs get more windows.
    window_overlap: word pieces shared by neighbouring windows.
    max_description_length: word pieces kept of each type description (JUICER: 150).
    batch_size: sequences per encoder pass.
    mixed_precision: autocast for the encoder's passes (GPU).
    grad_scaler_config, tokenizer_config, transformer_config: spacy-transformers' own.
    """

    name: str = MINILM
    max_length: int = 300
    window_overlap: int = 64
    max_description_length: int = 150
    batch_size: int = 32
    mixed_precision: bool = False
    grad_scaler_config: dict = field(default_factory=dict)
    tokenizer_config: dict = field(default_factory=lambda: {"use_fast": True})
    transformer_config: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        """Refuse window and batch settings that cannot work, when the model is built."""
        if self.max_length < 8 or self.max_description_length < 1 or self.batch_size < 1:
            raise ValueError("max_length >= 8, max_description_length >= 1 and batch_size >= 1 are needed.")
        if not 0 <= self.window_overlap < self.max_length:
            raise ValueError(f"window_overlap ({self.window_overlap}) must be in [0, max_length={self.max_length}).")

    def attrs(self) -> Dict[str, Any]:
        """The ``attrs`` every architecture's model holds."""
        return {
            "name": str(self.name),
            "max_length": self.max_length,
            "window_overlap": self.window_overlap,
            "max_description_length": self.max_description_length,
            "batch_size": self.batch_size,
            "description_cache": DescriptionCache(),
        }

    def wrapper(self) -> Model:
        """The encoder in spacy-transformers' ``HFWrapper``, not yet loaded (``load_transformer``)."""
        from spacy_transformers.data_classes import HFObjects
        from spacy_transformers.layers.hf_wrapper import HFWrapper

        return HFWrapper(
            HFObjects(None, None, None, dict(self.tokenizer_config), dict(self.transformer_config)),
            convert_inputs=_convert_inputs,
            convert_outputs=_convert_outputs,
            mixed_precision=self.mixed_precision,
            grad_scaler_config=dict(self.grad_scaler_config),
        )


def takes_encoder_settings(builder: Callable[..., T]) -> Callable[..., T]:
    """``builder(encoder: EncoderSettings, **own)`` as a function to register, whose config
    block takes the ``EncoderSettings`` fields as keys beside the builder's own: its signature
    (which spaCy's config system fills and validates) lists both, all keyword-only."""
    shared_hints, defaults = get_type_hints(EncoderSettings), EncoderSettings()
    shared = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=getattr(defaults, f.name), annotation=shared_hints[f.name])
        for f in fields(EncoderSettings)
    ]

    @functools.wraps(builder)
    def build(**settings: Any) -> T:
        encoder = EncoderSettings(**{f.name: settings.pop(f.name) for f in fields(EncoderSettings) if f.name in settings})
        return builder(encoder, **settings)

    return _sign(build, shared + _keyword_params(builder)[1:], get_type_hints(builder).get("return", Any))


def with_settings_of(base: Callable[..., Any]) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """A decorator for ``func(own..., **settings)`` that hands ``settings`` on to ``base``: its
    signature becomes ``base``'s keys and its own (an earlier version of a builder that keeps
    its config keys)."""

    def decorate(func: Callable[..., T]) -> Callable[..., T]:
        params = [*inspect.signature(base).parameters.values(), *_keyword_params(func)]
        return _sign(func, params, get_type_hints(base).get("return", Any))

    return decorate


def _keyword_params(func: Callable[..., Any]) -> List[inspect.Parameter]:
    """``func``'s named parameters, keyword-only, with their annotations resolved."""
    hints = get_type_hints(func)
    return [
        p.replace(kind=inspect.Parameter.KEYWORD_ONLY, annotation=hints.get(p.name, p.annotation))
        for p in inspect.signature(func).parameters.values()
        if p.kind not in (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    ]


def _sign(func: Callable[..., T], params: List[inspect.Parameter], returns: Any) -> Callable[..., T]:
    func.__signature__ = inspect.Signature(params, return_annotation=returns)  # type: ignore[attr-defined]
    func.__annotations__ = {**{p.name: p.annotation for p in params}, "return": returns}
    return func


def get_tokenizer(model: Model) -> Any:
    return model.get_ref("encoder").shims[0]._hfmodel.tokenizer


def has_transformer(model: Model) -> bool:
    return model.get_ref("encoder").shims[0]._hfmodel.transformer is not None


def transformer_config(model: Model) -> Any:
    return model.get_ref("encoder").shims[0]._hfmodel.transformer.config


def load_transformer(model: Model) -> int:
    """Load the encoder of ``model`` (from a folder, an offline package or the hub) unless
    already loaded; returns its hidden size."""
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
    clear_call_state(get_tokenizer(model))
    hidden = int(transformer_config(model).hidden_size)
    encoder.set_dim("nO", hidden)
    return hidden


def clear_call_state(tokenizer: Any) -> None:
    """Forget the truncation and padding that a fast tokenizer's backend keeps from its last
    call and saves in ``tokenizer.json``. Calls here use neither, so the first call would clear
    them anyway; clearing them at load makes the saved bytes independent of predictions."""
    backend = getattr(tokenizer, "_tokenizer", None)
    if backend is not None:
        backend.no_truncation()
        backend.no_padding()


def check_positions(model: Model, need: int) -> None:
    """Refuse a sequence of ``need`` word pieces that the encoder has no positions for."""
    limit = getattr(transformer_config(model), "max_position_embeddings", None)
    if limit is not None and need > limit - 2:
        raise ValueError(
            f"max_length ({model.attrs['max_length']}), max_description_length "
            f"({model.attrs['max_description_length']}) and special tokens make {need} word pieces, "
            f"which exceeds what '{model.attrs['name']}' can read ({limit} positions): lower them."
        )


def get_template(model: Model, kind: Type[T]) -> T:
    """``kind.from_tokenizer(tokenizer)`` (where the tokenizer puts its special tokens), learnt
    once per tokenizer (loading replaces it)."""
    cache: DescriptionCache = model.attrs["description_cache"]
    tokenizer = get_tokenizer(model)
    held = cache.templates.get(kind)
    if held is None or held[0] != id(tokenizer):
        held = cache.templates[kind] = (id(tokenizer), kind.from_tokenizer(tokenizer))  # type: ignore[attr-defined]
    return held[1]


def description_ids(model: Model, descriptions: Sequence[str]) -> List[List[int]]:
    """Each description's word-piece ids, cut to ``max_description_length``; tokenized once."""
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


def doc_pieces(
    model: Model, X: ZeroShotInput, is_train: bool
) -> Tuple[List[DocPieces], Optional[List[Optional[numpy.ndarray]]]]:
    """Each doc's word pieces cut into the model's windows, and (training only) the piece masks
    of its masked mentions."""
    pieces = tokenize_docs(get_tokenizer(model), X.docs)
    stride = model.attrs["max_length"] - model.attrs["window_overlap"]
    for p in pieces:
        assign_windows(p, model.attrs["max_length"], stride)
    masks = None
    if is_train and X.masked is not None:
        masks = [None if m is None else piece_mask(p, m) for p, m in zip(pieces, X.masked)]
    return pieces, masks


def require_weights(model: Model, what: str) -> None:
    """A clear error for a model used before ``nlp.initialize()`` loaded its encoder."""
    if not has_transformer(model):
        raise ValueError(f"The {what} has no weights yet: initialize the pipeline (nlp.initialize()) first.")


def hidden_states(transformer: Any, input_ids: Any, attention_mask: Any, token_type_ids: Any = None) -> Tuple[Any, ...]:
    """Every layer's states of one padded batch (embeddings first), in eval mode and without
    autograd: the frozen mode's joined token layers read them."""
    import torch

    device = transformer.device
    kwargs = {"input_ids": torch.as_tensor(input_ids, device=device),
              "attention_mask": torch.as_tensor(attention_mask, device=device)}
    if token_type_ids is not None:
        kwargs["token_type_ids"] = torch.as_tensor(token_type_ids, device=device)
    was_training = transformer.training
    transformer.eval()
    with torch.no_grad():
        out = transformer(**kwargs, output_hidden_states=True)
    transformer.train(was_training)
    return out.hidden_states


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
    import torch
    from thinc.api import torch2xp, xp2torch
    from thinc.types import ArgsKwargs

    _, output = inputs_outputs
    hidden_torch = output.last_hidden_state
    hidden = torch2xp(hidden_torch.float() if hidden_torch.dtype != torch.float32 else hidden_torch)

    def backprop(d_hidden):
        grad = xp2torch(d_hidden, device=hidden_torch.device).to(hidden_torch.dtype)
        return ArgsKwargs(args=(hidden_torch,), kwargs={"grad_tensors": (grad,)})

    return hidden, backprop
