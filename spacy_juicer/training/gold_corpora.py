"""Knowledge fine-tuning on many gold corpora at once, as a corpus reader that ``spacy train``
drives (``spacy_juicer.GoldCorpora.v1``, the gold side of ``kf.cfg``'s blend).

Each gold corpus annotates its own types exhaustively and no other: a CRAFT sentence's gene is
annotated, a BC5CDR sentence's gene is not. So a step draws its types the way knowledge
pre-training does (``kp_corpus.py``: 10-15 types by the square root of their counts, sentences
that mention them, the other types' mentions turned into "no entity", negative types with no
mention in the step's sentences) but inside ONE corpus, where "no mention" means "none there".
The corpus of each step is drawn uniformly, so that CRAFT's 30,000 sentences do not drown
BC5CDR's or GRO's few hundred. Each doc describes each type by one of its views, drawn anew.
"""
from __future__ import annotations

import logging
import random
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Union

from spacy.language import Language
from spacy.training import Example
from spacy.util import registry

from ..corpora.doc_labels import get_doc_labels, set_doc_labels
from ..corpora.labels import LabelError, read_labels_file
from ..corpora.views import read_views
from ..student.negatives import load_negative_pool
from .kp_corpus import KnowledgePretrainingCorpus

logger = logging.getLogger("spacy_juicer.kf")
PathLike = Union[str, Path]


def merged_labels(paths: Sequence[PathLike]) -> Dict[str, str]:
    """One ``{type: description}`` of several labels files. A type that several corpora share
    (e.g. "Disease": BC5CDR's and CRAFT's) is one type, described by the first file that
    describes it: list the corpus with written descriptions before those described by name."""
    merged: Dict[str, str] = {}
    shared = []
    for path in paths:
        for name, text in read_labels_file(path).items():
            if name in merged:
                shared.append(name)
                continue
            merged[name] = text
    if shared:
        logger.info("GoldCorpora: %s described by the first labels file that has them", ", ".join(sorted(set(shared))))
    return merged


def _merged_views(paths: Sequence[PathLike]) -> Dict[str, List[str]]:
    merged: Dict[str, List[str]] = {}
    for path in paths:
        for name, views in read_views(path).items():
            merged.setdefault(name, [])
            merged[name].extend(v for v in views if v not in merged[name])
    return merged


@registry.readers("spacy_juicer.GoldCorpora.v1")
def make_gold_corpora(
    paths: List[str],
    labels: List[str],
    views: Optional[List[str]] = None,
    spans_key: Optional[str] = "gold",
    min_types: int = 10,
    max_types: int = 15,
    negatives_per_step: int = 3,
    max_docs_per_step: int = 512,
    min_type_count: int = 5,
    negative_types: Optional[str] = "builtin",
    seed: int = 0,
) -> Callable[[Language], Iterator[Example]]:
    """``paths``: one gold DocBin per corpus (a split's train parts: gold spans in
    ``doc.spans[spans_key]``); ``labels``: the labels files of their types (merged);
    ``views``: views files of the same types (``spacy-juicer views``; merged), else each type is
    described by its labels file. One call of the reader is one step of one corpus.
    ``min_type_count``: a type with fewer mentions is never drawn (GRO has types of one
    mention). ``negative_types``: a corpus with fewer than ``max_types`` types (BC5CDR has two)
    fills its steps up with negative types from this pool ("builtin": broad types far from the
    benchmarks'), so that the component never fills them with another corpus's types, which
    this corpus leaves unannotated."""
    if not paths:
        raise LabelError("GoldCorpora: give at least one gold corpus (paths).")
    missing = [p for p in paths if not Path(p).exists()]
    if missing:
        raise FileNotFoundError(f"GoldCorpora: no such gold corpus: {', '.join(map(str, missing))} (run `spacy-juicer split`).")
    descriptions = merged_labels(labels)
    by_type = _merged_views(views) if views else None
    readers = [
        KnowledgePretrainingCorpus(
            path, descriptions, spans_key=spans_key, min_types=min_types, max_types=max_types,
            negatives_per_step=negatives_per_step, epochs_per_step=1, max_docs_per_step=max_docs_per_step,
            seed=seed + i, views=by_type, min_type_count=min_type_count,
        )
        for i, path in enumerate(paths)
    ]
    taken = {t.casefold() for t in descriptions}
    pool = {t: d for t, d in load_negative_pool(negative_types).items() if t.casefold() not in taken}
    rng = random.Random(seed)

    def read(nlp: Language) -> Iterator[Example]:
        reader = rng.choice(readers)
        extra: Optional[Dict[str, str]] = None  # drawn once per step, at its first doc
        for eg in reader(nlp):
            if extra is None:
                need = max_types + negatives_per_step - len(get_doc_labels(eg.predicted) or {})
                extra = {t: pool[t] for t in rng.sample(sorted(pool), min(max(need, 0), len(pool)))}
                logger.info("KF gold step from %s, %d pool negatives", reader.path.name, len(extra))
            if extra:
                labels = {**(get_doc_labels(eg.predicted) or {}), **extra}
                set_doc_labels(eg.predicted, labels)
                set_doc_labels(eg.reference, labels)
            yield eg

    return read
