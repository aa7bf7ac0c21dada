"""What the gateway needs from the write side. Resolvers parse input, call a port, return data.

The composition root (``quantvista``) binds :class:`OrderCommands` to the execution context's
application, so a GraphQL order takes exactly the path a strategy order takes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol
from uuid import UUID

from bounded_contexts.execution.domain.controls.events import Limits
from bounded_contexts.execution.domain.events import ControlBreach
from bounded_contexts.support.domain.notifications.events import Channel
from bounded_contexts.support.domain.notifications.preferences import Preference

if TYPE_CHECKING:
    from bounded_contexts.execution.application.service import OpenAccount


@dataclass(frozen=True)
class Principal:
    """Who is acting. Recorded on every event the request causes (MiFID II decision maker).

    ``subject`` is verified by the gateway (gateway.security): a token's ``sub`` or an Ory
    identity id — never a name the caller merely asserts.
    """

    subject: str
    roles: tuple[str, ...] = ()


@dataclass(frozen=True)
class RecordedOrder:
    """An order as the execution context recorded it, at the end of the command that touched
    it: what a mutation answers with (read-your-writes without waiting for a projection).
    Plain data; ``breaches`` are the execution context's :class:`ControlBreach` values."""

    order_id: UUID
    account_id: str
    instrument_id: str
    side: str
    order_type: str
    quantity: Decimal
    limit_price: Decimal | None
    time_in_force: str
    expire_at: int | None
    status: str
    filled_quantity: Decimal
    average_fill_price: Decimal | None
    reject_reason: str | None
    breaches: tuple[ControlBreach, ...]
    origin: str
    decision_id: UUID | None
    algo_id: str | None
    actor: str
    ts_submitted: int
    ts_updated: int
    version: int
    submitted_position: int  # execution store position of its OrderSubmitted
    stop_price: Decimal | None = None
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    trigger_price: Decimal | None = None  # where the trigger stands (or was crossed)
    post_only: bool = False
    reduce_only: bool = False
    amendment_refused: str | None = None
    """The reason, when this command's amendment was refused (the order works on unchanged)."""
    amendment_breaches: tuple[ControlBreach, ...] = ()
    oco_group: UUID | None = None
    parent_order_id: UUID | None = None
    ts_activated: int | None = None
    pending_request: str | None = None
    """CANCEL or REPLACE: a request sent to a FIX broker and not answered yet."""


@dataclass(frozen=True)
class OrderOutcome:
    """What an order command did: the order as recorded, and the execution store position of
    the last event it wrote (queries given ``minPosition`` of at least this read its effects)."""

    order: RecordedOrder
    position: int


@dataclass(frozen=True)
class OrderTerms:
    """One order of a contingent placement (OCO member, OTO parent or child, bracket leg):
    the same terms ``place_order`` takes."""

    account_id: str
    instrument_id: str
    side: str
    quantity: Decimal
    order_type: str
    limit_price: Decimal | None = None
    time_in_force: str = "GTC"
    expire_at: int | None = None
    stop_price: Decimal | None = None
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    post_only: bool = False
    reduce_only: bool = False


@dataclass(frozen=True)
class ContingentOutcome:
    """What a contingent placement recorded: every member as recorded (in the order the
    command named them), and the store position of the last event written."""

    orders: tuple[RecordedOrder, ...]
    position: int


@dataclass(frozen=True)
class ControlOutcome:
    """What a kill-switch or risk-limit command recorded: the scope as normalised, the store
    position of the last event written, and the orders an engaged switch cancelled."""

    scope: str
    position: int
    cancelled_orders: tuple[UUID, ...] = ()


@dataclass(frozen=True)
class AccountOutcome:
    """What an account command recorded: the account and the position of its last event."""

    account_id: str
    position: int


