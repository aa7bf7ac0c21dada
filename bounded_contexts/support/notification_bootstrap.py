"""Composition of the notification service: ports -> adapters, for the composition root.

``build_notifications`` returns the policy (a handler for a ``TrackedConsumer`` with its
effects), the two supervised components (operations watcher, delivery) and the command
service; ``quantvista/platform.py`` wires them. The projection is
``projections.notifications.NotificationsProjection``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

from eventsourcing.postgres import PostgresDatastore

from bounded_contexts.support.adapters.channels.email import EmailSender
from bounded_contexts.support.adapters.channels.webhook import WebhookSender
from bounded_contexts.support.adapters.secrets import EnvSecrets
from bounded_contexts.support.application.delivery import DeliveryWorker
from bounded_contexts.support.application.notification_config import NotificationConfig
from bounded_contexts.support.application.notification_ports import (
    ChannelSender,
    Clock,
    Recipients,
    Secrets,
)
from bounded_contexts.support.application.notification_service import NotificationService
from bounded_contexts.support.application.operations_watch import OperationsWatcher
from bounded_contexts.support.policies.notify_on_execution import NotificationPolicy
from events.component import Component
from events.effects import StoreEffects
from events.store import EventStore


@dataclass(frozen=True)
class Notifications:
    policy: NotificationPolicy
    effects: StoreEffects
    watcher: OperationsWatcher
    delivery: DeliveryWorker
    service: NotificationService
    recipients: Recipients

    @property
    def components(self) -> list[Component]:
        """The supervised components besides the policy's consumer."""
        return [self.watcher, self.delivery]

    def close(self) -> None:
        """Release what the recipients hold (the local tuple store's connection pool)."""
        close = getattr(getattr(self.recipients, "authoriser", None), "close", None)
        if callable(close):
            close()


def build_notifications(
    stores: dict[str, EventStore],
    datastore: PostgresDatastore,
    recipients: Recipients,
    *,
    config: NotificationConfig | None = None,
    secrets: Secrets | None = None,
    senders: Mapping[str, ChannelSender] | None = None,
    clock_ns: Clock = time.time_ns,
) -> Notifications:
    """``stores``: the platform's store registry, passed as it is (it opens ``support``,
    ``execution`` and ``ingestion`` on first use); ``datastore``: where the
    ``dead_letters`` and ``component_health`` tables are; ``secrets`` defaults to the
    environment (``env:NAME``); ``senders`` replaces the channels (tests)."""
    config = config or NotificationConfig()
    secrets = secrets or EnvSecrets()
    support = stores["support"]
    effects = StoreEffects(support)
    if senders is None:
        senders = {"webhook": WebhookSender(secrets, config.webhook)}
        if config.smtp is not None:
            senders = {**senders, "email": EmailSender(config.smtp, secrets)}
    return Notifications(
        policy=NotificationPolicy(
            stores, effects, recipients, drawdown_levels=config.drawdown_levels
        ),
        effects=effects,
        watcher=OperationsWatcher(
            support, datastore, recipients, config=config.watch, clock_ns=clock_ns
        ),
        delivery=DeliveryWorker(support, senders, config=config.delivery, clock_ns=clock_ns),
        service=NotificationService(support, clock_ns=clock_ns),
        recipients=recipients,
    )
