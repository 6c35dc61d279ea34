"""brat standoff folders (CRAFT, GRO) to gold Docs: nested, discontinuous and note-typed
mentions, skipped annotation kinds, sentence splitting, errors naming file and line, the convert
command and brat sources in a zero-shot split."""
import json
from collections import Counter
from pathlib import Path

import pytest
import srsly
from typer.testing import CliRunner

from spacy_juicer.cli import app
from spacy_juicer.corpora.brat import BratStats, brat_pairs, read_document, split_note
from spacy_juicer.corpora.convert import guess_format, load_docbin, read_docs
from spacy_juicer.corpora.forms import readable_name
from spacy_juicer.corpora.splits import build_split
from spacy_juicer.corpora.stats import ConversionError, ConversionStats

DATA = Path(__file__).parent / "data"
BRAT = DATA / "brat"
MINI = BRAT / "mini"
RESULTS = Path(__file__).parents[1] / "benchmarks" / "results" / "corpora" / "brat_counts.json"
runner = CliRunner()


def convert(path=MINI, **kw):
    stats = BratStats()
    return list(read_docs([path], "brat", stats=stats, **kw)), stats


def gold(doc):
    return [(s.text, s.label_) for s in doc.spans["gold"]]


def test_nested_and_discontinuous_mentions_are_kept_and_counted():
    docs, stats = convert()
    assert [d.user_data["id"] for d in docs] == ["abstract2", "article1"]  # LICENSE.txt: no .ann
    article = docs[1]
    assert len(article.spans["gold"]) == 7  # the event trigger T8 "expressed" is no mention
    # nested: "Pax-2" inside "Pax-2 gene"; "striatal ... neurons" kept as its extent, which
    # holds "cortical neurons"
    assert ("Pax-2", "Protein_or_gene") in gold(article)
    assert ("Pax-2 gene", "Sequence_feature") in gold(article)
    assert ("striatal and cortical neurons", "Cell_type") in gold(article)
    assert ("cortical neurons", "Cell_type") in gold(article)
    # doc.ents: the non-overlapping subset, longest first (spacy.util.filter_spans)
    assert [e.text for e in article.ents] == [
        "kidney", "Pax-2 gene", "striatal and cortical neurons", "mRNA", "TATA box"]
    assert stats.discontinuous == Counter(Cell_type=1) and not stats.discontinuous_dropped
    assert stats.overlapping == Counter(Protein_or_gene=1, Cell_type=1, Protein=1, Promoter=1, Gene=1)
    assert stats.skipped_kinds == Counter(
        event=1, relation=1, attribute=1, normalization=1, equivalence=1, trigger=1)
    assert stats.skipped_lines == 6
    assert stats.entities == 15 and stats.docs == 2
    # "IL-2" ends inside the token "IL-2Ralpha": the token is split, the mention kept exact
    assert ("IL-2", "Gene") in gold(docs[0]) and stats.split == Counter(Gene=1)


def test_discontinuous_mentions_can_be_dropped_and_are_counted():
    docs, stats = convert(discontinuous="drop")
    article = docs[1]
    assert ("striatal and cortical neurons", "Cell_type") not in gold(article)
    assert ("cortical neurons", "Cell_type") in gold(article)
    assert stats.discontinuous_dropped == Counter(Cell_type=1) and not stats.discontinuous
    assert stats.entities == 14
    assert stats.to_dict()["discontinuous_dropped"] == {"Cell_type": 1}


