"""Type descriptions of the gold benchmarks, shipped as data (one labels file per dataset,
see README.md), and the "names only" setting where each description is the type's name."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from ..labels import LabelError

HERE = Path(__file__).parent


class DescriptionsError(LabelError, KeyError):
    """No descriptions file for a dataset, or no description for a type: a bad name in the
    caller's input (a KeyError too, for callers that look a name up)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def available() -> List[str]:
    """Names of the datasets that have a descriptions file."""
    return sorted(p.stem for p in HERE.glob("*.json"))


def descriptions_path(dataset: str) -> Path:
    path = HERE / f"{dataset}.json"
    if not path.is_file():
        raise DescriptionsError(
            f"No type descriptions for dataset '{dataset}': known are {', '.join(available())}"
        )
    return path


def load_descriptions(
    dataset: str, types: Optional[Iterable[str]] = None, *, names_only: bool = False
) -> Dict[str, str]:
    """``{type: description}`` of ``dataset`` (restricted to ``types``, in their order).
    A requested type without a description raises DescriptionsError naming the file to edit."""
    data: Dict[str, str] = json.loads(descriptions_path(dataset).read_text(encoding="utf8"))
    if types is not None:
        types = list(types)
        missing = [t for t in types if t not in data]
        if missing:
            raise DescriptionsError(
                f"{descriptions_path(dataset)} has no description for {', '.join(missing)}"
            )
        data = {t: data[t] for t in types}
    if names_only:
        data = names_only_labels(data)
    return data


def names_only_labels(labels: Dict[str, str]) -> Dict[str, str]:
    """The "names only" setting: each type is described by its own name."""
    return {name: name for name in labels}
