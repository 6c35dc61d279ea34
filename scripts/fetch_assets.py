"""Fetch the assets of ``project.yml``, from a local mirror when one is given, else upstream.

``spacy project assets`` only downloads. Offline (no hub, no GitHub), a mirror folder holds the
same files: each asset names its path there (``mirror``, a key weasel ignores), so one
project.yml serves both. A mirror copy is checked against the asset's MD5 (a different file
under the right name is an error, not a silent swap). Caches (``caches``) are seeded once and
never overwritten, because a run grows them.

    python scripts/fetch_assets.py project.yml --mirror ../shared/data
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

import srsly


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("project", type=Path)
    parser.add_argument("--root", default=".", help="folder the assets' dest paths are relative to")
    parser.add_argument("--mirror", default="", help="local mirror folder ('' = upstream URLs)")
    parser.add_argument("--verify", default="true", help="check MD5 checksums (true/false)")
    parser.add_argument("--cache", action="append", default=[], metavar="SRC=DEST",
                        help="seed an answer cache DEST from SRC when DEST is missing (SRC may be absent)")
    args = parser.parse_args()
    from weasel.cli.assets import fetch_asset
    from weasel.util import get_checksum

    root = (args.project.parent / args.root).resolve()  # the caches' DEST are relative to the project
    verify = args.verify.lower() in ("1", "true", "yes")
    mirror = Path(args.mirror) if args.mirror else None
    failed = []
    for asset in srsly.read_yaml(args.project).get("assets", []):
        dest = root / asset["dest"]
        checksum = asset.get("checksum") if verify else None
        if dest.exists() and (checksum is None or get_checksum(dest) == checksum):
            print(f"ok       {asset['dest']}")
            continue
        source = mirror / asset["mirror"] if mirror is not None and asset.get("mirror") else None
        if source is not None and source.exists():
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, dest)
            print(f"copied   {asset['dest']} <- {source}")
        elif asset.get("url"):
            fetch_asset(root, asset["url"], Path(asset["dest"]), checksum)  # weasel's download
        else:
            failed.append(f"{asset['dest']}: no URL and not in the mirror {mirror} ({asset.get('description', '')})")
            continue
        if checksum is not None and (not dest.exists() or get_checksum(dest) != checksum):
            failed.append(f"{asset['dest']}: checksum differs from project.yml (expected {checksum})")
    for spec in args.cache:
        src, _, dest = spec.partition("=")
        src_path, dest_path = Path(src), args.project.parent.resolve() / dest
        if dest_path.exists():
            print(f"kept     {dest} (a cache is never overwritten)")
        elif src and src_path.exists():
            dest_path.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src_path, dest_path)
            print(f"seeded   {dest} <- {src_path}")
        else:
            print(f"empty    {dest} (no cache at {src!r}: the teacher answers every prompt)")
    for line in failed:
        print(f"FAILED   {line}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