def test_type_from_notes_label_id_and_only_some_brat_types():
    docs, stats = convert(documents=["article1"], type_from_notes="label")
    assert sorted(gold(docs[0])) == sorted([
        ("Pax-2", "paired box protein Pax-2"), ("Pax-2 gene", "gene"),
        ("striatal and cortical neurons", "neuron"), ("cortical neurons", "neuron"),
        ("mRNA", "mRNA"), ("TATA box", "TATA_box"),
        ("kidney", "Anatomical_entity"),  # no note: keeps its brat type, counted
    ])
    assert stats.no_note == Counter(Anatomical_entity=1)
    docs, stats = convert(documents=["article1"], type_from_notes="id",
                          notes_types=["Sequence_feature"])
    labels = Counter(label for _, label in gold(docs[0]))
    assert labels == Counter({"Cell_type": 2, "Protein_or_gene": 1, "Anatomical_entity": 1,
                              "SO:0000704": 1, "SO:0000234": 1, "SO:0000174": 1})
    assert not stats.no_note
    assert split_note("GO:0005634 nucleus") == ("GO:0005634", "nucleus")
    assert split_note("a plain note") == (None, "a plain note")


def test_sentences_end_at_line_breaks_and_crossing_mentions_keep_sentences_together():
    docs, stats = convert(sentences=True)
    texts = [d.text.rstrip() for d in docs]  # a sentence keeps the space after its last token
    assert texts == [
        "TFIID and the Oct-1 protein bind the promoter. Nuclear staining followed.",
        "HeLa cells express IL-2Ralpha.",
        "Pax genes in the kidney",  # a heading: its line break ends it
        "The Pax-2 gene is expressed in striatal and cortical neurons.",
        "Sim-1 mRNA binds the TATA box.",
    ]
    assert [d.user_data["id"] for d in docs][:2] == ["abstract2:0", "abstract2:1"]
    # "promoter. Nuclear" crosses a sentence end: the two sentences stay one doc, counted
    assert stats.crossing_sentences == Counter(CellComponent=1)
    assert ("promoter. Nuclear", "CellComponent") in gold(docs[0])
    assert stats.entities == 15 and stats.docs == 5
    assert stats.skipped_docs == 0  # blank lines are no sentences


def test_label_map_and_strict_alignment_count_what_they_leave_out():
    docs, stats = convert(label_map="Anatomical_entity=O", alignment_mode="strict")
    assert stats.dropped == Counter(Anatomical_entity=1)
    assert stats.misaligned == Counter(Gene=1)  # "IL-2" is no whole token
    assert all(s.label_ != "Anatomical_entity" for d in docs for s in d.spans["gold"])


def test_plain_conversion_stats_still_get_the_common_counts():
    stats = ConversionStats()
    list(read_docs([MINI], "brat", stats=stats))
    assert stats.entities == 15 and stats.skipped_lines == 6 and stats.docs == 2


def test_malformed_line_and_offset_mismatch_name_the_file_and_line():
    with pytest.raises(ConversionError, match=r"bad_line[/\\]doc\.ann:2: expected offsets") as err:
        convert(BRAT / "bad_line")
    assert err.value.line == 2
    with pytest.raises(ConversionError, match=r"bad_offset[/\\]doc\.ann:2: T2 text 'DNA\.' differs"):
        convert(BRAT / "bad_offset")


@pytest.mark.parametrize("line, message", [
    ("T1\tProtein 4 99\tOct-1", "past the end of the text"),
    ("T1\tProtein 9 4\tOct-1", "start > end"),
    ("T1\tProtein 4 4\t", "covers no text"),
    ("X1\tWhatever", "unknown brat annotation 'X1'"),
    ("T1 Protein 4 9 Oct-1", "expected '<id><TAB>"),
    ("T1\tProtein\tOct-1", "expected 'Type start end'"),
    ("T1\tProtein 4 9\tOct-1\nT1\tProtein 4 9\tOct-1", "duplicate annotation id 'T1'"),
])
def test_bad_annotation_lines(tmp_path, line, message):
    (tmp_path / "d.txt").write_text("The Oct-1 protein binds DNA.\n")
    (tmp_path / "d.ann").write_text(line + "\n")
    with pytest.raises(ConversionError, match=message):
        read_document(tmp_path / "d.txt")


