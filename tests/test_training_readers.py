"""The training regimens' readers, schedules and callbacks on tiny real DocBins."""
from __future__ import annotations

import pytest
import spacy
import srsly
from spacy.tokens import DocBin, Span, SpanGroup

from spacy_juicer.corpora.doc_labels import get_doc_labels
from spacy_juicer.corpora.labels import LabelError
from spacy_juicer.training.blending import make_blended_corpus, silver_share
from spacy_juicer.training.callbacks import make_epoch_lr_decay
from spacy_juicer.training.kp_corpus import KnowledgePretrainingCorpus
from spacy_juicer.training.labelled_corpus import make_labelled_corpus

SILVER = [
    ("Aspirin reduces fever in children.", [(0, 1, "Drug"), (2, 3, "Symptom"), (4, 5, "Population")]),
    ("Rats were given cisplatin.", [(0, 1, "Species"), (3, 4, "Drug")]),
    ("The liver biopsy was normal.", [(1, 2, "Organ"), (2, 3, "Procedure")]),
    ("Mice developed tumours.", [(0, 1, "Species"), (2, 3, "Disease")]),
    ("Fever and cough persisted.", [(0, 1, "Symptom"), (2, 3, "Symptom")]),
    ("Surgery was performed in Boston.", [(0, 1, "Procedure"), (4, 5, "City")]),
]
TYPES = ["Drug", "Symptom", "Population", "Species", "Organ", "Procedure", "Disease", "City"]


@pytest.fixture()
def silver(tmp_path):
    nlp = spacy.blank("en")
    db = DocBin(store_user_data=True)
    for text, spans in SILVER:
        doc = nlp(text)
        group = [Span(doc, s, e, label=label) for s, e, label in spans]
        doc.spans["silver"] = SpanGroup(doc, name="silver", spans=group)
        doc.ents = group
        db.add(doc)
    db.to_disk(tmp_path / "silver.spacy")
    srsly.write_json(tmp_path / "descriptions.json", {t: f"A {t.lower()} of some kind." for t in TYPES})
    return nlp, tmp_path


def test_kp_step_keeps_docs_of_its_types_and_hides_the_others(silver):
    nlp, path = silver
    corpus = KnowledgePretrainingCorpus(
        path / "silver.spacy", path / "descriptions.json", min_types=2, max_types=2, negatives_per_step=1, epochs_per_step=2, seed=3
    )
    first = list(corpus(nlp))
    step = corpus._step
    chosen = set(step["types"])
    assert len(chosen) == 2 and len(step["negatives"]) <= 1 and not set(step["negatives"]) & chosen
    expected = {text for text, spans in SILVER if any(label in chosen for *_, label in spans)}
    assert {eg.reference.text for eg in first} == expected
    for eg in first:
        assert {e.label_ for e in eg.reference.ents} <= chosen
        assert eg.reference.ents, "every kept doc mentions a chosen type"
        labels = get_doc_labels(eg.predicted)
        assert set(labels) == chosen | set(step["negatives"]) == set(get_doc_labels(eg.reference))
        assert labels[next(iter(chosen))].startswith("A ")
    # negative types have no mention in the step's docs
    mentioned = {label for text, spans in SILVER if text in expected for *_, label in spans}
    assert not set(step["negatives"]) & mentioned
    # a step lasts epochs_per_step calls, then a new one is drawn
    list(corpus(nlp))
    assert corpus._step is step
    list(corpus(nlp))
    assert corpus._step is not step


def test_kp_reader_caps_docs_and_refuses_undescribed_silver(silver, tmp_path):
    nlp, path = silver
    corpus = KnowledgePretrainingCorpus(path / "silver.spacy", path / "descriptions.json", min_types=8, max_types=8, max_docs_per_step=2)
    assert len(list(corpus(nlp))) == 2
    srsly.write_json(tmp_path / "none.json", {"Unrelated": "Nothing here."})
    with pytest.raises(ValueError, match="no type"):
        list(KnowledgePretrainingCorpus(path / "silver.spacy", tmp_path / "none.json")(nlp))
    with pytest.raises(FileNotFoundError, match="critic"):
        KnowledgePretrainingCorpus(tmp_path / "missing.spacy", path / "descriptions.json")


def test_labelled_corpus_attaches_the_labels_to_both_docs(silver):
    nlp, path = silver
    read = make_labelled_corpus(str(path / "silver.spacy"), str(path / "descriptions.json"), limit=3)
    examples = list(read(nlp))
    assert len(examples) == 3
    for eg in examples:
        assert set(get_doc_labels(eg.predicted)) == set(TYPES) == set(get_doc_labels(eg.reference))


