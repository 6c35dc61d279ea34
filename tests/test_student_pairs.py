"""Pair building, alignment and windows, on the real MiniLM-L6 tokenizer (no torch needed)."""
from __future__ import annotations

import numpy
import pytest
import spacy

from spacy_juicer.student.pairs import (
    PairTemplate,
    assign_windows,
    piece_mask,
    plan_batches,
    tokenize_docs,
    truncate_description,
)

from .conftest import needs_minilm

pytestmark = needs_minilm


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from spacy_juicer.student.encoders import MINILM, resolve_encoder

    return AutoTokenizer.from_pretrained(resolve_encoder(MINILM))


def test_template_is_learnt_from_the_tokenizer(tokenizer):
    t = PairTemplate.from_tokenizer(tokenizer)
    assert (t.before, t.between, t.after) == ([101], [102], [102])
    assert (t.type_a, t.type_b, t.mask_id, t.pad_id) == (0, 1, 103, 0)


def test_offsets_align_pieces_to_tokens_without_whitespace_splitting(tokenizer):
    doc = spacy.blank("en")("BRCA1-related  cancer in café owners 🙂.")
    (pieces,) = tokenize_docs(tokenizer, [doc])
    words = [t.text for t in doc]
    assert words[:3] == ["BRCA1", "-", "related"]
    assert pieces.align_lengths[0] == 3  # br ##ca ##1
    assert pieces.align_lengths[words.index(" ")] == 0  # the double space has no piece
    assert tokenizer.convert_ids_to_tokens([int(pieces.ids[pieces.first[words.index("café")]])]) == ["cafe"]


def test_windows_cover_every_token_with_the_widest_margin(tokenizer):
    doc = spacy.blank("en")(" ".join(f"word{i}" for i in range(120)))
    (pieces,) = tokenize_docs(tokenizer, [doc])
    assign_windows(pieces, max_length=40, stride=30)
    n = len(pieces.ids)
    assert pieces.windows[0][0] == 0 and pieces.windows[-1][1] == n
    assert all(e - s == 40 for s, e in pieces.windows)
    for t in range(len(doc)):
        s, e = pieces.windows[pieces.token_window[t]]
        assert s <= pieces.first[t] < e
        margin = min(pieces.first[t] - s, e - 1 - pieces.first[t])
        for s2, e2 in pieces.windows:
            if s2 <= pieces.first[t] < e2:
                assert margin >= min(pieces.first[t] - s2, e2 - 1 - pieces.first[t]) - 3


def test_plan_batches_builds_pairs_and_gathers_each_token_once_per_type(tokenizer):
    nlp = spacy.blank("en")
    docs = [nlp("Aspirin helps."), nlp("A much longer sentence about cisplatin toxicity in kidneys."), nlp("")]
    pieces = tokenize_docs(tokenizer, docs)
    for p in pieces:
        assign_windows(p, 300, 236)
    template = PairTemplate.from_tokenizer(tokenizer)
    descs = [truncate_description(tokenizer, "A drug.", 150), truncate_description(tokenizer, "word " * 400, 5)]
    assert len(descs[1]) == 5
    masks = [piece_mask(pieces[0], numpy.array([True, False, False])), None, None]
    batches = list(plan_batches(pieces, descs, template, batch_size=3, masks=masks))
    assert sum(b.n_pairs for b in batches) == 4  # 2 docs with tokens x 2 types; the empty doc has none
    dest = numpy.concatenate([b.dest for b in batches])
    n_tokens = len(docs[0]) + len(docs[1])
    assert sorted(dest.tolist()) == list(range(n_tokens * 2))
    first = batches[0]
    assert first.input_ids.shape[0] == 3 and first.input_ids[0, 0] == 101
    seq = [b for b in batches for row in b.input_ids if 103 in row]
    assert seq, "the masked token of doc 0 appears as [MASK]"
    assert set(numpy.unique(first.token_type_ids)) <= {0, 1}


def test_plan_batches_pairs_each_doc_with_its_own_labels(tokenizer):
    nlp = spacy.blank("en")
    docs = [nlp("Aspirin helps."), nlp("Cisplatin harms kidneys.")]
    pieces = tokenize_docs(tokenizer, docs)
    for p in pieces:
        assign_windows(p, 300, 236)
    template = PairTemplate.from_tokenizer(tokenizer)
    descs = [truncate_description(tokenizer, text, 20) for text in ("A drug.", "A disease.", "An organ.")]
    batches = list(plan_batches(pieces, descs, template, batch_size=8, doc_labels=[[2], [0, 1]]))
    assert sum(b.n_pairs for b in batches) == 3
    dest = numpy.concatenate([b.dest for b in batches])
    # doc 0: 3 tokens x 1 column, then doc 1: 4 tokens x 2 columns
    assert sorted(dest.tolist()) == list(range(3 * 1 + 4 * 2))

