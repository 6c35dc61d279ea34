"""The configs that ship with the package: the teacher's prompts and models (``teacher.cfg``,
``describe.cfg``, ``describe_short.cfg``), the training stages (``kp.cfg``, ``kf.cfg``,
``kf_many.cfg``, ``blend.cfg``, ``cross_encoder.cfg``) and the zero-shot splits (``splits/*.json``). Every CLI default
resolves here, so a pip user needs no checkout; ``spacy-juicer init-config`` copies one out to
edit."""
from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Union

CONFIG_DIR = Path(__file__).parent


def config_path(name: str) -> Path:
    """The packaged config ``name`` ("kp.cfg", "splits/biomedical.json"), or a clear error."""
    path = CONFIG_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"No packaged config {name!r}; the package has: {', '.join(config_names())}.")
    return path


def config_names() -> List[str]:
    """Every packaged config, relative to the package's configs folder."""
    return sorted(str(p.relative_to(CONFIG_DIR)) for p in CONFIG_DIR.rglob("*") if p.suffix in (".cfg", ".json"))


# The teacher models that ``init-config --model`` writes into a spacy-llm config's [model] block.
MODELS = {
    "llama-cpp": "spacy_juicer.LlamaCpp.v1",
    "openai": "spacy_juicer.OpenAIChat.v1",
    "replay": "spacy_juicer.Replay.v1",
}
DEFAULT_KEY_ENV = "OPENAI_API_KEY"
# Keys that name the model or where it lives: never carried over from the packaged block.
_MODEL_KEYS = {"@llm_models", "model", "path", "base_url", "api_key_env"}


class InitConfigError(ValueError):
    """Options that do not fit the config asked for, or an output that would be overwritten."""


def _read(name: str) -> Any:
    from thinc.api import Config

    return Config().from_disk(config_path(name), interpolate=False)


def is_teacher_config(name: str) -> bool:
    """Whether ``name`` is a spacy-llm config with a [model] block (what ``--model`` fills)."""
    if not name.endswith(".cfg"):
        return False
    config = _read(name)
    return "model" in config and "@llm_models" in config["model"]


def config_kind(name: str) -> str:
    """What a packaged config is for, as ``init-config --list`` shows it."""
    if name.endswith(".json"):
        return "zero-shot split: spacy-juicer split, critic --exclude-split"
    if is_teacher_config(name):
        return "teacher (spacy-llm; --model fills it)"
    return "training: spacy train"


def teacher_model(
    model: str,
    packaged: Optional[Dict[str, Any]] = None,
    *,
    model_name: Optional[str] = None,
    base_url: Optional[str] = None,
    api_key_env: Optional[str] = None,
    replay: Optional[Union[str, Path]] = None,
) -> Dict[str, Any]:
    """The [model] block of ``model`` (a key of MODELS). The settings of the packaged block that
    the new model also takes (e.g. describe_short.cfg's ``max_tokens = 48``) are kept, so that
    the answers stay as short as the task expects. The OpenAI-compatible model gets the *name*
    of the environment variable that holds the key (``api_key_env``, default OPENAI_API_KEY;
    "" for a server that needs none), never the key."""
    import inspect

    import spacy

    from ..teacher.annotate import register_all

    if model not in MODELS:
        raise InitConfigError(f"--model must be one of {', '.join(MODELS)}, not {model!r}.")
    if model != "openai" and (base_url is not None or api_key_env is not None):
        raise InitConfigError("--base-url and --api-key-env go with --model openai.")
    if model != "replay" and replay is not None:
        raise InitConfigError("--replay goes with --model replay.")
    if model == "replay" and model_name is not None:
        raise InitConfigError("--model-name goes with --model openai or llama-cpp.")
    register_all()
    accepted = inspect.signature(spacy.util.registry.llm_models.get(MODELS[model])).parameters
    packaged = dict(packaged or {})
    block: Dict[str, Any] = {"@llm_models": MODELS[model]}
    if model == "replay":
        if replay is None:
            raise InitConfigError('--model replay needs --replay FILE: a JSONL of {"text", "response"} records.')
        if not Path(replay).is_file():
            raise FileNotFoundError(f"Replay file {replay} does not exist.")
        block["path"] = str(replay)
    elif model == "openai":
        if not base_url or not model_name:
            raise InitConfigError("--model openai needs --base-url (e.g. http://localhost:8000/v1) and "
                                  "--model-name (the served model's name).")
        key_env = DEFAULT_KEY_ENV if api_key_env is None else api_key_env
        block.update(model=model_name, base_url=base_url, api_key_env=key_env or None)
    else:
        same = packaged.get("@llm_models") == MODELS[model] and "model" in packaged
        block["model"] = model_name or (packaged["model"] if same else accepted["model"].default)
    block.update({k: v for k, v in packaged.items() if k not in _MODEL_KEYS and k in accepted})
    spacy.util.registry.fill({"model": block}, validate=True)  # the keys and types the model takes
    return block


def init_config(
    name: str,
    output: Union[str, Path],
    *,
    model: Optional[str] = None,
    force: bool = False,
    command: Optional[str] = None,
    **model_options: Any,
) -> str:
    """Write a copy of the packaged config ``name`` to ``output`` ("-": only return it) for the
    user to edit; with ``model`` (and ``teacher_model``'s options), its [model] block is that
    teacher's. A plain copy is the packaged text with its comments; a filled one is written by
    thinc's Config below the packaged header comment and ``command``. An existing ``output`` is
    kept unless ``force``. Returns the text."""
    from itertools import takewhile

    from thinc.api import Config

    text = config_path(name).read_text(encoding="utf8")
    if model is None and any(v is not None for v in model_options.values()):
        raise InitConfigError("--model-name, --base-url, --api-key-env and --replay go with --model.")
    if model is not None:
        if not is_teacher_config(name):
            teachers = ", ".join(n for n in config_names() if is_teacher_config(n))
            raise InitConfigError(f"--model fills a teacher config's [model] block; {name} has none "
                                  f"(teacher configs: {teachers}).")
        config = Config().from_str(text, interpolate=False)
        config["model"] = teacher_model(model, config["model"], **model_options)
        header = list(takewhile(lambda line: line.startswith("#"), text.splitlines()))
        header += [f"# Written by: {command}"] if command else []
        text = "".join(line + "\n" for line in header) + "\n" + config.to_str(interpolate=False) + "\n"
    if str(output) == "-":
        return text
    output = Path(output)
    if output.is_dir():
        raise IsADirectoryError(f"{output} is a folder: give the file to write, e.g. {output / Path(name).name}.")
    if output.exists() and not force:
        raise InitConfigError(f"{output} exists: pass --force to overwrite it.")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf8")
    return text
