"""displaCy options for types chosen at run time.

displaCy colours only the labels it knows (spaCy's built-in entity types); every other label
is drawn in one grey, so a zero-shot pipeline's types all look alike. ``displacy_options``
gives each label a colour of its own that stays the same across runs, sessions and label
orders (it depends on the label's text only).
"""
from __future__ import annotations

import hashlib
from typing import Any, Dict, Iterable, Optional

# light, readable behind black text (a spread of hues from ColorBrewer's Set3 and Pastel1)
PALETTE = (
    "#8dd3c7", "#ffffb3", "#bebada", "#fb8072", "#80b1d3", "#fdb462", "#b3de69", "#fccde5",
    "#d9d9d9", "#bc80bd", "#ccebc5", "#ffed6f", "#fbb4ae", "#b3cde3", "#decbe4", "#fed9a6",
)


def label_color(label: str) -> str:
    """A colour for ``label``, the same wherever it is drawn."""
    digest = hashlib.sha1(label.encode("utf8")).digest()
    return PALETTE[digest[0] % len(PALETTE)]


def displacy_options(labels: Iterable[str], colors: Optional[Dict[str, str]] = None) -> Dict[str, Any]:
    """``options`` for ``displacy.render(doc, style="ent", options=...)``: these labels, each
    in its own colour (``colors`` overrides some). Labels that share a colour by chance are
    told apart by their names, which displaCy prints on every span."""
    labels = list(dict.fromkeys(labels))
    chosen = {label: label_color(label) for label in labels}
    chosen.update(colors or {})
    return {"ents": labels, "colors": chosen}
