"""CoNLL converter: tag schemes, layouts, errors, and the published corpus counts."""
from collections import Counter
from pathlib import Path

import pytest
import spacy

from spacy_juicer.corpora.conll import normalize_tag, read_conll
from spacy_juicer.corpora.stats import ConversionError, ConversionStats

DATA = Path(__file__).parent / "data"
VOCAB = spacy.blank("en").vocab


def ents(doc):
    return [(e.text, e.label_) for e in doc.ents]


def test_bio_docstart_and_i_after_o():
    stats = ConversionStats()
    docs = list(read_conll(DATA / "bio.tsv", VOCAB, stats=stats))
    assert len(docs) == 2
    assert ents(docs[0]) == [("New York", "LOC"), ("John Smith", "PER"), ("Mary", "PER")]
    # an I- tag after O starts an entity (conlleval), as in the README's counts
    assert ents(docs[1]) == [("acme corp", "ORG"), ("foo", "ORG")]
    assert stats.docs == 2 and stats.kept == Counter(LOC=1, PER=2, ORG=2)
    assert docs[0].text == "In New York , John Smith Mary"
    assert docs[0].user_data["id"] == "bio.tsv:0"


def test_iob1_space_separated_last_column():
    docs = list(read_conll(DATA / "iob1.txt", VOCAB))
    assert len(docs) == 1
    # B- separates two adjacent entities of one type
    assert ents(docs[0]) == [("EU", "ORG"), ("German", "MISC"), ("British", "MISC")]


def test_tag_col_picks_another_column():
    docs = list(read_conll(DATA / "iob1.txt", VOCAB, tag_col=2))
    assert ents(docs[0]) == [("EU", "NP"), ("rejects", "VP"), ("German", "NP"),
                             ("British lamb", "NP")]


def test_io_bare_labels_and_label_map():
    stats = ConversionStats()
    docs = list(read_conll(DATA / "io.tsv", VOCAB, label_map={"Chemical": "O"}, stats=stats))
    assert ents(docs[0]) == [("heart attack", "Disease")]
    assert stats.dropped == Counter(Chemical=1)
    docs = list(read_conll(DATA / "io.tsv", VOCAB, scheme="io", label_map={"Disease": "D"}))
    assert ents(docs[0]) == [("aspirin", "Chemical"), ("heart attack", "D")]


def test_scheme_validation():
    assert normalize_tag("S-X", "bioes") == "B-X"
    assert normalize_tag("E-X", "bioes") == "I-X"
    assert normalize_tag("S-X", "bio") is None
    assert normalize_tag("B-X", "io") is None
    assert normalize_tag("B-creative-work") == "B-creative-work"
    with pytest.raises(ConversionError, match=r"io.tsv:1: tag 'Chemical'"):
        list(read_conll(DATA / "io.tsv", VOCAB, scheme="bio"))


def test_malformed_line_names_file_and_line():
    with pytest.raises(ConversionError, match=r"bad.tsv:3:"):
        list(read_conll(DATA / "bad.tsv", VOCAB))


@pytest.mark.parametrize(
    "rel,sentences,counts",
    [
        ("ncbi-disease/conll/devel.tsv", 923, {"Disease": 787}),
        ("bc5cdr/iob/devel.tsv", 4581, {"Chemical": 5347, "Disease": 4246}),
        ("bc2gm/devel.tsv", 2519, {"GENE": 3061}),
        ("jnlpba/devel.tsv", 1739,
         {"protein": 2466, "DNA": 1052, "cell_type": 526, "cell_line": 400, "RNA": 107}),
        ("wnut17/emerging.dev.conll", 1009,
         {"person": 470, "product": 114, "creative-work": 105, "location": 74, "group": 39,
          "corporation": 34}),
        ("conll2003/dev.txt", 3250, {"PER": 1842, "LOC": 1837, "ORG": 1341, "MISC": 922}),
    ],
)
def test_published_counts(data_dir, rel, sentences, counts):
    path = data_dir / rel
    if not path.is_file():
        pytest.skip(f"{rel} not in the data mirror")
    stats = ConversionStats()
    n = sum(1 for _ in read_conll(path, VOCAB, stats=stats))
    assert n == stats.docs == sentences
    assert dict(stats.kept) == counts
