"""The evaluate and report commands: metrics, tables, and clear errors on bad input."""
import json

import pytest
import spacy
from spacy.tokens import DocBin
from typer.testing import CliRunner

from spacy_juicer.cli import app
from spacy_juicer.evaluation import EvaluationError, evaluate, metrics_table

from .conftest import LABELS, make_examples, needs_minilm

runner = CliRunner()


def gold_docbin(path, nlp, drop_ents=False):
    docs = [eg.reference for eg in make_examples(nlp)]
    if drop_ents:
        for doc in docs:
            doc.ents = []
    DocBin(docs=docs).to_disk(path)
    return path


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory, tiny_model):
    """An initialized, untrained pipeline on disk (the tiny BERT): the commands' plumbing needs
    no training and no real encoder."""
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"model": tiny_model, "labels": LABELS})
    nlp.initialize()
    path = tmp_path_factory.mktemp("model") / "model-best"
    nlp.to_disk(path)
    return path


@pytest.fixture(scope="module")
def labels_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("labels") / "labels.json"
    path.write_text(json.dumps(LABELS))
    return path


@needs_minilm
def test_evaluate_scores_a_trained_model(trained_nlp, tmp_path):
    data = gold_docbin(tmp_path / "gold.spacy", trained_nlp)
    metrics = evaluate(trained_nlp, data, LABELS, batch_size=4, name="overfit")
    assert metrics["n_docs"] == 6 and metrics["n_gold_ents"] == 10
    assert metrics["ents_f"] >= 0.9 and metrics["tok_micro_f"] >= 0.9
    assert set(metrics["ents_per_type"]) == {"Chemical", "Disease"}
    n_words = sum(len(eg.reference) for eg in make_examples(trained_nlp))
    assert metrics["n_words"] == n_words and metrics["seconds"] > 0
    assert metrics["docs_per_s"] == pytest.approx(6 / metrics["seconds"])
    assert metrics["words_per_s"] == pytest.approx(n_words / metrics["seconds"])
    table = metrics_table([metrics])
    assert "| overfit | gold.spacy | 6 |" in table and "Chemical" in table


@needs_minilm
def test_evaluate_at_a_given_threshold_restores_the_pipelines_own(trained_nlp, tmp_path):
    data = gold_docbin(tmp_path / "gold.spacy", trained_nlp)
    ner = trained_nlp.get_pipe("zero_shot_ner")
    own = ner.cfg["threshold"]
    strict = evaluate(trained_nlp, data, LABELS, threshold=1.0)
    assert strict["n_pred_ents"] == 0 and strict["threshold"] == 1.0
    assert ner.cfg["threshold"] == own
    loose = evaluate(trained_nlp, data, LABELS, threshold=0.0)
    assert loose["n_pred_ents"] >= evaluate(trained_nlp, data, LABELS)["n_pred_ents"] > 0
    with pytest.raises(ValueError, match="threshold"):
        evaluate(trained_nlp, data, LABELS, threshold=1.5)
    assert ner.cfg["threshold"] == own


def test_types_given_by_name_are_scored_and_the_labels_restored(saved_model, tmp_path):
    nlp = spacy.load(saved_model)
    own = nlp.get_pipe("zero_shot_ner").label_descriptions
    data = gold_docbin(tmp_path / "gold.spacy", nlp)
    metrics = evaluate(nlp, data, {"Chemical": "chemical", "Disease": "disease"})
    assert metrics["descriptions"] == {"Chemical": "chemical", "Disease": "disease"}
    assert metrics["threshold"] == nlp.get_pipe("zero_shot_ner").names_threshold()
    assert nlp.get_pipe("zero_shot_ner").label_descriptions == own  # restored after the run


