"""Character-offset mentions to spaCy Docs: token alignment, overlaps and sentence splitting,
shared by the PubTator and JSONL converters.

A mention whose offsets fall inside a spaCy token splits that token there (alignment mode
"split", the default; the split tokens and the mentions that needed one are counted), so no
gold mention is lost or widened by the tokenizer. The other modes align with
``Doc.char_span(alignment_mode=...)`` ("expand": the smallest token span covering it) and
count what moved; one that cannot be aligned ("strict", or "contract" with no whole token inside)
is counted as misaligned and left out. Overlapping mentions are all kept in
``doc.spans["gold"]``; ``doc.ents`` holds the non-overlapping subset (``filter_spans``:
longest first). When documents are split into sentences, a mention that crosses a sentence
boundary keeps the sentences around it together (the boundary is dropped and counted), so no
mention is lost to the splitter.
"""
from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Iterable, List, Mapping, Optional, Sequence, Tuple

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from ..records import GOLD_KEY
from .labelmap import map_label
from .stats import ConversionStats

ALIGNMENT_MODES = ("split", "expand", "contract", "strict")


@dataclass
class Mention:
    start: int
    end: int
    label: str
    text: Optional[str] = None  # the mention string as the corpus wrote it, to check offsets
    line: int = 0


TextRecord = Tuple[str, List[Mention], object]  # a text, its mentions and its doc id


def make_tokenizer_pipeline(lang: str = "en", sentences: bool = False) -> Language:
    """A blank pipeline: the language's rule-based tokenizer, plus the rule-based sentencizer
    when documents are split into sentences."""
    import spacy

    nlp = spacy.blank(lang)
    if sentences:
        nlp.add_pipe("sentencizer")
    return nlp


def split_at_boundaries(nlp: Language, doc: Doc, offsets: Iterable[int]) -> Tuple[Doc, int]:
    """``doc`` with every token that a mention boundary falls inside split there (the text is
    unchanged), and how many tokens were split. spaCy's tokenizer keeps e.g. "Ca2+-ATPase" or
    "5-FU-induced" whole, where a gold mention ends inside the token."""
    cuts = sorted(set(offsets))
    if not cuts:
        return doc, 0
    words: List[str] = []
    spaces: List[bool] = []
    split = 0
    for token in doc:
        start, end = token.idx, token.idx + len(token.text)
        lo = bisect.bisect_right(cuts, start)
        hi = bisect.bisect_left(cuts, end)
        inner = cuts[lo:hi]
        if not inner:
            words.append(token.text)
            spaces.append(bool(token.whitespace_))
            continue
        split += 1
        points = [start, *inner, end]
        for a, b in zip(points, points[1:]):
            words.append(doc.text[a:b])
            spaces.append(False)
        spaces[-1] = bool(token.whitespace_)
    if not split:
        return doc, 0
    new = Doc(nlp.vocab, words=words, spaces=spaces)
    assert new.text == doc.text
    return new, split


def set_gold(doc: Doc, spans: Sequence[Span], stats: ConversionStats) -> None:
    """All spans in ``doc.spans["gold"]``, the non-overlapping ones in ``doc.ents``."""
    ents = filter_spans(spans)
    kept_ids = {id(s) for s in ents}
    for span in spans:
        stats.kept[span.label_] += 1
        if id(span) not in kept_ids:
            stats.overlapping[span.label_] += 1
    doc.ents = ents
    doc.spans[GOLD_KEY] = list(spans)


def mentions_to_docs(
    nlp: Language,
    text: str,
    mentions: Sequence[Mention],
    *,
    doc_id: object,
    stats: ConversionStats,
    alignment_mode: str = "split",
    label_map: Optional[Mapping[str, str]] = None,
    sentences: bool = False,
    source: str = "",
) -> List[Doc]:
    """One Doc (or one per sentence) for a text with character-offset mentions."""
    if alignment_mode not in ALIGNMENT_MODES:
        raise ValueError(
            f"Unknown alignment mode '{alignment_mode}': use one of {', '.join(ALIGNMENT_MODES)}"
        )
    doc = nlp.make_doc(text)
    mode = alignment_mode
    edges = {t.idx for t in doc} | {t.idx + len(t.text) for t in doc}
    if alignment_mode == "split":
        inside = {m.start for m in mentions} | {m.end for m in mentions}
        doc, split = split_at_boundaries(nlp, doc, inside)
        stats.split_tokens += split
        mode = "expand"  # only a boundary in whitespace is left to move
    if sentences:
        for _, component in nlp.pipeline:
            doc = component(doc)
    spans: List[Span] = []
    for m in mentions:
        if m.text is not None and text[m.start : m.end] != m.text:
            stats.text_mismatch[m.label] += 1
            if len(stats.notes) < 20:
                stats.notes.append(
                    f"{source}:{m.line}: mention {m.text!r} != text[{m.start}:{m.end}] "
                    f"{text[m.start:m.end]!r}"
                )
        label = map_label(m.label, label_map)
        if label is None:
            stats.dropped[m.label] += 1
            continue
        span = doc.char_span(m.start, m.end, label=label, alignment_mode=mode)
        if span is None or len(span) == 0:
            stats.misaligned[label] += 1
            continue
        if span.start_char != m.start or span.end_char != m.end:
            stats.realigned[label] += 1
        elif alignment_mode == "split" and not {m.start, m.end} <= edges:
            stats.split[label] += 1  # kept whole by splitting the tokens it starts or ends inside
        spans.append(span)
    if not sentences:
        out = [doc]
        set_gold(doc, spans, stats)
        doc.user_data["id"] = doc_id
    else:
        out = _split_sentences(doc, spans, doc_id, stats)
    stats.tokens += sum(len(d) for d in out)
    stats.docs += len(out)
    return out


def _split_sentences(
    doc: Doc, spans: List[Span], doc_id: object, stats: ConversionStats
) -> List[Doc]:
    starts = sorted({sent.start for sent in doc.sents} | {0})
    blocked = set()
    for span in spans:
        inside = [s for s in starts if span.start < s < span.end]
        if inside:
            stats.crossing_sentences[span.label_] += 1
            blocked.update(inside)
    starts = [s for s in starts if s not in blocked] + [len(doc)]
    out: List[Doc] = []
    for index, (begin, end) in enumerate(zip(starts, starts[1:])):
        if begin >= end:
            continue
        own = [s for s in spans if begin <= s.start and s.end <= end]
        if not own and not doc[begin:end].text.strip():
            stats.skipped_docs += 1  # whitespace between sentences
            continue
        sent_doc = doc[begin:end].as_doc()
        sent_spans = [Span(sent_doc, s.start - begin, s.end - begin, label=s.label_) for s in own]
        set_gold(sent_doc, sent_spans, stats)
        sent_doc.user_data["id"] = f"{doc_id}:{index}"
        out.append(sent_doc)
    return out
