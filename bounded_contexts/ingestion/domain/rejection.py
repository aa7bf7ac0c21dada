"""The one error bar validation raises: its message is the quarantine reason.

A module of its own so that every validator of a bar (numbers, timestamps, the feed) raises the
same type and the service catches exactly one thing."""

from __future__ import annotations


class BarRejected(ValueError):
    """A bar failed validation; the message is the quarantine reason."""
