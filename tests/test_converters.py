"""PubTator and JSONL converters, the label map, and the convert command."""
from collections import Counter
from pathlib import Path

import pytest
from spacy.tokens import DocBin
from typer.testing import CliRunner

from spacy_juicer.cli import app
from spacy_juicer.corpora.convert import load_docbin, read_docs
from spacy_juicer.corpora.labelmap import parse_label_map
from spacy_juicer.corpora.stats import ConversionError, ConversionStats

DATA = Path(__file__).parent / "data"
runner = CliRunner()


def docs_of(path, fmt, **kw):
    stats = ConversionStats()
    return list(read_docs([path], fmt, stats=stats, **kw)), stats


def test_pubtator_offsets_overlaps_and_relations():
    docs, stats = docs_of(DATA / "mini.pubtator", "pubtator")
    assert len(docs) == 2
    doc = docs[0]
    assert doc.text.startswith("Aspirin-induced asthma. Asthma after")
    assert doc.user_data["id"] == "1"
    # 6 mentions: all in spans["gold"], the overlapping ones not in ents
    assert len(doc.spans["gold"]) == 6
    assert [(e.text, e.label_) for e in doc.ents] == [
        ("Aspirin", "Chemical"), ("asthma. Asthma", "Disease"), ("aspirin", "Chemical")]
    assert stats.kept == Counter(Chemical=2, Disease=4)
    assert stats.overlapping == Counter(Disease=3)
    assert stats.skipped_lines == 1  # the CID relation
    # "sthm" ends inside "Asthma": the token is split, the mention kept exact, nothing moved
    assert stats.realigned == Counter() and stats.split == Counter(Disease=1)
    assert stats.split_tokens == 1
    assert [t.text for t in doc[5:10]] == ["A", "sthm", "a", "after", "aspirin"]
    assert ("sthm", "Disease") in [(s.text, s.label_) for s in doc.spans["gold"]]
    assert stats.text_mismatch == Counter()


def test_pubtator_expand_mode_widens_what_splitting_keeps_exact():
    docs, stats = docs_of(DATA / "mini.pubtator", "pubtator", alignment_mode="expand")
    assert stats.realigned == Counter(Disease=1) and stats.split_tokens == 0
    assert ("Asthma", "Disease") in [(s.text, s.label_) for s in docs[0].spans["gold"] if s.start_char == 24]


def test_pubtator_strict_alignment_counts_misaligned():
    docs, stats = docs_of(DATA / "mini.pubtator", "pubtator", alignment_mode="strict")
    assert stats.misaligned == Counter(Disease=1)
    assert stats.kept == Counter(Chemical=2, Disease=3)


def test_pubtator_sentences_keep_crossing_mentions():
    docs, stats = docs_of(DATA / "mini.pubtator", "pubtator", sentences=True)
    # doc 1 has 3 sentences, but "asthma. Asthma" crosses the first boundary: 2 sentence docs
    assert [d.text.strip() for d in docs[:2]] == [
        "Aspirin-induced asthma. Asthma after aspirin.", "New line here."]
    assert stats.crossing_sentences == Counter(Disease=1)
    assert stats.kept == Counter(Chemical=2, Disease=4)
    assert docs[0].user_data["id"] == "1:0"


def test_pubtator_label_map_merge_and_drop():
    docs, stats = docs_of(DATA / "mini.pubtator", "pubtator", label_map="Chemical=O,Disease=D")
    assert stats.dropped == Counter(Chemical=2)
    assert {e.label_ for e in docs[0].ents} == {"D"}


def test_pubtator_malformed(tmp_path):
    bad = tmp_path / "bad.txt"
    bad.write_text("1|t|Title.\n1\t0\tx\tTitle\tT\n")
    with pytest.raises(ConversionError, match=r"bad.txt:2:"):
        docs_of(bad, "pubtator")
    bad.write_text("1|t|Title.\n1\t0\t99\tTitle\tT\tx\n")
    with pytest.raises(ConversionError, match=r"bad.txt:2: offset 99"):
        docs_of(bad, "pubtator")


def test_jsonl_and_error_line():
    with pytest.raises(ConversionError, match=r"mini.jsonl:4: entity"):
        docs_of(DATA / "mini.jsonl", "jsonl")
    stats = ConversionStats()
    docs = []
    with pytest.raises(ConversionError):
        for doc in read_docs([DATA / "mini.jsonl"], "jsonl", stats=stats):
            docs.append(doc)
    assert [(e.text, e.label_) for e in docs[0].ents] == [("Justice A. Rao", "JUDGE"),
                                                          ("Delhi", "GPE")]
    assert docs[0].user_data["id"] == 7
    assert list(docs[1].ents) == []


