"""The zero_shot_ner component with the real MiniLM-L6 encoder."""
from __future__ import annotations

import warnings

import numpy
import pytest
import spacy
from spacy.scorer import Scorer

from spacy_juicer.corpora.labels import LabelError

from .conftest import LABELS, SMALL_MODEL, TRAIN, make_examples, needs_minilm

pytestmark = needs_minilm


def ents(doc):
    return [(e.start_char, e.end_char, e.label_) for e in doc.ents]


def test_overfits_two_types(trained_nlp):
    examples = make_examples(trained_nlp)
    scores = trained_nlp.evaluate(examples)
    span = Scorer.score_spans(
        [type(eg)(trained_nlp(eg.predicted.text), eg.reference) for eg in examples], "ents"
    )
    assert span["ents_f"] >= 0.9
    assert scores["ents_f"] >= 0.9
    doc = trained_nlp(TRAIN[0][0])
    group = doc.spans["zero_shot_ner"]
    assert [(s.start_char, s.end_char, s.label_) for s in group] == ents(doc)
    assert all(0.5 <= s <= 1.0 for s in group.attrs["scores"])


def test_to_disk_and_load_gives_identical_predictions(trained_nlp, tmp_path):
    trained_nlp.to_disk(tmp_path / "pipeline")
    loaded = spacy.load(tmp_path / "pipeline")
    texts = [text for text, _ in TRAIN] + ["Tamoxifen is used against breast cancer."]
    before = list(trained_nlp.pipe(texts))
    after = list(loaded.pipe(texts))
    assert [ents(d) for d in before] == [ents(d) for d in after]
    for a, b in zip(before, after):
        assert a.spans["zero_shot_ner"].attrs["scores"] == pytest.approx(b.spans["zero_shot_ner"].attrs["scores"], abs=1e-5)
    assert loaded.get_pipe("zero_shot_ner").label_descriptions == LABELS


def test_labels_change_at_run_time_without_retraining(trained_nlp, tmp_path):
    ner = trained_nlp.get_pipe("zero_shot_ner")
    try:
        ner.set_labels({"Drug": LABELS["Chemical"]})
        doc = trained_nlp(TRAIN[0][0])
        assert {e.label_ for e in doc.ents} <= {"Drug"}
        assert ("Aspirin", "Drug") in [(e.text, e.label_) for e in doc.ents]
        ner.add_label("Disease", LABELS["Disease"])
        assert ner.labels == ("Drug", "Disease")
        doc = trained_nlp(TRAIN[0][0])
        assert {"Drug", "Disease"} == {e.label_ for e in doc.ents}
        trained_nlp.to_disk(tmp_path / "relabelled")
        assert spacy.load(tmp_path / "relabelled").get_pipe("zero_shot_ner").labels == ("Drug", "Disease")
    finally:
        ner.set_labels(LABELS)


def test_long_doc_gets_entities_beyond_the_first_window(trained_nlp):
    sentence = "Patients with diabetes were given metformin daily. "
    filler = "No adverse events were reported in this cohort. "
    text = filler * 350 + sentence  # about 3,000 words, the entities at the very end
    doc = trained_nlp(text)
    assert len(doc) > 3000
    found = [(e.text, e.label_) for e in doc.ents if e.start > 3000]
    assert found == [("diabetes", "Disease"), ("metformin", "Chemical")]


def test_empty_whitespace_and_non_ascii_docs(trained_nlp):
    docs = list(trained_nlp.pipe(["", "   \n\t ", "Cisplatin caused renal failure — in 2 patients ☺.", "Ärzte gaben Aspirin."]))
    assert docs[0].ents == () and docs[1].ents == ()
    assert ("Cisplatin", "Chemical") in [(e.text, e.label_) for e in docs[2].ents]
    for doc in docs:
        assert len(doc.spans["zero_shot_ner"]) == len(doc.ents)


def test_ten_thousand_word_doc(trained_nlp):
    text = "Aspirin was given. " * 2500  # 10,000 tokens
    ner = trained_nlp.get_pipe("zero_shot_ner")
    ner.set_labels({"Chemical": LABELS["Chemical"]})
    try:
        doc = trained_nlp(text)
    finally:
        ner.set_labels(LABELS)
    assert len(doc) == 10_000
    starts = [e.start for e in doc.ents if e.text == "Aspirin"]
    assert len(starts) >= 2400  # nearly every mention, at the start, middle and end
    assert starts[0] == 0 and starts[-1] == 9996


