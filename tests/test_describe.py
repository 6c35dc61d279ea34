"""spacy_juicer.Describe.v1 and the describe run, with the teacher's replay model answering
from recorded answers (tests/data/silver/describe_answers.jsonl) and failing on any other prompt.

The silver fixture (see test_critic.py) keeps 9 types. Domains of the sentences holding each
type, counted once per sentence (doc 12's domain is removed here, so it counts as the default
"biomedicine"):
  Disease: biomedicine 2 (docs 0, 12), medicine 2 (docs 7, 11), oncology, pharmacology, virology,
           radiology 1 -> top 2: biomedicine, medicine (ties in alphabetical order)
  Patient group: cardiology, pharmacology, medicine 1 each -> cardiology, medicine
  Cell type, Protein: molecular biology; Medical condition, Medical procedure: cardiology;
  Virus, Location: virology; Imaging technique: radiology
-> 2 + 2 + 7 = 11 questions.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_juicer.silver.describe import describe, describe_names, join_views, top_domains, type_domains
from spacy_juicer.silver.types import TypeMatcher
from spacy_juicer.teacher.describe.parser import clean_description
from spacy_juicer.teacher.describe.task import describe_doc, make_describe_task
from spacy_juicer.teacher.models.replay import Replay

from .silver_data import DATA, silver_docs

ANSWERS = DATA / "describe_answers.jsonl"


def write_config(tmp_path: Path) -> Path:
    path = tmp_path / "describe.cfg"
    path.write_text(
        '[task]\n@llm_tasks = "spacy_juicer.Describe.v1"\n\n'
        f'[model]\n@llm_models = "spacy_juicer.Replay.v1"\npath = "{ANSWERS}"\n'
    )
    return path


def write_silver(tmp_path: Path) -> Path:
    docs = silver_docs()
    for doc in docs:
        if doc.user_data["juicer"]["id"] == "usc-pubmed-preeclampsia:4800":
            doc.user_data["juicer"]["domain"] = None
    path = tmp_path / "silver.spacy"
    DocBin(docs=docs, store_user_data=True).to_disk(path)
    return path


def test_prompt_is_juicer_question():
    nlp = spacy.blank("en")
    task = make_describe_task(n_examples=0)
    prompts, shards = next(iter(task.generate_prompts([describe_doc(nlp.vocab, "Medical condition", "cardiology")])))
    assert list(prompts) == ["Question: In cardiology, what is medical condition? Answer:"]
    prompts, _ = next(iter(task.generate_prompts([describe_doc(nlp.vocab, "DNA", None)])))
    assert list(prompts) == ["Question: In biomedicine, what is DNA? Answer:"]
    shipped = make_describe_task()  # two shipped examples, then the question
    prompt = list(next(iter(shipped.generate_prompts([describe_doc(nlp.vocab, "Gene", "genetics")])))[0])[0]
    assert prompt.count("Question:") == 3 and prompt.endswith("Question: In genetics, what is gene? Answer:")
    # an example about the asked type is replaced by the next one (a small model copies it)
    prompt = list(next(iter(shipped.generate_prompts([describe_doc(nlp.vocab, "Drug", "medicine")])))[0])[0]
    assert "what is drug? Answer: A drug" not in prompt and prompt.count("Question:") == 3
    assert "what is instrument?" in prompt and "what is court?" in prompt
    one = make_describe_task(examples=[{"domain": "law", "type_name": "court", "description": "A court is a body."}], n_examples=1)
    prompt = list(next(iter(one.generate_prompts([describe_doc(nlp.vocab, "Gene", "genetics")])))[0])[0]
    assert prompt.startswith("Question: In law, what is court? Answer: A court is a body.\n\n")
    with pytest.raises(ValueError, match="Describe example 0"):
        make_describe_task(examples=[{"text": "no fields"}])


def test_clean_description():
    assert clean_description(" A gene is a unit of heredity.\nQuestion: In x, what is y? Answer: z") == "A gene is a unit of heredity."
    assert clean_description("Answer: A cell is small.\nIt divides. It also grows and") == "A cell is small. It divides."
    assert clean_description("An unfinished single sentence") == "An unfinished single sentence"
    assert clean_description("\n\nQuestion: In a, what is b?") is None
    assert clean_description(None) is None
    assert len(clean_description("word " * 500, max_words=20).split()) == 20


def test_task_in_spacy_llm_component():
    nlp = spacy.blank("en")
    nlp.add_pipe("llm", config={"task": {"@llm_tasks": "spacy_juicer.Describe.v1"},
                                "model": {"@llm_models": "spacy_juicer.Replay.v1", "path": str(ANSWERS)}})
    doc = nlp.get_pipe("llm")(describe_doc(nlp.vocab, "Protein", "molecular biology"))
    record = doc.user_data["juicer"]
    assert record["status"] == "ok" and record["description"].startswith("A protein is a large biomolecule")


def test_domains_and_helpers(tmp_path):
    docs = list(DocBin().from_disk(write_silver(tmp_path)).get_docs(spacy.blank("en").vocab))
    freq, domains = type_domains(docs)
    assert len(freq) == 9 and freq["Disease"] == 17
    assert top_domains(domains["Disease"], 2) == ["biomedicine", "medicine"]
    assert top_domains(domains["Patient group"], 2) == ["cardiology", "medicine"]
    assert top_domains(domains["Virus"], 2) == ["virology"]
    assert join_views(["A.", None, "A.", "B."]) == "A. B."
    assert join_views(["A drug treats. It is taken.", "A drug  treats. Some are pills."]) == "A drug treats. It is taken. Some are pills."


def test_describe_joins_top_two_domains_and_caches(tmp_path, monkeypatch):
    silver, config, cache = write_silver(tmp_path), write_config(tmp_path), tmp_path / "answers.jsonl"
    record = describe(silver, tmp_path / "descriptions.json", config, cache_path=cache, progress=False)
    assert (record["types"], record["queries"], record["calls"], record["cache_hits"]) == (9, 11, 11, 0)
    assert record["statuses"] == {"empty": 1, "ok": 10}
    descriptions = json.loads((tmp_path / "descriptions.json").read_text())
    assert list(descriptions)[0] == "Disease"  # most frequent type first
    assert descriptions["Disease"] == (
        "A disease is an abnormal condition of an organism that impairs normal physiological function and is "
        "associated with specific signs and symptoms. In medicine, a disease is a disorder of structure or function "
        "in a human, animal or plant, especially one that produces specific symptoms."
    )
    # the second view's unfinished last sentence is cut
    assert descriptions["Patient group"].endswith("that a study compares with another group.")
    assert descriptions["Virus"] == "A virus is a submicroscopic infectious agent that replicates only inside the living cells of an organism."
    assert descriptions["Imaging technique"].startswith("An imaging technique is")
    # an empty answer: the name stands for the description
    assert descriptions["Location"] == "Location" and record["fallback_to_name"] == ["Location"]
    assert record["per_type"]["Disease"]["domains"] == ["biomedicine", "medicine"]
    assert len(cache.read_text().splitlines()) == 11

    # a rerun asks the model nothing
    def refuse(self, prompts):
        raise AssertionError("the model was asked again")

    monkeypatch.setattr(Replay, "__call__", refuse)
    again = describe(silver, tmp_path / "again.json", config, cache_path=cache, progress=False)
    assert (again["calls"], again["cache_hits"]) == (0, 11)
    assert json.loads((tmp_path / "again.json").read_text()) == descriptions


def test_describe_limit_top_domains_and_cli(tmp_path):
    from typer.testing import CliRunner

    from spacy_juicer.cli import app

    silver, config = write_silver(tmp_path), write_config(tmp_path)
    out = tmp_path / "one.json"
    result = CliRunner().invoke(app, ["describe", str(silver), str(out), "--config", str(config), "--top-domains", "1",
                                      "--limit", "2", "--cache", str(tmp_path / "c.jsonl")])
    assert result.exit_code == 0, result.output
    descriptions = json.loads(out.read_text())
    assert list(descriptions) == ["Disease", "Patient group"]
    assert descriptions["Disease"].startswith("A disease is an abnormal condition") and "In medicine" not in descriptions["Disease"]
    run = json.loads(out.with_suffix(".run.json").read_text())
    assert run["queries"] == 2 and run["calls"] == 2
    bad = CliRunner().invoke(app, ["describe", str(tmp_path / "missing.spacy"), str(out), "--config", str(config)])
    assert bad.exit_code == 1 and "does not exist" in bad.output


NAME_ANSWERS = DATA / "describe_names_answers.jsonl"  # the embedded teacher's answers (the packaged describe_short.cfg), and one empty


def write_short_config(tmp_path: Path) -> Path:
    shipped = Path(__file__).parents[1] / "spacy_juicer" / "teacher" / "describe"
    path = tmp_path / "describe_short.cfg"
    path.write_text(
        f'[task]\n@llm_tasks = "spacy_juicer.Describe.v1"\ntemplate = "{shipped / "short.jinja"}"\n'
        'n_examples = 3\nmax_words = 30\n\n'
        f'[task.examples]\n@misc = "spacy.FewShotReader.v1"\npath = "{shipped / "short_examples.json"}"\n\n'
        f'[model]\n@llm_models = "spacy_juicer.Replay.v1"\npath = "{NAME_ANSWERS}"\n'
    )
    return path


def test_known_types_match_names_as_the_critic_does():
    match = TypeMatcher(["Disease", "Cell line", "Therapy", "Virus", "DNA", "Species", "Gene"]).find
    assert match("Diseases") == match("disease") == match(" Disease ") == "Disease"
    assert match("Cell lines") == "Cell line" and match("Therapies") == "Therapy"
    assert match("Virus") == "Virus" and match("DNA") == "DNA" and match("Species") == "Species"
    assert match("Genus") is None and match("") is None


def test_describe_names_known_teacher_and_cache(tmp_path, monkeypatch):
    config, cache = write_short_config(tmp_path), tmp_path / "answers.jsonl"
    known = {"Disease": "A disorder of structure or function in a living thing.", "Cell line": "Cell line"}
    out = tmp_path / "labels.json"
    record = describe_names(["Diseases", "gene", "cell line"], out, config, known=known, cache_path=cache, progress=False)
    # a trained type's description costs no call; a known type with no description is asked
    assert record["sources"] == {"Diseases": "known:Disease", "gene": "teacher", "cell line": "teacher"}
    assert (record["calls"], record["cache_hits"]) == (2, 0)
    labels = json.loads(out.read_text())
    assert list(labels) == ["Diseases", "gene", "cell line"]
    assert labels["Diseases"] == known["Disease"]
    assert labels["gene"] != "gene" and len(labels["gene"].split()) > 4

    def refuse(self, prompts):
        raise AssertionError("the model was asked again")

    monkeypatch.setattr(Replay, "__call__", refuse)
    again = describe_names(["gene", "cell line"], None, config, cache_path=cache, progress=False)
    assert (again["calls"], again["cache_hits"]) == (0, 2)
    assert again["descriptions"] == {"gene": labels["gene"], "cell line": labels["cell line"]}
    # without a describer, names stay names
    bare = describe_names(["gene", "Disease"], None, None, known=known)
    assert bare["descriptions"] == {"gene": "gene", "Disease": known["Disease"]} and bare["calls"] == 0
    # an empty answer (the replay file's last line, written for this test): the name stays
    monkeypatch.undo()
    empty = describe_names(["tissue"], None, config, cache_path=cache, progress=False)
    assert empty["descriptions"] == {"tissue": "tissue"} and empty["sources"] == {"tissue": "name"}
    assert empty["statuses"] == {"empty": 1}
    with pytest.raises(ValueError, match="given twice"):
        describe_names(["gene", " gene"], None, None)
    with pytest.raises(ValueError, match="non-empty"):
        describe_names([], None, None)


def test_describe_names_cli(tmp_path):
    from typer.testing import CliRunner

    from spacy_juicer.cli import app

    known = tmp_path / "known.json"
    known.write_text(json.dumps({"Disease": "A disorder of structure or function in a living thing."}))
    out = tmp_path / "labels.json"
    args = ["describe-names", "disease", "gene", str(out), "--known", str(known)]
    result = CliRunner().invoke(app, args + ["--config", str(write_short_config(tmp_path)), "--cache", str(tmp_path / "c.jsonl")])
    assert result.exit_code == 0, result.output
    assert "disease [known:Disease]" in result.output and "gene [teacher]" in result.output
    assert json.loads(out.read_text())["disease"].startswith("A disorder")
    result = CliRunner().invoke(app, args + ["--no-teacher"])
    assert result.exit_code == 0 and json.loads(out.read_text())["gene"] == "gene"
    # a prompt with no recorded answer is an error that names it, not an empty description
    result = CliRunner().invoke(app, ["describe-names", "spleen", str(out), "--config",
                                      str(write_short_config(tmp_path)), "--cache", str(tmp_path / "d.jsonl")])
    assert result.exit_code == 1 and "spleen" in result.output
    result = CliRunner().invoke(app, ["describe-names", "gene", str(out), "--no-teacher",
                                      "--known", str(tmp_path / "missing.json")])
    assert result.exit_code == 1 and "does not exist" in result.output
