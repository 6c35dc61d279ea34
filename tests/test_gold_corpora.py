"""KF on many gold corpora: each step reads one corpus, scores its own types (and negatives from
the shipped pool), and never asks a corpus about a type that only another corpus annotates."""
from __future__ import annotations

import pytest
import spacy
import srsly

from spacy_juicer.corpora.doc_labels import get_doc_labels
from spacy_juicer.corpora.labels import LabelError
from spacy_juicer.training.gold_corpora import make_gold_corpora

from .conftest import LABELS, write_gold

SPECIES = [
    ("Rats were given lithium.", [(0, 4, "Species")]),
    ("Mice and rats differ.", [(0, 4, "Species"), (9, 13, "Species")]),
]


def test_each_step_reads_one_corpus_and_its_own_types(tmp_path):
    first = write_gold(tmp_path, "chem")
    second = write_gold(tmp_path, "species", data=SPECIES, labels={"Species": "An animal species."})
    reader = make_gold_corpora(
        [str(first[0]), str(second[0])], [str(first[1]), str(second[1])],
        spans_key=None, min_types=2, max_types=3, negatives_per_step=1, min_type_count=1, seed=0,
    )
    nlp = spacy.blank("en")
    seen = set()
    for _ in range(12):
        examples = list(reader(nlp))
        texts = {eg.reference.text for eg in examples}
        from_species = texts <= {text for text, _ in SPECIES}
        assert from_species or not (texts & {text for text, _ in SPECIES})  # one corpus a step
        seen.add(from_species)
        for eg in examples:
            labels = get_doc_labels(eg.predicted)
            assert labels == get_doc_labels(eg.reference)
            own = {"Species"} if from_species else set(LABELS)
            other = set(LABELS) if from_species else {"Species"}
            assert not (set(labels) & other)  # never another corpus's type
            assert set(labels) & own and len(labels) >= 3 + 1  # filled up from the shipped pool
            assert {e.label_ for e in eg.reference.ents} <= own
    assert seen == {True, False}


def test_a_shared_type_takes_the_first_description_and_missing_corpora_are_clear(tmp_path):
    first = write_gold(tmp_path, "a")
    srsly.write_json(tmp_path / "b.labels.json", {"Chemical": "chemical"})
    reader = make_gold_corpora([str(first[0]), str(first[0])], [str(first[1]), str(tmp_path / "b.labels.json")],
                               spans_key=None, min_type_count=1)
    for eg in reader(spacy.blank("en")):
        assert get_doc_labels(eg.predicted)["Chemical"] == LABELS["Chemical"]
    with pytest.raises(LabelError, match="at least one"):
        make_gold_corpora([], [])
    with pytest.raises(FileNotFoundError, match="split"):
        make_gold_corpora([str(tmp_path / "missing.spacy")], [str(first[1])])
