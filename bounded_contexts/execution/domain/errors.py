"""Errors of the execution context. Each message says what was wrong with the command."""

from __future__ import annotations


class ExecutionError(ValueError):
    """A command to the execution context was refused; nothing was changed."""


class UnknownInstrument(ExecutionError):
    def __init__(self, instrument_id: str) -> None:
        super().__init__(f"unknown instrument {instrument_id!r}")
        self.instrument_id = instrument_id


class InvalidOrder(ExecutionError):
    """The order's own fields are malformed (quantity, side, type, price).

    ``field`` names the offending field of the command (``"quantity"``, ``"limit_price"``)
    when one field is at fault, so an entrypoint can point its client at it.
    """

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class QuantityOffLot(InvalidOrder):
    """The quantity is not a positive whole multiple of the instrument's lot size."""

    def __init__(self, quantity: object, lot_size: object, instrument_id: str) -> None:
        super().__init__(
            f"quantity {quantity} is not a positive whole multiple of the lot size {lot_size} "
            f"of {instrument_id}",
            field="quantity",
        )


class PriceOffTick(InvalidOrder):
    """A price of the order (its limit or stop price, or a trail amount) is not a positive
    whole multiple of the instrument's tick size."""

    def __init__(
        self, price: object, tick_size: object, instrument_id: str, field: str = "limit_price"
    ) -> None:
        super().__init__(
            f"{field.replace('_', ' ')} {price} is not a positive multiple of the tick size "
            f"{tick_size} of {instrument_id}",
            field=field,
        )


class UnknownAccount(InvalidOrder):
    """Orders may only be placed for accounts the execution context holds; an order never
    opens (and funds) an account of its own accord."""

    def __init__(self, account_id: str) -> None:
        super().__init__(f"unknown account {account_id!r}")
        self.account_id = account_id


class InvalidAccount(ExecutionError):
    """An account command is malformed (its id, currency, cash, owner or lists); ``field``
    names the offending field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class AccountAlreadyOpen(ExecutionError):
    def __init__(self, account_id: str) -> None:
        super().__init__(f"account {account_id!r} is already open")
        self.account_id = account_id


class StatementAlreadyReconciled(ExecutionError):
    def __init__(self, account_id: str, source: str, as_of: int) -> None:
        super().__init__(
            f"the statement {source!r} of account {account_id!r} as of {as_of} is already "
            "reconciled"
        )


class OrderNotFound(ExecutionError):
    def __init__(self, order_id: object) -> None:
        super().__init__(f"order {order_id} does not exist")
        self.order_id = order_id


class IllegalOrderTransition(ExecutionError):
    """The order's state machine has no such transition from its status; ``detail`` says why
    when the status alone does not (an untriggered stop order cannot fill)."""

    def __init__(self, order_id: object, status: str, action: str, detail: str = "") -> None:
        suffix = f" ({detail})" if detail else ""
        super().__init__(f"order {order_id} is {status}: cannot {action}{suffix}")
        self.order_id, self.status, self.action = order_id, status, action


class InvalidControl(ExecutionError):
    """A kill-switch or risk-limit command is malformed (its scope, a limit, its reason)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ControlStateConflict(ExecutionError):
    """The command does not fit the control's state: engaging a kill switch already engaged,
    releasing one that is not."""


class ContingentAtTheBroker(InvalidOrder):
    """A member of a contingent order (OCO group, OTO parent or child, bracket) would be
    routed to a FIX broker. Contingency is kept by this platform — it cancels the other
    members and sends held children itself — and needs to cancel at the venue the moment a
    member executes, which over FIX is not wired yet: refused, nothing recorded."""

    def __init__(self, member: str, mic: str) -> None:
        super().__init__(
            f"{member} would be routed to the FIX broker {mic}: contingent orders (OCO, OTO, "
            "brackets) are not supported at a FIX broker yet",
            field=member,
        )
        self.mic = mic
