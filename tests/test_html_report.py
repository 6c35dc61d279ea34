"""The evaluation's HTML page: every group of mentions with its count, the calibration's
chosen threshold, the run's labels and command, and nothing fetched from outside."""
import html
import json
import re
import sys

import pytest
import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from typer.testing import CliRunner

from spacy_juicer.reporting import GROUPS, ErrorCases, build_report, classify, write_report
from spacy_juicer.student.scorer import score_zero_shot_ner

from .conftest import LABELS, TRAIN, make_examples

# Each doc's predictions under two description forms; "name" misses more (the worst form).
PREDICTED = {
    "project": [
        [(0, 7, "Chemical"), (39, 49, "Disease")],  # correct; wrong edges ("infarction")
        [(14, 22, "Chemical"), (0, 8, "Disease")],  # wrong type (diabetes); spurious; metformin missed
        [(0, 9, "Chemical"), (17, 30, "Disease")],  # both correct
        [(0, 12, "Disease"), (30, 40, "Chemical")],  # both correct
        [(0, 9, "Chemical")],  # gastric ulcer missed
        [(3, 10, "Chemical")],  # spurious ("adverse")
    ],
    "name": [
        [(0, 7, "Chemical")],
        [],
        [(0, 9, "Chemical")],
        [(30, 40, "Chemical")],
        [],
        [],
    ],
}
COMMAND = "spacy-juicer evaluate training/kf/model-calibrated test.spacy --forms test.forms.json --html report.html"
# what 'calibrate --seen' stores in meta.json (juicer.calibration), in its own shape
GRID = ("0.1", "0.3", "0.5", "0.7")
CALIBRATION = {
    "metric": "span_macro_f", "threshold": 0.3, "name_threshold": 0.5, "check_names": False,
    "rule": "best mean of the unseen dev types' and the held-out seen types' scores; bare names apart",
    "scores": dict(zip(GRID, (0.40, 0.55, 0.50, 0.30))),
    "scores_by_check": {"off": dict(zip(GRID, (0.40, 0.55, 0.50, 0.30))), "on": dict(zip(GRID, (0.35, 0.5, 0.45, 0.2)))},
    "name_scores": dict(zip(GRID, (0.2, 0.3, 0.4, 0.35))),
    "n_docs": 40,
    "unseen": {"n_docs": 20, "data": "corpus/splits/dev.spacy", "labels": "corpus/splits/dev.forms.json",
               "scores_by_check": {"off": dict(zip(GRID, (0.3, 0.4, 0.35, 0.2))), "on": dict(zip(GRID, (0.3, 0.3, 0.3, 0.1)))},
               "scores_by_set": {"project": dict(zip(GRID, (0.35, 0.45, 0.4, 0.3))), "name": dict(zip(GRID, (0.3, 0.4, 0.35, 0.2)))}},
    "seen": {"n_docs": 20, "data": "corpus/splits/seen-bc5cdr.spacy", "labels": "corpus/splits/seen-bc5cdr.forms.json",
             "scores_by_check": {"off": dict(zip(GRID, (0.5, 0.7, 0.65, 0.4))), "on": dict(zip(GRID, (0.4, 0.7, 0.6, 0.3)))}},
}


def predicted_docs(gold, spans_by_doc):
    docs = []
    for doc, spans in zip(gold, spans_by_doc):
        pred = Doc(doc.vocab, words=[t.text for t in doc], spaces=[bool(t.whitespace_) for t in doc])
        pred.ents = [pred.char_span(s, e, label=label) for s, e, label in spans]
        docs.append(pred)
    return docs


