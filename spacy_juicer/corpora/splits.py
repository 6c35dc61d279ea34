"""Zero-shot splits: which entity types a model trains on, selects on, and is tested on.

A split file (the packaged ``configs/splits/*.json``) names parts, each with a role (train, dev, test),
its types and its source files in the data mirror. The builder converts the sources and keeps
only the part's types: mentions of every other type become O (the SMXM/JUICER protocol), in
``doc.ents`` and in ``doc.spans["gold"]`` alike, and are counted. Types of different roles
must be disjoint, and near-synonyms (the file's ``synonym_groups``) must not be split across
roles, so that a test type is never seen under another name in training.

A source is a file, or for ``"format": "brat"`` a folder of ``.txt``/``.ann`` pairs (CRAFT,
GRO), with the converter's options (``sentences``, ``type_from_notes``, ``notes_types``,
``discontinuous``, ``documents``, ...). A source with ``"describe": "name"`` describes the
types that no descriptions file covers by their readable name ("TranscriptionFactor" ->
"transcription factor"), for corpora of many ontology types.
"""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Union

from spacy.tokens import Doc, DocBin, Span
from spacy.util import filter_spans

from .. import assets
from .convert import read_docs
from .descriptions import available, load_descriptions
from .brat import BratStats
from .forms import name_form, readable_name, write_forms
from ..records import GOLD_KEY, read_json
from .stats import ConversionStats

ROLES = ("train", "dev", "test")
PathLike = Union[str, Path]


class SplitError(ValueError):
    """A split file that breaks the zero-shot protocol or cannot be read."""


def load_split(path: PathLike) -> Dict[str, Any]:
    split = read_json(path, "Split file", SplitError)
    check_split(split, source=str(path))
    return split


def role_types(split: Dict[str, Any]) -> Dict[str, set]:
    out: Dict[str, set] = {role: set() for role in ROLES}
    for part in split["parts"].values():
        out[part["role"]].update(part["types"])
    return out


def check_split(split: Dict[str, Any], source: str = "split") -> None:
    """Raise :class:`SplitError` unless the roles' types are disjoint and no synonym group
    straddles two roles."""
    parts = split.get("parts")
    if not isinstance(parts, dict) or not parts:
        raise SplitError(f"{source}: needs a non-empty 'parts' object")
    for name, part in parts.items():
        if part.get("role") not in ROLES:
            raise SplitError(f"{source}: part '{name}' needs a role in {ROLES}")
        if not part.get("types") or not part.get("sources"):
            raise SplitError(f"{source}: part '{name}' needs 'types' and 'sources'")
        for src in part["sources"]:
            if "path" not in src:
                raise SplitError(f"{source}: a source of part '{name}' has no 'path'")
    by_role = role_types(split)
    for i, a in enumerate(ROLES):
        for b in ROLES[i + 1 :]:
            shared = by_role[a] & by_role[b]
            if shared:
                raise SplitError(f"{source}: types {sorted(shared)} are in both {a} and {b}")
    for group in split.get("synonym_groups", []):
        roles = {role for role in ROLES if by_role[role] & set(group)}
        if len(roles) > 1:
            raise SplitError(
                f"{source}: near-synonyms {group} are split across {sorted(roles)}"
            )


def restrict_types(doc: Doc, keep: Iterable[str], removed: Counter) -> Doc:
    """Relabel every mention whose type is not in ``keep`` as O (counted in ``removed``).
    With gold spans, ``doc.ents`` is chosen again among the kept ones (``filter_spans``), so
    a kept mention nested in a removed one ("Pax-2" in "Pax-2 gene") is not lost."""
    keep = set(keep)
    for ent in doc.ents:
        if ent.label_ not in keep:
            removed[ent.label_] += 1
    if GOLD_KEY in doc.spans:
        spans = [Span(doc, s.start, s.end, label=s.label_) for s in doc.spans[GOLD_KEY]
                 if s.label_ in keep]
        doc.ents = filter_spans(spans)
        doc.spans[GOLD_KEY] = spans
    else:
        doc.ents = [e for e in doc.ents if e.label_ in keep]
    return doc


