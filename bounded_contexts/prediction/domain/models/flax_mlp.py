"""The Flax MLP family: a multilayer perceptron over one bar's standardised feature row.

Architecture: ``depth`` dense layers of ``hidden_size`` units with one activation, then a
dense head of ``3 x horizons`` units read as one down/neutral/up softmax per horizon. It looks
at a single row (``lookback = 1``), so it is causal by construction.

Training (``FlaxMlpFamily.fit``): features standardised with the training rows' mean and scale
(stored with the weights); rows with no known label are dropped; each step draws
``batch_size`` rows with replacement using a JAX key split from the seed; the loss is the
cross-entropy of the known labels only; AdamW with weight decay on a cosine schedule for a
fixed number of steps (``epochs`` passes over the rows, capped at ``max_steps``); no early
stopping. The whole loop is one jitted ``lax.scan`` over the functional split of the NNX
module, so Python is not in the loop; a step's gradient is summed over passes of at most 128
rows in a fixed order (:func:`.flax_common.mean_loss_gradient`). Initial weights come from
``nnx.Rngs`` seeded with the same seed: the same data and seed give the same weights bit for
bit on CPU.

Serving: :meth:`FlaxMlpModel.logits` is a numpy forward pass over the stored arrays (see
:mod:`.flax_common` for why); :meth:`FlaxMlpModel.network` rebuilds the NNX module, which the
tests hold equal to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial
from itertools import pairwise
from typing import Self

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from .direction import DirectionModel, HyperValue, ModelInputError, ModelSpec, TrainingData
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

FAMILY = "flax-mlp"
MIN_KNOWN_ROWS = 10
#: rows whose gradient is computed in one pass (see ``flax_common.mean_loss_gradient``)
ROWS_PER_PASS = 128


def passes_of(batch_size: int) -> tuple[int, int]:
    """A step's ``batch_size`` rows as (passes, rows per pass), each pass at most
    :data:`ROWS_PER_PASS` rows and all passes equal — so the batch is rounded up to a
    multiple of the passes (512 -> 4 x 128; 300 -> 3 x 100; 129 -> 2 x 65 = 130)."""
    passes = -(-batch_size // ROWS_PER_PASS)
    return passes, -(-batch_size // passes)


class MlpNetwork(nnx.Module):
    """``(..., features)`` standardised rows -> ``(..., horizons, 3)`` logits."""

    def __init__(
        self,
        features: int,
        horizons: int,
        *,
        hidden_size: int,
        depth: int,
        activation: str,
        rngs: nnx.Rngs,
    ) -> None:
        sizes = [features] + [hidden_size] * depth
        self.hidden = nnx.List([nnx.Linear(a, b, rngs=rngs) for a, b in pairwise(sizes)])
        self.head = nnx.Linear(sizes[-1], horizons * 3, rngs=rngs)
        self.horizons = horizons
        self.activation = activation

    def __call__(self, x: jax.Array) -> jax.Array:
        act = jax_activation(self.activation)
        for layer in self.hidden:
            x = act(layer(x))
        out = self.head(x)
        return out.reshape(*out.shape[:-1], self.horizons, 3)


def _architecture(spec: ModelSpec) -> tuple[int, int, str]:
    hyper = spec.hyper_parameters
    hidden = int(spec_value(FAMILY, hyper, "hidden_size"))
    depth = int(spec_value(FAMILY, hyper, "depth"))
    activation = str(spec_value(FAMILY, hyper, "activation"))
    return hidden, depth, activation


def _expected_shapes(spec: ModelSpec) -> dict[str, tuple[int, ...]]:
    hidden, depth, _ = _architecture(spec)
    k, h = len(spec.feature_names), len(spec.horizons)
    sizes = [k] + [hidden] * depth
    shapes: dict[str, tuple[int, ...]] = {MEANS: (k,), SCALES: (k,)}
    for i, (a, b) in enumerate(pairwise(sizes)):
        shapes[f"hidden/{i}/kernel"] = (a, b)
        shapes[f"hidden/{i}/bias"] = (b,)
    shapes["head/kernel"] = (sizes[-1], h * 3)
    shapes["head/bias"] = (h * 3,)
    return shapes


class FlaxMlpModel(DirectionModel):
    family = FAMILY

    def __init__(self, spec: ModelSpec, arrays: Mapping[str, np.ndarray]) -> None:
        super().__init__(spec)
        if spec.lookback != 1:
            raise ModelInputError(
                f"a {FAMILY} model reads one row (lookback 1), not {spec.lookback}"
            )
        self._arrays = checked_weights(FAMILY, arrays, _expected_shapes(spec))
        _, depth, activation = _architecture(spec)
        self._act = numpy_activation(activation)
        as64 = {name: a.astype(np.float64) for name, a in self._arrays.items()}
        self._layers = [
            (as64[f"hidden/{i}/kernel"], as64[f"hidden/{i}/bias"]) for i in range(depth)
        ]
        self._head = (as64["head/kernel"], as64["head/bias"])
        self._means, self._scales = as64[MEANS], as64[SCALES]

    def logits(self, features: np.ndarray) -> np.ndarray:
        z = (features - self._means) / self._scales
        for kernel, bias in self._layers:
            z = self._act(z @ kernel + bias)
        out = z @ self._head[0] + self._head[1]
        return out.reshape(len(features), len(self.spec.horizons), 3)

    def weights(self) -> dict[str, np.ndarray]:
        return dict(self._arrays)

    @classmethod
    def restore(cls, spec: ModelSpec, weights: Mapping[str, np.ndarray]) -> Self:
        return cls(spec, weights)

    def standardised(self, features: np.ndarray) -> np.ndarray:
        """What the network reads: the rows scaled by the training mean and scale."""
        return (self.check_features(features) - self._means) / self._scales

    def network(self) -> MlpNetwork:
        """The NNX module these weights came from (for checks and further training)."""
        hidden, depth, activation = _architecture(self.spec)
        module = nnx.eval_shape(
            lambda: MlpNetwork(
                len(self.spec.feature_names),
                len(self.spec.horizons),
                hidden_size=hidden,
                depth=depth,
                activation=activation,
                rngs=nnx.Rngs(0),
            )
        )
        load_params(module, self._arrays)
        return module


@partial(jax.jit, static_argnames=("graphdef", "steps", "batch", "learning_rate", "weight_decay"))
def _train(  # type: ignore[no-untyped-def]
    graphdef, params, x, y, known, key, *, steps, batch, learning_rate, weight_decay
):
    """``steps`` AdamW steps on minibatches of ``batch`` rows drawn with ``key``."""
    tx = optimiser(learning_rate, weight_decay, steps)
    shape = passes_of(batch)

    def loss(p, xb, yb, kb):  # type: ignore[no-untyped-def]
        return summed_cross_entropy(nnx.merge(graphdef, p)(xb), yb, kb)

    def step(carry, step_key):  # type: ignore[no-untyped-def]
        p, opt_state = carry
        rows = jax.random.randint(step_key, shape, 0, x.shape[0])
        grads = mean_loss_gradient(loss, p, (x[rows], y[rows], known[rows]), known[rows])
        updates, opt_state = tx.update(grads, opt_state, p)
        return (optax.apply_updates(p, updates), opt_state), None

    (params, _), _ = jax.lax.scan(step, (params, tx.init(params)), jax.random.split(key, steps))
    return params


@dataclass(frozen=True)
class FlaxMlpFamily:
    """Hyper-parameters of the Flax MLP (documented defaults).

    - ``hidden_size``, ``depth``: units per hidden layer and how many hidden layers.
    - ``activation``: ``relu``, ``tanh`` or ``gelu`` (tanh approximation).
    - ``learning_rate``, ``weight_decay``: AdamW's, the rate decaying on a cosine to 5 %.
    - ``batch_size``: rows per step, drawn with replacement; the step's gradient is summed
      over passes of at most 128 rows (:func:`passes_of`: so the same weights come out on any
      number of cores), the batch rounded up to equal passes.
    - ``epochs``: passes over the training rows; ``max_steps`` caps the steps (0: no cap), so
      a long window trains in bounded time (a year of 1-minute bars for 8 instruments: about
      786,000 rows, capped at 4,000 steps of 512 rows, ~2.6 passes).
    """

    hidden_size: int = 64
    depth: int = 2
    activation: str = "relu"
    learning_rate: float = 3e-3
    weight_decay: float = 1e-4
    batch_size: int = 512
    epochs: int = 20
    max_steps: int = 4000
    name: str = FAMILY

    def __post_init__(self) -> None:
        check_positive(
            FAMILY,
            hidden_size=self.hidden_size,
            depth=self.depth,
            learning_rate=self.learning_rate,
            batch_size=self.batch_size,
            epochs=self.epochs,
        )
        if self.weight_decay < 0 or self.max_steps < 0:
            raise ModelInputError(f"{FAMILY}: weight_decay and max_steps must be >= 0")
        if self.activation not in ACTIVATIONS:
            raise ModelInputError(
                f"{FAMILY}: unknown activation {self.activation!r}; known: {', '.join(ACTIVATIONS)}"
            )

    def hyper_parameters(self) -> dict[str, HyperValue]:
        return {
            "hidden_size": self.hidden_size,
            "depth": self.depth,
            "activation": self.activation,
            "learning_rate": self.learning_rate,
            "weight_decay": self.weight_decay,
            "batch_size": self.batch_size,
            "epochs": self.epochs,
            "max_steps": self.max_steps,
        }

    def fit(self, data: TrainingData, *, seed: int = 0) -> FlaxMlpModel:
        x, y = data.stacked()
        known = y >= 0
        usable = known.any(axis=1)
        if int(usable.sum()) < MIN_KNOWN_ROWS:
            raise ModelInputError(
                f"need at least {MIN_KNOWN_ROWS} rows with a known label to fit, "
                f"got {int(usable.sum())}"
            )
        means, scales = fitted_scaling(x)
        z = ((x[usable] - means) / scales).astype(np.float32)
        network = MlpNetwork(
            len(data.feature_names),
            len(data.horizons),
            hidden_size=self.hidden_size,
            depth=self.depth,
            activation=self.activation,
            rngs=nnx.Rngs(params=seed),
        )
        graphdef, params = nnx.split(network, nnx.Param)
        steps = training_steps(len(z), self.batch_size, self.epochs, self.max_steps)
        params = _train(
            graphdef,
            params,
            jnp.asarray(z),
            jnp.asarray(np.maximum(y[usable], 0), dtype=jnp.int32),
            jnp.asarray(known[usable], dtype=jnp.float32),
            jax.random.fold_in(jax.random.key(seed), 1),
            steps=steps,
            batch=self.batch_size,
            learning_rate=self.learning_rate,
            weight_decay=self.weight_decay,
        )
        nnx.update(network, params)
        arrays = named_params(network)
        arrays[MEANS], arrays[SCALES] = means, scales
        spec = ModelSpec(FAMILY, data.feature_names, data.horizons, 1, self.hyper_parameters())
        return FlaxMlpModel(spec, arrays)
