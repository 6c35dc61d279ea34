"""A described type is read by its name too, and a token is of the type only where both
readings find it, each at its own threshold (``check_names``)."""
import math

import numpy
import pytest
import spacy

from spacy_juicer.student.inputs import ZeroShotInput
from spacy_juicer.student.name_check import checked, join, name_of, with_names

from .conftest import LABELS, needs_minilm


def test_a_label_is_read_by_the_name_a_user_would_say_unless_it_is_a_code():
    assert name_of("GENE") == "gene" and name_of("cell_type") == "cell type" and name_of("PER") == "person"
    assert name_of("DNA") == "DNA" and name_of("Disease") == "disease"
    for code in ("T047", "LABEL_1", "X", "B-12", "a_very_long_label_of_many_words_here"):
        assert name_of(code) is None, code
    labels = {"Chemical": "A drug, such as aspirin.", "gene": "gene", "T047": "A disease.", "cell_line": ""}
    # described and named: only Chemical (gene is given by name, T047 is a code, cell_line has no text)
    assert checked(labels) == [0]


def test_each_doc_gets_its_checked_types_names_after_its_own_columns():
    nlp = spacy.blank("en")
    docs = [nlp("Aspirin helps."), nlp("Cancer hurts.")]
    inputs = ZeroShotInput(docs, ["A drug.", "A disease.", "disease"], doc_labels=[[0, 1], [2]])
    labels = [{"Chemical": "A drug.", "Disease": "A disease."}, {"Disease": "disease"}]
    read_twice = with_names(inputs, labels)
    assert read_twice.descriptions == ["A drug.", "A disease.", "disease", "chemical"]
    # doc 0: its two types, then "chemical" (new) and "disease" (a text the batch has already)
    assert [list(read_twice.labels_of(d)) for d in range(2)] == [[0, 1, 3, 2], [2]]
    # nothing to check (names only): the same input, no column added
    assert with_names(inputs, [{"Disease": "disease"}, {"Disease": "disease"}]) is inputs


def test_the_lower_reading_against_its_own_threshold_stands():
    labels = {"Chemical": "A drug.", "Disease": "A disease."}
    t, tn = 0.5, 0.9  # described at 0.5 (logit 0), names at 0.9 (logit 2.197)
    gap = math.log(0.9 / 0.1)
    given = numpy.array([[3.0, 0.0], [3.0, 0.0], [-1.0, 0.0]])  # margins 3, 3, -1 over 0
    name = numpy.array([[4.0, 0.0], [2.0, 0.0], [9.0, 0.0]])  # margins 4, 2, 9 over 2.197
    other = numpy.array([[1.0, 0.0]] * 3)
    other_name = numpy.array([[-5.0, 0.0]] * 3)
    scores = numpy.stack([given, other, name, other_name], axis=1)  # (3 tokens, 2 types + 2 names, 2)
    kept = join(scores, labels, [t, t], tn)
    assert kept.shape == (3, 2, 2)
    # token 0: the name's margin over its threshold (4 - 2.197) is lower than the description's (3)
    numpy.testing.assert_allclose(kept[:, 0, 0], [4.0 - gap, 2.0 - gap, -1.0])
    numpy.testing.assert_allclose(kept[:, 1, 0], [-5.0 - gap] * 3)
    with pytest.raises(ValueError, match="columns"):
        join(scores[:, :3], labels, [t, t], tn)


@needs_minilm
def test_the_component_keeps_a_described_type_only_where_its_name_agrees(trained_nlp):
    ner = trained_nlp.get_pipe("zero_shot_ner")
    assert ner.cfg["check_names"] is False  # the default: calibrate turns it on when the dev types gain
    texts = ["Cisplatin caused renal failure in two patients.", "Aspirin reduces the risk of myocardial infarction."]

    def ents(**settings):
        with ner.using(**settings):
            return [[(e.text, e.label_) for e in doc.ents] for doc in trained_nlp.pipe(texts)]

    with ner.using(labels=LABELS, check_names=True):
        docs = [trained_nlp.make_doc(t) for t in texts]
        assert [s.shape[1] for s in ner.predict(docs)] == [4, 4]  # two types, then their names
        with ner.using(check_names=False):
            assert [s.shape[1] for s in ner.predict(docs)] == [2, 2]
        unchecked = ents(threshold=0.5, check_names=False)
        assert any(unchecked)
        # names held to 0: the check never vetoes; held to 1: it vetoes every described type
        assert ents(threshold=0.5, name_threshold=0.0) == unchecked
        assert ents(threshold=0.5, name_threshold=1.0) == [[], []]
        # read with the names but decoded without the check: the same entities as never reading them
        scores = ner.predict(docs)
        with ner.using(check_names=False, threshold=0.5):
            decoded = [doc.copy() for doc in docs]
            ner.set_annotations(decoded, scores)
        assert [[(e.text, e.label_) for e in doc.ents] for doc in decoded] == unchecked
    # types given by name alone are read once, as before
    with ner.using(labels=["chemical", "disease"], check_names=True):
        assert [s.shape[1] for s in ner.predict(docs)] == [2, 2]
    assert ner.cfg["check_names"] is False
