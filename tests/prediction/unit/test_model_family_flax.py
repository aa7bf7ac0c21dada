"""The Flax families (flax-mlp, flax-tcn) honour the contract every direction model family
shares, serve with a numpy forward pass equal to their Flax network, read causal windows that
never cross instruments, and refuse bad input with a reason."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from flax import nnx

from bounded_contexts.prediction.domain.models.catalogue import family_named, model_class
from bounded_contexts.prediction.domain.models.codec import (
    decode_weights,
    encode_weights,
    weights_sha256,
)
from bounded_contexts.prediction.domain.models.direction import (
    ModelInputError,
    ModelSpec,
    TrainingData,
)
from bounded_contexts.prediction.domain.models.flax_common import (
    MEANS,
    SCALES,
    fitted_scaling,
    named_params,
)
from bounded_contexts.prediction.domain.models.flax_mlp import (
    FlaxMlpFamily,
    FlaxMlpModel,
    MlpNetwork,
)
from bounded_contexts.prediction.domain.models.flax_temporal import (
    FlaxTcnFamily,
    FlaxTcnModel,
    TcnNetwork,
    padded_inputs,
    receptive_field,
    training_chunks,
)
from tests.prediction.models_kit import (
    FEATURES,
    HORIZONS,
    check_family_contract,
    synthetic_data,
    synthetic_series,
)

# Small enough to keep the file fast, big enough to learn the kit's planted signal.
MLP = FlaxMlpFamily(hidden_size=16, batch_size=64, epochs=10)
TCN = FlaxTcnFamily(channels=8, levels=3, chunk=16, batch_size=8, epochs=10)  # lookback 8


@pytest.fixture(scope="module")
def mlp_model() -> FlaxMlpModel:
    return MLP.fit(synthetic_data(600, signal=1.0), seed=1)


@pytest.fixture(scope="module")
def tcn_model() -> FlaxTcnModel:
    return TCN.fit(synthetic_data(600, signal=1.0), seed=1)


def test_the_flax_mlp_learns_a_planted_signal_and_invents_none() -> None:
    check_family_contract(MLP)


def test_the_flax_tcn_learns_a_planted_signal_and_invents_none() -> None:
    check_family_contract(TCN)


def test_the_tcn_reads_its_receptive_field_as_its_lookback() -> None:
    assert FlaxTcnFamily().lookback == 32  # 2 taps, 5 levels: the documented default
    assert receptive_field(3, 4) == 31
    assert TCN.lookback == 8


# --- the numpy serving path is the Flax network ------------------------------------------


def _fresh_mlp(activation: str) -> FlaxMlpModel:
    """A model from a freshly initialised network (no training needed to compare paths)."""
    network = MlpNetwork(
        len(FEATURES), len(HORIZONS), hidden_size=8, depth=2, activation=activation,
        rngs=nnx.Rngs(5),
    )  # fmt: skip
    x, _ = synthetic_data(300, signal=1.0).stacked()
    arrays = named_params(network)
    arrays[MEANS], arrays[SCALES] = fitted_scaling(x)
    hyper = {"hidden_size": 8, "depth": 2, "activation": activation}
    return FlaxMlpModel(ModelSpec("flax-mlp", FEATURES, HORIZONS, 1, hyper), arrays)


def _fresh_tcn(activation: str) -> FlaxTcnModel:
    network = TcnNetwork(
        len(FEATURES) + 1, len(HORIZONS), channels=6, kernel_size=3, levels=2,
        activation=activation, rngs=nnx.Rngs(5),
    )  # fmt: skip
    x, _ = synthetic_data(300, signal=1.0).stacked()
    arrays = named_params(network)
    arrays[MEANS], arrays[SCALES] = fitted_scaling(x)
    hyper = {"channels": 6, "kernel_size": 3, "levels": 2, "activation": activation}
    spec = ModelSpec("flax-tcn", FEATURES, HORIZONS, receptive_field(3, 2), hyper)
    return FlaxTcnModel(spec, arrays)


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu"])
def test_the_mlp_numpy_forward_equals_its_flax_network(activation: str) -> None:
    model = _fresh_mlp(activation)
    x = synthetic_series("A", 200, 3, signal=1.0).features
    with jax.enable_x64(True):  # both paths in float64: only the order of sums may differ
        flax_logits = np.asarray(model.network()(jnp.asarray(model.standardised(x))))
    assert flax_logits.dtype == np.float64
    assert np.abs(flax_logits - model.logits(x)).max() < 1e-6


@pytest.mark.parametrize("activation", ["relu", "tanh", "gelu"])
def test_the_tcn_numpy_forward_equals_its_flax_network(activation: str) -> None:
    model = _fresh_tcn(activation)
    x = synthetic_series("A", 200, 3, signal=1.0).features
    with jax.enable_x64(True):
        flax_logits = np.asarray(model.network()(jnp.asarray(model.padded(x))[None]))[0]
    assert flax_logits.shape == (200, len(HORIZONS), 3)
    assert np.abs(flax_logits - model.logits(x)).max() < 1e-6


def test_trained_models_serve_what_their_flax_networks_compute(
    mlp_model: FlaxMlpModel, tcn_model: FlaxTcnModel
) -> None:
    x = synthetic_series("B", 300, 4, signal=1.0).features
    with jax.enable_x64(True):
        mlp = np.asarray(mlp_model.network()(jnp.asarray(mlp_model.standardised(x))))
        tcn = np.asarray(tcn_model.network()(jnp.asarray(tcn_model.padded(x))[None]))[0]
    assert np.abs(mlp - mlp_model.logits(x)).max() < 1e-6
    assert np.abs(tcn - tcn_model.logits(x)).max() < 1e-6
    # and in float32, as the network was trained, the two stay close
    z32 = jnp.asarray(mlp_model.standardised(x), dtype=jnp.float32)
    assert np.abs(np.asarray(mlp_model.network()(z32)) - mlp_model.logits(x)).max() < 1e-4


# The default TCN: its gradients sum over enough rows that XLA on CPU would split the sums
# across threads — and the weights would differ by core count, as they did before training
# took each step one chunk at a time — if a step took them in one pass. (The default MLP's
# stay under that size either way; larger networks of either family can still differ in
# their last bits: see docs/models.md.)
_PINNED_FIT = """
import os
os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # before JAX sizes its threads
from bounded_contexts.prediction.domain.models.codec import encode_weights, weights_sha256
from bounded_contexts.prediction.domain.models.flax_temporal import FlaxTcnFamily
from tests.prediction.models_kit import synthetic_data
model = FlaxTcnFamily(max_steps=30).fit(synthetic_data(300, signal=1.0), seed=4)
print(weights_sha256(encode_weights(model.weights())))
"""


@pytest.mark.skipif(
    not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
    reason="needs at least two cores to compare with one",
)
def test_the_same_weights_come_out_on_one_core_as_on_several() -> None:
    root = Path(__file__).resolve().parents[3]
    one_core = subprocess.run(
        [sys.executable, "-c", _PINNED_FIT],
        cwd=root, env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True, text=True, timeout=300, check=True,
    ).stdout.strip()  # fmt: skip
    here = FlaxTcnFamily(max_steps=30).fit(synthetic_data(300, signal=1.0), seed=4)
    assert one_core == weights_sha256(encode_weights(here.weights()))


# --- causal windows -----------------------------------------------------------------------


def test_the_last_row_of_a_lookback_window_gets_the_answer_of_the_whole_history(
    tcn_model: FlaxTcnModel,
) -> None:
    x = synthetic_series("C", 120, 5, signal=1.0).features
    full = tcn_model.probabilities(x)
    lookback = tcn_model.spec.lookback
    for i in range(lookback - 1, len(x)):
        window = x[i - lookback + 1 : i + 1]  # what the live path passes
        assert np.array_equal(tcn_model.probabilities(window)[-1], full[i])
    # a shorter window changes the answer: the rows it lacks read as padding
    assert not np.array_equal(tcn_model.probabilities(x[60 - lookback + 2 : 61])[-1], full[60])


def test_a_row_answers_from_its_lookback_window_only(tcn_model: FlaxTcnModel) -> None:
    x = synthetic_series("D", 100, 6, signal=1.0).features
    lookback = tcn_model.spec.lookback
    changed = x.copy()
    changed[50] += 3.0
    before, after = tcn_model.logits(x), tcn_model.logits(changed)
    moved = np.flatnonzero(np.abs(before - after).max(axis=(1, 2)) > 0)
    assert moved.min() == 50 and moved.max() == 50 + lookback - 1


def test_a_series_shorter_than_the_lookback_is_read_with_padding(tcn_model: FlaxTcnModel) -> None:
    lookback = tcn_model.spec.lookback
    short = synthetic_series("E", lookback - 3, 7, signal=1.0).features
    longer = synthetic_series("E", 50, 7, signal=1.0).features
    assert tcn_model.probabilities(short).shape == (lookback - 3, len(HORIZONS), 3)
    assert np.array_equal(
        tcn_model.probabilities(short), tcn_model.probabilities(longer[: lookback - 3])
    )
    assert tcn_model.probabilities(short[:0]).shape == (0, len(HORIZONS), 3)
    one = tcn_model.probabilities(short[:1])
    assert one.shape == (1, len(HORIZONS), 3) and np.allclose(one.sum(axis=-1), 1.0)


def test_the_tcn_trains_on_series_shorter_than_its_lookback() -> None:
    data = synthetic_data(300, signal=1.0)
    stub = synthetic_series("SHORT", TCN.lookback - 2, 9, signal=1.0)
    with_stub = TrainingData(FEATURES, HORIZONS, (*data.series, stub))
    model = TCN.fit(with_stub, seed=0)
    assert np.isfinite(model.probabilities(stub.features)).all()


def test_training_chunks_stay_inside_one_series_and_line_labels_up_with_their_rows() -> None:
    lookback, chunk = 8, 5
    series = tuple(
        synthetic_series(f"I{i}", n, 20 + i, signal=1.0) for i, n in enumerate((30, 3, 17))
    )
    # tag each series by a constant first feature so a window's series can be read off it
    tagged = tuple(
        replace(s, features=np.column_stack([np.full(len(s), 10.0 * (i + 1)), s.features[:, 1:]]))
        for i, s in enumerate(series)
    )
    zeros, ones = np.zeros(len(FEATURES)), np.ones(len(FEATURES))
    chunks = training_chunks(tagged, zeros, ones, lookback, chunk)
    assert len(chunks.starts) == sum(len(s) for s in tagged)
    flag = chunks.inputs[:, -1]
    row_of_start = np.concatenate([np.arange(len(s)) for s in tagged])
    series_of_start = np.concatenate([np.full(len(s), i) for i, s in enumerate(tagged)])
    for start, row, which in zip(chunks.starts, row_of_start, series_of_start, strict=True):
        window = slice(start, start + lookback - 1 + chunk)
        tags = chunks.inputs[window, 0][flag[window] == 1]
        assert set(tags) == {10.0 * (which + 1)}, "a training window crossed instruments"
        s = tagged[which]
        for t in range(chunk):  # the t-th answer of the chunk is series row row + t
            at = start + lookback - 1 + t
            if row + t < len(s):
                assert flag[at] == 1
                assert np.array_equal(
                    chunks.inputs[at, :-1], s.features[row + t].astype(np.float32)
                )
                known = s.labels[row + t] >= 0
                assert np.array_equal(chunks.known[at], known.astype(np.float32))
                assert np.array_equal(chunks.labels[at][known], s.labels[row + t][known])
            else:  # past the series' end: padding, never scored
                assert flag[at] == 0 and not chunks.known[at].any()


def test_padding_rows_are_zero_and_flagged_as_not_real() -> None:
    z = np.arange(6, dtype=np.float64).reshape(3, 2) + 1.0
    padded = padded_inputs(z, lookback=4, tail=2)
    assert padded.shape == (3 + 3 + 2, 3)
    assert not padded[:3].any() and not padded[-2:].any()
    assert np.array_equal(padded[3:6, :2], z) and (padded[3:6, 2] == 1.0).all()


# --- stored weights, spec, catalogue ------------------------------------------------------


@pytest.mark.parametrize("which", ["mlp", "tcn"])
def test_stored_weights_give_back_the_same_model_and_the_same_sha256(
    which: str, mlp_model: FlaxMlpModel, tcn_model: FlaxTcnModel
) -> None:
    model = mlp_model if which == "mlp" else tcn_model
    blob = encode_weights(model.weights())
    assert encode_weights(model.weights()) == blob
    again = model_class(model.spec.family).restore(model.spec, decode_weights(blob))
    assert weights_sha256(encode_weights(again.weights())) == weights_sha256(blob)
    x = synthetic_series("F", 80, 8, signal=1.0).features
    assert np.array_equal(again.probabilities(x), model.probabilities(x))
    calibrated = model.calibrated([2.0, 0.5])
    assert calibrated.spec.temperatures == (2.0, 0.5)
    assert not np.array_equal(calibrated.probabilities(x), model.probabilities(x))


def test_the_weights_are_named_after_the_network_and_keep_the_training_dtype(
    mlp_model: FlaxMlpModel, tcn_model: FlaxTcnModel
) -> None:
    assert sorted(mlp_model.weights()) == [
        "head/bias", "head/kernel", "hidden/0/bias", "hidden/0/kernel",
        "hidden/1/bias", "hidden/1/kernel", "means", "scales",
    ]  # fmt: skip
    assert sorted(tcn_model.weights()) == [
        "blocks/0/bias", "blocks/0/kernel", "blocks/1/bias", "blocks/1/kernel",
        "blocks/2/bias", "blocks/2/kernel", "head/bias", "head/kernel", "means", "scales",
        "stem/bias", "stem/kernel",
    ]  # fmt: skip
    assert mlp_model.weights()["hidden/0/kernel"].dtype == np.float32
    assert tcn_model.weights()["means"].dtype == np.float64


def test_the_hyper_parameters_are_in_the_spec(
    mlp_model: FlaxMlpModel, tcn_model: FlaxTcnModel
) -> None:
    assert dict(mlp_model.spec.hyper_parameters) == MLP.hyper_parameters()
    assert dict(tcn_model.spec.hyper_parameters) == TCN.hyper_parameters()
    assert mlp_model.spec.lookback == 1 and tcn_model.spec.lookback == TCN.lookback
    assert mlp_model.spec.hyper_parameters["hidden_size"] == 16
    assert tcn_model.spec.hyper_parameters["levels"] == 3


def test_the_catalogue_knows_both_families_with_their_documented_defaults() -> None:
    assert family_named("flax-mlp") == FlaxMlpFamily()
    assert family_named("flax-tcn") == FlaxTcnFamily()
    assert model_class("flax-mlp") is FlaxMlpModel
    assert model_class("flax-tcn") is FlaxTcnModel


def test_a_different_seed_gives_different_weights() -> None:
    data = synthetic_data(300, signal=1.0)
    a, b = MLP.fit(data, seed=1), MLP.fit(data, seed=2)
    assert not np.array_equal(a.weights()["hidden/0/kernel"], b.weights()["hidden/0/kernel"])


# --- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["mlp", "tcn"])
def test_a_feature_matrix_of_the_wrong_width_is_refused(
    which: str, mlp_model: FlaxMlpModel, tcn_model: FlaxTcnModel
) -> None:
    model = mlp_model if which == "mlp" else tcn_model
    with pytest.raises(ModelInputError, match=r"expected a \(n, 3\) feature matrix"):
        model.probabilities(np.zeros((5, 4)))
    with pytest.raises(ModelInputError, match=r"expected a \(n, 3\) feature matrix"):
        model.probabilities(np.zeros(3))


@pytest.mark.parametrize("which", ["mlp", "tcn"])
def test_a_non_finite_feature_is_named_in_the_error(
    which: str, mlp_model: FlaxMlpModel, tcn_model: FlaxTcnModel
) -> None:
    model = mlp_model if which == "mlp" else tcn_model
    x = np.zeros((10, len(FEATURES)))
    x[7, 2] = np.inf
    with pytest.raises(ModelInputError, match="noise_b at row 7"):
        model.probabilities(x)


@pytest.mark.parametrize("family", [MLP, TCN], ids=["mlp", "tcn"])
def test_too_few_known_labels_cannot_train(family: FlaxMlpFamily | FlaxTcnFamily) -> None:
    data = synthetic_data(12, signal=1.0)
    tiny = TrainingData(
        FEATURES, HORIZONS, tuple(s.between(None, int(s.ts[3])) for s in data.series)
    )  # 3 rows per series, only the first 2 with a known 1-bar label
    with pytest.raises(ModelInputError, match="at least 10 rows with a known label"):
        family.fit(tiny)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: FlaxMlpFamily(hidden_size=0), "hidden_size must be positive"),
        (lambda: FlaxMlpFamily(batch_size=-1), "batch_size must be positive"),
        (lambda: FlaxMlpFamily(learning_rate=float("nan")), "learning_rate must be positive"),
        (lambda: FlaxMlpFamily(activation="swish"), "unknown activation 'swish'"),
        (lambda: FlaxMlpFamily(weight_decay=-0.1), "weight_decay and max_steps must be >= 0"),
        (lambda: FlaxTcnFamily(kernel_size=1), "kernel_size must be at least 2"),
        (lambda: FlaxTcnFamily(chunk=0), "chunk must be positive"),
        (lambda: FlaxTcnFamily(max_steps=-5), "weight_decay and max_steps must be >= 0"),
    ],
)
def test_bad_hyper_parameters_are_refused_at_construction(make, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ModelInputError, match=match):
        make()


def test_weights_that_do_not_fit_the_spec_are_refused_with_the_name(
    mlp_model: FlaxMlpModel, tcn_model: FlaxTcnModel
) -> None:
    weights = mlp_model.weights()
    del weights["head/bias"]
    with pytest.raises(ModelInputError, match=r"missing \['head/bias'\]"):
        FlaxMlpModel.restore(mlp_model.spec, weights)
    weights = tcn_model.weights()
    weights["blocks/1/kernel"] = weights["blocks/1/kernel"][:1]
    with pytest.raises(ModelInputError, match="'blocks/1/kernel' must have shape"):
        FlaxTcnModel.restore(tcn_model.spec, weights)
    weights = mlp_model.weights()
    weights["hidden/0/bias"] = np.full_like(weights["hidden/0/bias"], np.nan)
    with pytest.raises(ModelInputError, match="'hidden/0/bias' is not finite"):
        FlaxMlpModel.restore(mlp_model.spec, weights)


def test_a_spec_that_does_not_describe_the_network_is_refused(
    mlp_model: FlaxMlpModel, tcn_model: FlaxTcnModel
) -> None:
    with pytest.raises(ModelInputError, match="reads 8 rows, the spec says 16"):
        FlaxTcnModel.restore(replace(tcn_model.spec, lookback=16), tcn_model.weights())
    with pytest.raises(ModelInputError, match="lookback 1"):
        FlaxMlpModel.restore(replace(mlp_model.spec, lookback=4), mlp_model.weights())
    hyper = dict(mlp_model.spec.hyper_parameters)
    del hyper["depth"]
    with pytest.raises(ModelInputError, match="must name its 'depth' hyper-parameter"):
        FlaxMlpModel.restore(replace(mlp_model.spec, hyper_parameters=hyper), mlp_model.weights())
    with pytest.raises(ModelInputError, match="a flax-tcn model cannot take a flax-mlp spec"):
        FlaxTcnModel.restore(mlp_model.spec, tcn_model.weights())