def part_descriptions(part: Dict[str, Any], *, form: str = "project") -> Dict[str, str]:
    """Descriptions of the part's types, from the first source dataset that describes each
    (``form``: "project" or "plain", see ``corpora.forms``)."""
    found: Dict[str, str] = {}
    by_name = [src for src in part["sources"] if src.get("describe") == "name"]
    for src in part["sources"]:
        dataset = src.get("dataset")
        if not dataset or (src in by_name and dataset not in available()):
            continue
        known = load_descriptions(dataset, form=form)
        for t in part["types"]:
            if t in known and t not in found:
                found[t] = known[t]
    missing = [t for t in part["types"] if t not in found]
    if by_name:
        found.update({t: readable_name(t) for t in missing})
        missing = []
    if missing:
        folder = "descriptions/heldout" if form == "plain" else "descriptions"
        raise SplitError(
            f"No {form} description for {missing}: add them to "
            f"spacy_juicer/corpora/{folder}/<dataset>.json"
        )
    return {t: found[t] for t in part["types"]}


def part_forms(part: Dict[str, Any]) -> Dict[str, Dict[str, str]]:
    """The part's types in every form of ``corpora.forms.FORMS``."""
    project = part_descriptions(part)
    return {"project": project, "plain": part_descriptions(part, form="plain"), "name": name_form(project)}


def build_split(
    split_path: PathLike,
    out_dir: PathLike,
    *,
    data_dir: Optional[PathLike] = None,
    parts: Optional[List[str]] = None,
    limit: int = 0,
) -> Dict[str, Any]:
    """Write ``<part>.spacy``, ``<part>.labels.json`` and ``<part>.forms.json`` (every form of
    the descriptions) per part, and ``counts.json``.
    ``limit`` caps the docs per part (0 = all), for quick runs."""
    split = load_split(split_path)
    base = Path(data_dir) if data_dir is not None else assets.data_dir()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    wanted = parts or list(split["parts"])
    unknown = [p for p in wanted if p not in split["parts"]]
    if unknown:
        raise SplitError(f"Unknown part(s) {unknown}: the split has {list(split['parts'])}")
    counts: Dict[str, Any] = {"split": split["name"], "source": str(split_path), "parts": {}}
    for name in wanted:
        part = split["parts"][name]
        brat = any(src.get("format") == "brat" for src in part["sources"])
        stats = BratStats() if brat else ConversionStats()
        removed: Counter = Counter()
        docbin = DocBin(store_user_data=True)
        n_docs = 0
        for src in part["sources"]:
            path = base / src["path"]
            if not (path.is_file() or (src.get("format") == "brat" and path.is_dir())):
                raise SplitError(f"Source file {path} of part '{name}' is missing")
            options = {k: src[k] for k in ("label_map", "sentences", "tag_col", "scheme",
                                           "alignment_mode", "discontinuous", "type_from_notes",
                                           "notes_types", "documents") if k in src}
            for doc in read_docs([path], src.get("format", "conll"), stats=stats, **options):
                if limit and n_docs >= limit:
                    break
                docbin.add(restrict_types(doc, part["types"], removed))
                n_docs += 1
        docbin.to_disk(out_dir / f"{name}.spacy")
        labels = part_descriptions(part)
        (out_dir / f"{name}.labels.json").write_text(
            json.dumps(labels, indent=2, ensure_ascii=False) + "\n", encoding="utf8"
        )
        write_forms(part_forms(part), out_dir / f"{name}.forms.json")
        kept = Counter()
        for doc in docbin.get_docs(_vocab()):
            kept.update(e.label_ for e in doc.ents)
        counts["parts"][name] = {
            "role": part["role"],
            "types": part["types"],
            "docs": n_docs,
            "entities": dict(sorted(kept.items())),
            "relabelled_O": dict(sorted(removed.items())),
            "types_without_mentions": [t for t in part["types"] if not kept[t]],
            "conversion": stats.to_dict(),
        }
    (out_dir / "counts.json").write_text(json.dumps(counts, indent=2) + "\n", encoding="utf8")
    return counts


def _vocab():
    import spacy

    return spacy.blank("en").vocab
