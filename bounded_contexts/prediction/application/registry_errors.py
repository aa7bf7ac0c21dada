"""Why a person's registry command was refused (nothing was recorded). Kept apart from the
commands themselves so that a reader of these errors (the gateway) does not import the model
families and their numerical libraries."""

from __future__ import annotations


class ModelCommandError(ValueError):
    """A registry command refused; nothing was recorded. The message says why."""


class UnknownModel(ModelCommandError):
    """No model with this id is in the registry."""


class IllegalModelTransition(ModelCommandError):
    """The model exists, but its state forbids the command (retired, the champion ...)."""


class InvalidModelCommand(ModelCommandError):
    """An argument is unusable (an unknown family, an empty reason); ``field`` names it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field


class NoTrainingData(ModelCommandError):
    """There is nothing to train or evaluate on yet (no bar with indicators in the store)."""