@pytest.fixture(scope="module")
def run():
    """Metrics as 'evaluate --forms' writes them (scored by the component's scorer) and the
    cases the page draws, for hand-made predictions: no model needed."""
    nlp = spacy.blank("en")
    gold = [eg.reference for eg in make_examples(nlp)]
    cases = ErrorCases(per_group=2, seed=0)
    by_form = {}
    for form, spans in PREDICTED.items():
        predicted = predicted_docs(gold, spans)
        cases.add(form, predicted, gold, list(LABELS))
        scores = score_zero_shot_ner([Example(p, g) for p, g in zip(predicted, gold)], spans_key=None,
                                     gold_spans_key=None, labels=list(LABELS))
        labels = LABELS if form == "project" else {t: t.lower() for t in LABELS}
        by_form[form] = {**scores, "threshold": 0.3, "labels": labels}
    worst = min(by_form, key=lambda f: by_form[f]["span_macro_f"])
    metrics = {
        "name": "kf/tiny", "model": "training/kf/model-calibrated", "data": "test.spacy",
        "labels": "test.forms.json", "types": list(LABELS), "descriptions": LABELS,
        "gold_types": list(LABELS), "n_docs": len(gold), "n_gold_ents": sum(len(d.ents) for d in gold),
        "batch_size": 32, "n_words": sum(len(d) for d in gold), "seconds": 0.1, "docs_per_s": 60.0,
        "words_per_s": 600.0, "component": {"name": "zero_shot_ner", "threshold": 0.3, "name_threshold": 0.5,
                                            "check_names": False, "spans_key": None, "gold_spans_key": None},
        "calibration": CALIBRATION, **by_form[worst], "worst_form": worst, "metric": "span_macro_f",
        "forms": by_form, "versions": {"spacy_juicer": "0.1.0", "spacy": spacy.__version__}, "command": COMMAND,
    }
    return metrics, cases, gold


def test_classify_sorts_each_mention_into_one_group():
    gold = [(0, 1, "A"), (3, 5, "A"), (6, 7, "B"), (8, 10, "B"), (12, 13, "A")]
    pred = [(0, 1, "A"), (4, 5, "A"), (6, 7, "A"), (8, 9, "A"), (14, 15, "B")]
    groups = [(group, label) for group, label, _, _ in classify(gold, pred)]
    assert groups == [("correct", "A"), ("wrong_edges", "A"), ("wrong_type", "B"), ("wrong_type", "B"),
                      ("missed", "A"), ("spurious", "B")]


def test_counts_read_every_doc_and_agree_with_the_scorer(run):
    metrics, cases, gold = run
    for form, scores in metrics["forms"].items():
        for label in LABELS:
            n_gold = sum(1 for doc in gold for ent in doc.ents if ent.label_ == label)
            counts = cases.counts[form][label]
            # every gold mention is in exactly one of the gold-side groups
            assert counts["correct"] + counts["missed"] + counts["wrong_type"] + counts["wrong_edges"] == n_gold
            # correct ones are the scorer's true positives: recall * gold
            assert counts["correct"] == round(scores["ents_per_type"].get(label, {}).get("r", 0.0) * n_gold)
    assert cases.counts["project"]["Disease"]["spurious"] == 1 and cases.counts["project"]["Chemical"]["spurious"] == 1
    # the sample is capped, the count is not
    assert cases.count("name", "Chemical", "missed") == 2 and len(cases.sample("name", "Disease", "missed")) == 2
    assert cases.count("name", "Disease", "missed") == 5


def test_the_sample_is_seeded():
    nlp = spacy.blank("en")
    gold = [eg.reference for eg in make_examples(nlp)] * 10  # 50 mentions, all missed
    empty = predicted_docs(gold, [[] for _ in gold])

    def picked(seed):
        cases = ErrorCases(per_group=3, seed=seed)
        cases.add("given", empty, gold, list(LABELS))
        return [c.doc for c in cases.sample("given", "Chemical", "missed")]

    assert picked(1) == picked(1)
    assert len({tuple(picked(s)) for s in range(6)}) > 1


def test_page_shows_groups_threshold_labels_and_command(run, tmp_path):
    metrics, cases, _ = run
    path, seconds = write_report(metrics, cases, tmp_path / "report.html")
    page = path.read_text(encoding="utf8")
    assert seconds >= 0 and page.startswith("<!DOCTYPE html>")
    worst = metrics["worst_form"]
    # each type has each group, with the count read from all docs under the worst form
    for label in LABELS:
        section = page.split(f">{label}</span></h3>")[1]
        for group in GROUPS:
            match = re.search(rf'data-group="{group}" data-count="(\d+)"', section)
            assert match, (label, group)
            assert int(match.group(1)) == cases.count(worst, label, group)
    # the mentions are drawn with displaCy, gold beside predicted
    assert page.count('<div class="spans"') >= 2 and "<h5>gold</h5>" in page and "<h5>predicted</h5>" in page
    # the chosen threshold (and the names' own) is marked, from the pipeline's calibration
    assert '<span class="chosen">0.3</span>' in page and '<span class="chosen">0.5</span>' in page
    assert page.count("<svg") == 2  # P/R/F per type and form; threshold curves
    # labels, descriptions, the worst form and the command
    for label, description in LABELS.items():
        assert label in page and description in page
    assert f"{worst} (worst)" in page
    assert COMMAND in page
    # nothing fetched from outside
    assert "http://" not in page and "https://" not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?//""", page)
    assert not re.search(r"""url\(\s*["']?(?!#|data:)""", page)


