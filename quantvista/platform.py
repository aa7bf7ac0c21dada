"""The composition root: one object that builds every store, relay, policy, saga and
projection of QuantVista against a database URL and (optionally) a Pulsar URL.

Without a broker the consumers run in store-following mode (they catch up from the stores);
with one, events travel store -> relay -> Pulsar -> consumer, and the stores still judge.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from bounded_contexts.decision.domain.strategy import StrategyConfig
from bounded_contexts.decision.policies.on_price_direction_predicted import (
    OnPriceDirectionPredicted,
)
from bounded_contexts.execution.application.commands import ExecutionCommands
from bounded_contexts.execution.application.service import ExecutionConfig, ExecutionService
from bounded_contexts.execution.policies.on_market_and_decisions import ExecutionPolicy
from bounded_contexts.ingestion.application.service import IngestionService
from bounded_contexts.intelligence.domain.market_structure import MarketStructureConfig
from bounded_contexts.intelligence.policies.on_bar_closed import OnBarClosed
from bounded_contexts.prediction.adapters.weights_store import PostgresWeightsStore
from bounded_contexts.prediction.application.models_config import ModelsConfig
from bounded_contexts.prediction.application.registry_commands import ModelRegistryCommands
from bounded_contexts.prediction.policies.on_indicators_updated import OnIndicatorsUpdated
from bounded_contexts.prediction.policies.on_retrain_requested import OnRetrainRequested
from bounded_contexts.support.adapters.recipients import AuthorisationRecipients
from bounded_contexts.support.adapters.relation_tuples import PostgresRelationTuples
from bounded_contexts.support.application.notification_config import NotificationConfig
from bounded_contexts.support.application.notification_ports import Recipients
from bounded_contexts.support.notification_bootstrap import Notifications, build_notifications
from events.bus import PulsarBus
from events.component import Component
from events.consumer import TrackedConsumer
from events.deadletter import DeadLetters
from events.effects import SqlEffects, StoreEffects
from events.faults import FaultPlan
from events.health import HealthBook
from events.relay import RELAY_DDL, Relay
from events.store import STORE_CONTEXTS, EventStore, datastore_from_url
from events.wake import StoreSignals
from projections.rebuild import rebuild_projections
from projections.registry import all_projections, create_read_model_tables
from quantvista.config import Settings
from quantvista.watchdog import DatabaseWatch
from sagas.trade_lifecycle.saga import TradeLifecycleConfig, TradeLifecycleSaga

log = logging.getLogger(__name__)

STORES = STORE_CONTEXTS
CONTEXT_COMPONENTS = (*STORES, "projections")  # what ``quantvista serve <component>`` runs


class ComponentsFailing(RuntimeError):
    """A supervised component has failed, and kept failing, for too long for the run to wait."""


class StoreRegistry(dict[str, EventStore]):
    """The stores of the six contexts (and the sagas), each opened on first use.

    A process serving one context opens a connection pool only for the stores it touches —
    its own and its upstreams' — so seven ``serve`` processes stay well within a server's
    ``max_connections``. ``all()`` opens every one (set-up, status)."""

    def __init__(self, database_url: str) -> None:
        super().__init__()
        self.database_url = database_url

    def __missing__(self, context: str) -> EventStore:
        if context not in STORES:
            raise KeyError(f"no event store for {context!r}; stores: {', '.join(STORES)}")
        store = self[context] = EventStore(
            context, datastore_from_url(self.database_url, pool_size=1, max_overflow=4)
        )
        return store

    def __contains__(self, context: object) -> bool:
        return context in STORES

    def all(self) -> list[EventStore]:
        return [self[context] for context in STORES]


@dataclass(frozen=True)
class PipelineConfig:
    strategy: StrategyConfig = field(default_factory=StrategyConfig)
    models: ModelsConfig = field(default_factory=ModelsConfig)
    market_structure: MarketStructureConfig = field(default_factory=MarketStructureConfig)
    execution: ExecutionConfig = field(default_factory=ExecutionConfig)
    notifications: NotificationConfig = field(default_factory=NotificationConfig)


@dataclass(frozen=True)
class ReadinessLimits:
    """When a process stops being ready (``/readyz``): more events than ``max_lag`` not yet
    applied by its consumers, or a component failing for longer than ``max_failing_s``."""

    max_lag: int = 10_000
    max_failing_s: float = 10.0


class Platform:
    def __init__(
        self,
        database_url: str,
        pulsar_url: str | None = None,
        *,
        tenant: str = "quantvista",
        config: PipelineConfig | None = None,
        faults: FaultPlan | None = None,
        recipients: Callable[[], Recipients] | None = None,
    ) -> None:
        """``recipients`` builds who is told what (called once, when the support context is
        built); by default the relation tuples in this database answer."""
        self.database_url = database_url
        self._make_recipients = recipients or self._local_recipients
        self.faults = faults or FaultPlan()
        self.config = config or PipelineConfig()
        self.stores = StoreRegistry(database_url)
        self.read_store = datastore_from_url(database_url, pool_size=1, max_overflow=8)
        self.dead_letters = DeadLetters(self.read_store)
        self.read_effects = SqlEffects(self.read_store)
        self.model_weights = PostgresWeightsStore(self.read_store)
        self.bus = PulsarBus(pulsar_url, tenant) if pulsar_url else None
        self.watch = DatabaseWatch(database_url)
        self.signals: StoreSignals | None = None  # built with the consumers
        self.fix_link: Any = None  # a FixVenueLink, when a FIX broker is configured
        self.health = HealthBook(self.read_store, reachable=lambda: self.watch.reachable)
        self.readiness_limits = ReadinessLimits()
        self._execution: ExecutionService | None = None
        self._execution_commands: ExecutionCommands | None = None
        self.relays: list[Relay] = []
        self.consumers: list[TrackedConsumer] = []
        self.workers: list[Component] = []  # components that consume no upstream store
        self.notifications: Notifications | None = None
        self._ingestion: IngestionService | None = None
        self._model_commands: ModelRegistryCommands | None = None

    @classmethod
    def configured(cls, database_url: str, pulsar_url: str | None, settings: Settings) -> Platform:
        """The platform a CLI command runs, on the servers it started or was pointed at; who
        is notified of what is asked of the authoriser the settings choose (Keto or local)."""
        from quantvista.execution_config import load_execution_config
        from quantvista.security import authoriser

        execution = (
            ExecutionConfig()
            if settings.execution_config is None
            else load_execution_config(settings.execution_config)
        )
        return cls(
            database_url,
            pulsar_url,
            tenant=settings.pulsar_tenant,
            faults=FaultPlan(settings.fault_plan),
            config=PipelineConfig(
                execution=execution, notifications=NotificationConfig(smtp=settings.smtp)
            ),
            recipients=lambda: AuthorisationRecipients(authoriser(settings, database_url)),
        )

    def _local_recipients(self) -> Recipients:
        tuples = PostgresRelationTuples.from_url(self.database_url)
        tuples.create_tables()
        return AuthorisationRecipients(tuples)

    # -- set-up ---------------------------------------------------------------------
    def create_tables(self) -> None:
        """Create every table once, before any worker starts (FACTS.md: concurrent creation
        fails). Pools opened only for this are closed again: a process keeps connections only
        to the stores its components use."""
        in_use = set(self.stores)
        for store in self.stores.all():
            store.create_tables()
        for context in set(self.stores) - in_use:
            self.stores.pop(context).datastore.close()
        self.dead_letters.create_tables()
        self.health.create_tables()
        self.read_effects.create_tables()
        self.model_weights.create_tables()
        with self.read_store.transaction(commit=True) as cur:
            migrated = create_read_model_tables(cur)
        if migrated:
            # Read models of an older release were dropped: fold them again now, so that a
            # command reading them (status, audit, the gateway) never sees them empty.
            for name, count, seconds in rebuild_projections(self):
                log.warning("rebuilt %s from %d events in %.1f s", name, count, seconds)
        with self.read_store.transaction(commit=True) as cur:
            cur.execute(RELAY_DDL)

    @property
    def execution(self) -> ExecutionService:
        """The execution context's in-memory view, shared by its consumer and GraphQL."""
        if self._execution is None:
            self._execution = ExecutionService(self.stores["execution"], self.config.execution)
        return self._execution

    @property
    def execution_commands(self) -> ExecutionCommands:
        if self._execution_commands is None:
            self._execution_commands = ExecutionCommands(self.execution)
        return self._execution_commands

    @property
    def model_commands(self) -> ModelRegistryCommands:
        """What people do to the model registry (GraphQL and ``quantvista models``): promote,
        retire, ask for a retrain; appended to the prediction store as they ask."""
        if self._model_commands is None:
            self._model_commands = ModelRegistryCommands(
                self.stores["prediction"],
                self.stores["intelligence"],
                self.model_weights,
                self.config.models,
            )
        return self._model_commands

    @property
    def ingestion(self) -> IngestionService:
        if self._ingestion is None:
            self._ingestion = IngestionService(self.stores["ingestion"])
        return self._ingestion

    def build(self, contexts: Iterable[str] = CONTEXT_COMPONENTS, *, fix_link: bool = True) -> None:
        """Build the relays and consumers of the named contexts (all by default)."""
        wanted = set(contexts)
        s = self.stores
        if self.bus is not None:
            self.relays = [
                Relay(
                    s[c],
                    self.bus,
                    listen_url=self.database_url,
                    fault=self.faults.hook(f"relay:{c}"),
                )
                for c in STORES
                if c in wanted
            ]

        # One LISTEN connection wakes every idle consumer when a store it follows is appended to.
        self.signals = StoreSignals(self.database_url, (s[c].events_table for c in STORES))

        def policy(handler: Any, effects: Any) -> TrackedConsumer:
            return TrackedConsumer(
                handler,
                effects,
                s,
                self.dead_letters,
                self.bus,
                wake=self.signals.wake_for(s[u].events_table for u in handler.upstreams),
                fault=self.faults.hook(handler.name),
            )

        consumers = []
        if "intelligence" in wanted:
            effects = StoreEffects(s["intelligence"])
            structure = self.config.market_structure
            consumers.append(policy(OnBarClosed(s, effects, structure=structure), effects))
        if "prediction" in wanted:
            effects = StoreEffects(s["prediction"])
            models = self.config.models
            consumers.append(
                policy(OnIndicatorsUpdated(s, effects, self.model_weights, models), effects)
            )
            # training runs beside the bar-by-bar path, never in it (its own consumer thread)
            consumers.append(policy(OnRetrainRequested(s, self.model_weights, models), effects))
        if "decision" in wanted:
            effects = StoreEffects(s["decision"])
            consumers.append(
                policy(OnPriceDirectionPredicted(s, effects, self.config.strategy), effects)
            )
        if "execution" in wanted:
            effects = StoreEffects(s["execution"])
            execution_policy = ExecutionPolicy(self.execution, s, effects)
            self.execution_commands.prepare = execution_policy.ensure_ready
            self.execution_commands.invalidate = execution_policy.reset
            consumers.append(policy(execution_policy, effects))
            broker = self.config.execution.fix_broker
            if fix_link and broker is not None and self.config.execution.fix_broker_mic:
                from bounded_contexts.execution.adapters.venues.fix44.link import FixVenueLink

                self.fix_link = FixVenueLink(
                    self.execution_commands, broker, self.config.execution.fix_broker_mic
                )
        if "sagas" in wanted:
            consumers.append(
                policy(
                    TradeLifecycleSaga(
                        s["sagas"],
                        # a trade is due when its order expires (GTD, enforced by execution)
                        TradeLifecycleConfig(self.config.execution.strategy_order_ttl_ns),
                    ),
                    StoreEffects(s["sagas"]),
                )
            )
        if "support" in wanted:
            self.notifications = build_notifications(
                s, self.read_store, self._make_recipients(), config=self.config.notifications
            )
            consumers.append(policy(self.notifications.policy, self.notifications.effects))
            self.workers = self.notifications.components
        if "projections" in wanted:
            consumers.extend(policy(p, self.read_effects) for p in all_projections())
        self.consumers = consumers

    # -- lifecycle ------------------------------------------------------------------
    @property
    def components(self) -> list[Component]:
        return [*self.relays, *self.consumers, *self.workers]

    def start(self) -> None:
        """Start the database watch and every supervised component (each reports its state
        changes to the health table)."""
        self.faults.passed("startup")
        self.watch.start()
        if self.signals is not None:
            self.signals.start()
        for component in self.components:
            component.health_listener = self.health.record
            component.start()
        if self.fix_link is not None:
            self.fix_link.start()

    def stop(self) -> None:
        if self.fix_link is not None:
            self.fix_link.stop()
            self.fix_link = None
        stopping = [*self.workers, *self.consumers, *self.relays]
        for component in stopping:  # all at once: a component waiting on a lost database
            component.request_stop()  # must not hold up the others
        for component in stopping:
            component.join()
        if self.bus is not None:
            self.bus.close()
            self.bus = None
        if self.signals is not None:
            self.signals.stop()
        self.watch.stop()

    def close(self) -> None:
        self.stop()
        for store in self.stores.values():
            store.datastore.close()
        self.read_store.close()
        if self.notifications is not None:
            self.notifications.close()

    def failures(self) -> list[str]:
        """Components failing now (each is being restarted with backoff), with the reason."""
        return [
            f"{c.name}: {c.last_error} ({c.failures} failure(s), failing for "
            f"{c.failing_for():.0f} s)"
            for c in self.components
            if c.failed
        ]

    def check(self, *, give_up_after_s: float | None = None) -> None:
        """Raise if the run cannot go on: the database is lost (:class:`DatabaseLost`), or a
        component has failed without recovering for ``give_up_after_s``."""
        self.watch.check()
        if give_up_after_s is None:
            return
        stuck = [c for c in self.components if c.failing_for() >= give_up_after_s]
        if stuck:
            raise ComponentsFailing(
                "a component has not recovered for "
                f"{give_up_after_s:.0f} s: " + "; ".join(self.failures())
            )

    def readiness(self) -> dict[str, Any]:
        """What ``/readyz`` answers: ready only with the database reachable, no component
        failing for longer than the limit, and the consumers' lag under the limit."""
        limits = self.readiness_limits
        checks: dict[str, Any] = {"database": "ok" if self.watch.reachable else "unreachable"}
        failing = [c for c in self.components if c.failed]
        checks["components"] = {c.name: c.status() for c in failing} or "ok"
        brokerless = [c.name for c in self.consumers if c.broker_error]
        checks["broker"] = (
            "none"
            if self.bus is None
            else (f"following the stores: {', '.join(brokerless)}" if brokerless else "ok")
        )
        ready = self.watch.reachable and not any(
            c.failing_for() >= limits.max_failing_s for c in failing
        )
        if self.watch.reachable:
            try:
                lag = self.lag()
                checks["lag"] = lag
                checks["dead_letters"] = self.dead_letters.count()
                ready = ready and lag <= limits.max_lag
            except Exception as exc:  # the database answered the probe but not this
                checks["lag"] = f"unknown: {type(exc).__name__}: {exc}"
                ready = False
        return {"status": "ready" if ready else "unavailable", "checks": checks}

    def heads(self) -> dict[str, int]:
        return {name: store.head() for name, store in self.stores.items()}

    def lag(self, heads: dict[str, int] | None = None) -> int:
        """Events not yet applied by some consumer, summed over consumers and upstreams."""
        total = 0
        heads = dict(self.heads() if heads is None else heads)
        for consumer in self.consumers:
            positions = dict(consumer.positions)
            for upstream in consumer.handler.upstreams:
                if upstream not in heads:  # a store the consumer's thread is opening just now
                    heads[upstream] = self.stores[upstream].head()
                position = positions.get(upstream)
                if position is None:  # not started yet: where its last life left off
                    position = consumer.effects.tracked_position(consumer.name, upstream)
                total += max(0, heads[upstream] - position)
        return total

    def wait_until_idle(
        self,
        timeout_s: float = 120.0,
        settle_s: float = 0.3,
        *,
        give_up_after_s: float | None = 60.0,
    ) -> float | None:
        """Block until every consumer has applied everything every store holds (and nothing
        new arrived for ``settle_s``). Returns the ``time.perf_counter()`` at which that quiet
        stretch began (when the pipeline drained, to one poll), or None on timeout. Raises
        (see :meth:`check`) when the database is lost or a component stays failed for
        ``give_up_after_s``; a component that fails and recovers only slows it down."""
        deadline = time.monotonic() + timeout_s
        quiet_since: float | None = None
        last_heads: dict[str, int] = {}
        while time.monotonic() < deadline:
            self.check(give_up_after_s=give_up_after_s)
            now = time.perf_counter()
            heads = self.heads()
            if self.lag(heads) == 0 and heads == last_heads:
                quiet_since = quiet_since or now
                if now - quiet_since >= settle_s:
                    return quiet_since
            else:
                quiet_since = None
            last_heads = heads
            time.sleep(0.05)
        return None

    def run_until_caught_up(self) -> None:
        """Apply everything synchronously, without threads or broker (tests, rebuilds)."""
        while sum(consumer.drain() for consumer in self.consumers):
            pass

    def status(self) -> dict[str, Any]:
        return {
            "stores": self.heads(),
            "relays": [relay.status() for relay in self.relays],
            "consumers": [consumer.status() for consumer in self.consumers],
            "dead_letters": self.dead_letters.count(),
            "database": "ok" if self.watch.reachable else "unreachable",
        }
