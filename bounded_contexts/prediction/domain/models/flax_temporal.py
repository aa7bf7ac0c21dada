"""The Flax temporal family: a small causal temporal-convolution network (TCN) over the last
``lookback`` bars of one instrument.

Architecture, on rows of standardised features plus a ``real`` flag (1 for a bar, 0 for
padding): a dense stem to ``channels``, then ``levels`` residual blocks, block ``j`` a
dilated 1-D convolution of ``kernel_size`` taps ``2**j`` rows apart, unpadded ("valid"), whose
activated output is added to its input cropped to the same length; then a dense head of
``3 x horizons`` logits. The receptive field — the rows one answer reads — is therefore

    lookback = 1 + (kernel_size - 1) * (2**levels - 1)      (defaults: 2 taps, 5 levels -> 32)

and it is the spec's ``lookback``. Row ``i``'s answer is a function of exactly the window of
rows ``i - lookback + 1 .. i``.

Padding, the same at training and inference (one function, :func:`padded_inputs`, builds
both): before the first row of a series there are ``lookback - 1`` padding rows of zeros
with the ``real`` flag 0 (zero is the training mean after standardisation; the flag lets the
network tell "no history yet" from "an average bar"). So a row with less history than
``lookback`` — the start of a series, or a series shorter than ``lookback`` — reads padding for
the rows it lacks, and a window of the last ``lookback`` rows gives its last row the very
answer the whole history gives it (what the live path relies on: it passes that window and
uses the last row). Only the last row of such a window has its full history.

Training windows never cross instruments: each series is padded on its own and a training
sample is a chunk of ``chunk`` consecutive rows of one series (plus the ``lookback - 1`` rows
before it), starting at a row drawn with the seeded JAX key. The valid convolutions compute
all ``chunk`` answers of a sample at once, sharing the work of overlapping windows; a step's
gradient is summed chunk by chunk (:func:`.flax_common.mean_loss_gradient`), which keeps the
weights the same on any number of cores. Loss, optimiser, fixed steps and determinism are as
in :mod:`.flax_mlp`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from typing import Self

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from .direction import (
    DirectionModel,
    HyperValue,
    ModelInputError,
    ModelSpec,
    Series,
    TrainingData,
)
from .flax_common import (
    ACTIVATIONS,
    MEANS,
    SCALES,
    check_positive,
    checked_weights,
    fitted_scaling,
    jax_activation,
    load_params,
    mean_loss_gradient,
    named_params,
    numpy_activation,
    optimiser,
    spec_value,
    summed_cross_entropy,
    training_steps,
)

FAMILY = "flax-tcn"
MIN_KNOWN_ROWS = 10


def receptive_field(kernel_size: int, levels: int) -> int:
    """Rows one answer reads: the model's ``lookback``."""
    return 1 + (kernel_size - 1) * (2**levels - 1)


def padded_inputs(standardised: np.ndarray, lookback: int, tail: int = 0) -> np.ndarray:
    """``(n, k)`` standardised rows of one series -> ``(lookback - 1 + n + tail, k + 1)``:
    the ``real`` flag appended, ``lookback - 1`` padding rows (zeros, flag 0) before the first
    row and ``tail`` after the last (training only: room for a chunk that starts near the end).
    The network's ``i``-th answer on this reads rows ``i .. i + lookback - 1`` of it, which
    are series rows ``i - lookback + 1 .. i``."""
    n, k = standardised.shape
    out = np.zeros((lookback - 1 + n + tail, k + 1), dtype=standardised.dtype)
    out[lookback - 1 : lookback - 1 + n, :k] = standardised
    out[lookback - 1 : lookback - 1 + n, k] = 1.0
    return out


class DilatedConv(nnx.Module):
    """A valid (unpadded) dilated 1-D convolution, ``(batch, rows, channels)`` ->
    ``(batch, rows - (taps - 1) x dilation, channels)``: output ``t`` is
    ``bias + sum_j x[t + j x dilation] @ kernel[j]``.

    Written as one matrix product per tap rather than with ``nnx.Conv``, for two reasons
    measured on jax 0.10.2 (CPU): XLA's convolution gave weights whose last bits depended on
    the number of cores (the per-tap products, trained one chunk at a time, do not), and it
    trained 2.4x slower on the same data. It is also literally what the numpy serving path
    computes. Parameters are named and shaped as ``nnx.Conv``'s (``kernel`` (taps, in, out),
    ``bias``) and initialised the same way (LeCun normal, zero bias)."""

    def __init__(self, channels: int, taps: int, dilation: int, *, rngs: nnx.Rngs) -> None:
        init = nnx.initializers.lecun_normal()
        self.kernel = nnx.Param(init(rngs.params(), (taps, channels, channels)))
        self.bias = nnx.Param(jnp.zeros((channels,)))
        self.taps, self.dilation = taps, dilation

    def __call__(self, x: jax.Array) -> jax.Array:
        kernel = self.kernel[...]
        rows = x.shape[-2] - (self.taps - 1) * self.dilation
        out = self.bias[...]
        for tap in range(self.taps):
            start = tap * self.dilation
            out = out + x[..., start : start + rows, :] @ kernel[tap]
        return out


