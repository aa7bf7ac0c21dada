"""The webhook channel against a real local receiver: which answers count as delivered, which
are retried, and which are given up at once (no database involved)."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator

import pytest

from bounded_contexts.support.adapters.channels.webhook import WebhookConfig, WebhookSender
from bounded_contexts.support.application.notification_ports import (
    ChannelTarget,
    OutgoingNotification,
)
from tests.support.notification_helpers import T0, FakeSecrets, Receiver

MESSAGE = OutgoingNotification(
    uuid.uuid4(), "fill", "alice", "ACC-1", "INFO", "Bought", "Fill booked.", {}, T0, 1, T0
)
SECRETS = FakeSecrets({"env:HOOK": b"secret"})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    made = Receiver()
    yield made
    made.close()


def send(receiver: Receiver, answer: str, **target: str) -> object:
    receiver.script = [answer]
    sender = WebhookSender(SECRETS, WebhookConfig(timeout_s=0.3))
    where = {"webhook_url": receiver.url, "secret_ref": "env:HOOK", **target}
    return sender.send(MESSAGE, ChannelTarget(**where))


@pytest.mark.parametrize(
    ("answer", "ok", "permanent"),
    [
        ("ok", True, False),
        ("500", False, False),
        ("503", False, False),
        ("429", False, False),
        ("408", False, False),
        ("404", False, True),
        ("401", False, True),
        ("302", False, True),  # redirects are not followed: the signed body stays put
    ],
)
def test_each_answer_is_delivered_retried_or_given_up(
    receiver: Receiver, answer: str, ok: bool, permanent: bool
) -> None:
    result = send(receiver, answer)
    assert (result.ok, result.permanent) == (ok, permanent)  # type: ignore[attr-defined]
    assert result.status_code == (200 if answer == "ok" else int(answer))  # type: ignore[attr-defined]


def test_a_receiver_that_does_not_answer_times_out_and_is_retried(receiver: Receiver) -> None:
    result = send(receiver, "hang")
    assert not result.ok and not result.permanent  # type: ignore[attr-defined]
    assert result.error == "timed out after 0.3 s"  # type: ignore[attr-defined]


def test_a_refused_connection_is_retried() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again: nothing listens there
    result = WebhookSender(SECRETS).send(
        MESSAGE, ChannelTarget(f"http://127.0.0.1:{port}/x", "env:HOOK")
    )
    assert not result.ok and not result.permanent and "cannot reach" in result.error


def test_a_secret_that_does_not_resolve_is_given_up_without_sending(receiver: Receiver) -> None:
    result = send(receiver, "ok", secret_ref="env:MISSING")
    assert result.permanent and "env:MISSING does not resolve" in result.error  # type: ignore[attr-defined]
    assert receiver.requests == []
