"""What a person does to the model registry — promote a model, retire one, ask for a retrain —
from GraphQL or the command line, and the command line's in-process answer to its own request.

Each command reads the registry fresh from the prediction store, lets the aggregate decide
(it refuses a retired model, the champion, a second retirement), and appends what it recorded
with the person as the cause's actor. The registry is one stream, so a command racing the
training component (which may promote by rule meanwhile) conflicts instead of acting on a
stale view; it is then decided again on the fresh registry, at most :data:`ATTEMPTS` times.

A retrain request is a fact of its own (``RetrainRequested``, reason ``manual``): it reads
every bar the intelligence store holds when it is made (``upto_position`` = the store's head,
``window_end_ts`` = the latest bar's end), and the training component answers it like any
other request — unless the command line answers it first (``quantvista models train``), in
which case the component finds it answered and records nothing.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bounded_contexts.prediction.application.feature_feed import bar_of
from bounded_contexts.prediction.application.models_config import ModelsConfig
from bounded_contexts.prediction.application.ports import WeightsStore
from bounded_contexts.prediction.application.registry_errors import (
    IllegalModelTransition,
    InvalidModelCommand,
    ModelCommandError,
    NoTrainingData,
    UnknownModel,
)
from bounded_contexts.prediction.application.registry_view import load_registry
from bounded_contexts.prediction.application.trainer import ModelTrainer
from bounded_contexts.prediction.domain.events import (
    ModelTrained,
    ModelTrainingFailed,
    RetrainRequested,
)
from bounded_contexts.prediction.domain.facts import Fact
from bounded_contexts.prediction.domain.models.catalogue import FAMILIES
from bounded_contexts.prediction.domain.registry import ModelRegistry, RegistryError
from events.effects import EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.store import ConcurrencyConflict, EventStore, PoisonEvent
from gateway.ports import ModelOutcome, Principal, RetrainOutcome

ATTEMPTS = 3
TRAINER_ACTOR = "algo:qv-model-trainer"
BAR_SCAN_PAGE = 1000


@dataclass(frozen=True)
class TrainingAnswer:
    """How a request was answered: the models trained for it, the families that failed (with
    the reason), the model promoted by the rule (if any), and whether the training
    component had answered it before this process could."""

    request_id: str
    trained: tuple[ModelTrained, ...]
    failures: tuple[ModelTrainingFailed, ...]
    promoted: str | None
    champion: str | None
    answered_elsewhere: bool


def latest_bar(intelligence: EventStore, upto: int) -> int | None:
    """The end of the latest bar among the intelligence events up to ``upto`` (read backwards
    a page at a time from there: the last bars are near the head)."""
    while upto > 0:
        after = max(0, upto - BAR_SCAN_PAGE)
        ends = []
        for raw in intelligence.read_raw(after, limit=BAR_SCAN_PAGE, upto=upto):
            try:
                bar = bar_of(intelligence.decode(raw).event)
            except PoisonEvent:
                continue
            if bar is not None:
                ends.append(bar[1])
        if ends:
            return max(ends)
        upto = after
    return None


class ModelRegistryCommands:
    """Implements ``gateway.ports.ModelCommands``."""

    def __init__(
        self,
        prediction: EventStore,
        intelligence: EventStore,
        weights: WeightsStore,
        config: ModelsConfig,
        *,
        clock_ns: Callable[[], int] = time.time_ns,
        new_id: Callable[[], str] = lambda: uuid.uuid4().hex,
    ) -> None:
        self.prediction, self.intelligence = prediction, intelligence
        self.weights, self.config = weights, config
        self.clock_ns, self.new_id = clock_ns, new_id

    # -- commands -------------------------------------------------------------------------
    def promote_model(self, principal: Principal, *, model_id: str, note: str) -> ModelOutcome:
        if not note.strip():
            raise InvalidModelCommand("say why the model is promoted (a note)", field="note")

        def promote(registry: ModelRegistry) -> None:
            trained = self._known(registry, model_id)
            try:
                self.weights.get(trained.weights_sha256)  # a champion must be able to serve
            except (LookupError, ValueError) as exc:
                raise IllegalModelTransition(
                    f"model {model_id} cannot serve: {exc}; it was not promoted"
                ) from None
            registry.promote(model_id, rule="manual", note=note.strip())

        return self._run(principal, f"promote/{model_id}", model_id, promote)

    def retire_model(self, principal: Principal, *, model_id: str, reason: str) -> ModelOutcome:
        if not reason.strip():
            raise InvalidModelCommand("say why the model is retired (a reason)", field="reason")

        def retire(registry: ModelRegistry) -> None:
            self._known(registry, model_id)
            registry.retire(model_id, reason.strip())

        return self._run(principal, f"retire/{model_id}", model_id, retire)

    def request_retrain(
        self, principal: Principal, *, families: Sequence[str] | None, note: str
    ) -> RetrainOutcome:
        wanted = self._families(families)
        upto = self.intelligence.head()
        window_end = latest_bar(self.intelligence, upto)
        if window_end is None:
            raise NoTrainingData(
                "no bar has reached the intelligence store yet: nothing to train on"
            )
        request_id = f"manual/{self.new_id()}"
        request = RetrainRequested(
            request_id, "manual", wanted, window_end, upto, None, note=note.strip()
        )
        uow = EventsToAppend()
        uow.save(
            Fact("retrain", request_id, request),
            Cause.origin(
                ts_event=self.clock_ns(), actor=f"person:{principal.subject}", key=request_id
            ),
        )
        [position] = self.prediction.append(uow.items)
        return RetrainOutcome(request_id, wanted, window_end, upto, position)

    def fulfil(self, request_id: str) -> TrainingAnswer:
        """Answer a request in this process (``quantvista models train --wait``): train,
        register, promote by the rule, append. If the training component answered it first,
        report its answer instead (a conflict means it did, or someone promoted meanwhile:
        the registry is read again and the request re-decided)."""
        envelope = self._request(request_id)
        request = envelope.event
        assert isinstance(request, RetrainRequested)
        trainer = ModelTrainer(self.intelligence, self.weights, self.config)
        for attempt in range(ATTEMPTS):
            registry = load_registry(self.prediction)
            if registry.answered(request_id):
                return _answer(registry, request_id, answered_elsewhere=True)
            trainer.fulfil(request, registry)
            uow = EventsToAppend()
            uow.save(registry, Cause.following(envelope, actor=TRAINER_ACTOR))
            try:
                self.prediction.append(uow.items)
            except ConcurrencyConflict:
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            return _answer(registry, request_id, answered_elsewhere=False)
        raise AssertionError("unreachable: the last attempt returns or raises")

    # -- helpers --------------------------------------------------------------------------
    def _families(self, families: Sequence[str] | None) -> tuple[str, ...]:
        if families is None:
            return self.config.families()
        wanted = tuple(dict.fromkeys(f.strip() for f in families))
        if not wanted or not all(wanted):
            raise InvalidModelCommand("name at least one model family", field="families")
        unknown = [f for f in wanted if f not in FAMILIES]
        if unknown:
            raise InvalidModelCommand(
                f"unknown model famil{'y' if len(unknown) == 1 else 'ies'} "
                f"{', '.join(repr(f) for f in unknown)}; known: {', '.join(sorted(FAMILIES))}",
                field="families",
            )
        return wanted

    @staticmethod
    def _known(registry: ModelRegistry, model_id: str) -> ModelTrained:
        if model_id not in registry.models:
            raise UnknownModel(f"no model {model_id!r} in the registry")
        return registry.models[model_id]

    def _request(self, request_id: str) -> EventEnvelope:
        stored = self.prediction.aggregate_events(fact_id("retrain", request_id))
        if not stored:
            raise ModelCommandError(f"no training request {request_id!r} was recorded")
        return stored[0]

    def _run(
        self,
        principal: Principal,
        key: str,
        model_id: str,
        decide: Callable[[ModelRegistry], None],
    ) -> ModelOutcome:
        for attempt in range(ATTEMPTS):
            registry = load_registry(self.prediction)
            try:
                decide(registry)
            except RegistryError as exc:
                raise IllegalModelTransition(str(exc)) from None
            uow = EventsToAppend()
            uow.save(
                registry,
                Cause.origin(
                    ts_event=self.clock_ns(),
                    actor=f"person:{principal.subject}",
                    key=f"{key}/{registry.version}",
                ),
            )
            try:
                positions = self.prediction.append(uow.items)
            except ConcurrencyConflict:
                if attempt == ATTEMPTS - 1:
                    raise
                continue
            return ModelOutcome(model_id, registry.status(model_id), max(positions))
        raise AssertionError("unreachable: the last attempt returns or raises")


def fact_id(kind: str, key: str) -> uuid.UUID:
    """The id of the :class:`Fact` recorded under ``kind``/``key`` (what ``Fact`` derives)."""
    return uuid.uuid5(Fact.NAMESPACE, f"{kind}/{key}")


def _answer(
    registry: ModelRegistry, request_id: str, *, answered_elsewhere: bool
) -> TrainingAnswer:
    trained = tuple(m for m in registry.models.values() if m.request_id == request_id)
    ids = {m.model_id for m in trained}
    promoted = next((p.model_id for p in reversed(registry.promotions) if p.model_id in ids), None)
    return TrainingAnswer(
        request_id,
        trained,
        tuple(f for f in registry.failures if f.request_id == request_id),
        promoted,
        registry.champion,
        answered_elsewhere,
    )


__all__ = [
    "IllegalModelTransition",
    "InvalidModelCommand",
    "ModelCommandError",
    "ModelRegistryCommands",
    "NoTrainingData",
    "TrainingAnswer",
    "UnknownModel",
    "latest_bar",
]
