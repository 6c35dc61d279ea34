"""The frozen-encoder fast mode: features computed once (the feature store), a head that
learns, model bytes that carry no store, and a store that survives runs and reports damage."""
import sqlite3

import numpy
import pytest
import spacy

from spacy_juicer.student.feature_store import FeatureStore, FeatureStoreError, feature_key
from spacy_juicer.student.frozen_bi_encoder import attach_feature_store, get_feature_store

from .conftest import LABELS, SMALL_MODEL as FROZEN, make_examples, needs_minilm


def test_store_round_trip_on_disk_and_between_instances(tmp_path):
    path = tmp_path / "f.sqlite"
    store = FeatureStore(path)
    key = feature_key("enc", "tokens", "Aspirin helps.", [0, 8, 13])
    assert key != feature_key("enc", "tokens", "Aspirin helps.", [0, 7, 13])
    array = numpy.arange(12, dtype="float32").reshape(3, 4)
    store.put_many({key: array})
    store.close()
    again = FeatureStore(path)
    got = again.get_many([key, "absent"])
    assert list(got) == [key] and got[key].dtype == numpy.float16
    numpy.testing.assert_array_equal(got[key], array)
    assert len(again) == 1 and again.stats()["misses"] == 1


def test_damaged_store_is_a_clear_error(tmp_path):
    path = tmp_path / "junk.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(FeatureStoreError, match="Delete it"):
        FeatureStore(path)
    good = tmp_path / "cut.sqlite"
    store = FeatureStore(good)
    store.put_many({"k": numpy.ones((2, 3), dtype="float32")})
    store.close()
    conn = sqlite3.connect(good)
    conn.execute("UPDATE features SET data = substr(data, 1, 4)")
    conn.commit()
    conn.close()
    with pytest.raises(FeatureStoreError, match="damaged"):
        FeatureStore(good).get_many(["k"])


@pytest.fixture(scope="module")
def frozen_nlp(tmp_path_factory):
    from .conftest import minilm_installed

    if not minilm_installed():
        pytest.skip("MiniLM-L6 weights missing")
    from thinc.api import Adam, fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("en")
    ner = nlp.add_pipe(
        "zero_shot_ner",
        config={"model": FROZEN, "labels": LABELS, "mask_prob": 0.0, "negative_types": "none"},
    )
    store = FeatureStore(tmp_path_factory.mktemp("store") / "features.sqlite")
    attach_feature_store(ner.model, store)
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    optimizer = Adam(1e-3)
    for _ in range(40):
        nlp.update(examples, sgd=optimizer, drop=0.0)
    return nlp


@needs_minilm
def test_the_head_learns_and_the_encoder_stays_frozen(frozen_nlp):
    ner = frozen_nlp.get_pipe("zero_shot_ner")
    encoder = ner.model.get_ref("encoder").shims[0]._model
    assert not any(p.requires_grad for p in encoder.parameters())
    docs = list(frozen_nlp.pipe(text for text, _ in [("Aspirin reduces the risk of myocardial infarction.", 0)]))
    assert {(e.text, e.label_) for e in docs[0].ents} == {("Aspirin", "Chemical"), ("myocardial infarction", "Disease")}


@needs_minilm
def test_features_are_computed_once_per_text(frozen_nlp):
    store = get_feature_store(frozen_nlp.get_pipe("zero_shot_ner").model)
    n = len(store)
    # 6 sentences and 2 descriptions, whatever the number of updates
    assert n == 8
    before = store.stats()["hits"]
    frozen_nlp("Aspirin reduces the risk of myocardial infarction.")
    assert len(store) == n and store.stats()["hits"] > before


@needs_minilm
def test_bytes_carry_no_store_and_do_not_depend_on_predictions(frozen_nlp, tmp_path):
    ner = frozen_nlp.get_pipe("zero_shot_ner")
    new = "Cisplatin caused renal failure in a new sentence."
    frozen_nlp.make_doc(new)  # its words into the vocab, which the component's bytes also hold
    for label in LABELS:
        frozen_nlp.vocab.strings.add(label)
    before = ner.to_bytes()
    frozen_nlp(new)  # new features computed and stored
    assert ner.to_bytes() == before
    frozen_nlp.to_disk(tmp_path / "model")
    loaded = spacy.load(tmp_path / "model")
    text = "Ibuprofen overdose led to gastric ulcer."
    ours = [(e.text, e.label_) for e in frozen_nlp(text).ents]
    assert [(e.text, e.label_) for e in loaded(text).ents] == ours
    assert len(get_feature_store(loaded.get_pipe("zero_shot_ner").model)) == 3  # in memory only


