"""The configs that ship with the package: the teacher's prompts and models (``teacher.cfg``,
``describe.cfg``, ``describe_short.cfg``), the training stages (``kp.cfg``, ``kf.cfg``,
``blend.cfg``, ``student.cfg``) and the zero-shot splits (``splits/*.json``). Every CLI default
resolves here, so a pip user needs no checkout; ``spacy-juicer init-config`` copies one out to
edit."""
from __future__ import annotations

from pathlib import Path
from typing import List

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
