"""Label maps: rename or merge entity types (NCBI's four disease classes -> ``Disease``), or
drop a type by mapping it to ``O`` (or an empty name). Dropped mentions are counted."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Dict, Mapping, Optional, Union

DROP = "O"

LabelMap = Dict[str, str]


def parse_label_map(spec: Union[None, str, Path, Mapping[str, str]]) -> LabelMap:
    """Read a label map from a mapping, a JSON file (``{"old": "new"}``), a text file with one
    ``old=new`` (or ``old<TAB>new``) per line, or an inline ``"A=B,C=B"`` string."""
    if spec is None:
        return {}
    if isinstance(spec, Mapping):
        return {str(k): str(v) for k, v in spec.items()}
    text = str(spec)
    path = Path(text)
    if path.suffix in {".json", ".txt", ".tsv", ".map"} or path.is_file():
        if not path.is_file():
            raise ValueError(f"Label map file not found: {path}")
        content = path.read_text(encoding="utf8")
        if path.suffix == ".json" or content.lstrip().startswith("{"):
            data = json.loads(content)
            if not isinstance(data, dict):
                raise ValueError(f"{path}: a JSON label map must be an object {{old: new}}")
            return {str(k): str(v) for k, v in data.items()}
        result: LabelMap = {}
        for lineno, line in enumerate(content.splitlines(), 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            sep = "\t" if "\t" in line else "="
            if sep not in line:
                raise ValueError(f"{path}:{lineno}: expected 'old=new' or 'old<TAB>new'")
            old, new = line.split(sep, 1)
            result[old.strip()] = new.strip()
        return result
    result = {}
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        if "=" not in item:
            raise ValueError(
                f"Label map item '{item}' is not of the form OLD=NEW (e.g. "
                "'SpecificDisease=Disease,Modifier=O'), and no file of that name exists."
            )
        old, new = item.split("=", 1)
        result[old.strip()] = new.strip()
    return result


def map_label(label: str, label_map: Optional[Mapping[str, str]]) -> Optional[str]:
    """The new name of ``label``, or None when the map drops it (``O`` or empty)."""
    if label_map:
        label = label_map.get(label, label)
    if not label or label == DROP:
        return None
    return label
