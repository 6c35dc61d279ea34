"""Knowledge pre-training (JUICER's KP) as a corpus reader that ``spacy train`` drives.

Each KP step draws a fresh random subset of 10-15 silver types, keeps the sentences that
mention at least one of them (at most ``max_docs_per_step``), turns every other type's mentions
into "no entity", and adds a few negative types: silver types with no mention in the kept
sentences. The step's types, with their descriptions, travel on each doc as
``doc._.zero_shot_labels``, so the component scores exactly those; with a views file
(``spacy-juicer views``) each doc describes each type with one of its views, drawn at random,
so that the student learns meanings, not one wording. One call of the reader is one
spaCy epoch; a step lasts ``epochs_per_step`` calls (JUICER: 30 steps of 4 epochs). ``spacy
train`` only calls a reader once per epoch when ``[training] max_epochs = -1`` (streamed
corpora); ``max_steps`` then bounds the run (the packaged ``kp.cfg``).
"""
from __future__ import annotations

import logging
import random
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, Iterator, List, Mapping, Optional, Union

from spacy.language import Language
from spacy.tokens import Doc, DocBin
from spacy.training import Example
from spacy.util import filter_spans, registry

from ..corpora.doc_labels import set_doc_labels
from ..corpora.labels import LabelError, read_labels_file
from ..corpora.views import read_views
from ..records import mention_spans

logger = logging.getLogger("spacy_juicer.kp")
# A step draws its types in proportion to the square root of their mention counts, so that in a
# short run frequent types recur across steps instead of each of hundreds of types being seen in
# about one step (JUICER draws uniformly: at 400 updates on 2 CPU cores that model found nothing;
# docs/results.md).
TYPE_SAMPLING_POWER = 0.5
PathLike = Union[str, Path]


