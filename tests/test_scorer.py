"""The zero-shot NER scorer against hand-computed examples."""
import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example

from spacy_juicer.student.scorer import SCORER_NAME, score_zero_shot_ner

NLP = spacy.blank("en")


def make_doc(words, ents, key=None):
    doc = Doc(NLP.vocab, words=words)
    spans = [Span(doc, s, e, label=label) for s, e, label in ents]
    if key is None:
        doc.ents = spans
    else:
        doc.spans[key] = spans
    return doc


def example(words, gold, pred, key=None):
    return Example(make_doc(words, pred, key), make_doc(words, gold, key))


WORDS = list("abcdefgh")
GOLD = [(0, 2, "A"), (3, 4, "B"), (5, 6, "A")]
# exact A, B with a wrong right boundary (partial overlap), missed A, C with no gold at all
PRED = [(0, 2, "A"), (3, 5, "B"), (7, 8, "C")]


def approx(d):
    return {k: pytest.approx(v) for k, v in d.items()}


def test_partial_overlap_and_type_without_gold():
    s = score_zero_shot_ner([example(WORDS, GOLD, PRED)])
    # spans: tp=1 of 3 predicted, 3 gold
    assert s["ents_p"] == pytest.approx(1 / 3)
    assert s["ents_r"] == pytest.approx(1 / 3)
    assert s["ents_f"] == pytest.approx(1 / 3)
    assert s["ents_per_type"]["A"] == approx({"p": 1.0, "r": 0.5, "f": 2 / 3})
    assert s["ents_per_type"]["B"] == approx({"p": 0.0, "r": 0.0, "f": 0.0})
    # C was predicted but has no gold mention: it counts, with zeros
    assert s["ents_per_type"]["C"] == approx({"p": 0.0, "r": 0.0, "f": 0.0})
    assert s["span_macro_p"] == pytest.approx(1 / 3)
    assert s["span_macro_r"] == pytest.approx(1 / 6)
    assert s["span_macro_f"] == pytest.approx(2 / 9)
    # tokens: A tp2 fn1; B tp1 fp1; C fp1
    assert s["tok_per_type"]["A"] == approx({"p": 1.0, "r": 2 / 3, "f": 0.8})
    assert s["tok_per_type"]["B"] == approx({"p": 0.5, "r": 1.0, "f": 2 / 3})
    assert s["tok_per_type"]["C"] == approx({"p": 0.0, "r": 0.0, "f": 0.0})
    assert s["tok_micro_p"] == pytest.approx(3 / 5)
    assert s["tok_micro_r"] == pytest.approx(3 / 4)
    assert s["tok_micro_f"] == pytest.approx(2 / 3)
    assert s["tok_macro_p"] == pytest.approx(0.5)
    assert s["tok_macro_r"] == pytest.approx(5 / 9)
    assert s["tok_macro_f"] == pytest.approx(22 / 45)


def test_labels_restrict_scored_types():
    s = score_zero_shot_ner([example(WORDS, GOLD, PRED)], labels=["A", "B", "D"])
    # C is ignored on both sides; D has neither gold nor predictions: left out of the macro
    assert set(s["ents_per_type"]) == {"A", "B"}
    assert set(s["tok_per_type"]) == {"A", "B"}
    assert s["ents_p"] == pytest.approx(0.5)
    assert s["ents_r"] == pytest.approx(1 / 3)
    assert s["ents_f"] == pytest.approx(0.4)
    assert s["span_macro_p"] == pytest.approx(0.5)
    assert s["span_macro_r"] == pytest.approx(0.25)
    assert s["span_macro_f"] == pytest.approx(1 / 3)
    assert s["tok_micro_f"] == pytest.approx(0.75)
    assert s["tok_macro_r"] == pytest.approx(5 / 6)
    assert s["tok_macro_f"] == pytest.approx(11 / 15)


