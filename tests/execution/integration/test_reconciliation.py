"""Reconciling an account against a statement on a real store: the ledger is folded up to the
statement's time, breaks are recorded and notified to the account's watchers, a statement
that agrees records no break, the same statement twice is refused; and an engaged kill switch
is notified too (to the account's watchers for an account's switch, operators otherwise)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bounded_contexts.execution.domain.errors import StatementAlreadyReconciled
from bounded_contexts.execution.domain.events import AccountOpened, FillBooked
from bounded_contexts.execution.domain.reconciliation import Statement
from gateway.ports import Principal
from quantvista.platform import Platform
from tests.pipeline_helpers import feed_synthetic
from tests.support.notification_helpers import FakeRecipients, requested

pytestmark = pytest.mark.integration

OPS = Principal("ops-1")


def test_a_statement_is_reconciled_once_breaks_recorded_and_notified(database_url) -> None:  # type: ignore[no-untyped-def]
    recipients = FakeRecipients({"DEMO-001": ["alice"]}, operators=["rita"])
    platform = Platform(database_url, None, recipients=lambda: recipients)
    try:
        platform.create_tables()
        platform.build()
        feed_synthetic(platform, seed=5, instruments=3)
        platform.run_until_caught_up()
        # The strategy is flat at the close: reconcile as of a moment it held something,
        # the ledger as booked up to then (folded here by hand from the stored fills).
        account = platform.execution.accounts["DEMO-001"]
        held: dict[str, Decimal] = {}
        cash, now = Decimal(0), 0
        for envelope in platform.stores["execution"].aggregate_events(account.id):
            event = envelope.event
            if isinstance(event, AccountOpened):
                cash = event.initial_cash
            if isinstance(event, FillBooked):
                cash, held[event.instrument_id] = event.cash_after, event.position_after
                now = envelope.ts_event
                if event.position_after:
                    break
        held = {i: q for i, q in held.items() if q}
        assert held, "the day's strategy held something at some point"

        agreed, _ = platform.execution_commands.reconcile(
            OPS,
            account_id="DEMO-001",
            statement=Statement("agrees.csv", now, dict(held), cash),
        )
        assert (agreed.breaks, agreed.instruments) == ((), len(held))
        assert agreed.cash_ours == agreed.cash_theirs == cash

        instrument, quantity = next(iter(held.items()))
        wrong = {**held, instrument: quantity + 7, "GHOST": Decimal(-2)}
        disagreed, position = platform.execution_commands.reconcile(
            OPS, account_id="DEMO-001", statement=Statement("broker.csv", now, wrong, None)
        )
        assert [(b.instrument_id, b.difference) for b in disagreed.breaks] == sorted(
            [(instrument, Decimal(7)), ("GHOST", Decimal(-2))]
        )
        with pytest.raises(StatementAlreadyReconciled):
            platform.execution_commands.reconcile(
                OPS, account_id="DEMO-001", statement=Statement("broker.csv", now, wrong, None)
            )
        before_trading = platform.execution_commands.reconcile(
            OPS, account_id="DEMO-001", statement=Statement("opening.csv", 1, {}, None)
        )[0]
        assert before_trading.breaks == ()  # folded up to its time: nothing was held yet

        platform.execution_commands.engage_kill_switch(OPS, scope="account:DEMO-001", reason="x")
        platform.execution_commands.engage_kill_switch(OPS, scope="venue:XLON", reason="drill")
        platform.run_until_caught_up()
        told = [(e.event.rule, e.event.recipient) for e in requested(platform.stores["support"])]
        assert ("reconciliation_break", "alice") in told
        assert told.count(("reconciliation_break", "alice")) == 1  # the agreeing one: none
        assert ("kill_switch", "alice") in told and ("kill_switch", "rita") in told
        assert position > 0
    finally:
        platform.close()
