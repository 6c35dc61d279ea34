"""scripts/fetch_assets.py: project.yml's assets from a local mirror, checksums enforced,
caches seeded once and never overwritten."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

import srsly

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "fetch_assets.py"


def fetch(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), str(project / "project.yml"), *args],
                          capture_output=True, text=True, cwd=project)


def test_mirror_copy_checksum_and_cache_seeding(tmp_path):
    mirror = tmp_path / "mirror"
    (mirror / "gold").mkdir(parents=True)
    (mirror / "gold" / "train.tsv").write_text("Aspirin\tB-Chemical\n\n")
    (mirror / "answers.jsonl").write_text('{"key": "k", "answer": "a"}\n')
    md5 = hashlib.md5((mirror / "gold" / "train.tsv").read_bytes()).hexdigest()
    project = tmp_path / "project"
    project.mkdir()
    asset = {"dest": "assets/train.tsv", "mirror": "gold/train.tsv", "checksum": md5, "url": "https://example.invalid/x"}
    srsly.write_yaml(project / "project.yml", {"assets": [asset]})
    cache = f"--cache={mirror / 'answers.jsonl'}=corpus/cache/answers.jsonl"
    done = fetch(project, "--mirror", str(mirror), cache)
    assert done.returncode == 0, done.stderr
    assert (project / "assets" / "train.tsv").read_text().startswith("Aspirin")
    assert (project / "corpus" / "cache" / "answers.jsonl").exists() and "seeded" in done.stdout
    # a grown cache is kept; a present asset with the right checksum is not copied again
    (project / "corpus" / "cache" / "answers.jsonl").write_text("grown\n")
    again = fetch(project, "--mirror", str(mirror), cache)
    assert "ok       assets/train.tsv" in again.stdout and "kept" in again.stdout
    assert (project / "corpus" / "cache" / "answers.jsonl").read_text() == "grown\n"
    # a different file under the right name is an error, not a silent swap
    (project / "assets" / "train.tsv").unlink()
    (mirror / "gold" / "train.tsv").write_text("something else\n")
    bad = fetch(project, "--mirror", str(mirror))
    assert bad.returncode == 1 and "checksum differs" in bad.stderr
    # without --verify the copy is accepted (the smoke workflow's tiny slices)
    assert fetch(project, "--mirror", str(mirror), "--verify", "false").returncode == 0