class TcnNetwork(nnx.Module):
    """``(batch, rows, features + 1)`` padded inputs -> ``(batch, rows - lookback + 1,
    horizons, 3)`` logits: one answer per full window."""

    def __init__(
        self,
        inputs: int,
        horizons: int,
        *,
        channels: int,
        kernel_size: int,
        levels: int,
        activation: str,
        rngs: nnx.Rngs,
    ) -> None:
        self.stem = nnx.Linear(inputs, channels, rngs=rngs)
        self.blocks = nnx.List(
            [DilatedConv(channels, kernel_size, 2**j, rngs=rngs) for j in range(levels)]
        )
        self.head = nnx.Linear(channels, horizons * 3, rngs=rngs)
        self.horizons = horizons
        self.kernel_size = kernel_size
        self.activation = activation

    def __call__(self, x: jax.Array) -> jax.Array:
        act = jax_activation(self.activation)
        h = self.stem(x)
        for j, conv in enumerate(self.blocks):
            h = h[:, (self.kernel_size - 1) * 2**j :] + act(conv(h))
        out = self.head(h)
        return out.reshape(*out.shape[:-1], self.horizons, 3)


def _architecture(spec: ModelSpec) -> tuple[int, int, int, str]:
    hyper = spec.hyper_parameters
    channels = int(spec_value(FAMILY, hyper, "channels"))
    kernel_size = int(spec_value(FAMILY, hyper, "kernel_size"))
    levels = int(spec_value(FAMILY, hyper, "levels"))
    activation = str(spec_value(FAMILY, hyper, "activation"))
    return channels, kernel_size, levels, activation


def _expected_shapes(spec: ModelSpec) -> dict[str, tuple[int, ...]]:
    channels, kernel_size, levels, _ = _architecture(spec)
    k, h = len(spec.feature_names), len(spec.horizons)
    shapes: dict[str, tuple[int, ...]] = {
        MEANS: (k,),
        SCALES: (k,),
        "stem/kernel": (k + 1, channels),
        "stem/bias": (channels,),
        "head/kernel": (channels, h * 3),
        "head/bias": (h * 3,),
    }
    for j in range(levels):
        shapes[f"blocks/{j}/kernel"] = (kernel_size, channels, channels)
        shapes[f"blocks/{j}/bias"] = (channels,)
    return shapes


