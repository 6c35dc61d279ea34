"""Corpus statistics on the silver fixture (the 14 sentences of test_critic.py through the
default critic rules: 10 sentences kept).

Hand count of the silver docs (mentions per sentence, domain):
  IBD 3 biomedicine, TSC 3 oncology, cAMP 4 molecular biology, PPM 5 cardiology,
  vancomycin 2 pharmacology, COVID 6 virology, older patients 5 medicine, MRI 3 radiology,
  CF 2 medicine, pre-eclampsia 1 obstetrics
-> 34 mentions; per sentence sorted 1,2,2,3,3,3,4,5,5,6: mean 3.4, median 3, max 6;
   9 domains (medicine twice); 9 types, Disease 17 of 34 mentions (the top 1% of 9 types is 1 type);
   mention-type links: 34 minus the repeats patients x3, COVID-19 x2, coronavirus disease 2019 x2 = 30.
"""
from __future__ import annotations

import json

from spacy.tokens import DocBin

from spacy_juicer.silver.stats import band_shares, corpus_stats

from .silver_data import silver_docs


def test_stats_numbers():
    stats = corpus_stats(silver_docs(), descriptions={"Disease": "A disease is an illness.", "Protein": "A large biomolecule."})
    assert (stats["sentences"], stats["mentions"], stats["types"], stats["domains"]) == (10, 34, 9, 9)
    assert stats["distinct_mention_type_links"] == 30
    assert stats["mentions_per_sentence"] == {"mean": 3.4, "median": 3.0, "min": 1, "max": 6}
    assert stats["type_bands"][0] == {"band": "top 1%", "items": 1, "occurrences": 17, "share": 0.5, "examples": ["Disease"]}
    assert sum(b["items"] for b in stats["type_bands"]) == 9
    assert stats["top_domains"][0] == {"domain": "medicine", "sentences": 2, "share": 0.2}
    assert stats["top_types"][1] == {"type": "Patient group", "mentions": 3, "share": round(3 / 34, 4)}
    assert stats["descriptions"]["words"] == {"mean": 4.0, "median": 4.0, "min": 3, "max": 5}
    assert len(stats["descriptions"]["silver_types_without_description"]) == 7


def test_band_shares_on_a_long_tail():
    from collections import Counter

    # 200 types: one with 800 mentions, one with 100, 198 with 1 -> top 1% = 2 types
    counts = Counter({"A": 800, "B": 100, **{f"t{i}": 1 for i in range(198)}})
    bands = band_shares(counts)
    assert [b["items"] for b in bands] == [2, 18, 180]
    assert bands[0]["share"] == round(900 / 1098, 4)


def test_stats_command_writes_files(tmp_path):
    from typer.testing import CliRunner

    from spacy_juicer.cli import app

    silver = tmp_path / "silver.spacy"
    DocBin(docs=silver_docs(), store_user_data=True).to_disk(silver)
    labels = tmp_path / "descriptions.json"
    labels.write_text(json.dumps({"Disease": "A disease is an illness of the body."}))
    result = CliRunner().invoke(app, ["stats", str(silver), str(tmp_path / "stats"), "--descriptions", str(labels)])
    assert result.exit_code == 0, result.output
    out = tmp_path / "stats"
    stats = json.loads((out / "stats.json").read_text())
    assert stats["mentions"] == 34 and stats["descriptions"]["words"]["max"] == 8
    assert "| sentences | 10 |" in (out / "stats.md").read_text()
    for name in ("type_frequencies.png", "top_domains.png"):
        data = (out / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5000
    bad = CliRunner().invoke(app, ["stats", str(tmp_path / "missing.spacy"), str(out)])
    assert bad.exit_code == 1 and "does not exist" in bad.output
    missing = tmp_path / "missing.json"
    bad = CliRunner().invoke(app, ["stats", str(silver), str(out), "--descriptions", str(missing)])
    assert bad.exit_code == 1 and "missing.json does not exist" in bad.output
