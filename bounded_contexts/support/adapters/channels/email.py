"""The e-mail channel: one message per attempt over SMTP (stdlib ``smtplib``/``email``).

The ``Message-ID`` is derived from the notification (``<id@domain of the sender>``), the same
on every attempt, so a mail client shows a retried message once. Outcomes: accepted ->
delivered (250). A 5xx reply or a refused recipient: permanent. A 4xx reply, a timeout, a
refused connection: transient, retried on the schedule.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from bounded_contexts.support.application.notification_ports import (
    ChannelTarget,
    OutgoingNotification,
    Secrets,
    SendResult,
)
from bounded_contexts.support.domain.notifications.events import Channel


@dataclass(frozen=True)
class SmtpConfig:
    """Attributes:
    host, port: the SMTP server (a relay of the organisation, usually).
    sender: the From address.
    security: ``none``, ``starttls`` or ``tls`` (implicit TLS, port 465).
    username, password_ref: login, the password by secret reference (``env:NAME``).
    timeout_s: per attempt, for connecting and each reply.
    """

    host: str
    port: int = 25
    sender: str = "quantvista@localhost"
    security: str = "none"
    username: str | None = None
    password_ref: str | None = None
    timeout_s: float = 10.0

    def __post_init__(self) -> None:
        if self.security not in ("none", "starttls", "tls"):
            raise ValueError(f"SMTP security must be none, starttls or tls, not {self.security!r}")
        if (self.username is None) != (self.password_ref is None):
            raise ValueError("SMTP login needs both a username and a password reference")


def email_message(message: OutgoingNotification, to: str, sender: str) -> EmailMessage:
    domain = sender.rpartition("@")[2] or "quantvista"
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = to
    mail["Subject"] = f"[QuantVista] {message.severity}: {message.title}"
    mail["Date"] = formatdate(message.ts_sent / 1e9, usegmt=True)
    mail["Message-ID"] = f"<{message.notification_id}@{domain}>"
    mail["X-QuantVista-Notification"] = str(message.notification_id)
    mail["X-QuantVista-Rule"] = message.rule
    lines = [message.body, ""]
    if message.account_id:
        lines.append(f"Account: {message.account_id}")
    lines += [f"{key}: {value}" for key, value in sorted(message.details.items())]
    mail.set_content("\n".join(lines) + "\n")
    return mail


class EmailSender:
    channel: Channel = "email"

    def __init__(self, config: SmtpConfig, secrets: Secrets | None = None) -> None:
        self.config, self.secrets = config, secrets

    def send(self, message: OutgoingNotification, target: ChannelTarget) -> SendResult:
        if not target.email:
            return SendResult(False, error="no e-mail address configured", permanent=True)
        config = self.config
        password = None
        if config.password_ref is not None:
            password = self.secrets.resolve(config.password_ref) if self.secrets else None
            if password is None:
                return SendResult(
                    False, error=f"secret {config.password_ref} does not resolve", permanent=True
                )
        mail = email_message(message, target.email, config.sender)
        try:
            smtp_class = smtplib.SMTP_SSL if config.security == "tls" else smtplib.SMTP
            with smtp_class(config.host, config.port, timeout=config.timeout_s) as smtp:
                if config.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if config.username is not None and password is not None:
                    smtp.login(config.username, password.decode())
                smtp.send_message(mail)
            return SendResult(True, status_code=250)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()), (550, b"refused"))
            return SendResult(
                False, status_code=code, error=f"recipient refused: {_text(reply)}", permanent=True
            )
        except smtplib.SMTPResponseException as exc:
            return SendResult(
                False,
                status_code=exc.smtp_code,
                error=f"SMTP {exc.smtp_code}: {_text(exc.smtp_error)}",
                permanent=500 <= exc.smtp_code < 600,
            )
        except (TimeoutError, smtplib.SMTPException, OSError) as exc:
            return SendResult(False, error=f"{type(exc).__name__}: {exc}".strip(": "))


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
