"""Who wants which notifications where: preferences per user x rule x channel.

Defaults: in the app, on; every outside channel, off until the user configures it (a
webhook needs a URL and a secret, an e-mail an address). A preference for one rule overrides
the user's preference for every rule (``*``) on that channel. A disabled channel records
nothing: a notification is requested only on the channels enabled for its recipient.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit
from uuid import UUID

from bounded_contexts.support.domain.notifications.errors import InvalidPreference
from bounded_contexts.support.domain.notifications.events import (
    CHANNELS,
    EVERY_RULE,
    RULES,
    Channel,
    NotificationPreferenceSet,
)
from bounded_contexts.support.domain.notifications.notification import NOTIFICATION_NAMESPACE
from events.domain import Aggregate, DomainEvent

DEFAULT_ENABLED: frozenset[str] = frozenset({"in_app"})

_SECRET_REF = re.compile(r"^[a-z][a-z0-9]*:[A-Za-z0-9_.\-/]{1,200}$")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9\-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^[^@\s<>(),;:\"\[\]]+@{_LABEL}(?:\.{_LABEL})+$")


def preferences_id_for(user_id: str) -> UUID:
    return uuid.uuid5(NOTIFICATION_NAMESPACE, f"preferences/{user_id}")


@dataclass(frozen=True)
class Preference:
    """One user's setting for one rule (or ``*``) on one channel, with the channel's target."""

    rule: str
    channel: Channel
    enabled: bool
    webhook_url: str | None = None
    secret_ref: str | None = None
    email: str | None = None


def validate_preference(user_id: str, preference: Preference) -> None:
    """Raise :class:`InvalidPreference` naming what is wrong; never accept a target that
    could not be delivered to (a URL without a host, an address with a newline)."""
    if not user_id or len(user_id) > 200:
        raise InvalidPreference("a preference needs a user id of 1 to 200 characters")
    if preference.rule != EVERY_RULE and preference.rule not in RULES:
        raise InvalidPreference(
            f"unknown rule {preference.rule!r}; rules: {', '.join((*RULES, EVERY_RULE))}"
        )
    if preference.channel not in CHANNELS:
        raise InvalidPreference(
            f"unknown channel {preference.channel!r}; channels: {', '.join(CHANNELS)}"
        )
    if preference.channel == "webhook":
        _validate_webhook(preference)
    elif preference.webhook_url is not None or preference.secret_ref is not None:
        raise InvalidPreference("a webhook URL and secret belong to the webhook channel only")
    if preference.channel == "email":
        if preference.enabled and preference.email is None:
            raise InvalidPreference("enabling e-mail needs an address")
        if preference.email is not None and (
            len(preference.email) > 254 or not _EMAIL.match(preference.email)
        ):
            raise InvalidPreference(f"not an e-mail address: {preference.email!r}")
    elif preference.email is not None:
        raise InvalidPreference("an e-mail address belongs to the email channel only")


def _validate_webhook(preference: Preference) -> None:
    url, ref = preference.webhook_url, preference.secret_ref
    if preference.enabled and (url is None or ref is None):
        raise InvalidPreference("enabling a webhook needs its URL and a secret reference")
    if url is not None:
        parts = urlsplit(url)
        if (
            parts.scheme not in ("http", "https")
            or not parts.hostname
            or len(url) > 2048
            or any(c.isspace() for c in url)
        ):
            raise InvalidPreference(f"not an http(s) URL with a host: {url!r}")
    if ref is not None and not _SECRET_REF.match(ref):
        raise InvalidPreference(
            f"not a secret reference: {ref!r} (expected scheme:name, e.g. env:ALICE_HOOK_SECRET)"
        )


class UserPreferences(Aggregate):
    """One user's preferences; each change is one ``NotificationPreferenceSet``."""

    def _init_state(self) -> None:
        self.user_id = ""
        self.settings: dict[tuple[str, str], Preference] = {}

    @classmethod
    def of(cls, user_id: str) -> UserPreferences:
        """A user without preferences yet (version 0: the first change creates it)."""
        preferences = cls(preferences_id_for(user_id))
        preferences._init_state()
        preferences.user_id = user_id
        return preferences

    def copy(self) -> UserPreferences:
        """A working copy: a command changes the copy, and the book changes only when the
        store has accepted the event (read back from the log)."""
        twin = UserPreferences.of(self.user_id)
        twin.settings = dict(self.settings)
        twin.version = self.version
        return twin

    def set(self, preference: Preference) -> bool:
        """Record the preference; False (nothing recorded) when it is already in force."""
        validate_preference(self.user_id, preference)
        if self.settings.get((preference.rule, preference.channel)) == preference:
            return False
        self._record(
            NotificationPreferenceSet(
                self.user_id,
                preference.rule,
                preference.channel,
                preference.enabled,
                preference.webhook_url,
                preference.secret_ref,
                preference.email,
            )
        )
        return True

    def setting(self, rule: str, channel: str) -> Preference | None:
        """The preference in force for ``rule`` on ``channel``: the rule's own, else ``*``'s."""
        return self.settings.get((rule, channel)) or self.settings.get((EVERY_RULE, channel))

    def enabled(self, rule: str, channel: str) -> bool:
        preference = self.setting(rule, channel)
        return channel in DEFAULT_ENABLED if preference is None else preference.enabled

    def channels(self, rule: str) -> tuple[Channel, ...]:
        return tuple(c for c in CHANNELS if self.enabled(rule, c))

    def apply(self, event: DomainEvent) -> None:
        match event:
            case NotificationPreferenceSet():
                self.user_id = event.user_id
                self.settings[(event.rule, event.channel)] = Preference(
                    event.rule,
                    event.channel,
                    event.enabled,
                    event.webhook_url,
                    event.secret_ref,
                    event.email,
                )
            case _:
                super().apply(event)


class PreferenceBook:
    """Every user's preferences, folded from the log in store order (so the same log gives
    the same answers); a user never configured gets the defaults."""

    def __init__(self) -> None:
        self._users: dict[str, UserPreferences] = {}

    def apply(self, event: NotificationPreferenceSet) -> None:
        user = self._users.get(event.user_id)
        if user is None:
            user = self._users[event.user_id] = UserPreferences.of(event.user_id)
        user.apply(event)
        user.version += 1

    def of(self, user_id: str) -> UserPreferences:
        """The user's aggregate (a fresh one, not kept, for a user never configured)."""
        return self._users.get(user_id) or UserPreferences.of(user_id)

    def channels(self, user_id: str, rule: str) -> tuple[Channel, ...]:
        return self.of(user_id).channels(rule)

    def __iter__(self) -> Iterator[UserPreferences]:
        return iter(self._users.values())
