"""Decoded runs cut to mention-like edges (``student/span_edges.py``), on real tokenization."""
from __future__ import annotations

import numpy
import pytest
import spacy

from spacy_juicer.student.decoding import decode_exclusive, decode_overlapping
from spacy_juicer.student.span_edges import BREAK, CLOSE, EDGE, OPEN, WORD, cut, token_kinds


@pytest.fixture(scope="module")
def nlp():
    return spacy.blank("en")


def _scores(probs) -> numpy.ndarray:
    """(n, K, 2) logits whose per_type probabilities are ``probs`` (n, K)."""
    p = numpy.clip(numpy.asarray(probs, dtype="f"), 1e-4, 1 - 1e-4)
    margin = numpy.log(p / (1 - p))
    return numpy.stack([margin, numpy.zeros_like(margin)], axis=-1)


def _texts(doc, found):
    return [doc[s:e].text for s, e, *_ in found]


def test_token_kinds(nlp):
    doc = nlp("the IL-2R (alpha), A and B; in vitamin A .")
    kinds = dict(zip([t.text for t in doc], token_kinds(doc)))
    assert kinds["the"] == EDGE and kinds["and"] == EDGE and kinds["in"] == EDGE and kinds["."] == EDGE
    assert kinds[","] == BREAK and kinds[";"] == BREAK
    assert kinds["("] == OPEN and kinds[")"] == CLOSE
    # a capital "A" is a name ("vitamin A", "hepatitis A"), not the article
    assert kinds["A"] == WORD and kinds["IL-2R"] == WORD and kinds["vitamin"] == WORD


def test_cut_splits_at_breaks_and_trims_edges(nlp):
    doc = nlp("the transcription factor Sp1, NF-Y and Sp3 .")
    kinds = token_kinds(doc)
    pieces = [doc[s:e].text for s, e in cut(0, len(doc), kinds)]
    assert pieces == ["transcription factor Sp1", "NF-Y and Sp3"]
    # a closing bracket stays when it closes one opened inside; a stray one goes
    doc = nlp("IL-2R (alpha) ) binds")
    assert [doc[s:e].text for s, e in cut(0, 5, token_kinds(doc))] == ["IL-2R (alpha)"]
    doc = nlp("p53 ) binds")
    assert [doc[s:e].text for s, e in cut(0, 2, token_kinds(doc))] == ["p53"]
    assert cut(0, 2, token_kinds(nlp(", ."))) == []


def test_decode_scores_each_piece_by_its_own_tokens(nlp):
    doc = nlp("Aspirin , the drug .")
    kinds = token_kinds(doc)
    probs = [[0.95], [0.9], [0.6], [0.6], [0.99]]
    whole = decode_exclusive(_scores(probs), 0.8)
    assert _texts(doc, whole) == ["Aspirin , the drug ."]
    cut_found = decode_exclusive(_scores(probs), 0.8, kinds)
    # "drug" alone has a mean of 0.6: below the threshold, so only Aspirin stays
    assert _texts(doc, cut_found) == ["Aspirin"]
    assert cut_found[0][3] == pytest.approx(0.95, abs=1e-3)
    overlapping = decode_overlapping(_scores(probs), 0.5, kinds)
    assert _texts(doc, overlapping) == ["Aspirin", "drug"]


def test_component_trims_by_default_and_can_keep_runs(nlp):
    from spacy_juicer.student.pipeline_component import make_zero_shot_ner  # noqa: F401 (registers)

    pipe = spacy.blank("en")
    ner = pipe.add_pipe("zero_shot_ner", config={"labels": {"Drug": "A medicine."}})
    assert ner.cfg["trim_spans"] is True
    off = spacy.blank("en").add_pipe("zero_shot_ner", config={"labels": {"Drug": "A medicine."}, "trim_spans": False})
    doc = pipe.make_doc("Aspirin relieves pain .")
    probs = _scores([[0.99], [0.9], [0.9], [0.95]])
    ner.set_annotations([doc], [probs])
    assert [e.text for e in doc.ents] == ["Aspirin relieves pain"]
    doc = pipe.make_doc("Aspirin relieves pain .")
    off.set_annotations([doc], [probs])
    assert [e.text for e in doc.ents] == ["Aspirin relieves pain ."]


def test_an_empty_doc_decodes_to_nothing(nlp):
    doc = nlp("")
    empty = numpy.zeros((0, 1, 2), dtype="f")
    assert decode_exclusive(empty, 0.5, token_kinds(doc)) == []
    assert decode_overlapping(empty, 0.5, token_kinds(doc)) == []


def test_each_type_column_is_decided_at_its_own_threshold():
    # tokens 0-1 type 0 at 0.85, token 3 type 1 at 0.85: one threshold of 0.9 keeps neither;
    # 0.9 for type 0 and 0.8 for type 1 (a bare name's own) keeps type 1 alone
    probs = [[0.85, 0.0], [0.85, 0.0], [0.0, 0.0], [0.0, 0.85]]
    assert decode_exclusive(_scores(probs), 0.9) == []
    per_column = numpy.array([0.9, 0.8])
    for decode in (decode_exclusive, decode_overlapping):
        found = decode(_scores(probs), per_column)
        assert [(s, e, j) for s, e, j, _ in found] == [(3, 4, 1)]
