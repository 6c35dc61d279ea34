"""The zero-shot NER scorer against hand-computed examples."""
import pytest
import spacy
from spacy.scorer import Scorer
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


def test_overlapping_spans_of_two_types_are_all_scored():
    # gold: A 0-4 with a nested A 0-2, B 1-3 crossing both, B 6-8
    gold = [(0, 4, "A"), (0, 2, "A"), (1, 3, "B"), (6, 8, "B")]
    # A 0-4 right, A 1-3 wrong, B 1-3 right, B 2-4 wrong, A 6-8 wrong type (B 6-8 missed)
    pred = [(0, 4, "A"), (1, 3, "A"), (1, 3, "B"), (2, 4, "B"), (6, 8, "A")]
    s = score_zero_shot_ner([example(list("abcdefghij"), gold, pred, key="sc")], spans_key="sc")
    # spans: A tp1 fp2 fn1; B tp1 fp1 fn1
    assert s["ents_per_type"]["A"] == approx({"p": 1 / 3, "r": 1 / 2, "f": 0.4})
    assert s["ents_per_type"]["B"] == approx({"p": 1 / 2, "r": 1 / 2, "f": 1 / 2})
    assert s["ents_p"] == pytest.approx(2 / 5)
    assert s["ents_r"] == pytest.approx(1 / 2)
    assert s["ents_f"] == pytest.approx(4 / 9)
    assert s["span_macro_p"] == pytest.approx(5 / 12)
    assert s["span_macro_r"] == pytest.approx(1 / 2)
    assert s["span_macro_f"] == pytest.approx(0.45)
    # tokens: gold A {0,1,2,3}, B {1,2,6,7}; predicted A {0,1,2,3,6,7}, B {1,2,3}
    assert s["tok_per_type"]["A"] == approx({"p": 2 / 3, "r": 1.0, "f": 0.8})
    assert s["tok_per_type"]["B"] == approx({"p": 2 / 3, "r": 1 / 2, "f": 4 / 7})
    assert s["tok_micro_p"] == pytest.approx(6 / 9)
    assert s["tok_micro_r"] == pytest.approx(6 / 8)


def test_nested_gold_mention_is_a_miss_not_dropped():
    gold = [(0, 3, "A"), (1, 2, "B")]
    s = score_zero_shot_ner([example(list("abcd"), gold, [(0, 3, "A")], key="sc")], spans_key="sc")
    assert s["ents_p"] == pytest.approx(1.0)
    assert s["ents_r"] == pytest.approx(1 / 2)
    assert s["ents_per_type"]["B"] == approx({"p": 0.0, "r": 0.0, "f": 0.0})


def test_missing_spans_group_means_no_spans():
    eg = example(WORDS, GOLD, PRED, key="sc")
    s = score_zero_shot_ner([eg], spans_key="other")
    assert s["ents_f"] == 0.0 and s["ents_per_type"] == {}


def test_gold_and_predictions_under_different_keys_of_one_doc():
    doc = make_doc(WORDS, GOLD)  # gold in doc.ents
    doc.spans["sc"] = [Span(doc, s, e, label=label) for s, e, label in PRED]
    s = score_zero_shot_ner([Example(doc, doc)], spans_key="sc", gold_spans_key=None)
    assert s == score_zero_shot_ner([example(WORDS, GOLD, PRED)])
    assert list(doc.spans["sc"]) and len(doc.ents) == 3  # the doc is left as it was


def test_ents_mode_equals_spacy_score_spans():
    examples = [
        example(WORDS, GOLD, PRED),
        example(["x", "y", "z"], [(0, 1, "A"), (1, 3, "C")], [(0, 1, "A"), (1, 3, "B")]),
        example(["x", "y"], [], [(0, 2, "D")]),
    ]
    ours = score_zero_shot_ner(examples)
    spacys = Scorer.score_spans(examples, "ents")
    for key in ("ents_p", "ents_r", "ents_f", "ents_per_type"):
        assert ours[key] == spacys[key]
    assert set(ours["ents_per_type"]) == {"A", "B", "C", "D"}


def test_macro_counts_asked_labels_without_gold():
    s = score_zero_shot_ner([example(WORDS, GOLD, PRED)], labels=["A", "C", "D"])
    # A: P 1, R 1/2; C predicted with no gold: zeros, in the mean; D: no evidence, left out
    assert set(s["ents_per_type"]) == {"A", "C"}
    assert s["span_macro_p"] == pytest.approx((1.0 + 0.0) / 2)
    assert s["span_macro_r"] == pytest.approx((0.5 + 0.0) / 2)
    assert s["span_macro_f"] == pytest.approx((2 / 3 + 0.0) / 2)
    assert set(s["tok_per_type"]) == {"A", "C"}
    assert s["tok_macro_f"] == pytest.approx((0.8 + 0.0) / 2)


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
