"""Webhook signatures: a receiver verifies the body's HMAC, that the timestamp header is the
signed one, and that it is recent — so a tampered, re-stamped or replayed request fails."""

from __future__ import annotations

import uuid

import orjson

from bounded_contexts.support.adapters.channels.signing import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    canonical_body,
    sign,
    verify,
)
from bounded_contexts.support.adapters.channels.webhook import webhook_document
from bounded_contexts.support.application.notification_ports import OutgoingNotification

SECRET = b"s3cret"
NOW = 1_795_161_600


def signed(now: int = NOW) -> tuple[bytes, dict[str, str]]:
    message = OutgoingNotification(
        uuid.UUID("0f1e2d3c-4b5a-4697-8877-665544332211"), "fill", "alice", "ACC-1", "INFO",
        "Bought 10 SAP at 200", "Fill booked.", {"price": "200"}, 5, 1, now * 1_000_000_000,
    )  # fmt: skip
    document = webhook_document(message)
    body = canonical_body(document)
    return body, {
        SIGNATURE_HEADER: sign(body, SECRET),
        TIMESTAMP_HEADER: str(document["timestamp"]),
    }


def test_the_signature_is_the_hex_hmac_sha256_of_the_raw_body() -> None:
    body, headers = signed()
    assert headers[SIGNATURE_HEADER].startswith("sha256=")
    assert len(headers[SIGNATURE_HEADER]) == len("sha256=") + 64
    assert verify(body, headers, SECRET, now_s=NOW)
    assert verify(body, {k.lower(): v for k, v in headers.items()}, SECRET, now_s=NOW + 299)


def test_the_body_carries_the_timestamp_id_and_attempt_with_sorted_keys() -> None:
    body, _ = signed()
    document = orjson.loads(body)
    assert document["timestamp"] == NOW and document["attempt"] == 1
    assert document["id"] == "0f1e2d3c-4b5a-4697-8877-665544332211"
    assert list(document) == sorted(document)


def test_a_tampered_body_or_another_secret_fails() -> None:
    body, headers = signed()
    assert not verify(body.replace(b"200", b"201"), headers, SECRET, now_s=NOW)
    assert not verify(body, headers, b"other", now_s=NOW)
    assert not verify(body, {TIMESTAMP_HEADER: str(NOW)}, SECRET, now_s=NOW)


def test_a_replayed_request_fails_when_old_or_re_stamped() -> None:
    body, headers = signed()
    assert not verify(body, headers, SECRET, now_s=NOW + 301)  # replayed later
    restamped = {**headers, TIMESTAMP_HEADER: str(NOW + 600)}  # header changed, body signed
    assert not verify(body, restamped, SECRET, now_s=NOW + 600)
    assert not verify(body, {**headers, TIMESTAMP_HEADER: "soon"}, SECRET, now_s=NOW)