def test_more_labels_than_one_encoder_batch(trained_nlp):
    ner = trained_nlp.get_pipe("zero_shot_ner")
    many = {f"Type{i}": f"An entity of kind number {i}." for i in range(40)}
    many.update(LABELS)
    ner.set_labels(many)
    try:
        docs = list(trained_nlp.pipe([text for text, _ in TRAIN[:3]], batch_size=2))
        scores = ner.predict(docs)
    finally:
        ner.set_labels(LABELS)
    assert [s.shape for s in scores] == [(len(d), 42, 2) for d in docs]
    assert all(e.label_ in many for d in docs for e in d.ents)


def test_overlapping_output_to_a_spans_key(trained_nlp):
    ner = trained_nlp.get_pipe("zero_shot_ner")
    ner.cfg["spans_key"] = "zsner"
    try:
        doc = trained_nlp(TRAIN[1][0])
    finally:
        ner.cfg["spans_key"] = None
    assert doc.ents == ()
    found = {(s.text, s.label_) for s in doc.spans["zsner"]}
    assert {("diabetes", "Disease"), ("metformin", "Chemical")} <= found
    assert len(doc.spans["zsner"].attrs["scores"]) == len(doc.spans["zsner"])


def test_empty_and_duplicate_labels_are_refused(trained_nlp):
    ner = trained_nlp.get_pipe("zero_shot_ner")
    with pytest.raises(LabelError, match="at least one"):
        ner.set_labels({})
    with pytest.raises(LabelError, match="duplicate"):
        ner.set_labels(["Gene", "Gene"])
    with pytest.raises(LabelError, match="empty"):
        ner.set_labels({"": "nothing"})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ner.set_labels(["Gene"] + [f"type {i}" for i in range(500)])
    assert not caught  # names are a supported form of a type: no warning, however many
    ner.set_labels(LABELS)
    assert ner.labels == ("Chemical", "Disease")


def test_no_labels_gives_a_clear_error():
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"model": SMALL_MODEL})
    with pytest.raises(LabelError, match="no entity types"):
        nlp.initialize(lambda: make_examples(nlp, [("No entities here.", [])]))
    with pytest.raises(LabelError, match="set_labels"):
        nlp.get_pipe("zero_shot_ner").predict([nlp.make_doc("text")])


def test_labels_come_from_a_file_and_from_the_data(tmp_path):
    import srsly

    path = tmp_path / "labels.jsonl"
    srsly.write_jsonl(path, [{"label": "Chemical", "description": LABELS["Chemical"]}])
    nlp = spacy.blank("en")
    ner = nlp.add_pipe("zero_shot_ner", config={"model": SMALL_MODEL})
    ner.initialize(lambda: make_examples(nlp), nlp=nlp, labels=str(path))  # Disease: by its name
    assert ner.label_descriptions == {"Chemical": LABELS["Chemical"], "Disease": "Disease"}


def test_other_type_weight_scales_an_entity_tokens_other_type_entries(trained_nlp):
    ner = trained_nlp.get_pipe("zero_shot_ner")
    rng = numpy.random.default_rng(1)
    logits = [rng.normal(size=(4, 3, 2)).astype("f")]
    targets = [numpy.array([0, 1, 3, 0], dtype="i")]
    saved = ner.cfg["other_type_weight"]
    try:
        ner.cfg["other_type_weight"] = 1.0
        full = ner._loss(logits, targets)[1][0]
        ner.cfg["other_type_weight"] = 0.0
        none = ner._loss(logits, targets)[1][0]
    finally:
        ner.cfg["other_type_weight"] = saved
    # token 1 is type column 0: its columns 1 and 2 no longer push; its own column still does
    assert numpy.allclose(none[1, 1:], 0.0) and numpy.allclose(none[2, :2], 0.0)
    assert not numpy.allclose(none[1, 0], 0.0) and not numpy.allclose(full[1, 1:], 0.0)
    # a gradient on "this type" is the opposite of the one on "no entity": one margin per entry
    numpy.testing.assert_allclose(full[..., 0], -full[..., 1])


def test_other_type_weight_outside_0_1_is_a_clear_error():
    import spacy

    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="other_type_weight must be in"):
        nlp.add_pipe("zero_shot_ner", config={"model": SMALL_MODEL, "other_type_weight": 1.5})


