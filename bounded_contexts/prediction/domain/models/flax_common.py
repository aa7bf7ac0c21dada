"""What the Flax families share: activations twice over, scaling, named weights, the optimiser.

A Flax family trains an NNX module with optax but serves with a plain numpy forward pass over
the arrays :meth:`~.direction.DirectionModel.weights` returns: live, the platform asks for one
window per bar per instrument, and an NNX call (graph traversal, dispatch, device transfer) costs
far more than the arithmetic of a network this small. So every operation exists twice — in JAX
for training, in numpy for serving — and the two are kept equal by the tests (float64 against
float64, within 1e-6). The activations below are the only nonlinearity either family uses;
``gelu`` is the tanh approximation (``jax.nn.gelu``'s default), which numpy reproduces exactly.

Learned arrays are named after their path in the NNX state (``hidden/0/kernel``), kept in the
float32 they were trained in, and cast to float64 once when a model is built: ``weights()``
returns exactly what was learned, and the sha256 of a stored model is that of its training.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
import optax
from flax import nnx

from .direction import HyperValue, ModelInputError

ACTIVATIONS = ("relu", "tanh", "gelu")
_GELU_C = float(np.sqrt(2.0 / np.pi))

#: names of the fitted scaling arrays, stored beside the learned ones
MEANS, SCALES = "means", "scales"


def jax_activation(name: str) -> Callable[[jax.Array], jax.Array]:
    if name == "relu":
        return jax.nn.relu
    if name == "tanh":
        return jnp.tanh
    if name == "gelu":
        return lambda x: jax.nn.gelu(x, approximate=True)
    raise ModelInputError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")


def numpy_activation(name: str) -> Callable[[np.ndarray], np.ndarray]:
    if name == "relu":
        return lambda x: np.maximum(x, 0.0)
    if name == "tanh":
        return np.tanh
    if name == "gelu":
        return lambda x: 0.5 * x * (1.0 + np.tanh(_GELU_C * (x + 0.044715 * x * x * x)))
    raise ModelInputError(f"unknown activation {name!r}; known: {', '.join(ACTIVATIONS)}")


def fitted_scaling(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-column mean and standard deviation of the training rows (a constant column gets a
    scale of 1, so it standardises to 0 instead of dividing by zero)."""
    means = x.mean(axis=0)
    scales = x.std(axis=0)
    scales[scales == 0] = 1.0
    return means.astype(np.float64), scales.astype(np.float64)


def named_params(module: nnx.Module) -> dict[str, np.ndarray]:
    """Every ``nnx.Param`` of ``module`` as numpy, named by its path (``head/kernel``)."""
    _, state = nnx.split(module, nnx.Param)
    return {
        "/".join(str(part) for part in path): np.asarray(variable.get_value())
        for path, variable in nnx.to_flat_state(state)
    }


def load_params(module: nnx.Module, arrays: Mapping[str, np.ndarray]) -> None:
    """Set every ``nnx.Param`` of ``module`` from ``arrays`` (names as :func:`named_params`)."""
    _, state = nnx.split(module, nnx.Param)
    for path, variable in nnx.to_flat_state(state):
        variable.set_value(jnp.asarray(arrays["/".join(str(part) for part in path)]))
    nnx.update(module, state)


def checked_weights(
    family: str,
    weights: Mapping[str, np.ndarray],
    expected: Mapping[str, tuple[int, ...]],
) -> dict[str, np.ndarray]:
    """``weights`` as read-only numpy copies (a model is immutable once built), refused with
    the first difference from the shapes the spec implies (a missing, unexpected or
    misshapen array, or a non-finite value)."""
    missing = sorted(set(expected) - set(weights))
    extra = sorted(set(weights) - set(expected))
    if missing or extra:
        raise ModelInputError(f"{family} weights: missing {missing}, unexpected {extra}")
    arrays: dict[str, np.ndarray] = {}
    for name, shape in expected.items():
        array = np.array(weights[name], copy=True)
        if array.shape != tuple(shape):
            raise ModelInputError(
                f"{family} weight {name!r} must have shape {tuple(shape)}, got {array.shape}"
            )
        if not np.isfinite(array).all():
            raise ModelInputError(f"{family} weight {name!r} is not finite")
        array.flags.writeable = False
        arrays[name] = array
    return arrays


def spec_value(family: str, hyper: Mapping[str, HyperValue], name: str) -> HyperValue:
    try:
        return hyper[name]
    except KeyError:
        raise ModelInputError(f"a {family} spec must name its {name!r} hyper-parameter") from None


def optimiser(
    learning_rate: float, weight_decay: float, steps: int
) -> optax.GradientTransformation:
    """AdamW on a cosine schedule down to 5 % of ``learning_rate`` over the fixed number of
    steps, after clipping the gradient's global norm at 1: the last steps move the weights
    little, so the fixed stopping point (there is no early stopping) lands on settled weights."""
    schedule = optax.cosine_decay_schedule(learning_rate, max(steps, 1), alpha=0.05)
    return optax.chain(
        optax.clip_by_global_norm(1.0),
        optax.adamw(schedule, weight_decay=weight_decay),
    )


def summed_cross_entropy(logits: jax.Array, labels: jax.Array, known: jax.Array) -> jax.Array:
    """Cross-entropy summed over the known labels only. ``logits`` (..., h, 3); ``labels``
    (..., h) class ids (anything where unknown); ``known`` (..., h) 0/1."""
    log_p = jax.nn.log_softmax(logits, axis=-1)
    picked = jnp.take_along_axis(log_p, labels[..., None], axis=-1)[..., 0]
    return -jnp.sum(picked * known)


def mean_loss_gradient(
    loss: Callable[..., jax.Array], params: Any, parts: tuple[jax.Array, ...], known: jax.Array
) -> Any:
    """The gradient of the mean known-label loss of a step's batch, computed one part at a
    time in a fixed order. ``loss(params, *part)`` sums its part's losses; ``parts`` are the
    batch split along a leading axis; ``known`` the 0/1 mask of the whole batch.

    Why in parts: XLA on CPU splits a long reduction (a bias gradient summed over thousands
    of rows, measured above ~32,000 elements on jax 0.10.2) across its threads, so its last
    bits depend on how many cores the machine has; a model trained on two cores then
    differed from one trained on one. Summing the gradients of parts small enough never to
    be split, in scan order, gives the same weights on any core count — and on two cores it
    was also faster (the TCN's year of bars: 12 s against 42 s in one pass)."""
    total = jnp.maximum(jnp.sum(known), 1.0)
    grad = jax.grad(loss)

    def add(sums: Any, part: tuple[jax.Array, ...]) -> tuple[Any, None]:
        return jax.tree.map(jnp.add, sums, grad(params, *part)), None

    sums, _ = jax.lax.scan(add, jax.tree.map(jnp.zeros_like, params), parts)
    return jax.tree.map(lambda g: g / total, sums)


def training_steps(samples: int, per_step: int, epochs: int, max_steps: int) -> int:
    """``epochs`` passes over ``samples`` in steps of ``per_step``, at most ``max_steps``
    (0: no cap) — so training time is bounded however long the window is."""
    steps = epochs * -(-samples // per_step)
    return min(steps, max_steps) if max_steps > 0 else steps


def check_positive(family: str, **values: float) -> None:
    for name, value in values.items():
        if not (value > 0 and np.isfinite(value)):
            raise ModelInputError(f"{family}: {name} must be positive, got {value}")