def test_an_empty_fragment_is_left_out_of_its_mention_and_counted(tmp_path):
    # CRAFT writes one: "T350<TAB>Disease 39173 39190;39188 39188<TAB>intermediate MSUD "
    (tmp_path / "d.txt").write_text("The Oct-1 protein binds DNA.\n")
    (tmp_path / "d.ann").write_text("T1\tProtein 4 9;9 9\tOct-1 \n")
    parsed = read_document(tmp_path / "d.txt")
    assert parsed.mentions[0].fragments == [(4, 9)] and parsed.skipped == Counter({"empty fragment": 1})
    docs, stats = convert(tmp_path)
    assert gold(docs[0]) == [("Oct-1", "Protein")] and not stats.discontinuous
    assert stats.skipped_kinds == Counter({"empty fragment": 1}) and stats.skipped_lines == 0


def test_missing_and_empty_inputs(tmp_path):
    with pytest.raises(ValueError, match="holds no .ann files"):
        brat_pairs(tmp_path)
    (tmp_path / "a.ann").write_text("")
    with pytest.raises(FileNotFoundError, match="has no text file a.txt"):
        brat_pairs(tmp_path)
    with pytest.raises(ValueError, match=r"no document\(s\) \['nope'\]"):
        brat_pairs(MINI, documents=["nope"])
    with pytest.raises(ValueError, match="Unknown discontinuous mode"):
        convert(discontinuous="merge")
    with pytest.raises(ValueError, match="set type_from_notes too"):
        convert(notes_types=["Cell_type"])


def test_convert_command_on_a_brat_folder(tmp_path):
    assert guess_format(MINI) == "brat"
    out, stats_path = tmp_path / "mini.spacy", tmp_path / "stats.json"
    result = runner.invoke(app, [
        "convert", str(MINI), str(out), "--sentences", "--discontinuous", "drop",
        "--type-from-notes", "label", "--notes-types", "Sequence_feature,Cell_type",
        "--stats", str(stats_path),
    ])
    assert result.exit_code == 0, result.output
    assert "skipped annotation lines: attribute 1" in result.output
    docs = load_docbin(out)
    assert len(docs) == 5
    labels = {s.label_ for d in docs for s in d.spans["gold"]}
    assert {"gene", "neuron", "TATA_box", "Protein_or_gene", "Protein"} <= labels
    stats = json.loads(stats_path.read_text())
    assert stats["format"] == "brat" and stats["discontinuous_dropped"] == {"neuron": 1}
    assert stats["skipped_kinds"]["trigger"] == 1
    result = runner.invoke(app, ["convert", str(BRAT / "bad_offset"), str(out)])
    assert result.exit_code == 1 and "doc.ann:2" in result.output


def test_type_names_become_words():
    assert readable_name("TranscriptionFactor") == "transcription factor"
    assert readable_name("Protein_or_gene") == "protein or gene"
    assert readable_name("RNAPolymeraseII") == "RNA polymerase II"
    assert readable_name("MessengerRNA") == "messenger RNA"
    assert readable_name("bHLHTF") == "bHLH TF" and readable_name("HMGTF") == "HMG TF"
    assert readable_name("TATAbox") == "TATA box" and readable_name("NcRNA") == "ncRNA"
    assert readable_name("DNABindingDomainOfTF") == "DNA binding domain of TF"
    assert readable_name("X_Chromosome") == "X chromosome"
    assert readable_name("GO:0005634 nucleus") == "nucleus"
    assert readable_name("SO:0000417 polypeptide_domain") == "polypeptide domain"
    assert readable_name("NCBITaxon:9606 Homo sapiens") == "Homo sapiens"
    # the project's own names read as before
    assert readable_name("GENE") == "gene" and readable_name("OTHER_PERSON") == "other person"
    assert readable_name("SpecificDisease") == "specific disease" and readable_name("DNA") == "DNA"
    assert readable_name("Graves'") == "graves'"


