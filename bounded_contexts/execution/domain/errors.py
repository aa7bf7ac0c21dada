"""Errors of the execution context. Each message says what was wrong with the command."""

from __future__ import annotations


class ExecutionError(ValueError):
    """A command to the execution context was refused; nothing was changed."""


class UnknownInstrument(ExecutionError):
    def __init__(self, instrument_id: str) -> None:
        super().__init__(f"unknown instrument {instrument_id!r}")
        self.instrument_id = instrument_id


class InvalidOrder(ExecutionError):
    """The order's own fields are malformed (quantity, side, type, price)."""


class UnknownAccount(InvalidOrder):
    """Orders may only be placed for accounts the execution context holds; an order never
    opens (and funds) an account of its own accord."""

    def __init__(self, account_id: str) -> None:
        super().__init__(f"unknown account {account_id!r}")
        self.account_id = account_id


class OrderNotFound(ExecutionError):
    def __init__(self, order_id: object) -> None:
        super().__init__(f"order {order_id} does not exist")
        self.order_id = order_id


class IllegalOrderTransition(ExecutionError):
    def __init__(self, order_id: object, status: str, action: str) -> None:
        super().__init__(f"order {order_id} is {status}: cannot {action}")
        self.order_id, self.status, self.action = order_id, status, action