def frozen_variant(model: dict):
    """A frozen-mode pipeline with ``model`` settings over FROZEN, initialized on the tiny set."""
    from thinc.api import fix_random_seed

    fix_random_seed(0)
    nlp = spacy.blank("en")
    # gold types that exclude each other: an entity token weighs fully against the other type
    config = {"model": {**FROZEN, **model}, "labels": LABELS, "negative_types": "none", "other_type_weight": 1.0}
    nlp.add_pipe("zero_shot_ner", config=config)
    examples = make_examples(nlp)
    nlp.initialize(lambda: examples)
    return nlp, examples


def train_tiny(nlp, examples, updates: int) -> None:
    from thinc.api import Adam

    optimizer = Adam(1e-3)
    for _ in range(updates):
        nlp.update(examples, sgd=optimizer, drop=0.0)


def assert_fits_and_round_trips(nlp, tmp_path) -> None:
    """The tiny set's entities are found, and the saved pipeline finds the same."""
    text = "Aspirin reduces the risk of myocardial infarction."
    ents = {(e.text, e.label_) for e in nlp(text).ents}
    assert ents == {("Aspirin", "Chemical"), ("myocardial infarction", "Disease")}
    nlp.to_disk(tmp_path / "model")
    assert {(e.text, e.label_) for e in spacy.load(tmp_path / "model")(text).ents} == ents


@pytest.mark.slow
@needs_minilm
def test_tokens_from_several_layers_learn_and_round_trip(tmp_path):
    """token_layers joins the pooled states of the chosen layers (the last of them equal to the
    one-layer mode's features, a key of their own in the store); the pipeline fits the tiny
    set, saves and loads; bad values are clear."""
    from spacy_juicer.student.frozen_bi_encoder import token_features

    nlp, examples = frozen_variant({"token_layers": [2, -1]})
    model = nlp.get_pipe("zero_shot_ner").model
    docs = [eg.reference for eg in examples[:2]]
    mixed = token_features(model, docs)
    plain, _ = frozen_variant({"token_layers": [-1]})
    last = token_features(plain.get_pipe("zero_shot_ner").model, docs)
    assert mixed[0].shape == (len(docs[0]), 2 * 384)
    numpy.testing.assert_allclose(mixed[0][:, 384:].astype("f"), last[0].astype("f"), atol=2e-2)
    assert not numpy.allclose(mixed[0][:, :384].astype("f"), last[0].astype("f"), atol=2e-2)
    train_tiny(nlp, examples, 40)
    assert_fits_and_round_trips(nlp, tmp_path)
    assert list(nlp("").ents) == [] and list(nlp(" ").ents) == []  # no token: no layer, no span
    for bad in ({"token_layers": []}, {"token_layers": [2, 2]}):
        with pytest.raises(ValueError):
            nlp.add_pipe("zero_shot_ner", name=f"bad{len(nlp.pipe_names)}", config={"model": {**FROZEN, **bad}})
    with pytest.raises(ValueError, match="not a layer of this encoder"):
        frozen_variant({"token_layers": [9]})


@pytest.mark.slow
@needs_minilm
def test_kf_can_hold_the_type_side_fixed_while_the_token_side_learns():
    """``set_labels.v1``'s ``freeze``: after updates, the type MLP's and the "no entity" MLP's
    weights are the ones they started with and the rest of the token side's are not; an unknown
    part or a head without parts are clear errors."""
    from spacy_juicer.training.set_labels import make_set_labels

    nlp, examples = frozen_variant({})
    make_set_labels(labels=LABELS, freeze=["types", "none"])(nlp)
    module = nlp.get_pipe("zero_shot_ner").model.get_ref("head").layers[0].shims[0]._model
    before = {name: param.detach().clone() for name, param in module.named_parameters()}
    train_tiny(nlp, examples, 5)
    after = dict(module.named_parameters())
    moved = {name for name in before if not bool((before[name] == after[name].detach()).all())}
    assert moved and not any(name.startswith(("type_out.", "none.")) for name in moved)
    assert any(name.startswith("token_out.") for name in moved)
    with pytest.raises(ValueError, match="Unknown head parts"):
        nlp.get_pipe("zero_shot_ner").freeze(["descriptions"])
    other = spacy.blank("en").add_pipe("zero_shot_ner", config={"model": {"@architectures": "spacy_juicer.CrossEncoder.v1"}})
    with pytest.raises(ValueError, match="frozen mode"):
        other.freeze(["types"])
    with pytest.warns(UserWarning, match="ignored"):
        assert other.freeze(["types"], strict=False) == 0


