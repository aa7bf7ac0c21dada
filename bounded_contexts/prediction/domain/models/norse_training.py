"""Training of the spiking family with norse on torch (CPU): surrogate gradients, Adam.

The network (:class:`NorseNetwork`) is the one :mod:`.norse_lif` serves in numpy: encoder
counts -> Linear -> norse ``LIFCell`` -> Linear -> norse ``LICell``, stepped once per bar over a
window. A spike is a Heaviside step, whose derivative is zero almost everywhere; norse's
``"super"`` threshold keeps the step forward and replaces its derivative backward by
SuperSpike's ``1 / (1 + |v - v_th|)^2`` (in norse 1.1.0 the ``alpha`` parameter is not used by
it), which is what lets the cross-entropy reach the input layer through the spiking one.

Determinism: the same data, hyper-parameters and seed give the same weights bit for bit on CPU.
Initialisation draws from torch's generator seeded inside ``torch.random.fork_rng`` (the
caller's global stream is left as it was); minibatch order from its own ``torch.Generator``;
``torch.use_deterministic_algorithms(True)`` and one intra-op thread while training (the
summation order of a matmul then cannot depend on the machine's core count; on the shared
2-core machine one thread was also the faster), each restored afterwards.

Windows are cut per series, never across instruments: every series is standardised, encoded
and front-padded with ``lookback - 1`` silent rows on its own, then the series are laid end to
end, and a window is addressed by the index of its first (possibly padding) row.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np
import torch
from norse.torch import LICell, LIFCell
from norse.torch.functional.leaky_integrator import LIParameters, LIState
from norse.torch.functional.lif import LIFFeedForwardState, LIFParameters

from .direction import ModelInputError, ModelSpec, TrainingData
from .norse_lif import (
    V_LEAK,
    V_RESET,
    V_THRESHOLD,
    Dynamics,
    NorseLIFFamily,
    NorseLIFModel,
    rate_encode,
    standardise,
)

#: fewest windows with a known label a fit accepts (as the baseline's 10 known labels)
MIN_KNOWN_WINDOWS = 10
TRAINING_THREADS = 1


class NorseNetwork(torch.nn.Module):
    """Encoder counts ``(T, B, 2k)`` -> logits ``(B, 3h)`` and hidden spikes ``(T, B, H)``."""

    def __init__(
        self, inputs: int, hidden: int, outputs: int, dynamics: Dynamics, method: str = "super"
    ) -> None:
        super().__init__()
        self.encode = torch.nn.Linear(inputs, hidden)
        self.lif = LIFCell(
            LIFParameters(
                tau_syn_inv=torch.tensor(dynamics.synapse_decay, dtype=torch.float32),
                tau_mem_inv=torch.tensor(dynamics.membrane_decay, dtype=torch.float32),
                v_leak=torch.tensor(V_LEAK),
                v_th=torch.tensor(V_THRESHOLD),
                v_reset=torch.tensor(V_RESET),
                method=method,
            ),
            dt=1.0,  # one step per bar: the decays above are per bar
        )
        self.readout = torch.nn.Linear(hidden, outputs)
        self.li = LICell(
            LIParameters(
                tau_syn_inv=torch.tensor(dynamics.readout_synapse_decay, dtype=torch.float32),
                tau_mem_inv=torch.tensor(dynamics.readout_membrane_decay, dtype=torch.float32),
                v_leak=torch.tensor(V_LEAK),
            ),
            dt=1.0,
        )

    def forward(self, counts: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        steps, batch, _ = counts.shape
        currents = self.encode(counts)
        hidden = self.encode.out_features
        state = LIFFeedForwardState(
            v=counts.new_zeros((batch, hidden)), i=counts.new_zeros((batch, hidden))
        )
        trains = []
        for t in range(steps):
            z, state = self.lif(currents[t], state)
            trains.append(z)
        spikes = torch.stack(trains)
        drive = self.readout(spikes)
        outputs = self.readout.out_features
        li_state = LIState(
            v=counts.new_zeros((batch, outputs)), i=counts.new_zeros((batch, outputs))
        )
        v = li_state.v
        for t in range(steps):
            v, li_state = self.li(drive[t], li_state)
        return v, spikes


def network_of(model: NorseLIFModel, dtype: torch.dtype = torch.float64) -> NorseNetwork:
    """The norse network holding ``model``'s weights (float64: to check the numpy forward)."""
    k, h = len(model.spec.feature_names), len(model.spec.horizons)
    net = NorseNetwork(2 * k, model.hidden, 3 * h, model.dynamics)
    arrays = model.weights()
    net.load_state_dict(
        {name: torch.from_numpy(np.asarray(arrays[name])) for name in net.state_dict()}
    )
    return net.to(dtype)


def windows_of(model: NorseLIFModel, features: np.ndarray) -> np.ndarray:
    """``(lookback, n, 2k)`` encoder counts of every row's window, padded with silent rows:
    the input :class:`NorseNetwork` takes for the rows :meth:`NorseLIFModel.logits` answers."""
    counts = model.encode(model.check_features(features))
    lookback = model.spec.lookback
    padded = np.concatenate([np.zeros((lookback - 1, counts.shape[1])), counts])
    index = np.arange(len(counts))[None, :] + np.arange(lookback)[:, None]
    return padded[index]