def test_page_of_an_uncalibrated_pipeline_says_so(run):
    metrics, cases, _ = run
    page = build_report({**metrics, "calibration": None}, cases)
    assert "was not calibrated" in page and page.count("<svg") == 1


def test_page_without_forms_has_one_form(run):
    metrics, cases, gold = run
    single = ErrorCases(per_group=1)
    single.add("given", predicted_docs(gold, PREDICTED["project"]), gold, list(LABELS))
    plain = {k: v for k, v in metrics.items() if k not in ("forms", "worst_form", "metric")}
    page = build_report(plain, single)
    assert "(worst)" not in page
    assert re.search(r'data-group="missed" data-count="1"', page)


def test_evaluate_html_without_matplotlib_fails_before_predicting(monkeypatch, tmp_path):
    from spacy_juicer.cli import app

    monkeypatch.setitem(sys.modules, "matplotlib", None)  # as if not installed
    result = CliRunner().invoke(app, ["evaluate", str(tmp_path / "no-model"), str(tmp_path / "no-data.spacy"),
                                      "--labels", str(tmp_path / "labels.json"), "--html", str(tmp_path / "r.html")])
    assert result.exit_code == 1 and "pip install matplotlib" in result.output
    assert "no-model" not in result.output and not (tmp_path / "r.html").exists()


@pytest.mark.slow
def test_evaluate_html_from_the_cli_draws_the_calibration(tiny_model, tmp_path):
    """calibrate an (untrained) pipeline over the tiny BERT, then 'evaluate --html' on it."""
    from spacy_juicer.calibration import calibrate
    from spacy_juicer.cli import app

    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"model": tiny_model, "labels": LABELS})
    nlp.initialize()
    nlp.to_disk(tmp_path / "model")
    DocBin(docs=[eg.reference for eg in make_examples(nlp, TRAIN)]).to_disk(tmp_path / "gold.spacy")
    (tmp_path / "labels.json").write_text(json.dumps(LABELS))
    found = calibrate(tmp_path / "model", tmp_path / "gold.spacy", tmp_path / "labels.json", tmp_path / "calibrated",
                      grid=[0.3, 0.5])
    result = CliRunner().invoke(app, [
        "evaluate", str(tmp_path / "calibrated"), str(tmp_path / "gold.spacy"), "--labels", str(tmp_path / "labels.json"),
        "--output", str(tmp_path / "metrics.json"), "--html", str(tmp_path / "report.html"), "--html-samples", "1",
    ])
    assert result.exit_code == 0, result.output
    page = (tmp_path / "report.html").read_text(encoding="utf8")
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["calibration"]["threshold"] == pytest.approx(found["threshold"])
    assert f'<span class="chosen">{found["threshold"]:g}</span>' in page
    assert html.escape(metrics["command"]) in page and "Chemical" in page
    # every gold mention is drawn from one of the gold-side groups
    total = sum(int(c) for _, c in re.findall(r'data-group="(missed|wrong_type|wrong_edges|correct)" data-count="(\d+)"', page))
    assert total == metrics["n_gold_ents"] == sum(len(ents) for _, ents in TRAIN)


def test_a_long_doc_is_cut_to_the_mention_and_its_context(run):
    metrics, _, _ = run
    nlp = spacy.blank("en")
    words = [f"w{i}" for i in range(150)]
    words[100] = "aspirin"
    gold = Doc(nlp.vocab, words=words)
    gold.ents = [gold.char_span(gold[100].idx, gold[100].idx + 7, label="Chemical")]
    cases = ErrorCases(per_group=1)
    cases.add("given", [Doc(nlp.vocab, words=words)], [gold], list(LABELS))
    plain = {k: v for k, v in metrics.items() if k not in ("forms", "worst_form", "metric")}
    page = build_report({**plain, "n_docs": 1, "n_gold_ents": 1}, cases)
    assert "“aspirin” (Chemical) not found" in page
    assert "…" in page and " w99 " in page and " w5 " not in page and " w140 " not in page
