"""The signed-in user's notifications: the ``notifications`` list, the ``alerts``
subscription, marking read and channel preferences.

A user only ever sees their own notifications: every read is filtered by ``recipient`` =
the verified subject, and marking another user's notification read answers ``NOT_FOUND``,
exactly as for one that does not exist. Who *receives* a notification was decided when it
was requested (the account's traders and viewers; operators for operational notices), from
the authorisation model in force then.

Webhook preferences are for administrators to set: a webhook makes the platform send
requests to an address and sign them with a named secret, which an ordinary user must not
be able to point at internal services or at another secret.
"""

from __future__ import annotations

import functools
from collections.abc import AsyncGenerator, Callable
from typing import TypeVar

import anyio.to_thread
import asyncpg
import strawberry

from bounded_contexts.support.domain.access_model import PlatformPermission
from bounded_contexts.support.domain.notifications.errors import (
    InvalidPreference,
    NotificationNotFound,
)
from bounded_contexts.support.domain.notifications.preferences import Preference
from events.store import StoreUnavailable
from gateway import arguments
from gateway.context import GatewayContext
from gateway.errors import BadUserInput, NotFound, Unavailable
from gateway.ids import cursor_for
from gateway.resolvers.live import follow
from gateway.resolvers.pages import Filter, PageRequest, edges_of, fetch_page
from gateway.scalars import Nanoseconds, StorePosition
from gateway.security import Forbidden
from gateway.types import (
    MarkNotificationReadPayload,
    Notification,
    NotificationChannel,
    NotificationConnection,
    NotificationEdge,
    NotificationPreference,
    NotificationPreferenceInput,
    NotificationSeverity,
    SetNotificationPreferencePayload,
)

_T = TypeVar("_T")
COLUMNS = (
    "notification_id, account_id, rule, severity, title, body, details, ts_event, read, "
    "read_at, seq"
)
UNAVAILABLE_MESSAGE = "the notification store cannot be reached; nothing was recorded, try again"


def notification_from_row(row: asyncpg.Record) -> Notification:
    return Notification(
        notification_id=strawberry.ID(str(row["notification_id"])),
        rule=row["rule"],
        account_id=row["account_id"],
        severity=NotificationSeverity(row["severity"]),
        title=row["title"],
        body=row["body"],
        details=row["details"],
        ts_event=Nanoseconds(row["ts_event"]),
        read=row["read"],
        ts_read=None if row["read_at"] is None else Nanoseconds(row["read_at"]),
        position=StorePosition(row["seq"]),
    )


async def fetch_notifications(
    context: GatewayContext, *, unread_only: bool, request: PageRequest
) -> NotificationConnection:
    conditions: tuple[tuple[str, object], ...] = (("recipient = {}", context.caller.subject),)
    if unread_only:
        conditions += (("read = {}", False),)
    page = await fetch_page(
        context.pool,
        columns=COLUMNS,
        table="rm_notifications",
        where=Filter(conditions),
        request=request,
    )
    return NotificationConnection(
        edges=edges_of(page, notification_from_row, NotificationEdge),
        page_info=page.page_info,
        count=page.count,
    )


async def alerts(context: GatewayContext, after: int | None) -> AsyncGenerator[NotificationEdge]:
    """The user's notifications as they are recorded, oldest first from ``after``."""
    async for row in follow(
        context,
        head_sql="SELECT max(seq) FROM rm_notifications WHERE recipient = $1",
        rows_sql=f"SELECT {COLUMNS} FROM rm_notifications WHERE recipient = $1 AND seq > $2 "
        "ORDER BY seq LIMIT $3",
        key=context.caller.subject,
        after=after,
        position_of=lambda row: row["seq"],
    ):
        yield NotificationEdge(cursor=cursor_for(row["seq"]), node=notification_from_row(row))


async def _call(call: Callable[[], _T]) -> _T:
    try:
        return await anyio.to_thread.run_sync(call)
    except StoreUnavailable as error:
        raise Unavailable(UNAVAILABLE_MESSAGE) from error


async def mark_read(context: GatewayContext, notification_id: str) -> MarkNotificationReadPayload:
    subject = context.caller.subject
    identifier = arguments.uuid(notification_id, field="notificationId")
    resource = f"notification:{identifier}"
    try:
        changed = await _call(
            functools.partial(
                context.notifications.mark_read, subject, identifier, actor=f"person:{subject}"
            )
        )
    except NotificationNotFound as error:
        await context.caller.record("markNotificationRead", resource, False, "recipient")
        raise NotFound(str(error), field="notificationId") from error
    await context.caller.record("markNotificationRead", resource, True, "recipient")
    return MarkNotificationReadPayload(
        notification_id=strawberry.ID(str(identifier)), changed=changed
    )


async def set_preference(
    context: GatewayContext, preference: NotificationPreferenceInput
) -> SetNotificationPreferencePayload:
    subject = context.caller.subject
    user = subject
    if preference.user_id is not None:
        user = arguments.identifier(preference.user_id, field="input.userId")
    if user != subject or preference.channel is NotificationChannel.WEBHOOK:
        await context.caller.require(
            PlatformPermission.ADMINISTER, "setNotificationPreference", f"user:{user}"
        )
    else:
        await context.caller.record("setNotificationPreference", f"user:{user}", True, "self")
    try:
        position = await _call(
            functools.partial(
                context.notifications.set_preference,
                user,
                preference.rule,
                preference.channel.value,
                enabled=preference.enabled,
                webhook_url=preference.webhook_url,
                secret_ref=preference.secret_ref,
                email=preference.email,
                actor=f"person:{subject}",
            )
        )
    except InvalidPreference as error:
        raise BadUserInput(str(error), field="input") from error
    in_force = await _call(functools.partial(context.notifications.preferences, user))
    return SetNotificationPreferencePayload(
        user_id=user,
        changed=position is not None,
        preferences=[preference_type(p) for p in in_force],
    )


async def preferences(context: GatewayContext, user_id: str | None) -> list[NotificationPreference]:
    subject = context.caller.subject
    user = subject if user_id is None else arguments.identifier(user_id, field="userId")
    if user != subject and not await context.caller.has(PlatformPermission.ADMINISTER):
        raise Forbidden("only administrators read another user's preferences")
    in_force = await _call(functools.partial(context.notifications.preferences, user))
    return [preference_type(p) for p in in_force]


def preference_type(preference: Preference) -> NotificationPreference:
    return NotificationPreference(
        rule=preference.rule,
        channel=NotificationChannel(preference.channel),
        enabled=preference.enabled,
        webhook_url=preference.webhook_url,
        secret_ref=preference.secret_ref,
        email=preference.email,
    )