def test_label_map_parsing(tmp_path):
    assert parse_label_map("A=B, C=B,D=O") == {"A": "B", "C": "B", "D": "O"}
    f = tmp_path / "map.json"
    f.write_text('{"SpecificDisease": "Disease"}')
    assert parse_label_map(str(f)) == {"SpecificDisease": "Disease"}
    with pytest.raises(ValueError, match="OLD=NEW"):
        parse_label_map("nonsense")


def test_ncbi_pubtator_counts(data_dir):
    path = data_dir / "ncbi-disease/original-data/devel/NCBIdevelopset_corpus.txt"
    docs, stats = docs_of(path, "pubtator")
    assert len(docs) == 100
    assert dict(stats.kept) == {"SpecificDisease": 412, "Modifier": 214, "DiseaseClass": 126,
                                "CompositeMention": 35}
    assert stats.text_mismatch == Counter() and stats.misaligned == Counter()
    merged = {k: "Disease" for k in stats.kept}
    _, stats = docs_of(path, "pubtator", label_map=merged, sentences=True)
    assert dict(stats.kept) == {"Disease": 787}


def test_bc5cdr_pubtator_counts(data_dir):
    path = data_dir / "bc5cdr/pubtator/CDR_DevelopmentSet.PubTator.txt"
    docs, stats = docs_of(path, "pubtator")
    assert len(docs) == 500
    assert dict(stats.kept) == {"Chemical": 5347, "Disease": 4244}
    assert stats.text_mismatch == Counter()
    assert stats.skipped_lines > 0  # CID relations


def raw_mentions(path):
    """Mention lines of a PubTator file, counted by type, without the converter."""
    counts = Counter()
    for line in path.read_text(encoding="utf8").splitlines():
        cols = line.split("\t")
        if len(cols) >= 5 and cols[1].isdigit():
            counts[cols[4]] += 1
    return counts


@pytest.mark.parametrize("sentences", [False, pytest.param(True, marks=pytest.mark.slow)])  # splitting: ~5 s
def test_bc5cdr_test_keeps_every_gold_mention_exact(data_dir, sentences):
    path = data_dir / "bc5cdr/pubtator/CDR_TestSet.PubTator.txt"
    assert raw_mentions(path) == Counter(Chemical=5385, Disease=4424)
    docs, stats = docs_of(path, "pubtator", sentences=sentences)
    # in doc.ents, not only in spans["gold"]: the tokenizer's "Ca2+-ATPase" must not merge two mentions
    assert Counter(e.label_ for d in docs for e in d.ents) == Counter(Chemical=5385, Disease=4424)
    assert Counter(s.label_ for d in docs for s in d.spans["gold"]) == Counter(Chemical=5385, Disease=4424)
    assert stats.overlapping == Counter() and stats.realigned == Counter() and stats.misaligned == Counter()
    assert stats.split == Counter(Chemical=132, Disease=7) and stats.split_tokens == 124


def test_inlegalner_jsonl_counts(data_dir):
    docs, stats = docs_of(data_dir / "inlegalner/dev.derived.jsonl", "jsonl")
    assert len(docs) == 1074 and stats.entities == 3028


def test_convert_cli(tmp_path):
    out = tmp_path / "out.spacy"
    result = runner.invoke(app, ["convert", str(DATA / "bio.tsv"), str(out), "-m", "PER=O",
                                 "--stats", str(tmp_path / "s.json")])
    assert result.exit_code == 0, result.output
    assert "PER: dropped=2" in result.output
    docs = load_docbin(out)
    assert len(docs) == 2 and {e.label_ for d in docs for e in d.ents} == {"LOC", "ORG"}
    assert docs[0].user_data["id"] == "bio.tsv:0"
    assert '"dropped"' in (tmp_path / "s.json").read_text()


@pytest.mark.parametrize(
    "args,message",
    [
        (["tests/data/bad.tsv", "x.spacy"], "bad.tsv:3"),
        (["tests/data/bio.tsv", "x.spacy", "--format", "xml"], "Unknown format"),
        (["tests/data/missing.tsv", "x.spacy", "-f", "conll"], "not found"),
        (["tests/data/mini.pubtator", "x.spacy", "-f", "pubtator", "--alignment-mode", "x"],
         "alignment mode"),
        (["tests/data/bio.tsv", "x.spacy", "--scheme", "bilou2"], "scheme"),
    ],
)
def test_convert_cli_bad_input(tmp_path, args, message):
    args = [a if not a.endswith(".spacy") else str(tmp_path / a) for a in args]
    result = runner.invoke(app, ["convert", *args])
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output
    assert isinstance(result.exception, SystemExit) and result.exception.code == 1  # a clean exit, no crash
