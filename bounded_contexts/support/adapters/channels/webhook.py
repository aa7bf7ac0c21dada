"""The webhook channel: one HTTP POST per attempt, signed (see :mod:`.signing`).

Outcomes: 2xx delivered. 408, 425, 429 and 5xx, a timeout, a refused or reset connection:
transient, retried on the schedule. Other 4xx, a redirect (not followed: a signed body is
never forwarded to a host the user did not name), a secret that does not resolve: permanent,
no retry. ``timeout_s`` bounds connecting and each read of the attempt (a receiver that
trickles its answer byte by byte can take longer; the answer read is capped at
``max_response_bytes``). HTTPS certificates are verified against the system's CAs.
"""

from __future__ import annotations

import http.client
import ssl
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from bounded_contexts.support.adapters.channels.signing import (
    ATTEMPT_HEADER,
    NOTIFICATION_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    canonical_body,
    sign,
)
from bounded_contexts.support.application.notification_ports import (
    ChannelTarget,
    OutgoingNotification,
    Secrets,
    SendResult,
)
from bounded_contexts.support.domain.notifications.events import Channel

TRANSIENT_STATUS = frozenset({408, 425, 429})


@dataclass(frozen=True)
class WebhookConfig:
    """Attributes:
    timeout_s: per attempt, for connecting and for each read.
    max_response_bytes: how much of a receiver's answer is read (and kept in an error).
    """

    timeout_s: float = 5.0
    max_response_bytes: int = 4096
    user_agent: str = "QuantVista-Notifications/1"


def webhook_document(message: OutgoingNotification) -> dict[str, Any]:
    return {
        "id": str(message.notification_id),
        "attempt": message.attempt,
        "timestamp": message.ts_sent // 1_000_000_000,
        "rule": message.rule,
        "severity": message.severity,
        "title": message.title,
        "body": message.body,
        "recipient": message.recipient,
        "account_id": message.account_id,
        "details": message.details,
        "occurred_at_ns": message.ts_event,
    }


class WebhookSender:
    channel: Channel = "webhook"

    def __init__(self, secrets: Secrets, config: WebhookConfig | None = None) -> None:
        self.secrets, self.config = secrets, config or WebhookConfig()

    def send(self, message: OutgoingNotification, target: ChannelTarget) -> SendResult:
        if not target.webhook_url or not target.secret_ref:
            return SendResult(False, error="no webhook URL or secret configured", permanent=True)
        secret = self.secrets.resolve(target.secret_ref)
        if not secret:
            return SendResult(
                False, error=f"secret {target.secret_ref} does not resolve", permanent=True
            )
        document = webhook_document(message)
        body = canonical_body(document)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": self.config.user_agent,
            SIGNATURE_HEADER: sign(body, secret),
            TIMESTAMP_HEADER: str(document["timestamp"]),
            NOTIFICATION_HEADER: document["id"],
            ATTEMPT_HEADER: str(message.attempt),
        }
        try:
            status, answer = self._post(target.webhook_url, body, headers)
        except TimeoutError:
            return SendResult(False, error=f"timed out after {self.config.timeout_s:g} s")
        except (OSError, http.client.HTTPException) as exc:  # refused, reset, bad answer
            return SendResult(
                False, error=f"cannot reach the receiver: {type(exc).__name__}: {exc}"
            )
        if 200 <= status < 300:
            return SendResult(True, status_code=status)
        error = f"HTTP {status}" + (f": {answer}" if answer else "")
        if 300 <= status < 400:
            return SendResult(
                False, status_code=status, error=error + " (redirects are not followed)",
                permanent=True,
            )  # fmt: skip
        transient = status in TRANSIENT_STATUS or status >= 500
        return SendResult(False, status_code=status, error=error, permanent=not transient)

    def _post(self, url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        """One POST with ``http.client`` (header names go out exactly as documented, and
        nothing is followed or retried behind our back); returns the status and the start
        of the answer."""
        parts = urlsplit(url)
        timeout = self.config.timeout_s
        connection: http.client.HTTPConnection
        if parts.scheme == "https":
            connection = http.client.HTTPSConnection(
                parts.hostname or "", parts.port, timeout=timeout,
                context=ssl.create_default_context(),
            )  # fmt: skip
        else:
            connection = http.client.HTTPConnection(
                parts.hostname or "", parts.port, timeout=timeout
            )
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            answer = response.read(self.config.max_response_bytes)
            return response.status, answer.decode("utf-8", "replace").strip()[:200]
        finally:
            connection.close()