class OrderCommands(Protocol):
    def place_order(
        self,
        principal: Principal,
        *,
        account_id: str,
        instrument_id: str,
        side: str,
        quantity: Decimal,
        order_type: str,
        limit_price: Decimal | None,
        time_in_force: str = "GTC",
        expire_at: int | None = None,
        stop_price: Decimal | None = None,
        trail_amount: Decimal | None = None,
        trail_percent: Decimal | None = None,
        post_only: bool = False,
        reduce_only: bool = False,
    ) -> OrderOutcome:
        """Submit an order; returns what was recorded — accepted, or rejected by a pre-trade
        control (which is recorded too). Raises ``ExecutionError`` subclasses on bad input
        (nothing recorded; ``InvalidOrder.field`` names the term at fault),
        ``StoreUnavailable`` when the store cannot be reached."""
        ...

    def place_oco_orders(
        self, principal: Principal, orders: Sequence[OrderTerms]
    ) -> ContingentOutcome:
        """Place a one-cancels-other group in one append: every member sent, or every member
        recorded rejected. ``InvalidOrder.field`` names the member (``orders[1].side``)."""
        ...

    def place_oto_order(
        self, principal: Principal, parent: OrderTerms, children: Sequence[OrderTerms]
    ) -> ContingentOutcome:
        """Place a parent and its children, held until the parent is filled (``parent``,
        ``children[0]`` … in errors); the outcome lists the parent, then the children."""
        ...

    def place_bracket_order(
        self,
        principal: Principal,
        entry: OrderTerms,
        take_profit: OrderTerms,
        stop_loss: OrderTerms,
    ) -> ContingentOutcome:
        """Place an entry with a take-profit and a stop-loss held as an OCO pair until it is
        filled; the outcome lists entry, take-profit, stop-loss."""
        ...

    def cancel_order(
        self,
        principal: Principal,
        *,
        order_id: UUID,
        may_act_on: Callable[[str], bool] = lambda account: True,
    ) -> OrderOutcome:
        """Cancel an open order. Raises ``OrderNotFound`` / ``IllegalOrderTransition``.
        ``may_act_on(account)`` is asked with the order's account before anything is recorded;
        ``False`` makes the order as unknown (``OrderNotFound``): no existence leak. It may
        raise instead, to refuse with its own error (a caller who may see the order but not
        trade it is told so)."""
        ...

    def amend_order(
        self,
        principal: Principal,
        *,
        order_id: UUID,
        quantity: Decimal | None,
        limit_price: Decimal | None,
        stop_price: Decimal | None,
        may_act_on: Callable[[str], bool] = lambda account: True,
    ) -> OrderOutcome:
        """Change a working order's terms: recorded as amended, or as refused by a control
        (the order's ``amendment_refused``). ``OrderNotFound`` / ``IllegalOrderTransition`` /
        ``InvalidOrder`` as for a cancel or a bad price; ``may_act_on`` as for a cancel."""
        ...

    def engage_kill_switch(
        self, principal: Principal, *, scope: str, reason: str
    ) -> ControlOutcome:
        """Engage the kill switch of ``scope`` (``firm`` or ``<kind>:<value>``), cancelling
        every working order in it. ``InvalidControl`` for a malformed scope or reason,
        ``ControlStateConflict`` if it is already engaged."""
        ...

    def release_kill_switch(
        self, principal: Principal, *, scope: str, reason: str
    ) -> ControlOutcome:
        """Release an engaged kill switch (``ControlStateConflict`` if it is not)."""
        ...

    def set_risk_limits(
        self, principal: Principal, *, scope: str, limits: Limits, reason: str
    ) -> ControlOutcome:
        """Replace the pre-trade limits of ``scope`` (``InvalidControl`` for a bad limit)."""
        ...

    def halt_trading(
        self, principal: Principal, *, instrument_id: str, reason: str
    ) -> ControlOutcome:
        """Halt an instrument at the venue (``UnknownInstrument``, ``ControlStateConflict``)."""
        ...

    def resume_trading(
        self, principal: Principal, *, instrument_id: str, reason: str
    ) -> ControlOutcome:
        """Resume a halted instrument (``ControlStateConflict`` if it is not halted)."""
        ...

    def cancel_all_orders(self, principal: Principal, *, scope: str, reason: str) -> ControlOutcome:
        """Cancel every working order in ``scope`` (new ones are still accepted)."""
        ...

    def open_account(self, principal: Principal, spec: OpenAccount) -> AccountOutcome:
        """Open an account (``InvalidAccount`` for a bad field, ``AccountAlreadyOpen``)."""
        ...

    def configure_account(
        self,
        principal: Principal,
        *,
        account_id: str,
        owner: str | None,
        allowed_instruments: tuple[str, ...] | None,
        allowed_strategies: tuple[str, ...] | None,
        reason: str,
    ) -> AccountOutcome:
        """Replace an account's owner and what it may trade (``UnknownAccount``)."""
        ...


@dataclass(frozen=True)
class ModelOutcome:
    """What a registry command recorded: the model, its status now, and the prediction store
    position of the event written."""

    model_id: str
    status: str
    position: int


@dataclass(frozen=True)
class RetrainOutcome:
    """A training request as recorded: its id, the families it asks for, the window it reads
    (the latest bar and the intelligence position of the request), and its prediction store
    position."""

    request_id: str
    families: tuple[str, ...]
    window_end_ts: int
    upto_position: int
    position: int


class ModelCommands(Protocol):
    """The prediction context's model registry, as people act on it (promote, retire, ask for
    a retrain). Synchronous: the gateway calls it on a worker thread. Refusals are
    ``ModelCommandError`` subclasses (``bounded_contexts.prediction.application.
    registry_commands``)."""

    def promote_model(self, principal: Principal, *, model_id: str, note: str) -> ModelOutcome:
        """Make ``model_id`` the champion (rule ``manual``, ``note`` recorded)."""
        ...

    def retire_model(self, principal: Principal, *, model_id: str, reason: str) -> ModelOutcome:
        """Retire a model that is not the champion."""
        ...

    def request_retrain(
        self, principal: Principal, *, families: Sequence[str] | None, note: str
    ) -> RetrainOutcome:
        """Ask the training component for new models of ``families`` (None: the configured
        ones) on everything the intelligence store holds now."""
        ...


class NotificationCommands(Protocol):
    """The support context's notification service, as the gateway uses it
    (:class:`~bounded_contexts.support.application.notification_service.NotificationService`).
    Synchronous: the gateway calls it on a worker thread."""

    def mark_read(self, user_id: str, notification_id: UUID, *, actor: str) -> bool:
        """False when already read; ``NotificationNotFound`` for an unknown or another
        user's notification."""
        ...

    def set_preference(
        self,
        user_id: str,
        rule: str,
        channel: Channel,
        *,
        enabled: bool,
        webhook_url: str | None = None,
        secret_ref: str | None = None,
        email: str | None = None,
        actor: str,
    ) -> int | None:
        """The store position recorded, None when already in force; ``InvalidPreference``
        says what is wrong."""
        ...

    def preferences(self, user_id: str) -> list[Preference]:
        """The user's explicit preferences."""
        ...
