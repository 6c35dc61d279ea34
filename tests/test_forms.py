"""Every zero-shot number under several forms of each type's description: the forms files,
the held-out plain set, and evaluate / calibrate leading with the worst form."""
import json

import pytest
import spacy

from spacy_juicer.calibration import tune_threshold
from spacy_juicer.configs import config_path
from spacy_juicer.corpora.descriptions import HELDOUT, available, load_descriptions
from spacy_juicer.corpora.forms import FORMS, read_forms, readable_name, worst_form, write_forms
from spacy_juicer.corpora.labels import LabelError
from spacy_juicer.evaluation import EvaluationError, evaluate, metrics_table

from .conftest import LABELS, needs_minilm, write_gold

FORMS_OF_LABELS = {
    "project": LABELS,
    "plain": {"Chemical": "A drug or other chemical.", "Disease": "An illness."},
    "name": {"Chemical": "chemical", "Disease": "disease"},
}


def test_bare_names_are_told_from_descriptions():
    from spacy_juicer.corpora.labels import is_bare_name

    for name in ("gene", "cell line", "gene or gene product", "DNA", "Graves' disease", "T-cell receptor"):
        assert is_bare_name(name), name
    for text in ("A gene, or a protein that a gene encodes.", "Chemical, such as aspirin", "A drug.",
                 "A chemical compound or drug given to patients", ""):
        assert not is_bare_name(text), text


def test_readable_names_are_what_a_user_types():
    assert readable_name("GENE") == "gene"
    assert readable_name("cell_type") == "cell type"
    assert readable_name("SpecificDisease") == "specific disease"
    assert readable_name("DNA") == "DNA" and readable_name("RNA") == "RNA"
    assert readable_name("PER") == "person" and readable_name("OTHER_PERSON") == "other person"
    assert readable_name("creative-work") == "creative work"


def test_every_dataset_has_a_held_out_plain_description_for_every_type():
    for dataset in available():
        project = load_descriptions(dataset)
        plain = load_descriptions(dataset, form="plain")
        assert list(plain) == list(project), dataset
        for label, text in plain.items():
            assert text != project[label] and "e.g." not in text, (dataset, label)
    assert "2026-12-01" in (HELDOUT / "README.md").read_text()


def test_forms_file_round_trip_and_checks(tmp_path):
    path = write_forms(FORMS_OF_LABELS, tmp_path / "x.forms.json")
    assert read_forms(path) == FORMS_OF_LABELS
    bad = dict(FORMS_OF_LABELS, name={"Chemical": "chemical"})
    with pytest.raises(LabelError, match="types"):
        write_forms(bad, tmp_path / "bad.forms.json")
    (tmp_path / "labels.json").write_text(json.dumps(LABELS))
    with pytest.raises(LabelError, match="not a forms file"):
        read_forms(tmp_path / "labels.json")
    assert worst_form({"project": 0.5, "plain": 0.1, "name": 0.1}) == "plain"


def test_split_writes_every_form(data_dir, tmp_path):
    from spacy_juicer.corpora.splits import build_split

    build_split(config_path("splits/biomedical.json"), tmp_path, data_dir=data_dir, parts=["test-bc2gm"], limit=3)
    forms = read_forms(tmp_path / "test-bc2gm.forms.json")
    assert tuple(forms) == FORMS
    assert forms["name"] == {"GENE": "gene"}
    assert forms["plain"]["GENE"].startswith("A gene, or a protein")
    assert forms["project"] == json.loads((tmp_path / "test-bc2gm.labels.json").read_text())