class FlaxTcnModel(DirectionModel):
    family = FAMILY

    def __init__(self, spec: ModelSpec, arrays: Mapping[str, np.ndarray]) -> None:
        super().__init__(spec)
        _, kernel_size, levels, activation = _architecture(spec)
        if spec.lookback != receptive_field(kernel_size, levels):
            raise ModelInputError(
                f"a {FAMILY} model of {kernel_size} taps and {levels} levels reads "
                f"{receptive_field(kernel_size, levels)} rows, the spec says {spec.lookback}"
            )
        self._arrays = checked_weights(FAMILY, arrays, _expected_shapes(spec))
        as64 = {name: a.astype(np.float64) for name, a in self._arrays.items()}
        self._act = numpy_activation(activation)
        self._kernel_size = kernel_size
        self._stem = (as64["stem/kernel"], as64["stem/bias"])
        self._blocks = [
            (as64[f"blocks/{j}/kernel"], as64[f"blocks/{j}/bias"]) for j in range(levels)
        ]
        self._head = (as64["head/kernel"], as64["head/bias"])
        self._means, self._scales = as64[MEANS], as64[SCALES]

    def logits(self, features: np.ndarray) -> np.ndarray:
        n, horizons = len(features), len(self.spec.horizons)
        if n == 0:
            return np.zeros((0, horizons, 3))
        h = self.padded(features) @ self._stem[0] + self._stem[1]
        for j, (kernel, bias) in enumerate(self._blocks):
            dilation = 2**j
            span = (self._kernel_size - 1) * dilation
            rows = len(h) - span
            conv = h[:rows] @ kernel[0] + bias
            for tap in range(1, self._kernel_size):
                start = tap * dilation
                conv += h[start : start + rows] @ kernel[tap]
            h = h[span:] + self._act(conv)
        return (h @ self._head[0] + self._head[1]).reshape(n, horizons, 3)

    def weights(self) -> dict[str, np.ndarray]:
        return dict(self._arrays)

    @classmethod
    def restore(cls, spec: ModelSpec, weights: Mapping[str, np.ndarray]) -> Self:
        return cls(spec, weights)

    def padded(self, features: np.ndarray) -> np.ndarray:
        """What the network reads for ``features`` (one series' rows in time order)."""
        z = (np.asarray(features, dtype=np.float64) - self._means) / self._scales
        return padded_inputs(z, self.spec.lookback)

    def network(self) -> TcnNetwork:
        """The NNX module these weights came from (for checks and further training)."""
        channels, kernel_size, levels, activation = _architecture(self.spec)
        module = nnx.eval_shape(
            lambda: TcnNetwork(
                len(self.spec.feature_names) + 1,
                len(self.spec.horizons),
                channels=channels,
                kernel_size=kernel_size,
                levels=levels,
                activation=activation,
                rngs=nnx.Rngs(0),
            )
        )
        load_params(module, self._arrays)
        return module


@dataclass(frozen=True)
class TrainingChunks:
    """Every series padded on its own and laid end to end, with where chunks may start."""

    inputs: np.ndarray  # (rows, k + 1) float32
    labels: np.ndarray  # (rows, h) int32, aligned with the row each answer belongs to
    known: np.ndarray  # (rows, h) float32
    starts: np.ndarray  # (chunks,) int32: first input row of a chunk, one per series row


def training_chunks(
    series: tuple[Series, ...], means: np.ndarray, scales: np.ndarray, lookback: int, chunk: int
) -> TrainingChunks:
    """A chunk starting at input row ``start`` reads rows ``start .. start + lookback - 2 +
    chunk`` and answers for the last ``chunk`` of them, whose labels it is scored on. Each
    series row may start one; the ``chunk - 1`` padding rows after every series (labels
    unknown) keep a chunk that starts near a series' end inside that series' block."""
    inputs, labels, known, starts = [], [], [], []
    offset = 0
    for s in series:
        z = (s.features - means) / scales
        block = padded_inputs(z, lookback, tail=chunk - 1)
        # the answer for series row r is the network's r-th output, read from block rows
        # r .. r + lookback - 1; its label sits at block row r + lookback - 1
        y = np.full((len(block), s.labels.shape[1]), -1, dtype=np.int64)
        y[lookback - 1 : lookback - 1 + len(s)] = s.labels
        inputs.append(block.astype(np.float32))
        labels.append(np.maximum(y, 0).astype(np.int32))
        known.append((y >= 0).astype(np.float32))
        starts.append(offset + np.arange(len(s), dtype=np.int32))
        offset += len(block)
    return TrainingChunks(
        np.concatenate(inputs),
        np.concatenate(labels),
        np.concatenate(known),
        np.concatenate(starts),
    )


@partial(
    jax.jit,
    static_argnames=(
        "graphdef",
        "steps",
        "batch",
        "chunk",
        "lookback",
        "learning_rate",
        "weight_decay",
    ),
)
def _train(  # type: ignore[no-untyped-def]
    graphdef,
    params,
    inputs,
    labels,
    known,
    starts,
    key,
    *,
    steps,
    batch,
    chunk,
    lookback,
    learning_rate,
    weight_decay,
):
    """``steps`` AdamW steps, each on ``batch`` chunks whose starts are drawn with ``key``."""
    tx = optimiser(learning_rate, weight_decay, steps)
    window = jnp.arange(lookback - 1 + chunk)
    answered = jnp.arange(chunk) + (lookback - 1)

    def loss(p, xb, yb, kb):  # type: ignore[no-untyped-def]
        return summed_cross_entropy(nnx.merge(graphdef, p)(xb[None])[0], yb, kb)

    def step(carry, step_key):  # type: ignore[no-untyped-def]
        p, opt_state = carry
        first = starts[jax.random.randint(step_key, (batch,), 0, starts.shape[0])]
        rows = first[:, None] + window[None, :]
        targets = first[:, None] + answered[None, :]
        kb = known[targets]
        # one chunk per part: (batch, ...) arrays scanned over their first axis
        grads = mean_loss_gradient(loss, p, (inputs[rows], labels[targets], kb), kb)
        updates, opt_state = tx.update(grads, opt_state, p)
        return (optax.apply_updates(p, updates), opt_state), None

    (params, _), _ = jax.lax.scan(step, (params, tx.init(params)), jax.random.split(key, steps))
    return params


