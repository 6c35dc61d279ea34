"""The keys of the data contracts between the stages, in one place.

- ``doc.user_data[RECORD_KEY]``: the teacher's record of a doc (id, status, raw answer,
  mentions, domain, model; the describe job's type, domain and description).
- ``doc.spans[RAW_KEY]``: the teacher's raw spans (every occurrence of every mention).
- ``doc.spans[GOLD_KEY]``: a converted corpus's gold spans, overlapping ones included.
- ``doc.spans[SILVER_KEY]``: the critic's silver spans.
- ``DEFAULT_DOMAIN``: the domain of a record that has none (what describe asks about).

and the readers of a DocBin and of a JSON file that every stage uses (a missing or broken file
is a clear error).
"""
from pathlib import Path
from typing import Any, List, Optional, Type, Union

import srsly

RECORD_KEY = "juicer"
RAW_KEY = "llm_raw"
GOLD_KEY = "gold"
SILVER_KEY = "silver"
DEFAULT_DOMAIN = "biomedicine"


def load_docbin(path: Union[str, Path], vocab: Any = None) -> List[Any]:
    """The Docs of a DocBin; FileNotFoundError or ValueError (naming the file) otherwise."""
    import spacy
    from spacy.tokens import DocBin

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"DocBin {path} does not exist.")
    vocab = vocab if vocab is not None else spacy.blank("en").vocab
    try:
        return list(DocBin().from_disk(path).get_docs(vocab))
    except Exception as err:  # srsly/msgpack errors are cryptic
        raise ValueError(f"{path} is not a spaCy DocBin (.spacy) ({type(err).__name__}: {err})") from err


def mention_spans(doc: Any, key: Optional[str] = SILVER_KEY) -> List[Any]:
    """The mentions of a doc: ``doc.spans[key]``, else (no key, or no such group) ``doc.ents``."""
    return list(doc.spans[key]) if key and key in doc.spans else list(doc.ents)


def read_json(path: Union[str, Path], what: str, error: Type[Exception] = ValueError) -> Any:
    """The JSON content of ``path``, or ``error`` naming ``what`` the file should be."""
    path = Path(path)
    if not path.is_file():
        raise error(f"{what} {path} does not exist.")
    try:
        return srsly.read_json(path)
    except ValueError as err:
        raise error(f"{path} is not valid JSON: {err}") from None