@dataclass(frozen=True)
class Windows:
    """Every series' encoded rows end to end, and the windows a loss can use."""

    counts: torch.Tensor  # (rows incl. padding, 2k) float32
    starts: torch.Tensor  # (w,) int64: first row of each window in ``counts``
    labels: torch.Tensor  # (w, h) int64 class ids (0 where unknown)
    known: torch.Tensor  # (w, h) float32 0/1


def cut_windows(
    data: TrainingData, means: np.ndarray, scales: np.ndarray, dynamics: Dynamics, lookback: int
) -> Windows:
    counts, starts, labels = [], [], []
    offset = 0
    for series in data.series:
        encoded = rate_encode(
            standardise(series.features, means, scales), dynamics.levels, dynamics.clip
        )
        counts.append(np.zeros((lookback - 1, encoded.shape[1])))
        counts.append(encoded)
        usable = np.flatnonzero((series.labels >= 0).any(axis=1))
        # row r's window starts at padded row r: rows r - lookback + 1 .. r of this series
        starts.append(offset + usable)
        labels.append(series.labels[usable])
        offset += lookback - 1 + len(series)
    y = np.concatenate(labels).astype(np.int64)
    return Windows(
        counts=torch.from_numpy(np.concatenate(counts).astype(np.float32)),
        starts=torch.from_numpy(np.concatenate(starts).astype(np.int64)),
        labels=torch.from_numpy(np.maximum(y, 0)),
        known=torch.from_numpy((y >= 0).astype(np.float32)),
    )


def batch_counts(windows: Windows, picked: torch.Tensor, lookback: int) -> torch.Tensor:
    """``(lookback, B, 2k)``: the windows starting at ``windows.starts[picked]``."""
    rows = windows.starts[picked][None, :] + torch.arange(lookback)[:, None]
    return windows.counts[rows]


def masked_cross_entropy(logits: torch.Tensor, labels: torch.Tensor, known: torch.Tensor):  # type: ignore[no-untyped-def]
    """Mean cross-entropy over the known labels only; ``logits`` ``(B, 3h)``."""
    batch, horizons = labels.shape
    per_label = torch.nn.functional.cross_entropy(
        logits.reshape(batch * horizons, 3), labels.reshape(-1), reduction="none"
    )
    return (per_label * known.reshape(-1)).sum() / known.sum().clamp(min=1.0)


def minibatches(total: int, batch_size: int, steps: int, seed: int) -> Iterator[torch.Tensor]:
    """``steps`` minibatches of window indices: consecutive slices of successive seeded
    permutations, so every window is drawn once before any is drawn again."""
    order = torch.Generator().manual_seed(seed)
    pool = torch.randperm(total, generator=order)
    at = 0
    for _ in range(steps):
        if at + batch_size > total and at > 0:  # too few left for a full batch: a new pass
            pool, at = torch.randperm(total, generator=order), 0
        picked = pool[at : at + batch_size]
        at += len(picked)
        yield picked


@contextmanager
def deterministic_torch(seed: int) -> Iterator[None]:
    """Seeded, deterministic, single-threaded torch; the caller's settings restored after."""
    threads = torch.get_num_threads()
    was_deterministic = torch.are_deterministic_algorithms_enabled()
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        torch.use_deterministic_algorithms(True)
        torch.set_num_threads(TRAINING_THREADS)
        try:
            yield
        finally:
            torch.use_deterministic_algorithms(was_deterministic)
            torch.set_num_threads(threads)


def train(
    family: NorseLIFFamily, spec: ModelSpec, data: TrainingData, *, seed: int
) -> dict[str, np.ndarray]:
    """Fit the network; its arrays (float32 as trained) and the standardisation (float64)."""
    x, _ = data.stacked()
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    dynamics = Dynamics.of(spec.hyper_parameters)
    windows = cut_windows(data, means, scales, dynamics, family.lookback)
    if len(windows.starts) < MIN_KNOWN_WINDOWS:
        raise ModelInputError(
            f"need at least {MIN_KNOWN_WINDOWS} windows with a known label to fit, "
            f"got {len(windows.starts)}"
        )
    with deterministic_torch(seed):
        net = NorseNetwork(windows.counts.shape[1], family.hidden, 3 * len(spec.horizons), dynamics)
        optimiser = torch.optim.Adam(net.parameters(), lr=family.learning_rate)
        for picked in minibatches(len(windows.starts), family.batch_size, family.steps, seed):
            logits, _ = net(batch_counts(windows, picked, family.lookback))
            loss = masked_cross_entropy(logits, windows.labels[picked], windows.known[picked])
            optimiser.zero_grad(set_to_none=True)
            loss.backward()
            optimiser.step()
        arrays = {name: t.detach().numpy().copy() for name, t in net.state_dict().items()}
    return {**arrays, "means": means.astype(np.float64), "scales": scales.astype(np.float64)}