def test_gold_of_unasked_type_is_not_a_miss():
    s = score_zero_shot_ner([example(WORDS, GOLD, [(0, 2, "A")])], labels=["A"])
    assert s["ents_p"] == pytest.approx(1.0)
    assert s["ents_r"] == pytest.approx(0.5)  # the other A is missed; B is not asked for


def test_empty_prediction():
    s = score_zero_shot_ner([example(WORDS, GOLD, [])])
    for key in ("ents_p", "ents_r", "ents_f", "span_macro_f", "tok_micro_p", "tok_macro_f"):
        assert s[key] == 0.0
    assert set(s["ents_per_type"]) == {"A", "B"}
    assert s["tok_per_type"]["A"] == approx({"p": 0.0, "r": 0.0, "f": 0.0})


def test_nothing_anywhere():
    s = score_zero_shot_ner([example(WORDS, [], [])])
    assert s["ents_f"] == 0.0 and s["tok_macro_f"] == 0.0
    assert s["ents_per_type"] == {} and s["tok_per_type"] == {}
    assert score_zero_shot_ner([])["ents_f"] == 0.0


def test_multi_doc_pools_counts():
    examples = [
        example(["x", "y"], [(0, 1, "A")], [(0, 1, "A")]),
        example(["x", "y"], [(1, 2, "A")], []),
        # a span ending a doc and one starting the next must not merge
        example(["x", "y"], [(1, 2, "B")], [(1, 2, "B")]),
        example(["x", "y"], [(0, 1, "B")], [(0, 1, "B")]),
    ]
    s = score_zero_shot_ner(examples)
    assert s["ents_p"] == pytest.approx(1.0)
    assert s["ents_r"] == pytest.approx(3 / 4)
    assert s["ents_per_type"]["A"] == approx({"p": 1.0, "r": 0.5, "f": 2 / 3})
    assert s["ents_per_type"]["B"] == approx({"p": 1.0, "r": 1.0, "f": 1.0})
    assert s["span_macro_f"] == pytest.approx((2 / 3 + 1) / 2)


def test_adjacent_same_type_spans_are_distinct():
    # gold: two adjacent A spans; prediction: one merged span -> no match
    s = score_zero_shot_ner([example(["a", "b"], [(0, 1, "A"), (1, 2, "A")], [(0, 2, "A")])])
    assert s["ents_p"] == 0.0 and s["ents_r"] == 0.0
    assert s["tok_micro_f"] == pytest.approx(1.0)


def test_spans_key_and_overlaps():
    gold = [(0, 3, "A"), (1, 2, "B")]  # overlapping: the longest is kept
    s = score_zero_shot_ner([example(list("abcd"), gold, [(0, 3, "A")], key="sc")], spans_key="sc")
    assert s["ents_f"] == pytest.approx(1.0)
    assert set(s["ents_per_type"]) == {"A"}


def test_different_tokenization_is_aligned():
    ref = Doc(NLP.vocab, words=["New", "York", "is"], spaces=[True, True, False])
    ref.ents = [Span(ref, 0, 2, label="GPE")]
    pred = Doc(NLP.vocab, words=["New York", "is"], spaces=[True, False])
    pred.ents = [Span(pred, 0, 1, label="GPE")]
    s = score_zero_shot_ner([Example(pred, ref)])
    assert s["ents_f"] == pytest.approx(1.0)
    assert s["tok_micro_f"] == pytest.approx(1.0)


def test_registered_and_contract_keys():
    scorer = spacy.registry.scorers.get(SCORER_NAME)()
    assert scorer is score_zero_shot_ner
    s = scorer([example(WORDS, GOLD, PRED)], unknown_option=True)
    expected = {
        "ents_p", "ents_r", "ents_f", "span_macro_p", "span_macro_r", "span_macro_f",
        "tok_micro_p", "tok_micro_r", "tok_micro_f", "tok_macro_p", "tok_macro_r",
        "tok_macro_f", "ents_per_type", "tok_per_type",
    }
    assert set(s) == expected
    assert all(isinstance(s[k], float) for k in expected - {"ents_per_type", "tok_per_type"})
