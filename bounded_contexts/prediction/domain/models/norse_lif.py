"""The spiking family: leaky integrate-and-fire cells (Norse) over rate-encoded features.

What the network reads
    Row ``i``'s prediction reads the window of rows ``i - lookback + 1 .. i`` of one
    instrument, one row per time step, with fresh neuron state at the window's start. Rows with
    less history are front-padded with silent steps (no input spikes), the same way in training
    and in serving, so row ``i`` never depends on a later row nor on how much data came before
    its window — exactly what the live path, which hands over the last ``lookback`` rows, sees.

Encoding: deterministic rate coding, graded per bar
    Each standardised feature ``z`` (training mean and scale, clipped to ``±clip``) drives two
    encoder channels, ON for ``z > 0`` and OFF for ``z < 0``. A channel's spike count in a bar is
    ``floor(levels * |z| / clip)``: what an integrate-and-fire encoder neuron fed the constant
    current ``|z| / clip`` emits over ``levels`` sub-steps. The sub-steps collapse into one count
    because the hidden layer's synapses sum every spike that arrives within a bar, so the network
    steps once per bar, not ``levels`` times: inference costs ``lookback`` steps.

    Why rate and not delta coding: the features are already deltas or oscillators (returns over 1
    and 5 bars, price against averages, centred RSI, MACD histogram, z-score) whose *level* in
    the latest bar carries the signal. A delta (send-on-change) code would hand the leaky
    membranes the change of a return, from which the level can only be recovered by perfect
    integration. Rate coding is also the one with no hidden encoder state, no random sampling
    (a Poisson code would make a row's answer depend on a random stream) and no sub-steps.

Network
    encoder counts ``(2k)`` -> Linear -> LIF layer (``hidden`` cells, norse ``LIFCell``) ->
    Linear -> leaky-integrator readout (norse ``LICell``, 3 per horizon); the readout's membrane
    at the window's last step is the logits. Trained with surrogate gradients (norse's
    SuperSpike, see :mod:`.norse_training`).

Serving without torch
    :meth:`NorseLIFModel.logits` is a numpy re-implementation of the same dynamics in float64,
    every window of the input advanced together one step at a time. The readout is linear and
    time-invariant, so its membrane at the last step is a fixed weighting (``kernel``) of the
    spikes of each step times the readout weights: the loop carries only the LIF state. The
    tests check it against the norse network run in float64. Importing this module does not
    import torch; only :meth:`NorseLIFFamily.fit` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Self

import numpy as np

from .direction import (
    DirectionModel,
    HyperValue,
    ModelInputError,
    ModelSpec,
    TrainingData,
)

FAMILY = "norse-lif"

#: firing threshold, reset and leak potential of the LIF cells (norse's defaults, unit-free)
V_THRESHOLD, V_RESET, V_LEAK = 1.0, 0.0, 0.0
#: rows of the input advanced together; bounds the memory of a long history's inference
CHUNK_ROWS = 4096
#: the stored arrays, named as the torch network's state_dict names them, plus the scaling
WEIGHT_NAMES = ("encode.weight", "encode.bias", "readout.weight", "readout.bias", "means", "scales")


@dataclass(frozen=True, eq=False)
class Dynamics:
    """What serving needs from the hyper-parameters: the encoder and the per-step decays.

    One time step is one bar (``dt = 1``), so a time constant of ``tau`` bars gives the
    per-step decay ``1 / tau``. The hidden cells' membrane time constants are spread
    geometrically from ``tau_mem_bars_min`` to ``tau_mem_bars_max``, one per cell: fast cells
    (1 bar: no memory, they fire on the latest bar alone) beside slow ones that integrate the
    window, so one layer reads both the last bar and the recent history. The decays are rounded
    to float32 because norse holds its parameters as float32 tensors: the numpy forward then
    uses the very constants norse does.
    """

    levels: int
    clip: float
    membrane_decay: np.ndarray  # (hidden,) LIF dt / tau_mem, per cell
    synapse_decay: np.ndarray  # (hidden,) LIF dt / tau_syn, per cell
    readout_membrane_decay: float  # LI dt / tau_mem
    readout_synapse_decay: float  # LI dt / tau_syn

    @classmethod
    def of(cls, hyper: Mapping[str, HyperValue]) -> Dynamics:
        try:
            hidden = int(hyper["hidden"])
            levels = int(hyper["levels"])
            clip = float(hyper["clip"])
            taus = [
                float(hyper[name])
                for name in (
                    "tau_mem_bars_min",
                    "tau_mem_bars_max",
                    "tau_syn_bars_min",
                    "tau_syn_bars_max",
                    "readout_tau_mem_bars",
                    "readout_tau_syn_bars",
                )
            ]
        except KeyError as exc:
            raise ModelInputError(f"norse-lif hyper-parameter {exc.args[0]!r} is missing") from None
        if hidden < 1 or levels < 1 or not (clip > 0 and np.isfinite(clip)):
            raise ModelInputError(
                f"hidden and levels must be >= 1 and clip > 0, got {hidden}, {levels}, {clip}"
            )
        if any(not (tau >= 1 and np.isfinite(tau)) for tau in taus) or not (
            taus[0] <= taus[1] and taus[2] <= taus[3]
        ):
            # a decay above 1 per step would overshoot and oscillate: the Euler step is unstable
            raise ModelInputError(f"time constants must be >= 1 bar (min <= max), got {taus}")

        def spread(low: float, high: float) -> np.ndarray:
            taus = np.geomspace(low, high, hidden) if hidden > 1 else np.array([low])
            return (1.0 / taus).astype(np.float32).astype(np.float64)

        readout = [float(np.float32(1.0 / tau)) for tau in taus[4:]]
        return cls(levels, clip, spread(*taus[0:2]), spread(*taus[2:4]), *readout)

    def readout_kernel(self, steps: int) -> np.ndarray:
        """``(steps,)``: the readout membrane at the last step per unit input at each step.

        Computed by running the leaky integrator (norse's update, in its order) on one impulse
        per step, all at once."""
        v = np.zeros(steps)
        i = np.zeros(steps)
        impulses = np.eye(steps)
        for t in range(steps):
            jumped = i + impulses[t]
            v = v + self.readout_membrane_decay * ((V_LEAK - v) + jumped)
            i = jumped - self.readout_synapse_decay * jumped
        return v


def standardise(features: np.ndarray, means: np.ndarray, scales: np.ndarray) -> np.ndarray:
    return (features - means) / scales


def rate_encode(z: np.ndarray, levels: int, clip: float) -> np.ndarray:
    """``(n, k)`` standardised features -> ``(n, 2k)`` spike counts per bar (ON then OFF
    channels), each in ``0 .. levels``."""
    r = np.clip(z / clip, -1.0, 1.0)
    return np.floor(levels * np.concatenate([np.maximum(r, 0.0), np.maximum(-r, 0.0)], axis=1))


class NorseLIFModel(DirectionModel):
    """A trained spiking network; serves in numpy, float64."""

    family = FAMILY

    def __init__(self, spec: ModelSpec, arrays: Mapping[str, np.ndarray]) -> None:
        super().__init__(spec)
        missing = [name for name in WEIGHT_NAMES if name not in arrays]
        if missing:
            raise ModelInputError(f"norse-lif weights lack {missing}")
        k, h = len(spec.feature_names), len(spec.horizons)
        self.dynamics = Dynamics.of(spec.hyper_parameters)
        # kept as given (float32 from training) for weights(); float64 copies compute
        self._arrays = {name: np.asarray(arrays[name]) for name in WEIGHT_NAMES}
        w_in, b_in = self._arrays["encode.weight"], self._arrays["encode.bias"]
        w_out, b_out = self._arrays["readout.weight"], self._arrays["readout.bias"]
        hidden = w_in.shape[0] if w_in.ndim == 2 else -1
        expected = {
            "encode.weight": (hidden, 2 * k),
            "encode.bias": (hidden,),
            "readout.weight": (3 * h, hidden),
            "readout.bias": (3 * h,),
            "means": (k,),
            "scales": (k,),
        }
        for name, shape in expected.items():
            if self._arrays[name].shape != shape or hidden < 1:
                raise ModelInputError(
                    f"norse-lif weight {name} must be {shape}, got {self._arrays[name].shape}"
                )
            if not np.isfinite(self._arrays[name]).all():
                raise ModelInputError(f"norse-lif weight {name} is not finite")
        if (self._arrays["scales"] <= 0).any():
            raise ModelInputError("norse-lif scales must be positive")
        self._means = self._arrays["means"].astype(np.float64)
        self._scales = self._arrays["scales"].astype(np.float64)
        self._w_in_t = np.ascontiguousarray(w_in.astype(np.float64).T)  # (2k, H)
        self._b_in = b_in.astype(np.float64)
        self._w_out_t = np.ascontiguousarray(w_out.astype(np.float64).T)  # (H, 3h)
        self._b_out = b_out.astype(np.float64)
        self._kernel = self.dynamics.readout_kernel(spec.lookback)
        self._bias_gain = float(self._kernel.sum())  # the readout bias enters every step

    @property
    def hidden(self) -> int:
        return int(self._b_in.shape[0])

    def encode(self, features: np.ndarray) -> np.ndarray:
        """``(n, k)`` raw features -> ``(n, 2k)`` spike counts (what the network is fed)."""
        d = self.dynamics
        return rate_encode(standardise(features, self._means, self._scales), d.levels, d.clip)

    def logits(self, features: np.ndarray) -> np.ndarray:
        return self._forward(features, count_spikes=False)[0]

    def spike_rate(self, features: np.ndarray) -> float:
        """Mean hidden spikes per cell per step over every row's window (padding included)."""
        x = self.check_features(features)
        spikes = self._forward(x, count_spikes=True)[1]
        return spikes / (len(x) * self.spec.lookback * self.hidden)

    def _forward(self, features: np.ndarray, *, count_spikes: bool) -> tuple[np.ndarray, int]:
        x = np.asarray(features, dtype=np.float64)
        if x.ndim != 2 or len(x) == 0:
            raise ModelInputError(f"norse-lif needs at least one row, got shape {x.shape}")
        n, lookback, hidden = len(x), self.spec.lookback, self.hidden
        # rows in time order, each row's input current; a padding row feeds no spikes, so its
        # current is the input layer's bias alone
        padded = np.empty((n + lookback - 1, hidden))
        padded[: lookback - 1] = self._b_in
        np.matmul(self.encode(x), self._w_in_t, out=padded[lookback - 1 :])
        padded[lookback - 1 :] += self._b_in
        logits = np.empty((n, 3 * len(self.spec.horizons)))
        spikes = 0
        for start in range(0, n, CHUNK_ROWS):
            stop = min(n, start + CHUNK_ROWS)
            # the window of row r reads padded[r + t] at step t: all windows advance together
            trace, count = self._integrate(
                padded[start : stop + lookback - 1], stop - start, count_spikes
            )
            np.matmul(trace, self._w_out_t, out=logits[start:stop])
            spikes += count
        logits += self._bias_gain * self._b_out
        return logits.reshape(n, len(self.spec.horizons), 3), spikes

    def _integrate(
        self, padded: np.ndarray, rows: int, count_spikes: bool
    ) -> tuple[np.ndarray, int]:
        """Run ``rows`` windows of LIF cells: the readout-weighted spike trace ``(rows, H)``
        and (when asked) the number of spikes. Norse's update, in its order: current jump,
        membrane step, current decay, threshold, reset."""
        d = self.dynamics
        shape = (rows, self.hidden)
        v, i, trace, scratch = np.zeros(shape), np.zeros(shape), np.zeros(shape), np.empty(shape)
        fired = np.empty(shape, dtype=bool)
        # tau_syn = 1 bar: norse's decay i_jump - 1 * i_jump leaves exactly 0, so the current
        # of a step is that bar's input alone (two operations fewer per step)
        memoryless = bool((d.synapse_decay == 1.0).all())
        spikes = 0
        for t in range(self.spec.lookback):
            if memoryless:
                np.subtract(padded[t : t + rows], v, out=scratch)  # (v_leak - v) + i_jump
            else:
                i += padded[t : t + rows]  # i_jump
                np.subtract(i, v, out=scratch)
            scratch *= d.membrane_decay
            v += scratch
            if not memoryless:
                np.multiply(i, d.synapse_decay, out=scratch)
                i -= scratch  # i_decayed = i_jump - dt / tau_syn * i_jump
            np.greater(v, V_THRESHOLD, out=fired)
            if self._kernel[t] != 0.0:  # a step the readout has forgotten by the end is skipped
                np.multiply(fired, self._kernel[t], out=scratch)
                trace += scratch
            if count_spikes:
                spikes += int(np.count_nonzero(fired))
            np.copyto(v, V_RESET, where=fired)
        return trace, spikes

    def weights(self) -> dict[str, np.ndarray]:
        return dict(self._arrays)

    @classmethod
    def restore(cls, spec: ModelSpec, weights: Mapping[str, np.ndarray]) -> Self:
        return cls(spec, weights)


@dataclass(frozen=True)
class NorseLIFFamily:
    """Hyper-parameters of the spiking family (documented defaults, docs/models-norse.md).

    - ``lookback``: bars per window (time steps); ``hidden``: LIF cells.
    - ``levels`` / ``clip``: the rate code — up to ``levels`` spikes per bar and channel, the
      full count at ``clip`` standard deviations.
    - ``tau_mem_bars_min`` .. ``tau_mem_bars_max``: the spread of the LIF cells' membrane time
      constants in bars, ``tau_syn_bars_min`` .. ``tau_syn_bars_max`` of their synaptic ones
      (1: a bar's input current does not outlast the bar); ``readout_*``: the leaky-integrator
      readout's (1 and 1: the readout is the last step's spikes, linearly). The defaults favour
      the latest bar, which is where fs-2's features put their information (returns, RSI, MACD
      already summarise the past); a readout memory of 2 bars reads a lagged signal better at
      some cost on the latest bar's (docs/models-norse.md has the figures) and serves slower.
    - ``steps`` Adam steps at ``learning_rate`` on the mean cross-entropy over known labels,
      each on ``batch_size`` windows drawn without replacement (a new seeded pass over the
      windows when one is used up): the cost of a fit is fixed by ``steps x batch_size``,
      however long the data, and a short series is seen over many passes.
    """

    lookback: int = 16
    hidden: int = 32
    levels: int = 8
    clip: float = 3.0
    tau_mem_bars_min: float = 1.0
    tau_mem_bars_max: float = 16.0
    tau_syn_bars_min: float = 1.0
    tau_syn_bars_max: float = 1.0
    readout_tau_mem_bars: float = 1.0
    readout_tau_syn_bars: float = 1.0
    steps: int = 2000
    batch_size: int = 1024
    learning_rate: float = 3e-3
    name: str = FAMILY

    def __post_init__(self) -> None:
        if self.lookback < 1:
            raise ModelInputError("lookback must be >= 1")
        if self.steps < 1 or self.batch_size < 1:
            raise ModelInputError("steps and batch_size must be >= 1")
        if not (self.learning_rate > 0):
            raise ModelInputError(f"learning_rate must be > 0, got {self.learning_rate}")
        Dynamics.of(self.hyper_parameters())

    def hyper_parameters(self) -> dict[str, HyperValue]:
        return {
            "lookback": self.lookback,
            "hidden": self.hidden,
            "levels": self.levels,
            "clip": self.clip,
            "tau_mem_bars_min": self.tau_mem_bars_min,
            "tau_mem_bars_max": self.tau_mem_bars_max,
            "tau_syn_bars_min": self.tau_syn_bars_min,
            "tau_syn_bars_max": self.tau_syn_bars_max,
            "readout_tau_mem_bars": self.readout_tau_mem_bars,
            "readout_tau_syn_bars": self.readout_tau_syn_bars,
            "steps": self.steps,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
        }

    def fit(self, data: TrainingData, *, seed: int = 0) -> NorseLIFModel:
        from .norse_training import train  # torch and norse load only when a model is trained

        spec = ModelSpec(
            FAMILY, data.feature_names, data.horizons, self.lookback, self.hyper_parameters()
        )
        return NorseLIFModel(spec, train(self, spec, data, seed=seed))
