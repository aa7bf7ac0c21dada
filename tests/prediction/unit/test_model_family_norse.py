"""The spiking (norse LIF) family honours the shared contract, serves in numpy exactly as the
norse network computes, spikes, learns through its surrogate gradient, and refuses bad input."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest
import torch

from bounded_contexts.prediction.domain.models.catalogue import family_named, model_class
from bounded_contexts.prediction.domain.models.codec import (
    decode_weights,
    encode_weights,
    weights_sha256,
)
from bounded_contexts.prediction.domain.models.direction import ModelInputError, TrainingData
from bounded_contexts.prediction.domain.models.norse_lif import (
    FAMILY,
    Dynamics,
    NorseLIFFamily,
    NorseLIFModel,
    rate_encode,
)
from bounded_contexts.prediction.domain.models.norse_training import (
    NorseNetwork,
    batch_counts,
    cut_windows,
    masked_cross_entropy,
    minibatches,
    network_of,
    windows_of,
)
from tests.prediction.models_kit import FEATURES, HORIZONS, check_family_contract, synthetic_data

#: small and quick: what the tests train (the documented defaults are for a year of bars)
FAST = NorseLIFFamily(lookback=8, hidden=16, steps=150, batch_size=256, learning_rate=1e-2)


@pytest.fixture(scope="module")
def planted() -> TrainingData:
    return synthetic_data(600, signal=1.0)


@pytest.fixture(scope="module")
def model(planted: TrainingData) -> NorseLIFModel:
    return FAST.fit(planted, seed=1)


def test_the_spiking_family_learns_a_planted_signal_and_invents_none() -> None:
    check_family_contract(FAST)


def test_another_seed_gives_other_weights(planted: TrainingData, model: NorseLIFModel) -> None:
    other = FAST.fit(planted, seed=2)
    assert not np.array_equal(other.weights()["encode.weight"], model.weights()["encode.weight"])
    again = FAST.fit(planted, seed=1)
    for name, array in model.weights().items():
        assert np.array_equal(again.weights()[name], array), name


def test_training_leaves_the_callers_torch_settings_as_they_were(planted: TrainingData) -> None:
    threads = torch.get_num_threads()
    torch.manual_seed(1234)
    expected = torch.rand(3)
    torch.manual_seed(1234)
    replace(FAST, steps=3).fit(planted, seed=5)
    assert torch.equal(torch.rand(3), expected), "the global random stream was consumed"
    assert torch.get_num_threads() == threads
    assert not torch.are_deterministic_algorithms_enabled()


@pytest.mark.parametrize(
    "dynamics",
    [
        {},  # the defaults: memoryless synapses, a readout of the last step
        {"tau_syn_bars_max": 4.0, "readout_tau_mem_bars": 3.0, "readout_tau_syn_bars": 2.0},
    ],
    ids=["defaults", "synaptic-and-readout-memory"],
)
def test_the_numpy_forward_equals_the_norse_network_in_float64(
    planted: TrainingData, dynamics: dict[str, float]
) -> None:
    trained = replace(FAST, steps=40, **dynamics).fit(planted, seed=0)
    x = planted.series[1].features
    with torch.inference_mode():
        logits, spikes = network_of(trained)(torch.from_numpy(windows_of(trained, x)))
    ours = trained.logits(trained.check_features(x))
    assert np.abs(ours - logits.numpy().reshape(ours.shape)).max() < 1e-6
    assert trained.spike_rate(x) == pytest.approx(float(spikes.mean()), abs=1e-12)


def test_the_last_row_of_a_lookback_window_answers_as_with_the_whole_history(
    planted: TrainingData, model: NorseLIFModel
) -> None:
    x = planted.series[0].features
    full = model.probabilities(x)
    lookback = model.spec.lookback
    for end in (lookback, 100, len(x)):
        live = model.probabilities(x[end - lookback : end])
        assert np.allclose(live[-1], full[end - 1], rtol=0, atol=1e-12)


def test_a_row_with_short_history_reads_silent_padding_at_training_and_serving(
    planted: TrainingData, model: NorseLIFModel
) -> None:
    x = planted.series[0].features
    counts = windows_of(model, x)  # what serving's logits equal (tested above)
    assert (counts[: model.spec.lookback - 1, 0] == 0).all()  # row 0: all padding but its own
    assert np.array_equal(counts[-1, 0], model.encode(x[:1])[0])
    means, scales = model.weights()["means"], model.weights()["scales"]
    windows = cut_windows(planted, means, scales, model.dynamics, model.spec.lookback)
    first = batch_counts(windows, torch.tensor([0]), model.spec.lookback)[:, 0].numpy()
    assert np.array_equal(first, counts[:, 0].astype(np.float32))


def test_training_windows_never_cross_instruments(planted: TrainingData) -> None:
    lookback = 8
    means, scales = np.zeros(len(FEATURES)), np.ones(len(FEATURES))
    dynamics = Dynamics.of(FAST.hyper_parameters())
    windows = cut_windows(planted, means, scales, dynamics, lookback)
    first, second = planted.series
    known_first = int((first.labels >= 0).any(axis=1).sum())
    # the second instrument's first window: lookback - 1 silent rows, then its own first row
    window = batch_counts(windows, torch.tensor([known_first]), lookback)[:, 0].numpy()
    assert (window[:-1] == 0).all()
    expected = rate_encode(second.features[:1], dynamics.levels, dynamics.clip)[0]
    assert np.array_equal(window[-1], expected.astype(np.float32))
    # and the label that goes with it is the second instrument's first row's
    assert np.array_equal(windows.labels[known_first].numpy(), second.labels[0])


def test_minibatches_are_full_and_repeat_no_window_within_a_pass() -> None:
    batches = [b.tolist() for b in minibatches(10, 4, 6, seed=0)]
    assert all(len(b) == 4 for b in batches)
    for first, second in zip(batches[::2], batches[1::2], strict=True):  # two per pass of 10
        assert len(set(first + second)) == 8
    assert batches == [b.tolist() for b in minibatches(10, 4, 6, seed=0)]
    assert batches != [b.tolist() for b in minibatches(10, 4, 6, seed=1)]


def test_the_rate_code_is_an_integrate_and_fire_encoder_over_levels_sub_steps() -> None:
    rng = np.random.default_rng(0)
    z = rng.normal(scale=2.0, size=(200, 3))
    levels, clip = 8, 3.0
    counts = rate_encode(z, levels, clip)
    assert counts.shape == (200, 6) and counts.min() == 0 and counts.max() == levels
    # reference: an integrate-and-fire neuron fed |z| / clip for `levels` sub-steps, threshold 1
    for on_off, sign in ((0, 1.0), (1, -1.0)):
        current = np.clip(sign * z / clip, 0.0, 1.0)
        v, fired = np.zeros_like(current), np.zeros_like(current)
        for _ in range(levels):
            v += current
            spike = v >= 1.0 - 1e-12
            fired += spike
            v[spike] -= 1.0
        assert np.array_equal(counts[:, on_off * 3 : on_off * 3 + 3], fired)


def test_the_network_is_not_silent_on_the_planted_data(
    planted: TrainingData, model: NorseLIFModel
) -> None:
    rate = model.spike_rate(planted.series[0].features)
    assert 0.0 < rate < 1.0
    assert 0.01 < rate < 0.9, f"a spike rate of {rate} is nearly silent or saturated"


def test_the_surrogate_gradient_reaches_the_input_layer(planted: TrainingData) -> None:
    """With norse's SuperSpike surrogate the input layer gets a gradient through the spiking
    layer; with a bare Heaviside (no surrogate) it gets none — the surrogate carries it."""
    dynamics = Dynamics.of(FAST.hyper_parameters())
    means, scales = np.zeros(len(FEATURES)), np.ones(len(FEATURES))
    windows = cut_windows(planted, means, scales, dynamics, 8)
    picked = torch.arange(64)
    grads = {}
    for method in ("super", "heaviside"):
        torch.manual_seed(0)
        net = NorseNetwork(2 * len(FEATURES), 16, 3 * len(HORIZONS), dynamics, method=method)
        logits, spikes = net(batch_counts(windows, picked, 8))
        assert 0.0 < float(spikes.detach().mean()) < 1.0
        masked_cross_entropy(logits, windows.labels[picked], windows.known[picked]).backward()
        grads[method] = net.encode.weight.grad
    assert grads["super"] is not None and torch.isfinite(grads["super"]).all()
    assert float(grads["super"].abs().sum()) > 0.0
    assert grads["heaviside"] is None or float(grads["heaviside"].abs().sum()) == 0.0


def test_stored_weights_give_back_the_same_model_and_the_same_sha256(
    planted: TrainingData, model: NorseLIFModel
) -> None:
    blob = encode_weights(model.weights())
    assert encode_weights(model.weights()) == blob
    again = model_class(FAMILY).restore(model.spec, decode_weights(blob))
    assert weights_sha256(encode_weights(again.weights())) == weights_sha256(blob)
    x = planted.series[1].features
    assert np.array_equal(again.probabilities(x), model.probabilities(x))
    assert model.weights()["encode.weight"].dtype == np.float32  # as trained, bit for bit


def test_the_catalogue_knows_the_family() -> None:
    assert model_class("norse-lif") is NorseLIFModel
    assert isinstance(family_named("norse-lif"), NorseLIFFamily)


def test_serving_a_model_does_not_import_torch() -> None:
    code = (
        "import sys\n"
        "from bounded_contexts.prediction.domain.models import catalogue, norse_lif\n"
        "assert 'torch' not in sys.modules and 'norse' not in sys.modules, 'torch imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_a_feature_matrix_of_the_wrong_width_is_refused(model: NorseLIFModel) -> None:
    with pytest.raises(ModelInputError, match=r"expected a \(n, 3\) feature matrix"):
        model.probabilities(np.zeros((5, 4)))


def test_a_non_finite_feature_is_named_in_the_error(model: NorseLIFModel) -> None:
    x = np.zeros((3, len(FEATURES)))
    x[2, 1] = np.nan
    with pytest.raises(ModelInputError, match="noise_a at row 2"):
        model.probabilities(x)


def test_no_rows_is_refused(model: NorseLIFModel) -> None:
    with pytest.raises(ModelInputError, match="at least one row"):
        model.probabilities(np.zeros((0, len(FEATURES))))


def test_too_few_known_labels_cannot_train() -> None:
    data = synthetic_data(12, signal=1.0)
    tiny = TrainingData(
        FEATURES, HORIZONS, tuple(s.between(None, int(s.ts[2])) for s in data.series)
    )
    with pytest.raises(ModelInputError, match="at least 10 windows with a known label"):
        FAST.fit(tiny)


def test_weights_of_the_wrong_shape_or_missing_are_refused(model: NorseLIFModel) -> None:
    weights = model.weights()
    with pytest.raises(ModelInputError, match="lack"):
        NorseLIFModel.restore(model.spec, {k: v for k, v in weights.items() if k != "scales"})
    with pytest.raises(ModelInputError, match=r"readout.weight must be \(6, 16\)"):
        NorseLIFModel.restore(model.spec, {**weights, "readout.weight": np.zeros((3, 16))})
    with pytest.raises(ModelInputError, match="not finite"):
        broken = weights["encode.bias"].copy()
        broken[0] = np.inf
        NorseLIFModel.restore(model.spec, {**weights, "encode.bias": broken})


def test_impossible_hyper_parameters_are_refused() -> None:
    with pytest.raises(ModelInputError, match="time constants must be >= 1 bar"):
        NorseLIFFamily(tau_mem_bars_min=0.5)
    with pytest.raises(ModelInputError, match="time constants"):
        NorseLIFFamily(tau_mem_bars_min=8.0, tau_mem_bars_max=2.0)
    with pytest.raises(ModelInputError, match="levels must be >= 1"):
        NorseLIFFamily(levels=0)
    with pytest.raises(ModelInputError, match="steps and batch_size"):
        NorseLIFFamily(steps=0)
    with pytest.raises(ModelInputError, match="lookback"):
        NorseLIFFamily(lookback=0)
