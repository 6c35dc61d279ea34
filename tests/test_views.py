"""Many views of every type: what the views file holds, and that training readers draw them."""
import json
import random

import pytest
import spacy

from spacy_juicer.corpora.doc_labels import get_doc_labels
from spacy_juicer.corpora.labels import LabelError
from spacy_juicer.corpora.views import draw, first_sentence, plural, read_views, top_mentions, type_views
from spacy_juicer.training.labelled_corpus import make_labelled_corpus

from .conftest import LABELS, write_gold


def test_type_views_cover_answers_one_liners_examples_and_names():
    answer = "A drug is a substance used to treat a disease. It is given by mouth or injection."
    views = type_views("Drug", [answer], mentions=["aspirin", "Aspirin", "ibuprofen", "aspirin", "insulin"])
    assert views[0] == answer
    assert "A drug is a substance used to treat a disease." in views
    assert "Drug, such as aspirin, ibuprofen or insulin." in views
    assert "A drug is a substance used to treat a disease, e.g. 'aspirin', 'ibuprofen', 'insulin'." in views
    assert views[-3:] == ["Drug", "drug", "drugs"]
    assert len(views) == len(set(views))


def test_helpers():
    assert plural("cell type") == "cell types" and plural("disease") == "diseases"
    assert plural("process") == "processes" and plural("therapy") == "therapies" and plural("DNA") == "DNA"
    assert first_sentence("A chemical, e.g. 'aspirin'; or a drug.") == "A chemical."
    assert top_mentions(["b", "a", "B", "c", "a"], 2) == ["a", "b"]
    assert top_mentions(["b", "a", "B", "c", "a"], 2, skip=2) == ["c"]


def test_views_file_reads_labels_files_too(tmp_path):
    path = tmp_path / "v.json"
    path.write_text(json.dumps({"A": ["one", "two"], "B": "only"}))
    assert read_views(path) == {"A": ["one", "two"], "B": ["only"]}
    path.write_text(json.dumps({"A": [1]}))
    with pytest.raises(LabelError, match="not a list of texts"):
        read_views(path)
    picked = draw({"A": ["one", "two"]}, ["A"], random.Random(0))
    assert picked["A"] in ("one", "two")


def test_labelled_corpus_draws_a_view_per_doc(tmp_path):
    data, labels = write_gold(tmp_path)
    views = {t: [d, t.lower(), f"{t} things"] for t, d in LABELS.items()}
    (tmp_path / "views.json").write_text(json.dumps(views))
    reader = make_labelled_corpus(str(data), str(labels), views=str(tmp_path / "views.json"), seed=1)
    nlp = spacy.blank("en")
    seen = {t: set() for t in LABELS}
    for _ in range(3):
        for eg in reader(nlp):
            doc_labels = get_doc_labels(eg.predicted)
            assert set(doc_labels) == set(LABELS) and doc_labels == get_doc_labels(eg.reference)
            for t, text in doc_labels.items():
                assert text in views[t]
                seen[t].add(text)
    assert all(len(s) > 1 for s in seen.values())
    (tmp_path / "partial.json").write_text(json.dumps({"Chemical": ["x"]}))
    with pytest.raises(LabelError, match="no views of Disease"):
        make_labelled_corpus(str(data), str(labels), views=str(tmp_path / "partial.json"))


def test_draw_takes_one_view_per_type_from_all_of_its_views():
    views = ["A drug used to treat a disease.", "Drug, such as aspirin or insulin.", "drug"]
    rng = random.Random(0)
    picked = [draw({"A": views, "B": ["b"]}, ["A", "B"], rng) for _ in range(60)]
    assert {p["A"] for p in picked} == set(views) and all(p["B"] == "b" for p in picked)


def test_views_command_on_a_gold_part(tmp_path):
    from spacy_juicer.silver.views import build_views

    data, labels = write_gold(tmp_path)
    counts = build_views(data, labels, tmp_path / "views.json", spans_key=None)
    views = read_views(tmp_path / "views.json")
    assert counts["types"] == 2 and counts["types_with_examples"] == 2
    assert views["Chemical"][0] == LABELS["Chemical"]
    assert any(v.startswith("Chemical, such as") for v in views["Chemical"])
    assert "chemicals" in views["Chemical"]
