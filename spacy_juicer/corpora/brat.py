"""brat standoff folders (``name.txt`` + ``name.ann``) to spaCy Docs: CRAFT, BioNLP-ST GRO and
any corpus annotated in brat.

Only text-bound annotations (``T1<TAB>Type start end<TAB>text``) are mentions. Each one's text
must equal its slice of the ``.txt`` (a brat discontinuous mention, ``start end;start end``,
writes its fragments joined by a space), else a :class:`ConversionError` names the file and the
line. A discontinuous mention is kept as one span over its extent, first start to last end
(``discontinuous="extent"``, the default) or left out (``"drop"``); either way it is counted.
Events, relations, attributes, normalizations, equivalences (``E R A M N *``) and comments other
than ``AnnotatorNotes`` are skipped and counted per kind, and so are the text-bound annotations
that are an event's trigger (``E1<TAB>Gene_expression:T8 ...``): a trigger is no entity.

An ``AnnotatorNotes`` line (``#1<TAB>AnnotatorNotes T1<TAB>GO:0005634 nucleus``) can give the
type instead of the brat type (``type_from_notes``: the ontology ``label`` "nucleus", its ``id``
"GO:0005634", or the whole ``note``), for all mentions or only some brat types
(``notes_types``); a mention with no note keeps its brat type (counted as ``no_note``).

Nested and overlapping mentions are all kept in ``doc.spans["gold"]``; ``doc.ents`` holds the
non-overlapping subset chosen by ``spacy.util.filter_spans`` (the longest first, then the
earliest). With ``sentences=True`` a document is split at every line break (a full-text
article's headings and paragraphs are lines; blank lines are left out) and each line by spaCy's
sentencizer; a mention that crosses a line break or a sentence end keeps the sentences around it
together (counted as ``crossing_sentences``, see ``corpora.spans``), so no mention is lost.
Sentence docs are numbered ``<file stem>:<n>`` in text order.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, Union

from spacy.language import Language
from spacy.tokens import Doc

from .spans import Mention, mentions_to_docs
from .stats import ConversionError, ConversionStats

PathLike = Union[str, Path]
DISCONTINUOUS = ("extent", "drop")
NOTE_PARTS = ("label", "id", "note")
LINE_BREAKS = "spacy_juicer_line_breaks"
# brat's annotation kinds other than text-bound mentions and notes, by their id's first letter
SKIPPED_KINDS = {
    "E": "event", "R": "relation", "A": "attribute", "M": "attribute", "N": "normalization",
    "*": "equivalence",
}
EMPTY_FRAGMENT = "empty fragment"  # "39188 39188": no text, left out of its mention (counted)
_ONTOLOGY_NOTE = re.compile(r"^([A-Za-z][\w.-]*:\S+)\s+(\S.*)$")  # "GO:0005634 nucleus"
_ID = re.compile(r"^[A-Za-z][\w-]*$")  # "T12", "#3"


@dataclass
class BratStats(ConversionStats):
    """``ConversionStats`` plus brat's own counts: discontinuous mentions (per type, kept as
    their extent or dropped), mentions typed by a note that had none, and skipped lines per
    annotation kind."""

    discontinuous: Counter = field(default_factory=Counter)  # kept as one span of their extent
    discontinuous_dropped: Counter = field(default_factory=Counter)
    no_note: Counter = field(default_factory=Counter)  # kept under their brat type
    skipped_kinds: Counter = field(default_factory=Counter)  # event, relation, ... per line

    COUNTERS = ConversionStats.COUNTERS + ("discontinuous", "discontinuous_dropped", "no_note")

    def merge(self, other: ConversionStats) -> "BratStats":
        """Add ``other``'s counts (a plain ``ConversionStats`` has none of brat's own)."""
        super().merge(other)
        self.skipped_kinds.update(getattr(other, "skipped_kinds", None) or Counter())
        return self

    def to_dict(self) -> Dict[str, object]:
        out = super().to_dict()
        out["skipped_kinds"] = dict(sorted(self.skipped_kinds.items()))
        return out

    def summary(self) -> str:
        kinds = ", ".join(f"{k} {v}" for k, v in sorted(self.skipped_kinds.items())) or "none"
        return super().summary() + f"\n  skipped annotation lines: {kinds}"


@dataclass
class BratMention:
    id: str
    type: str
    fragments: List[Tuple[int, int]]
    text: str
    line: int

    @property
    def start(self) -> int:
        return min(start for start, _ in self.fragments)

    @property
    def end(self) -> int:
        return max(end for _, end in self.fragments)


@dataclass
class BratDocument:
    """One parsed ``.txt``/``.ann`` pair."""

    name: str
    text: str
    ann_path: Path
    mentions: List[BratMention] = field(default_factory=list)
    notes: Dict[str, str] = field(default_factory=dict)  # annotation id -> AnnotatorNotes text
    skipped: Counter = field(default_factory=Counter)  # annotation kind -> lines


def split_note(note: str) -> Tuple[Optional[str], str]:
    """``(ontology id, label)`` of a note: "GO:0005634 nucleus" -> ("GO:0005634", "nucleus");
    a note without a leading id is all label."""
    match = _ONTOLOGY_NOTE.match(note.strip())
    if match:
        return match.group(1), match.group(2).strip()
    return None, note.strip()


def _offsets(path: Path, lineno: int, spec: str, length: int) -> List[Tuple[int, int]]:
    fragments = []
    for part in spec.split(";"):
        bounds = part.split()
        if len(bounds) != 2 or not all(b.isdigit() for b in bounds):
            raise ConversionError(
                path, lineno, f"expected offsets 'start end[;start end]', got {spec!r}"
            )
        start, end = int(bounds[0]), int(bounds[1])
        if start > end:
            raise ConversionError(path, lineno, f"bad offsets {start} {end}: start > end")
        if end > length:
            raise ConversionError(
                path, lineno, f"offset {end} is past the end of the text ({length} characters)"
            )
        fragments.append((start, end))
    return fragments


def parse_ann(ann_path: PathLike, text: str, name: Optional[str] = None) -> BratDocument:
    """Parse one ``.ann`` file against its text. A malformed line, a duplicate id or a mention
    whose written text is not its slice of ``text`` raises :class:`ConversionError` naming the
    file and the line."""
    path = Path(ann_path)
    doc = BratDocument(name or path.stem, text, path)
    seen = set()
    triggers = set()
    with path.open(encoding="utf8") as handle:
        for lineno, raw in enumerate(handle, 1):
            line = raw.rstrip("\r\n")
            if not line.strip():
                continue
            cols = line.split("\t")
            ident = cols[0]
            if len(cols) < 2 or not ident:
                raise ConversionError(
                    path, lineno, f"expected '<id><TAB><annotation>...', got {line[:80]!r}"
                )
            kind = ident[0]
            if kind == "T":
                if len(cols) < 3 or not _ID.match(ident):
                    raise ConversionError(
                        path, lineno,
                        f"expected 'T<n><TAB>Type start end<TAB>text', got {line[:80]!r}",
                    )
                if ident in seen:
                    raise ConversionError(path, lineno, f"duplicate annotation id {ident!r}")
                seen.add(ident)
                label, _, spec = cols[1].partition(" ")
                if not label or not spec.strip():
                    raise ConversionError(
                        path, lineno, f"expected 'Type start end' after {ident}, got {cols[1]!r}"
                    )
                fragments = _offsets(path, lineno, spec, len(text))
                written = "\t".join(cols[2:])
                sliced = " ".join(text[start:end] for start, end in fragments)
                if written != sliced:
                    raise ConversionError(
                        path, lineno,
                        f"{ident} text {written!r} differs from the text at {spec} {sliced!r} "
                        f"(is {path.with_suffix('.txt').name} the file it was annotated on?)",
                    )
                covering = [(start, end) for start, end in fragments if start < end]
                if not covering:
                    raise ConversionError(path, lineno, f"{ident} covers no text: {spec!r}")
                if len(covering) < len(fragments):
                    doc.skipped[EMPTY_FRAGMENT] += len(fragments) - len(covering)
                doc.mentions.append(BratMention(ident, label, covering, written, lineno))
            elif kind == "#":
                fields = cols[1].split()
                if len(fields) == 2 and fields[0] == "AnnotatorNotes":
                    doc.notes.setdefault(fields[1], "\t".join(cols[2:]).strip())
                else:
                    doc.skipped["comment"] += 1
            elif kind in SKIPPED_KINDS:
                doc.skipped[SKIPPED_KINDS[kind]] += 1
                if kind == "E":  # "E1<TAB>Gene_expression:T8 Theme:T2": T8 is a trigger
                    head = cols[1].split(" ", 1)[0]
                    triggers.add(head.rpartition(":")[2])
            else:
                raise ConversionError(
                    path, lineno, f"unknown brat annotation {ident!r}: expected an id starting "
                    "with T, E, R, A, M, N, * or #",
                )
    if triggers:
        mentions = [m for m in doc.mentions if m.id not in triggers]
        doc.skipped["trigger"] += len(doc.mentions) - len(mentions)
        doc.mentions = mentions
    return doc


def read_document(txt_path: PathLike) -> BratDocument:
    """One brat document from its ``.txt`` and the ``.ann`` beside it."""
    txt_path = Path(txt_path)
    ann_path = txt_path.with_suffix(".ann")
    for path in (txt_path, ann_path):
        if not path.is_file():
            raise FileNotFoundError(f"brat file not found: {path}")
    # newline="" keeps "\r\n" as two characters, as brat's offsets count them
    with txt_path.open(encoding="utf8", newline="") as handle:
        text = handle.read()
    return parse_ann(ann_path, text, name=txt_path.stem)


def brat_pairs(path: PathLike, documents: Optional[Sequence[str]] = None) -> List[Path]:
    """The ``.txt`` files of a brat folder that have an ``.ann`` beside them, by name (a
    ``.txt`` without one, such as a licence, is no document), or the one pair named by a
    ``.txt``/``.ann`` path. ``documents`` keeps only those names (file stems)."""
    path = Path(path)
    if path.is_file():
        if path.suffix not in (".txt", ".ann"):
            raise ValueError(f"{path}: a brat input is a folder or a .txt/.ann file")
        pairs = [path.with_suffix(".txt")]
    elif path.is_dir():
        pairs = sorted(p.with_suffix(".txt") for p in path.glob("*.ann"))
        if not pairs:
            raise ValueError(
                f"{path} holds no .ann files (brat folders are read without their subfolders: "
                "name e.g. train/ or devel/)"
            )
    else:
        raise FileNotFoundError(f"brat input not found: {path}")
    for txt in pairs:
        if not txt.is_file():
            raise FileNotFoundError(f"{txt.with_suffix('.ann')} has no text file {txt.name}")
    if documents is not None:
        by_name = {p.stem: p for p in pairs}
        missing = [d for d in documents if d not in by_name]
        if missing:
            raise ValueError(f"{path} has no document(s) {missing}")
        pairs = [by_name[d] for d in documents]
    return pairs


@Language.component(LINE_BREAKS)
def line_breaks(doc: Doc) -> Doc:
    """A line break ends a sentence: a token holding one is a sentence of its own (left out
    as whitespace when sentences become docs) and the next token starts a sentence. Full-text
    articles write headings and paragraphs as lines without a final full stop."""
    for token in doc:
        if "\n" in token.text and not token.text.strip():
            token.is_sent_start = True
            if token.i + 1 < len(doc):
                doc[token.i + 1].is_sent_start = True
    return doc


def line_blocks(text: str, mentions: Sequence[Mention]) -> List[Tuple[int, int]]:
    """Character ranges of the text's lines (blank lines left out), where a mention that crosses
    a line break joins the lines around it into one block. Converting line by line keeps the
    cost of a long article linear in its length."""
    ranges = [(m.start(), m.end()) for m in re.finditer(r"[^\r\n]+", text)]
    ranges += [(m.start, m.end) for m in mentions]
    blocks: List[Tuple[int, int]] = []
    for start, end in sorted(ranges):
        if blocks and start < blocks[-1][1]:
            blocks[-1] = (blocks[-1][0], max(end, blocks[-1][1]))
        else:
            blocks.append((start, end))
    return blocks


def _mention_type(mention: BratMention, notes: Mapping[str, str], stats: BratStats,
                  type_from_notes: Optional[str], notes_types: Optional[set]) -> str:
    if type_from_notes is None or (notes_types is not None and mention.type not in notes_types):
        return mention.type
    note = notes.get(mention.id)
    if note is None:
        stats.no_note[mention.type] += 1
        return mention.type
    if type_from_notes == "note":
        return note
    ident, label = split_note(note)
    if type_from_notes == "id":
        if ident is None:
            stats.no_note[mention.type] += 1
            return mention.type
        return ident
    return label


def read_brat(
    path: PathLike,
    nlp: Language,
    *,
    stats: Optional[ConversionStats] = None,
    alignment_mode: str = "split",
    label_map: Optional[Mapping[str, str]] = None,
    sentences: bool = False,
    discontinuous: str = "extent",
    type_from_notes: Optional[str] = None,
    notes_types: Optional[Sequence[str]] = None,
    documents: Optional[Sequence[str]] = None,
) -> Iterator[Doc]:
    """Docs (one per document, or per sentence) with gold ents and ``spans["gold"]`` from a
    brat folder or one ``.txt``/``.ann`` pair; counts go to ``stats`` (brat's own counts only
    when it is a :class:`BratStats`)."""
    if discontinuous not in DISCONTINUOUS:
        raise ValueError(
            f"Unknown discontinuous mode '{discontinuous}': use one of {', '.join(DISCONTINUOUS)}"
        )
    if type_from_notes is not None and type_from_notes not in NOTE_PARTS:
        raise ValueError(
            f"Unknown type_from_notes '{type_from_notes}': use one of {', '.join(NOTE_PARTS)}"
        )
    if notes_types is not None and type_from_notes is None:
        raise ValueError(
            "notes_types names the brat types typed by their notes: set type_from_notes too"
        )
    stats = stats if stats is not None else BratStats()
    if sentences and LINE_BREAKS not in nlp.pipe_names:
        if "sentencizer" not in nlp.pipe_names:
            nlp.add_pipe("sentencizer")
        nlp.add_pipe(LINE_BREAKS, after="sentencizer")
    wanted = set(notes_types) if notes_types is not None else None
    for txt_path in brat_pairs(path, documents):
        doc = read_document(txt_path)
        counts = stats if isinstance(stats, BratStats) else BratStats()
        counts.skipped_lines += sum(n for k, n in doc.skipped.items() if k != EMPTY_FRAGMENT)
        counts.skipped_kinds.update(doc.skipped)
        mentions: List[Mention] = []
        for m in doc.mentions:
            label = _mention_type(m, doc.notes, counts, type_from_notes, wanted)
            if len(m.fragments) > 1:
                if discontinuous == "drop":
                    counts.discontinuous_dropped[label] += 1
                    continue
                counts.discontinuous[label] += 1
            mentions.append(Mention(m.start, m.end, label, None, m.line))
        if not sentences:
            out = mentions_to_docs(
                nlp, doc.text, mentions, doc_id=doc.name, stats=counts,
                alignment_mode=alignment_mode, label_map=label_map, source=str(doc.ann_path),
            )
        else:
            out = []
            for start, end in line_blocks(doc.text, mentions):
                inside = [replace(m, start=m.start - start, end=m.end - start)
                          for m in mentions if start <= m.start and m.end <= end]
                out += mentions_to_docs(
                    nlp, doc.text[start:end], inside, doc_id=doc.name, stats=counts,
                    alignment_mode=alignment_mode, label_map=label_map, sentences=True,
                    source=str(doc.ann_path),
                )
            for index, sent in enumerate(out):
                sent.user_data["id"] = f"{doc.name}:{index}"
        if counts is not stats:
            stats.merge(counts)
        yield from out
