"""Character-offset mentions to spaCy Docs: token alignment, overlaps and sentence splitting,
shared by the PubTator and JSONL converters.

A mention whose offsets do not fall on spaCy token boundaries is aligned with
``Doc.char_span(alignment_mode=...)`` ("expand" by default: the smallest token span covering
it) and counted; one that cannot be aligned ("strict", or "contract" with no whole token inside)
is counted as misaligned and left out. Overlapping mentions are all kept in
``doc.spans["gold"]``; ``doc.ents`` holds the non-overlapping subset (``filter_spans``:
longest first). When documents are split into sentences, a mention that crosses a sentence
boundary keeps the sentences around it together (the boundary is dropped and counted), so no
mention is lost to the splitter.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import List, Mapping, Optional, Sequence

from spacy.language import Language
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from .labelmap import map_label
from .stats import ConversionStats

ALIGNMENT_MODES = ("expand", "contract", "strict")
GOLD_KEY = "gold"


@dataclass
class Mention:
    start: int
    end: int
    label: str
    text: Optional[str] = None  # the mention string as the corpus wrote it, to check offsets
    line: int = 0


def make_tokenizer_pipeline(lang: str = "en", sentences: bool = False) -> Language:
    """A blank pipeline: the language's rule-based tokenizer, plus the rule-based sentencizer
    when documents are split into sentences."""
    import spacy

    nlp = spacy.blank(lang)
    if sentences:
        nlp.add_pipe("sentencizer")
    return nlp


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
    alignment_mode: str = "expand",
    label_map: Optional[Mapping[str, str]] = None,
    sentences: bool = False,
    source: str = "",
) -> List[Doc]:
    """One Doc (or one per sentence) for a text with character-offset mentions."""
    if alignment_mode not in ALIGNMENT_MODES:
        raise ValueError(
            f"Unknown alignment mode '{alignment_mode}': use one of {', '.join(ALIGNMENT_MODES)}"
        )
    doc = nlp(text) if sentences else nlp.make_doc(text)
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
        span = doc.char_span(m.start, m.end, label=label, alignment_mode=alignment_mode)
        if span is None or len(span) == 0:
            stats.misaligned[label] += 1
            continue
        if span.start_char != m.start or span.end_char != m.end:
            stats.realigned[label] += 1
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
