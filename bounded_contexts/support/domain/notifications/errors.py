"""Errors of the notification service: what a caller did wrong, said plainly."""

from __future__ import annotations


class NotificationError(ValueError):
    """Base of the notification service's refusals."""


class InvalidPreference(NotificationError):
    """A preference command names an unknown rule or channel, or lacks or mangles the
    channel's target (webhook URL and secret reference, e-mail address)."""


class NotificationNotFound(NotificationError, LookupError):
    """No such notification for this user (another user's looks the same: no existence
    leak)."""
