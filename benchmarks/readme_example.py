"""Run the README's "Use it from Python" block as written and record what it prints.

The README shows that block's output; this script is how that output is produced, so the two
cannot drift apart unnoticed. It reads the first ```python block under "## Use it from Python",
runs it in the project root (where ``training/kf/model-calibrated`` is, after ``spacy project run
all``), and writes stdout and stderr with the command and machine.

    python benchmarks/readme_example.py --output benchmarks/results/project_all/readme_example.json
"""
from __future__ import annotations

import argparse
import re
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from bench_utils import RESULTS, header, portable, write_json  # noqa: E402

ROOT = Path(__file__).parent.parent


def readme_block(readme: Path, section: str = "## Use it from Python") -> str:
    """The first python code block after ``section``."""
    text = readme.read_text(encoding="utf8")
    start = text.index(section)
    match = re.search(r"```python\n(.*?)```", text[start:], flags=re.S)
    if match is None:
        raise ValueError(f"no ```python block under {section!r} in {readme}")
    return match.group(1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="where the block runs (holds training/)")
    parser.add_argument("--output", type=Path, default=RESULTS / "project_all" / "readme_example.json")
    args = parser.parse_args()
    code = readme_block(ROOT / "README.md")
    done = subprocess.run([sys.executable, "-c", code], cwd=args.root, capture_output=True, text=True)
    print(done.stdout, end="")
    if done.returncode != 0:
        sys.stderr.write(done.stderr)
        raise SystemExit(f"the README block failed (rc {done.returncode})")
    write_json(args.output, {**header(), "root": portable(str(args.root.resolve())), "code": code,
                             "stdout": done.stdout, "stderr": done.stderr})


if __name__ == "__main__":
    main()
