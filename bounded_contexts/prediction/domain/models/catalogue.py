"""Every model family the platform can train and restore, by name.

The registry stores a model as (spec, weights); :data:`MODEL_CLASSES` is how a stored model
finds the class that runs it again, :data:`FAMILIES` how a training request finds the family
that fits it (with its documented default hyper-parameters).
"""

from __future__ import annotations

from collections.abc import Callable

from .direction import DirectionModel, ModelFamily, ModelInputError
from .flax_mlp import FAMILY as FLAX_MLP
from .flax_mlp import FlaxMlpFamily, FlaxMlpModel
from .flax_temporal import FAMILY as FLAX_TCN
from .flax_temporal import FlaxTcnFamily, FlaxTcnModel
from .logistic import FAMILY as LOGREG
from .logistic import LogisticDirectionModel, LogisticFamily
from .norse_lif import FAMILY as NORSE_LIF
from .norse_lif import NorseLIFFamily, NorseLIFModel

MODEL_CLASSES: dict[str, type[DirectionModel]] = {
    LOGREG: LogisticDirectionModel,
    FLAX_MLP: FlaxMlpModel,
    FLAX_TCN: FlaxTcnModel,
    NORSE_LIF: NorseLIFModel,
}
FAMILIES: dict[str, Callable[[], ModelFamily]] = {
    LOGREG: LogisticFamily,
    FLAX_MLP: FlaxMlpFamily,
    FLAX_TCN: FlaxTcnFamily,
    NORSE_LIF: NorseLIFFamily,
}


def model_class(family: str) -> type[DirectionModel]:
    try:
        return MODEL_CLASSES[family]
    except KeyError:
        raise ModelInputError(
            f"unknown model family {family!r}; known: {', '.join(sorted(MODEL_CLASSES))}"
        ) from None


def family_named(name: str) -> ModelFamily:
    try:
        return FAMILIES[name]()
    except KeyError:
        raise ModelInputError(
            f"unknown model family {name!r}; known: {', '.join(sorted(FAMILIES))}"
        ) from None