class KnowledgePretrainingCorpus:
    """Silver docs regrouped, step by step, around random subsets of their types."""

    def __init__(
        self,
        path: Optional[PathLike],
        descriptions: Union[PathLike, Mapping[str, str], None],
        *,
        spans_key: Optional[str] = "silver",
        min_types: int = 10,
        max_types: int = 15,
        negatives_per_step: int = 3,
        epochs_per_step: int = 4,
        max_docs_per_step: int = 50_000,
        limit: int = 0,
        min_type_count: int = 1,
        seed: int = 0,
        views: Union[PathLike, Mapping[str, List[str]], None] = None,
    ) -> None:
        if not 1 <= min_types <= max_types:
            raise ValueError("KP reader: need 1 <= min_types <= max_types.")
        if epochs_per_step < 1 or max_docs_per_step < 1 or negatives_per_step < 0:
            raise ValueError("KP reader: epochs_per_step and max_docs_per_step >= 1, negatives_per_step >= 0.")
        # no silver (path null): a config whose blend never reads it (KF with schedule "gold")
        self.path = Path(path) if path else None
        if self.path is not None and not self.path.exists():
            raise FileNotFoundError(f"KP reader: silver corpus {self.path} does not exist (run `spacy-juicer critic`).")
        if self.path is not None and not descriptions:
            raise LabelError("KP reader: give the silver types' descriptions (describe's labels file).")
        self.descriptions = _labels(descriptions) if self.path is not None else {}
        # many wordings of each type (corpora/views.py): each doc of a step gets one at random
        self.views = (dict(views) if isinstance(views, Mapping) else read_views(views)) if views and self.path is not None else None
        self.spans_key = spans_key
        self.min_types, self.max_types = min_types, max_types
        self.negatives_per_step = negatives_per_step
        self.epochs_per_step = epochs_per_step
        self.max_docs_per_step = max_docs_per_step
        self.limit = limit
        self.min_type_count = min_type_count
        self.rng = random.Random(seed)
        self.calls = 0
        self._docs: Optional[List[Doc]] = None
        self._step: Optional[Dict] = None

    # -- data
    def _load(self, nlp: Language) -> List[Doc]:
        if self.path is None:
            raise LabelError("KP reader: no silver corpus was given (set paths.silver, or blend with schedule \"gold\").")
        if self._docs is None:
            docs = list(DocBin().from_disk(self.path).get_docs(nlp.vocab))
            if self.limit:
                docs = docs[: self.limit]
            self._docs = docs
            self._by_type: Dict[str, List[int]] = defaultdict(list)
            counts: Counter = Counter()
            for i, doc in enumerate(docs):
                labels = [s.label_ for s in mention_spans(doc, self.spans_key)]
                counts.update(labels)
                for label in dict.fromkeys(labels):
                    self._by_type[label].append(i)
            described = set(self.descriptions)
            self.types = sorted(t for t in self._by_type if t in described and counts[t] >= self.min_type_count)
            self._weights = [counts[t] ** TYPE_SAMPLING_POWER for t in self.types]
            missing = sorted(set(self._by_type) - described)
            if missing:
                logger.warning("KP reader: %d silver types have no description and are left out: %s", len(missing), ", ".join(missing[:10]))
            if not self.types:
                raise LabelError(f"KP reader: no type of {self.path} has a description in the descriptions file.")
            logger.info("KP reader: %d silver docs, %d described types", len(docs), len(self.types))
        return self._docs

    # -- steps
    def draw_step(self) -> Dict:
        """A new step: its types, its docs and its negative types."""
        k = min(self.rng.randint(self.min_types, self.max_types), len(self.types))
        chosen = self._sample_types(k)
        doc_ids = sorted({i for t in chosen for i in self._by_type[t]})
        if len(doc_ids) > self.max_docs_per_step:
            doc_ids = sorted(self.rng.sample(doc_ids, self.max_docs_per_step))
        mentioned = {s.label_ for i in doc_ids for s in mention_spans(self._docs[i], self.spans_key)}
        absent = [t for t in self.types if t not in mentioned and t not in chosen]
        negatives = self.rng.sample(absent, min(self.negatives_per_step, len(absent)))
        return {"types": chosen, "negatives": negatives, "docs": doc_ids}

    def _sample_types(self, k: int) -> List[str]:
        """k distinct types, each drawn with probability proportional to its weight (weighted
        sampling without replacement: the k largest of u ** (1 / w), Efraimidis-Spirakis)."""
        keys = [self.rng.random() ** (1.0 / w) for w in self._weights]
        order = sorted(range(len(self.types)), key=lambda i: keys[i], reverse=True)[:k]
        return [self.types[i] for i in order]

    def __call__(self, nlp: Language) -> Iterator[Example]:
        docs = self._load(nlp)
        if self._step is None or self.calls % self.epochs_per_step == 0:
            self._step = self.draw_step()
            logger.info(
                "KP step %d: %d types (%s), %d negative types, %d docs",
                self.calls // self.epochs_per_step + 1,
                len(self._step["types"]),
                ", ".join(self._step["types"]),
                len(self._step["negatives"]),
                len(self._step["docs"]),
            )
        self.calls += 1
        step = self._step
        keep = set(step["types"])
        step_types = step["types"] + step["negatives"]
        labels = {t: self.descriptions[t] for t in step_types}
        order = list(step["docs"])
        self.rng.shuffle(order)
        for i in order:
            silver = docs[i]
            reference = silver.copy()
            reference.spans.clear()
            reference.ents = filter_spans([s for s in mention_spans(silver, self.spans_key) if s.label_ in keep])
            if self.views is not None:
                labels = {t: self._view(t) for t in step_types}
            set_doc_labels(reference, labels)
            predicted = set_doc_labels(nlp.make_doc(silver.text), labels)
            yield Example(predicted, reference)

    def _view(self, label: str) -> str:
        views = self.views.get(label) if self.views is not None else None
        return self.rng.choice(views) if views else self.descriptions[label]


def _labels(descriptions: Union[PathLike, Mapping[str, str]]) -> Dict[str, str]:
    return dict(descriptions) if isinstance(descriptions, Mapping) else read_labels_file(descriptions)


# ``[corpora.train]`` for knowledge pre-training on a silver DocBin (``critic``'s output) and
# its types' descriptions (``describe``'s labels file): the class is the registered reader.
make_kp_corpus = registry.readers("spacy_juicer.KnowledgePretraining.v1")(KnowledgePretrainingCorpus)