UNRELATED = {
    "Person": "A person, such as a patient, an author or a physician, named by name.",
    "Country": "A country or nation, such as France or Japan.",
    "Organization": "An organization, such as a company, university or agency.",
    "City": "A city or town, such as Boston or Paris.",
    "Date": "A calendar date or year, such as 12 May 2004 or 1998.",
    "Gene": "A gene or gene product such as BRCA1 or p53.",
    "Cell type": "A kind of cell, such as a T cell or a neuron.",
    "Species": "A species of organism, such as rats, mice or humans.",
    "Anatomy": "A part of the body, such as the liver or the kidney.",
    "Procedure": "A medical procedure, such as surgery or a biopsy.",
}


def _f1(nlp, labels):
    from spacy_juicer.student.scorer import score_zero_shot_ner

    ner = nlp.get_pipe("zero_shot_ner")
    ner.set_labels(labels)
    try:
        examples = make_examples(nlp)
        for eg in examples:
            eg.predicted = nlp(eg.predicted.text)
    finally:
        ner.set_labels(LABELS)
    return score_zero_shot_ner(examples, labels=list(LABELS))["ents_f"]


def test_seen_types_survive_ten_unrelated_labels(trained_nlp):
    """The per-type negative class with pool negatives: adding labels cannot veto a token."""
    alone = _f1(trained_nlp, LABELS)
    crowded = _f1(trained_nlp, {**LABELS, **UNRELATED})
    assert alone >= 0.9
    assert crowded >= alone - 0.1


def test_each_doc_can_carry_its_own_labels(trained_nlp):
    from spacy_juicer.corpora.doc_labels import set_doc_labels

    docs = [trained_nlp.make_doc(TRAIN[0][0]), trained_nlp.make_doc(TRAIN[0][0])]
    set_doc_labels(docs[0], {"Chemical": LABELS["Chemical"]})
    own, default = list(trained_nlp.pipe(docs))
    assert {e.label_ for e in own.ents} == {"Chemical"}
    assert {e.label_ for e in default.ents} == {"Chemical", "Disease"}
    scores = trained_nlp.get_pipe("zero_shot_ner").score(make_examples(trained_nlp)[:1])
    assert set(scores["ents_per_type"]) <= set(LABELS)


def test_one_description_alone_tags_only_its_own_type(trained_nlp):
    """Description sensitivity: given only Chemical's description, the disease mentions stay
    untagged (entity tokens learn "not this type" for the other types at full weight)."""
    ner = trained_nlp.get_pipe("zero_shot_ner")
    ner.set_labels({"Chemical": LABELS["Chemical"]})
    try:
        docs = [trained_nlp(text) for text, _ in TRAIN]
    finally:
        ner.set_labels(LABELS)
    diseases = [(d, s, e) for d, (text, ents) in enumerate(TRAIN) for s, e, label in ents if label == "Disease"]
    tagged = sum(any(ent.start_char < e and s < ent.end_char for ent in docs[d].ents) for d, s, e in diseases)
    chemicals = {ent.text for doc in docs for ent in doc.ents}
    assert tagged <= 1, f"{tagged} of {len(diseases)} disease mentions tagged as Chemical"
    assert {"Aspirin", "metformin", "Cisplatin"} <= chemicals


def test_gold_comes_from_gold_spans_key_when_set():
    from spacy.tokens import Span
    from spacy.training import Example
    from thinc.api import Model

    from spacy_juicer.student.pipeline_component import ZeroShotNER

    nlp = spacy.blank("en")
    reference = nlp("Aspirin treats headache")
    reference.spans["gold"] = [Span(reference, 0, 1, "Drug"), Span(reference, 0, 3, "Claim")]
    reference.ents = [Span(reference, 2, 3, "Symptom")]
    example = Example(nlp.make_doc(reference.text), reference)
    model = Model("unused", lambda model, X, is_train: (X, lambda dY: dY))
    from_spans = ZeroShotNER(nlp.vocab, model, gold_spans_key="gold")
    assert from_spans._aligned_gold(example) == [(0, 1, "Drug"), (0, 3, "Claim")]
    assert ZeroShotNER(nlp.vocab, model)._aligned_gold(example) == [(2, 3, "Symptom")]
    assert ZeroShotNER(nlp.vocab, model, gold_spans_key="other")._aligned_gold(example) == []