@needs_minilm
def test_evaluate_under_forms_leads_with_the_worst(trained_nlp, tmp_path):
    data, _ = write_gold(tmp_path)
    forms = write_forms(FORMS_OF_LABELS, tmp_path / "gold.forms.json")
    ner = trained_nlp.get_pipe("zero_shot_ner")
    own = (dict(ner.cfg["labels"]), ner.cfg["threshold"])
    metrics = evaluate(trained_nlp, data, forms=forms, name="overfit")
    by_form = {f: m["span_macro_f"] for f, m in metrics["forms"].items()}
    assert set(by_form) == set(FORMS)
    assert metrics["worst_form"] == worst_form(by_form)
    assert metrics["span_macro_f"] == min(by_form.values())
    assert metrics["forms"]["plain"]["labels"] == FORMS_OF_LABELS["plain"]
    single = evaluate(trained_nlp, data, FORMS_OF_LABELS["project"])
    assert single["span_macro_f"] == by_form["project"]
    table = metrics_table([metrics])
    rows = [line for line in table.split("Span-level")[0].splitlines() if line.startswith("| overfit")]
    assert rows[0].startswith(f"| overfit [worst: {metrics['worst_form']}]") and len(rows) == 3
    assert (dict(ner.cfg["labels"]), ner.cfg["threshold"]) == own
    with pytest.raises(EvaluationError, match="either"):
        evaluate(trained_nlp, data)


@needs_minilm
def test_calibrate_under_forms_takes_the_best_worst_case(trained_nlp, tmp_path):
    data, _ = write_gold(tmp_path)
    ner = trained_nlp.get_pipe("zero_shot_ner")
    own = (dict(ner.cfg["labels"]), ner.cfg["threshold"])
    grid = (0.1, 0.5, 0.9)
    found = tune_threshold(trained_nlp, data, forms=FORMS_OF_LABELS, grid=grid)
    by_set = found["scores_by_set"]
    assert set(by_set) == set(FORMS)
    # the described forms choose the threshold, the bare names their own
    worst = {t: min(by_set[f][t] for f in ("project", "plain")) for t in found["scores"]}
    assert found["scores"] == worst
    assert worst[str(found["threshold"])] == max(worst.values())
    assert found["name_scores"] == by_set["name"]
    assert by_set["name"][str(found["name_threshold"])] == max(by_set["name"].values())
    alone = tune_threshold(trained_nlp, data, LABELS, grid=grid)
    assert alone["name_threshold"] is None
    assert alone["scores"] == by_set["project"]
    assert (dict(ner.cfg["labels"]), ner.cfg["threshold"]) == own


@needs_minilm
def test_calibrate_with_seen_types_takes_the_best_mean_and_saves_it(trained_nlp, tmp_path):
    from spacy_juicer.calibration import calibrate

    data, labels = write_gold(tmp_path)
    forms = write_forms(FORMS_OF_LABELS, tmp_path / "gold.forms.json")
    model = tmp_path / "model"
    trained_nlp.to_disk(model)
    grid = (0.1, 0.5, 0.9)
    # the same docs stand in for both sets: what matters is how the two curves are combined
    found = calibrate(model, data, None, tmp_path / "calibrated", forms=forms, grid=grid, seen=data, seen_labels=labels)
    unseen, seen = found["unseen"]["scores"], found["seen"]["scores"]
    assert found["seen"]["scores"] == tune_threshold(trained_nlp, data, labels, grid=grid)["scores"]
    assert found["scores"] == {t: (unseen[t] + seen[t]) / 2 for t in unseen}
    assert found["scores"][str(found["threshold"])] == max(found["scores"].values())
    # the names' curve comes from the one part with a name form
    assert found["name_scores"] == found["unseen"]["name_scores"]
    assert found["name_scores"][str(found["name_threshold"])] == max(found["name_scores"].values())
    saved = spacy.load(tmp_path / "calibrated")
    assert saved.get_pipe("zero_shot_ner").cfg["threshold"] == found["threshold"]
    assert saved.get_pipe("zero_shot_ner").cfg["name_threshold"] == found["name_threshold"]
    assert saved.meta["juicer"]["calibration"]["rule"].startswith("best mean")


def test_calibrate_with_seen_types_needs_their_descriptions(tmp_path):
    from spacy_juicer.calibration import calibrate

    data = tmp_path / "seen.spacy"
    with pytest.raises(EvaluationError, match="either a labels file or a forms file"):
        calibrate(tmp_path / "no-model", data, None, tmp_path / "out", forms=None, seen=data)