def test_balanced_loss_weighs_each_types_positives_and_negatives_apart():
    from spacy_juicer.student.loss import loss_and_grads

    out = numpy.zeros((4, 2, 2), dtype="f")  # p = 0.5 everywhere
    target = numpy.asarray([1, 0, 0, 2], dtype="i")
    loss, (grad,) = loss_and_grads([out], [target], balance="per_type")
    assert loss == pytest.approx(2 * numpy.log(2), rel=1e-5)  # per type: mean pos + mean neg, averaged over 2 types
    d = grad[:, :, 0]
    # type 0: one positive (token 0) weighs 1/2 (over 2 types); its 3 negatives 1/6 each
    assert d[0, 0] == pytest.approx(-0.25) and d[1, 0] == pytest.approx(0.5 / 6)
    weights = numpy.asarray([[1.0, 0.0], [0.0, 1.0]], dtype="f")  # near synonyms: no cross negatives
    _, (grad,) = loss_and_grads([out], [target], balance="per_type", other_type_weights=weights)
    assert grad[3, 0, 0] == 0.0 and grad[0, 1, 0] == 0.0
    with pytest.raises(ValueError, match="balance"):
        loss_and_grads([out], [target], balance="nope")


def test_bad_frozen_mode_settings_are_clear_errors():
    nlp = spacy.blank("en")
    with pytest.raises(ValueError, match="balance"):
        nlp.add_pipe("zero_shot_ner", config={"model": FROZEN, "balance": "nope"})
    with pytest.raises(ValueError, match="other_type_weight"):
        nlp.add_pipe("zero_shot_ner", name="loss", config={"model": FROZEN, "other_type_weight": 2.0})
    with pytest.raises(ValueError, match="near_type_similarity"):
        nlp.add_pipe("zero_shot_ner", name="b", config={"model": FROZEN, "near_type_similarity": 2.0})
    with pytest.raises(ValueError, match="width"):
        nlp.add_pipe("zero_shot_ner", name="c", config={"model": {**FROZEN, "width": 1}})
    with pytest.raises(ValueError, match="mask_prob"):
        nlp.add_pipe("zero_shot_ner", name="d", config={"model": FROZEN, "mask_prob": 1.5})


def test_averaged_weights_reach_the_head_when_spacy_uses_them():
    """``use_averages = true``: spaCy evaluates and saves inside ``nlp.use_params(optimizer
    .averages)``; the head's PyTorch weights must then be the averages, and the trained ones
    again afterwards (Thinc's own shim looked for other keys and swapped nothing in)."""
    from thinc.api import Adam, fix_random_seed

    from spacy_juicer.student.frozen_head import build_frozen_head

    fix_random_seed(0)
    head = build_frozen_head(width=8, lstm_depth=1, dropout=0.0)
    head.set_dim("nI", 4)
    head.initialize()
    rng = numpy.random.default_rng(0)
    X = (rng.normal(size=(2, 3, 4)).astype("f"), numpy.array([3, 2]), rng.normal(size=(2, 2, 4)).astype("f"),
         numpy.array([2, 1]))
    optimizer = Adam(0.05, use_averages=True)
    for _ in range(5):
        Y, backprop = head(X, is_train=True)
        backprop(numpy.ones_like(Y))
        head.finish_update(optimizer)
    module = head.layers[0].shims[0]._model
    trained = {k: v.detach().clone() for k, v in module.named_parameters()}
    assert optimizer.averages
    with head.use_params(optimizer.averages):
        inside = {k: v.detach().clone() for k, v in module.named_parameters()}
        averaged = head.predict(X)
    assert any(not numpy.allclose(inside[k].numpy(), trained[k].numpy()) for k in trained)
    shim_id = head.layers[0].shims[0].id
    for name, value in inside.items():
        numpy.testing.assert_allclose(value.numpy(), optimizer.averages[(shim_id, name)], rtol=1e-6)
    for name, value in module.named_parameters():  # the trained weights are back
        numpy.testing.assert_array_equal(value.detach().numpy(), trained[name].numpy())
    assert not numpy.allclose(averaged, head.predict(X))


@needs_minilm
def test_evaluate_and_calibrate_reuse_a_feature_store_and_save_none(frozen_nlp, tmp_path):
    from spacy_juicer.calibration import calibrate
    from spacy_juicer.evaluation import evaluate

    from .conftest import write_gold

    frozen_nlp.to_disk(tmp_path / "model")
    data, labels = write_gold(tmp_path)
    plain = evaluate(tmp_path / "model", data, labels)
    path = tmp_path / "store.sqlite"
    first = evaluate(tmp_path / "model", data, labels, feature_store=path)
    written = len(FeatureStore(path))
    assert written > 0
    again = evaluate(tmp_path / "model", data, labels, feature_store=path)
    assert len(FeatureStore(path)) == written  # every text read back, none encoded again
    for metrics in (first, again):
        assert metrics["span_macro_f"] == pytest.approx(plain["span_macro_f"], abs=1e-6)
    calibrate(tmp_path / "model", data, labels, tmp_path / "calibrated", feature_store=path)
    # calibrate reads the described types by name too (to choose check_names): "chemical", "disease"
    read = len(FeatureStore(path))
    assert read == written + 2
    calibrate(tmp_path / "model", data, labels, tmp_path / "again", feature_store=path)
    assert len(FeatureStore(path)) == read
    assert "store" not in (tmp_path / "calibrated" / "zero_shot_ner" / "cfg").read_text()