def test_schedules_follow_huang_et_al():
    T = 11
    assert [silver_share("simple_mix", t, 10) for t in (0, 4, 5, 9)] == [1.0, 1.0, 0.0, 0.0]
    assert silver_share("sigmoid", 5, T, k=8) == pytest.approx(0.5)
    assert silver_share("sigmoid", 0, T, k=32) == pytest.approx(1.0, abs=1e-6)
    assert silver_share("cosine", 0, T) == pytest.approx(1.0) and silver_share("cosine", 10, T) == pytest.approx(0.0)
    assert silver_share("cosine", 5, T) == pytest.approx(0.5)
    assert silver_share("power", 5, T, n=1.0) == pytest.approx(0.5)
    assert silver_share("power", 5, T, n=0.2) == pytest.approx(1 - 0.5**0.2)
    assert silver_share("power", 10, T, n=0.2) == pytest.approx(0.0)
    assert silver_share("all", 7, T) == 1.0
    with pytest.raises(ValueError, match="Unknown"):
        silver_share("linear", 0, T)


def test_blended_reader_mixes_the_scheduled_shares(silver):
    nlp, path = silver
    silver_reader = make_labelled_corpus(str(path / "silver.spacy"), str(path / "descriptions.json"))
    gold_path = path / "silver.spacy"
    gold_reader = make_labelled_corpus(str(gold_path), str(path / "descriptions.json"), limit=4)
    read = make_blended_corpus(silver_reader, gold_reader, schedule="power", epochs=3, n=1.0)
    sizes = [len(list(read(nlp))) for _ in range(3)]
    # power n=1: silver 1, 0.5, 0 of 6 docs; gold 0, 0.5, 1 of 4 docs
    assert sizes == [6 + 0, 3 + 2, 0 + 4]
    both = make_blended_corpus(silver_reader, gold_reader, schedule="all", epochs=3)
    assert len(list(both(nlp))) == 10
    # gold_per_epoch: each epoch a fresh sample of the whole gold corpus, not its first docs
    sampled = make_blended_corpus(silver_reader, gold_reader, schedule="gold", epochs=3, gold_per_epoch=2)
    epochs = [[eg.reference.text for eg in sampled(nlp)] for _ in range(8)]
    assert all(len(texts) == 2 for texts in epochs)
    assert len({text for texts in epochs for text in texts}) == 4  # all 4 gold docs over the run
    with pytest.raises(ValueError, match="gold_per_epoch"):
        make_blended_corpus(silver_reader, gold_reader, gold_per_epoch=-1)


def test_blend_reads_the_gold_every_epoch_so_its_views_change(silver):
    """KF blends silver with gold described by many views: a gold doc read once for the whole
    run would keep the wording it drew first."""
    nlp, path = silver
    views = {t: [f"A {t.lower()} of some kind.", t.lower(), f"{t.lower()}s"] for t in TYPES}
    srsly.write_json(path / "views.json", views)
    gold_reader = make_labelled_corpus(str(path / "silver.spacy"), str(path / "descriptions.json"), views=str(path / "views.json"))
    no_silver = KnowledgePretrainingCorpus(None, None)  # never read under schedule "gold"
    read = make_blended_corpus(no_silver, gold_reader, schedule="gold", epochs=3)
    first = [get_doc_labels(eg.predicted)["Drug"] for eg in read(nlp) if eg.reference.text.startswith("Aspirin")]
    seen = set(first)
    for _ in range(12):
        seen |= {get_doc_labels(eg.predicted)["Drug"] for eg in read(nlp) if eg.reference.text.startswith("Aspirin")}
    assert len(first) == 1 and len(seen) > 1
    with pytest.raises(LabelError, match="no silver corpus"):
        list(make_blended_corpus(no_silver, gold_reader, schedule="all", epochs=3)(nlp))


def test_epoch_lr_decay_sets_the_rate_of_each_epoch():
    from thinc.api import Adam

    nlp = spacy.blank("en")
    nlp._optimizer = Adam(1e-4)
    callback = make_epoch_lr_decay(1e-4, 0.95)
    callback(nlp, {"step": 10, "epoch": 2})
    assert nlp._optimizer.learn_rate == pytest.approx(1e-4 * 0.95**2)
    with pytest.raises(ValueError):
        make_epoch_lr_decay(1e-4, 1.5)


def test_bad_reader_and_rule_settings_are_clear_errors(silver):
    from spacy_juicer.corpora.labels import LabelError
    from spacy_juicer.student.loss import check_balance

    _, path = silver
    with pytest.raises(LabelError, match="labels file"):
        make_labelled_corpus(str(path / "silver.spacy"), "")
    with pytest.raises(ValueError, match="min_types"):
        KnowledgePretrainingCorpus(path / "silver.spacy", path / "descriptions.json", min_types=5, max_types=2)
    with pytest.raises(ValueError, match="per_type"):
        check_balance("per_role")
    with pytest.raises(ValueError, match="epochs"):
        make_blended_corpus(lambda nlp: iter(()), lambda nlp: iter(()), schedule="cosine", epochs=0)


def test_kp_draws_types_by_the_square_root_of_their_counts(silver):
    from collections import Counter

    nlp, path = silver
    corpus = KnowledgePretrainingCorpus(path / "silver.spacy", path / "descriptions.json", min_types=1, max_types=1, seed=0)
    corpus._load(nlp)
    draws = Counter(corpus.draw_step()["types"][0] for _ in range(4000))
    # Symptom has 3 mentions, City 1: drawn about sqrt(3) = 1.73 times as often
    assert 1.45 < draws["Symptom"] / draws["City"] < 2.05
