"""The model registry, as an aggregate: which models exist, which one serves, which are retired.

One stream for the whole registry, so that two writers (the trainer promoting by rule and a
person promoting by hand) cannot both act on a stale view: the second append conflicts and is
re-decided on the fresh registry. Replaying the stream gives the same registry, by
construction — the registry *is* its events.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from bounded_contexts.prediction.domain.events import (
    ModelPromoted,
    ModelRetired,
    ModelTrained,
    ModelTrainingFailed,
    PromotionRule,
)
from events.domain import Aggregate, DomainEvent

NAMESPACE = uuid.UUID("5b0e3f59-8f0c-4bb5-9d43-3f4a1e4c2a77")
REGISTRY_ID = uuid.uuid5(NAMESPACE, "model-registry")


class RegistryError(ValueError):
    """A registry command that cannot be carried out; the message says why."""


@dataclass(frozen=True)
class Promotion:
    model_id: str
    rule: PromotionRule
    previous_champion: str | None
    note: str


class ModelRegistry(Aggregate):
    def __init__(self) -> None:
        super().__init__(REGISTRY_ID)
        self._init_state()

    def _init_state(self) -> None:
        self.models: dict[str, ModelTrained] = {}
        self.champion: str | None = None
        self.retired: dict[str, str] = {}
        self.promotions: list[Promotion] = []
        self.failures: list[ModelTrainingFailed] = []

    # -- queries ----------------------------------------------------------------
    def next_version(self, family: str) -> int:
        return 1 + sum(1 for m in self.models.values() if m.family == family)

    def champion_model(self) -> ModelTrained | None:
        return self.models[self.champion] if self.champion else None

    def get(self, model_id: str) -> ModelTrained:
        try:
            return self.models[model_id]
        except KeyError:
            known = ", ".join(sorted(self.models)) or "none"
            raise RegistryError(f"no model {model_id!r} in the registry (known: {known})") from None

    def status(self, model_id: str) -> str:
        self.get(model_id)
        if model_id in self.retired:
            return "retired"
        if model_id == self.champion:
            return "champion"
        if any(p.model_id == model_id for p in self.promotions):
            return "former-champion"
        return "candidate"

    # -- commands ---------------------------------------------------------------
    def register(self, trained: ModelTrained) -> None:
        if trained.model_id in self.models:
            raise RegistryError(f"model {trained.model_id} is already registered")
        if trained.model_version != self.next_version(trained.family):
            raise RegistryError(
                f"{trained.family} version {trained.model_version} is out of sequence; "
                f"the next is {self.next_version(trained.family)}"
            )
        self._record(trained)

    def promote(
        self,
        model_id: str,
        *,
        rule: PromotionRule,
        challenger_log_loss: float | None = None,
        champion_log_loss: float | None = None,
        margin: float | None = None,
        compared: tuple[int, int] | None = None,
        note: str = "",
    ) -> None:
        model = self.get(model_id)
        if model_id in self.retired:
            raise RegistryError(f"model {model_id} is retired: {self.retired[model_id]}")
        if model_id == self.champion:
            raise RegistryError(f"model {model_id} is already the champion")
        champion = self.champion_model()
        if champion is not None and champion.feature_set != model.feature_set:
            raise RegistryError(
                f"model {model_id} reads feature set {model.feature_set}, the champion "
                f"{champion.feature_set}"
            )
        self._record(
            ModelPromoted(
                model_id,
                self.champion,
                rule,
                challenger_log_loss,
                champion_log_loss,
                margin,
                compared[0] if compared else None,
                compared[1] if compared else None,
                note,
            )
        )

    def retire(self, model_id: str, reason: str) -> None:
        self.get(model_id)
        if model_id in self.retired:
            raise RegistryError(f"model {model_id} is already retired")
        if model_id == self.champion:
            raise RegistryError(
                f"model {model_id} is the champion: promote another model before retiring it"
            )
        if not reason.strip():
            raise RegistryError("say why the model is retired")
        self._record(ModelRetired(model_id, reason))

    def fail(self, request_id: str, family: str, reason: str) -> None:
        self._record(ModelTrainingFailed(request_id, family, reason))

    def answered(self, request_id: str) -> bool:
        """Whether a request has left a trace: a model trained for it or a failure."""
        return any(m.request_id == request_id for m in self.models.values()) or any(
            f.request_id == request_id for f in self.failures
        )

    def apply(self, event: DomainEvent) -> None:
        match event:
            case ModelTrained():
                self.models[event.model_id] = event
            case ModelPromoted():
                self.promotions.append(
                    Promotion(event.model_id, event.rule, event.previous_champion, event.note)
                )
                self.champion = event.model_id
            case ModelRetired():
                self.retired[event.model_id] = event.reason
            case ModelTrainingFailed():
                self.failures.append(event)
            case _:
                super().apply(event)