def test_evaluate_and_report_cli(saved_model, labels_file, tmp_path):
    data = gold_docbin(tmp_path / "gold.spacy", spacy.blank("en"))
    out = tmp_path / "metrics" / "a.json"
    result = runner.invoke(app, ["evaluate", str(saved_model), str(data), "--labels",
                                 str(labels_file), "--output", str(out), "--limit", "3"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(out.read_text())
    assert metrics["n_docs"] == 3 and metrics["name"].endswith("/model-best")
    assert out.with_suffix(".md").read_text().startswith("| run |")
    other = dict(metrics, name="other run", ents_f=0.25)
    (tmp_path / "metrics" / "b.json").write_text(json.dumps(other))
    result = runner.invoke(app, ["report", str(out), str(tmp_path / "metrics" / "b.json"),
                                 "-o", str(tmp_path / "report.md")])
    assert result.exit_code == 0, result.output
    table = (tmp_path / "report.md").read_text()
    assert "| other run | gold.spacy | 3 | " in table and "| 25.0 |" in table


def test_bad_input_gives_a_clear_error(saved_model, labels_file, tmp_path):
    nlp = spacy.blank("en")
    data = gold_docbin(tmp_path / "gold.spacy", nlp)
    empty = gold_docbin(tmp_path / "empty.spacy", nlp, drop_ents=True)
    partial = tmp_path / "partial.json"
    partial.write_text(json.dumps({"Chemical": LABELS["Chemical"]}))
    nlp.to_disk(tmp_path / "no-component")
    (tmp_path / "junk.spacy").write_text("not a docbin")
    cases = [
        ([str(saved_model), str(data), "-l", str(partial)], "no description for the type(s) Disease"),
        ([str(saved_model), str(empty), "-l", str(labels_file)], "no gold entities"),
        ([str(tmp_path / "no-component"), str(data), "-l", str(labels_file)], "no 'zero_shot_ner'"),
        ([str(tmp_path / "missing-model"), str(data), "-l", str(labels_file)], "Cannot load"),
        ([str(saved_model), str(tmp_path / "junk.spacy"), "-l", str(labels_file)], "not a spaCy DocBin"),
        ([str(saved_model), str(data), "-l", str(tmp_path / "nope.json")], "does not exist"),
    ]
    for args, message in cases:
        result = runner.invoke(app, ["evaluate", *args])
        assert result.exit_code == 1, (args, result.output)
        assert message in result.output, (message, result.output)
        assert "Traceback" not in result.output


def test_report_rejects_other_files(tmp_path):
    bad = tmp_path / "x.json"
    bad.write_text('{"a": 1}')
    result = runner.invoke(app, ["report", str(bad)])
    assert result.exit_code == 1 and "not a metrics file" in result.output
    with pytest.raises(EvaluationError):
        from spacy_juicer.evaluation import read_metrics
        read_metrics([tmp_path / "missing.json"])


@needs_minilm
def test_calibrate_saves_the_threshold_chosen_on_held_out_data(trained_nlp, labels_file, tmp_path):
    import spacy

    from spacy_juicer.calibration import calibrate, tune_threshold

    data = gold_docbin(tmp_path / "gold.spacy", trained_nlp)
    ner = trained_nlp.get_pipe("zero_shot_ner")
    own_threshold, own_labels = ner.cfg["threshold"], dict(ner.cfg["labels"])
    found = tune_threshold(trained_nlp, data, LABELS, grid=(0.3, 0.5, 1.0))
    assert set(found["scores"]) == {"0.3", "0.5", "1.0"} and found["scores"]["1.0"] == 0.0
    assert found["threshold"] in (0.3, 0.5) and found["scores"][str(found["threshold"])] == max(found["scores"].values())
    assert ner.cfg["threshold"] == own_threshold and ner.cfg["labels"] == own_labels
    # the scores at a threshold are those evaluate reports at it
    at = evaluate(trained_nlp, data, LABELS, threshold=found["threshold"])
    assert at["span_macro_f"] == pytest.approx(found["scores"][str(found["threshold"])])
    trained_nlp.to_disk(tmp_path / "model")
    result = calibrate(tmp_path / "model", data, labels_file,
                       tmp_path / "calibrated", grid=(0.3, 1.0))
    loaded = spacy.load(tmp_path / "calibrated")
    assert loaded.get_pipe("zero_shot_ner").cfg["threshold"] == pytest.approx(result["threshold"]) == 0.3
    assert loaded.meta["juicer"]["calibration"]["scores"]["1.0"] == 0.0
    with pytest.raises(ValueError, match="thresholds"):
        tune_threshold(trained_nlp, data, LABELS, grid=(1.5,))



@needs_minilm
def test_evaluate_with_spans_key_scores_as_the_component_does(trained_nlp, tmp_path):
    from spacy.training import Example

    from spacy_juicer.evaluation import load_gold

    data = gold_docbin(tmp_path / "gold.spacy", trained_nlp)
    ner = trained_nlp.get_pipe("zero_shot_ner")
    saved = ner.cfg["spans_key"]
    ner.cfg["spans_key"] = "sc"
    try:
        metrics = evaluate(trained_nlp, data, LABELS)
        gold = load_gold(data, trained_nlp.vocab)
        docs = list(trained_nlp.pipe([ner.copy_for_prediction(d) for d in gold]))
        direct = ner.score([Example(p, g) for p, g in zip(docs, gold)])
    finally:
        ner.cfg["spans_key"] = saved
    assert metrics["ents_f"] == direct["ents_f"] and metrics["ents_r"] >= 0.6
    assert metrics["n_pred_ents"] == sum(len(d.spans["sc"]) for d in docs) and not any(d.ents for d in docs)


@needs_minilm
def test_using_restores_labels_and_threshold_whatever_happens(trained_nlp):
    ner = trained_nlp.get_pipe("zero_shot_ner")
    own = (dict(ner.cfg["labels"]), ner.cfg["threshold"])
    with ner.using(labels=["gene"], threshold=0.9):
        assert ner.labels == ("gene",) and ner.cfg["threshold"] == 0.9
    assert (dict(ner.cfg["labels"]), ner.cfg["threshold"]) == own
    with pytest.raises(RuntimeError):
        with ner.using(labels={"Drug": "A medicine."}):
            raise RuntimeError("boom")
    assert (dict(ner.cfg["labels"]), ner.cfg["threshold"]) == own
    with pytest.raises(ValueError, match="threshold"):
        with ner.using(threshold=2.0):
            pass
    assert (dict(ner.cfg["labels"]), ner.cfg["threshold"]) == own


@needs_minilm
def test_bare_names_are_decided_at_their_own_threshold(trained_nlp):
    ner = trained_nlp.get_pipe("zero_shot_ner")
    own = (ner.cfg["threshold"], ner.cfg.get("name_threshold"))
    text = "Cisplatin caused renal failure in two patients."
    described = {"Chemical": LABELS["Chemical"]}
    with ner.using(threshold=0.5, name_threshold=0.0):
        assert ner.threshold_for("chemical") == 0.0 and ner.threshold_for(LABELS["Chemical"]) == 0.5
        # at 0.0 every token passes: the name tags the whole sentence, the description only its drug
        with ner.using(labels={"Chemical": "chemical"}):
            assert [e.text for e in trained_nlp(text).ents] == ["Cisplatin caused renal failure in two patients"]
        with ner.using(labels=described):
            assert [e.text for e in trained_nlp(text).ents] == ["Cisplatin"]
        # a threshold given alone serves the names too
        with ner.using(threshold=0.6):
            assert ner.cfg["name_threshold"] is None and ner.threshold_for("chemical") == 0.6
    assert (ner.cfg["threshold"], ner.cfg.get("name_threshold")) == own


@needs_minilm
def test_calibrate_cli_tries_the_default_grid_or_the_given_one(saved_model, labels_file, tmp_path):
    import spacy

    from spacy_juicer.calibration import THRESHOLDS

    data = gold_docbin(tmp_path / "gold.spacy", spacy.blank("en"))
    for grid, expected in ((None, THRESHOLDS), ("0.3, 1.0", (0.3, 1.0))):
        out = tmp_path / f"calibrated-{grid is None}"
        args = ["calibrate", str(saved_model), str(data), str(out), "--labels", str(labels_file), "--limit", "3"]
        result = runner.invoke(app, args + (["--grid", grid] if grid else []))
        assert result.exit_code == 0, result.output
        scores = spacy.load(out).meta["juicer"]["calibration"]["scores"]
        assert set(scores) == {str(t) for t in expected}
    result = runner.invoke(app, ["calibrate", str(saved_model), str(data), str(tmp_path / "x"),
                                 "--labels", str(labels_file), "--grid", "0.3,high"])
    assert result.exit_code == 1 and "high" in result.output
