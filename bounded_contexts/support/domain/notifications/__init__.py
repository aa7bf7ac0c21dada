"""The notification service's domain: events, aggregates, rules, preferences and the retry
schedule. Pure: no I/O, no clock, no global randomness."""

from bounded_contexts.support.domain.notifications.errors import (
    InvalidPreference,
    NotificationError,
    NotificationNotFound,
)
from bounded_contexts.support.domain.notifications.events import (
    CHANNELS,
    EVERY_RULE,
    OUTSIDE_CHANNELS,
    RULES,
    Channel,
    NotificationDelivered,
    NotificationDeliveryFailed,
    NotificationPreferenceSet,
    NotificationRead,
    NotificationRequested,
    Severity,
)
from bounded_contexts.support.domain.notifications.notification import (
    Delivery,
    Notification,
    delivery_id_for,
    notification_id_for,
)
from bounded_contexts.support.domain.notifications.preferences import (
    Preference,
    PreferenceBook,
    UserPreferences,
)
from bounded_contexts.support.domain.notifications.retry import RetrySchedule

__all__ = [
    "CHANNELS",
    "EVERY_RULE",
    "OUTSIDE_CHANNELS",
    "RULES",
    "Channel",
    "Delivery",
    "InvalidPreference",
    "Notification",
    "NotificationDelivered",
    "NotificationDeliveryFailed",
    "NotificationError",
    "NotificationNotFound",
    "NotificationPreferenceSet",
    "NotificationRead",
    "NotificationRequested",
    "Preference",
    "PreferenceBook",
    "RetrySchedule",
    "Severity",
    "UserPreferences",
    "delivery_id_for",
    "notification_id_for",
]
