"""Zero-shot split files: disjoint roles, near-synonyms on one side, and the builder."""
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from spacy_juicer.cli import app
from spacy_juicer.corpora.convert import load_docbin
from spacy_juicer.corpora.descriptions import available, load_descriptions
from spacy_juicer.corpora.splits import SplitError, build_split, check_split, role_types
from spacy_juicer.configs import CONFIG_DIR

SPLITS = sorted((CONFIG_DIR / "splits").glob("*.json"))
DATA = Path(__file__).parent / "data"
runner = CliRunner()


def test_split_files_exist():
    names = {p.stem for p in SPLITS}
    assert {"biomedical", "wnut17", "legal"} <= names


@pytest.mark.parametrize("path", SPLITS, ids=lambda p: p.stem)
def test_roles_are_disjoint_and_described(path):
    split = json.loads(path.read_text())
    check_split(split, source=str(path))  # disjoint roles, no synonym group across roles
    for part in split["parts"].values():
        if any(s.get("describe") == "name" for s in part["sources"]):
            continue  # described by their readable names (CRAFT, GRO)
        datasets = {s["dataset"] for s in part["sources"]}
        described = set()
        for d in datasets:
            described |= set(load_descriptions(d))
        assert set(part["types"]) <= described


def test_biomedical_keeps_gene_family_on_test_side():
    split = json.loads((SPLITS[0].parent / "biomedical.json").read_text())
    by_role = role_types(split)
    assert {"GENE", "protein", "DNA", "RNA"} <= by_role["test"]
    assert {"Chemical", "Disease"} == by_role["train"]


def test_check_split_rejects_leaks():
    base = {"parts": {
        "train": {"role": "train", "types": ["GENE"], "sources": [{"path": "x"}]},
        "test": {"role": "test", "types": ["protein"], "sources": [{"path": "y"}]},
    }}
    check_split(base)
    with pytest.raises(SplitError, match="near-synonyms"):
        check_split({**base, "synonym_groups": [["GENE", "protein"]]})
    base["parts"]["test"]["types"] = ["GENE"]
    with pytest.raises(SplitError, match="both train and test"):
        check_split(base)
    base["parts"]["test"]["types"] = ["protein"]
    base["parts"]["dev"] = {"role": "dev", "types": ["protein"], "sources": [{"path": "z"}]}
    with pytest.raises(SplitError, match=r"\['protein'\] are in both dev and test"):
        check_split(base)
    with pytest.raises(SplitError, match="needs a role"):
        check_split({"parts": {"x": {"role": "other", "types": ["A"], "sources": [{"path": "p"}]}}})
    with pytest.raises(SplitError, match="has no 'path'"):
        check_split({"parts": {"x": {"role": "train", "types": ["A"], "sources": [{"file": "p"}]}}})


def test_descriptions():
    assert {"ncbi-disease", "bc5cdr", "bc2gm", "jnlpba", "wnut17", "conll2003",
            "inlegalner"} <= set(available())
    for name in available():
        labels = load_descriptions(name)
        assert labels and all(len(d) > len(t) for t, d in labels.items())
    assert load_descriptions("jnlpba", ["RNA"], form="plain") == {"RNA": load_descriptions("jnlpba", form="plain")["RNA"]}
    with pytest.raises(KeyError, match="no description for Gene"):
        load_descriptions("jnlpba", ["Gene"])


def _fixture_split(tmp_path):
    split = {
        "name": "fixture",
        "parts": {
            "train": {"role": "train", "types": ["PER"],
                      "sources": [{"path": "bio.tsv", "format": "conll", "dataset": "conll2003"}]},
            "test": {"role": "test", "types": ["LOC", "ORG"],
                     "sources": [{"path": "bio.tsv", "format": "conll", "dataset": "conll2003"}]},
        },
    }
    path = tmp_path / "split.json"
    path.write_text(json.dumps(split))
    return path


def test_build_split_relabels_other_types_as_o(tmp_path):
    counts = build_split(_fixture_split(tmp_path), tmp_path / "out", data_dir=DATA)
    train = load_docbin(tmp_path / "out" / "train.spacy")
    assert {e.label_ for d in train for e in d.ents} == {"PER"}
    assert counts["parts"]["train"]["entities"] == {"PER": 2}
    assert counts["parts"]["train"]["relabelled_O"] == {"LOC": 1, "ORG": 2}
    assert counts["parts"]["test"]["entities"] == {"LOC": 1, "ORG": 2}
    labels = json.loads((tmp_path / "out" / "test.labels.json").read_text())
    assert list(labels) == ["LOC", "ORG"]


def test_split_cli_and_bad_input(tmp_path):
    result = runner.invoke(app, ["split", str(_fixture_split(tmp_path)), str(tmp_path / "o"),
                                 "--data", str(DATA)])
    assert result.exit_code == 0, result.output
    assert list(json.loads((tmp_path / "o" / "train.labels.json").read_text())) == ["PER"]
    assert json.loads((tmp_path / "o" / "train.forms.json").read_text())["forms"]["name"] == {"PER": "person"}
    result = runner.invoke(app, ["split", str(tmp_path / "nope.json"), str(tmp_path / "o")])
    assert result.exit_code == 1 and "does not exist" in result.output


def test_biomedical_dev_part_from_real_data(data_dir, tmp_path):
    counts = build_split(SPLITS[0].parent / "biomedical.json", tmp_path, parts=["dev"])
    dev = counts["parts"]["dev"]
    assert dev["docs"] == 1739
    assert dev["entities"] == {"cell_line": 400, "cell_type": 526}
    assert dev["relabelled_O"] == {"DNA": 1052, "RNA": 107, "protein": 2466}
