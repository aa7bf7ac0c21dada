"""Webhook signatures: what the platform sends and what a receiver checks.

The body is JSON with sorted keys and carries ``timestamp`` (UTC seconds, when this attempt
was sent) and ``id`` (the notification) and ``attempt``. Headers:

- ``X-QuantVista-Signature: sha256=<hex HMAC-SHA256 of the raw body with the secret>``;
- ``X-QuantVista-Timestamp: <the body's timestamp>``;
- ``X-QuantVista-Notification: <id>`` and ``X-QuantVista-Attempt: <n>``.

The signature covers the body, and the body holds the timestamp: a receiver that checks the
signature, that the header equals the body's ``timestamp`` and that it is recent
(:func:`verify`, five minutes by default) refuses a replayed request; one that also keeps the
ids it has handled drops the retries of a delivery it already processed (delivery is
at-least-once).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from typing import Any

import orjson

SIGNATURE_HEADER = "X-QuantVista-Signature"
TIMESTAMP_HEADER = "X-QuantVista-Timestamp"
NOTIFICATION_HEADER = "X-QuantVista-Notification"
ATTEMPT_HEADER = "X-QuantVista-Attempt"
DEFAULT_TOLERANCE_S = 300


def canonical_body(document: Mapping[str, Any]) -> bytes:
    return orjson.dumps(dict(document), option=orjson.OPT_SORT_KEYS)


def sign(body: bytes, secret: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(
    body: bytes,
    headers: Mapping[str, str],
    secret: bytes,
    *,
    now_s: int,
    tolerance_s: int = DEFAULT_TOLERANCE_S,
) -> bool:
    """What a receiver checks: a valid signature, a timestamp header equal to the signed
    body's, and within ``tolerance_s`` of now. Header names are matched case-insensitively."""
    lowered = {k.lower(): v for k, v in headers.items()}
    signature = lowered.get(SIGNATURE_HEADER.lower(), "")
    if not hmac.compare_digest(signature, sign(body, secret)):
        return False
    try:
        stamp = int(lowered.get(TIMESTAMP_HEADER.lower(), ""))
        signed_stamp = orjson.loads(body).get("timestamp")
    except (ValueError, AttributeError):
        return False
    return signed_stamp == stamp and abs(now_s - stamp) <= tolerance_s
