"""The notification service's one configuration object, validated when it is built."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bounded_contexts.support.adapters.channels.email import SmtpConfig
from bounded_contexts.support.adapters.channels.webhook import WebhookConfig
from bounded_contexts.support.application.delivery import DeliveryConfig
from bounded_contexts.support.application.operations_watch import OperationsWatchConfig
from bounded_contexts.support.domain.notifications.rules import DEFAULT_DRAWDOWN_LEVELS


@dataclass(frozen=True)
class NotificationConfig:
    """Attributes:
    drawdown_levels: fractions below the high-water mark that notify (5, 10, 20 %).
    delivery: retry schedule and concurrency of the delivery component.
    watch: polling of the dead-letter and health tables.
    webhook: per-attempt timeout of the webhook channel.
    smtp: the SMTP server; None: e-mail deliveries fail permanently with a clear error.
    """

    drawdown_levels: tuple[Decimal, ...] = DEFAULT_DRAWDOWN_LEVELS
    delivery: DeliveryConfig = field(default_factory=DeliveryConfig)
    watch: OperationsWatchConfig = field(default_factory=OperationsWatchConfig)
    webhook: WebhookConfig = field(default_factory=WebhookConfig)
    smtp: SmtpConfig | None = None

    def __post_init__(self) -> None:
        if not self.drawdown_levels or any(
            not Decimal(0) < level < Decimal(1) for level in self.drawdown_levels
        ):
            raise ValueError(
                f"drawdown levels must lie strictly between 0 and 1, got {self.drawdown_levels}"
            )
