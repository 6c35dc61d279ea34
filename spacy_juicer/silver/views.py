"""The views file of a corpus's types (``corpora/views.py``): the teacher's per-domain answers
from ``describe``'s run record, a one-line definition, definitions with examples taken from the
type's own mentions in the corpus (no teacher call), and the bare name in several forms.

Works for the silver corpus (answers from ``describe``) and for a gold corpus with a labels
file (the labels file's description is the only answer), so that KP and KF both train on
many wordings of every type.
"""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any, Dict, List, Optional, Union

import spacy
import srsly

from ..corpora.labels import read_labels_file
from ..corpora.views import Views, type_views, write_views
from ..records import SILVER_KEY, mention_spans
from .critic import read_docs

PathLike = Union[str, Path]


def corpus_mentions(path: PathLike, spans_key: Optional[str] = SILVER_KEY) -> Dict[str, List[str]]:
    """Mention texts per type, from ``doc.spans[spans_key]`` (else ``doc.ents``)."""
    nlp = spacy.blank("en")
    out: Dict[str, List[str]] = defaultdict(list)
    for doc in read_docs(path, nlp.vocab):
        for span in mention_spans(doc, spans_key):
            out[span.label_].append(span.text)
    return out


def build_views(
    corpus: PathLike,
    descriptions: PathLike,
    output: PathLike,
    *,
    run_record: Optional[PathLike] = None,
    spans_key: Optional[str] = SILVER_KEY,
    n_examples: int = 3,
) -> Dict[str, Any]:
    """Write the views file of the types of ``descriptions`` and return counts."""
    labels = read_labels_file(descriptions)
    answers: Dict[str, List[str]] = {t: [d] for t, d in labels.items()}
    if run_record is not None:
        per_type = srsly.read_json(run_record).get("per_type", {})
        for label, info in per_type.items():
            if label in answers:
                domain_views = [v for v in info.get("views", []) if v]
                answers[label] = domain_views + [a for a in answers[label] if a not in domain_views]
    mentions = corpus_mentions(corpus, spans_key)
    views: Views = {
        label: type_views(label, answers[label], mentions=mentions.get(label, []),
                          n_examples=n_examples)
        for label in labels
    }
    write_views(views, output)
    sizes = [len(v) for v in views.values()]
    return {
        "types": len(views),
        "views": sum(sizes),
        "views_per_type": round(sum(sizes) / max(1, len(sizes)), 2),
        "types_with_examples": sum(1 for t in labels if mentions.get(t)),
        "output": str(output),
    }