@dataclass(frozen=True)
class FlaxTcnFamily:
    """Hyper-parameters of the Flax TCN (documented defaults).

    - ``channels``: width of the stem and of every convolution.
    - ``kernel_size``, ``levels``: taps per convolution and how many dilated blocks (dilations
      1, 2, 4, ...); together they fix ``lookback`` (2 and 5 -> 32 rows).
    - ``activation``: ``relu``, ``tanh`` or ``gelu`` (tanh approximation).
    - ``chunk``: consecutive rows answered per training sample; ``batch_size``: chunks per
      step (so ``chunk x batch_size`` answers per step, 1,024 by default).
    - ``learning_rate``, ``weight_decay``: AdamW's, the rate decaying on a cosine to 5 %.
    - ``epochs``: passes over the training rows; ``max_steps`` caps the steps (0: no cap), so
      a long window trains in bounded time.
    """

    channels: int = 32
    kernel_size: int = 2
    levels: int = 5
    activation: str = "relu"
    chunk: int = 64
    batch_size: int = 16
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    epochs: int = 20
    max_steps: int = 2000
    name: str = FAMILY

    def __post_init__(self) -> None:
        check_positive(
            FAMILY,
            channels=self.channels,
            levels=self.levels,
            chunk=self.chunk,
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            epochs=self.epochs,
        )
        if self.kernel_size < 2:
            raise ModelInputError(
                f"{FAMILY}: kernel_size must be at least 2, got {self.kernel_size}"
            )
        if self.weight_decay < 0 or self.max_steps < 0:
            raise ModelInputError(f"{FAMILY}: weight_decay and max_steps must be >= 0")
        if self.activation not in ACTIVATIONS:
            raise ModelInputError(
                f"{FAMILY}: unknown activation {self.activation!r}; known: {', '.join(ACTIVATIONS)}"
            )

    @property
    def lookback(self) -> int:
        return receptive_field(self.kernel_size, self.levels)

    def hyper_parameters(self) -> dict[str, HyperValue]:
        return {
            "channels": self.channels,
            "kernel_size": self.kernel_size,
            "levels": self.levels,
            "activation": self.activation,
            "chunk": self.chunk,
            "batch_size": self.batch_size,
            "learning_rate": self.learning_rate,
            "weight_decay": self.weight_decay,
            "epochs": self.epochs,
            "max_steps": self.max_steps,
        }

    def fit(self, data: TrainingData, *, seed: int = 0) -> FlaxTcnModel:
        usable = sum(int((s.labels >= 0).any(axis=1).sum()) for s in data.series)
        if usable < MIN_KNOWN_ROWS:
            raise ModelInputError(
                f"need at least {MIN_KNOWN_ROWS} rows with a known label to fit, got {usable}"
            )
        x, _ = data.stacked()
        means, scales = fitted_scaling(x)
        lookback = self.lookback
        chunks = training_chunks(data.series, means, scales, lookback, self.chunk)
        network = TcnNetwork(
            len(data.feature_names) + 1,
            len(data.horizons),
            channels=self.channels,
            kernel_size=self.kernel_size,
            levels=self.levels,
            activation=self.activation,
            rngs=nnx.Rngs(params=seed),
        )
        graphdef, params = nnx.split(network, nnx.Param)
        steps = training_steps(data.rows, self.chunk * self.batch_size, self.epochs, self.max_steps)
        params = _train(
            graphdef,
            params,
            jnp.asarray(chunks.inputs),
            jnp.asarray(chunks.labels),
            jnp.asarray(chunks.known),
            jnp.asarray(chunks.starts),
            jax.random.fold_in(jax.random.key(seed), 1),
            steps=steps,
            batch=self.batch_size,
            chunk=self.chunk,
            lookback=lookback,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
        )
        nnx.update(network, params)
        arrays = named_params(network)
        arrays[MEANS], arrays[SCALES] = means, scales
        spec = ModelSpec(
            FAMILY, data.feature_names, data.horizons, lookback, self.hyper_parameters()
        )
        return FlaxTcnModel(spec, arrays)
