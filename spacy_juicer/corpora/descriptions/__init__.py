"""Type descriptions of the gold benchmarks, shipped as data (one labels file per dataset,
see README.md), in two sets: the project's own files (``project``) and a held-out set of
plain one-line descriptions written once (``heldout/``, the ``plain`` form). A type given by
its name alone is ``corpora.forms``' ``name`` form."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from ..labels import LabelError

HERE = Path(__file__).parent
HELDOUT = HERE / "heldout"
# Where each form of a description comes from; "name" is derived from the type itself.
FORM_DIRS = {"project": HERE, "plain": HELDOUT}


class DescriptionsError(LabelError, KeyError):
    """No descriptions file for a dataset, or no description for a type: a bad name in the
    caller's input (a KeyError too, for callers that look a name up)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def available() -> List[str]:
    """Names of the datasets that have a descriptions file."""
    return sorted(p.stem for p in HERE.glob("*.json"))


def descriptions_path(dataset: str, form: str = "project") -> Path:
    if form not in FORM_DIRS:
        raise DescriptionsError(f"No shipped descriptions of form '{form}': known are {', '.join(FORM_DIRS)}")
    path = FORM_DIRS[form] / f"{dataset}.json"
    if not path.is_file():
        raise DescriptionsError(
            f"No type descriptions for dataset '{dataset}': known are {', '.join(available())}"
        )
    return path


def load_descriptions(
    dataset: str,
    types: Optional[Iterable[str]] = None,
    *,
    form: str = "project",
) -> Dict[str, str]:
    """``{type: description}`` of ``dataset`` (restricted to ``types``, in their order), from
    the project's files (``form="project"``) or the held-out plain ones (``form="plain"``).
    A requested type without a description raises DescriptionsError naming the file to edit."""
    path = descriptions_path(dataset, form)
    data: Dict[str, str] = json.loads(path.read_text(encoding="utf8"))
    if types is not None:
        types = list(types)
        missing = [t for t in types if t not in data]
        if missing:
            raise DescriptionsError(
                f"{path} has no description for {', '.join(missing)}"
            )
        data = {t: data[t] for t in types}
    return data
