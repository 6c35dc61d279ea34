"""What ships speaks to users: no tracked file outside tests/ talks about how its authors
worked, or names a path of the machine it was written on."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PHRASES = ("this session", "last session", "this round", "the round before", "last round", "/work/", "/tmp/work")


def tracked_files() -> list:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout: the tracked files are unknown")
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [p for p in out.decode("utf8").split("\0") if p and not p.startswith("tests/")]


def test_no_tracked_file_speaks_of_the_work_or_this_machine():
    hits = []
    for name in tracked_files():
        path = ROOT / name
        if not path.is_file():
            continue  # deleted in the working tree
        text = path.read_bytes().decode("utf8", errors="replace").lower()
        for number, line in enumerate(text.splitlines(), start=1):
            hits += [f"{name}:{number}: {phrase!r}" for phrase in PHRASES if phrase in line]
    files = sorted({hit.split(":", 1)[0] for hit in hits})
    assert not hits, f"{len(hits)} lines in {len(files)} files ({', '.join(files)}):\n" + "\n".join(hits[:40])