def test_split_with_brat_sources(tmp_path):
    counts = build_split(BRAT / "split.json", tmp_path, data_dir=DATA)
    parts = counts["parts"]
    # "Pax-2" was nested in "Pax-2 gene" (O here): it is back in doc.ents
    assert parts["train"]["entities"] == {"Anatomical_entity": 1, "Protein_or_gene": 1}
    assert parts["train"]["relabelled_O"] == {"Cell_type": 1, "Sequence_feature": 3}
    assert parts["train"]["conversion"]["discontinuous"] == {"Cell_type": 1}
    assert parts["dev"]["entities"] == {"neuron": 1}  # from the notes; the nested one is in spans
    assert parts["dev"]["conversion"]["discontinuous"] == {"neuron": 1}
    assert parts["test"]["conversion"]["crossing_sentences"] == {"CellComponent": 1}
    labels = srsly.read_json(tmp_path / "test.labels.json")
    assert labels == {"TranscriptionFactor": "transcription factor", "Protein": "protein"}
    forms = srsly.read_json(tmp_path / "train.forms.json")["forms"]
    assert forms["plain"]["Protein_or_gene"] == "protein or gene"
    test = load_docbin(tmp_path / "test.spacy")
    assert {s.label_ for d in test for s in d.spans["gold"]} == {"TranscriptionFactor", "Protein"}


def _ann_lines(paths):
    """Entity lines of .ann files read without the converter: (all, discontinuous)."""
    total = fragmented = 0
    for path in paths:
        for line in Path(path).read_text(encoding="utf8").splitlines():
            if line.startswith("T"):
                total += 1
                fragmented += ";" in line.split("\t")[1]
    return total, fragmented


def _accounted(stats):
    return (stats.entities + sum(stats.misaligned.values()) + sum(stats.dropped.values())
            + sum(stats.discontinuous_dropped.values()))


@pytest.mark.slow  # about 4 s of conversion on a free core, more on a busy machine
def test_real_craft_and_gro_files_are_all_accounted_for(data_dir):
    """Every entity line of two CRAFT articles and of GRO devel is kept or counted, and their
    rates match the converter's report on the whole corpora (benchmarks/brat_counts.py)."""
    full = srsly.read_json(RESULTS)["corpora"]
    craft = Path(data_dir) / "craft"
    names = ["15018652", "11597317"]  # the two shortest articles
    docs, stats = convert(craft, sentences=True, documents=names)
    total, fragmented = _ann_lines(craft / f"{n}.ann" for n in names)
    assert _accounted(stats) == total and sum(stats.discontinuous.values()) == fragmented
    assert stats.skipped_kinds == Counter() and not stats.text_mismatch
    chars = sum(len((craft / f"{n}.txt").read_text(encoding="utf8")) for n in names)
    whole = full["craft"]["all"]
    # per character of text, as many mentions and sentences as the whole corpus, within 2x
    assert 0.5 < (stats.entities / chars) / (whole["mentions_kept"] / whole["characters"]) < 2
    assert 0.5 < (stats.docs / chars) / (whole["sentences"] / whole["characters"]) < 2

    devel = Path(data_dir) / "bionlp-st-2013-gro" / "devel"
    docs, stats = convert(devel, sentences=True)
    total, fragmented = _ann_lines(devel.glob("*.ann"))
    assert _accounted(stats) == total and sum(stats.discontinuous.values()) == fragmented
    gro = full["gro"]["devel"]
    assert gro["mentions_kept"] == stats.entities and gro["sentences"] == stats.docs
    all_gro = sum(full["gro"][s]["mentions_kept"] for s in ("train", "devel", "test"))
    all_docs = sum(full["gro"][s]["documents"] for s in ("train", "devel", "test"))
    n_docs = len(list(devel.glob("*.ann")))
    assert 0.5 < (stats.entities / n_docs) / (all_gro / all_docs) < 2
