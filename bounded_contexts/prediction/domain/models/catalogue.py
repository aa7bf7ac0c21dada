"""Every model family the platform can train and restore, by name.

The registry stores a model as (spec, weights); this table is how a stored model finds the
class that runs it again.
"""

from __future__ import annotations

from .direction import DirectionModel, ModelInputError
from .logistic import FAMILY as LOGREG
from .logistic import LogisticDirectionModel

MODEL_CLASSES: dict[str, type[DirectionModel]] = {LOGREG: LogisticDirectionModel}


def model_class(family: str) -> type[DirectionModel]:
    try:
        return MODEL_CLASSES[family]
    except KeyError:
        raise ModelInputError(
            f"unknown model family {family!r}; known: {', '.join(sorted(MODEL_CLASSES))}"
        ) from None
