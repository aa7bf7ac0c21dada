"""Position statements and their reconciliation: a statement file is read whole or refused
naming the line at fault; breaks are the instruments held differently (a flat position and an
absent one agree), with the difference theirs less ours."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from bounded_contexts.execution.adapters.statements import StatementError, parse_statement
from bounded_contexts.execution.domain.events import PositionBreak
from bounded_contexts.execution.domain.reconciliation import (
    Reconciliation,
    Statement,
    position_breaks,
)

AS_OF = 1_796_400_000_000_000_000


def test_a_statement_reads_positions_and_cash() -> None:
    statement = parse_statement(
        "instrument_id,quantity\nSAP,100\nASML,-5\n\nCASH,1000.50\n", source="s.csv", as_of=AS_OF
    )
    assert statement == Statement("s.csv", AS_OF, {"SAP": D(100), "ASML": D(-5)}, D("1000.50"))


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "the first line must be 'instrument_id,quantity'"),
        ("symbol,qty\nSAP,1\n", "the first line must be"),
        ("instrument_id,quantity\nSAP\n", "line 2: 2 columns expected, got 1"),
        ("instrument_id,quantity\nSAP,ten\n", "line 2: 'ten' is not a number"),
        ("instrument_id,quantity\nSAP,NaN\n", "line 2: 'NaN' is not finite"),
        ("instrument_id,quantity\nSAP,1\nSAP,2\n", "line 3: SAP is stated twice"),
        ("instrument_id,quantity\n,1\n", "line 2: the instrument id is empty"),
        ("instrument_id,quantity\nCASH,1\nCASH,2\n", "line 3: a second CASH line"),
    ],
)
def test_a_malformed_statement_is_refused_naming_the_line(text: str, says: str) -> None:
    with pytest.raises(StatementError, match=None) as refused:
        parse_statement(text, source="s.csv", as_of=AS_OF)
    assert says in str(refused.value)


def test_breaks_are_the_instruments_held_differently() -> None:
    ours = {"SAP": D(100), "ASML": D(0), "SIE": D(10)}
    theirs = {"SAP": D(100), "SIE": D(12), "ALV": D(-3)}
    assert position_breaks(ours, theirs) == [
        PositionBreak("ALV", D(0), D(-3), D(-3)),
        PositionBreak("SIE", D(10), D(12), D(2)),
    ]


def test_a_reconciliation_records_the_comparison_once_per_statement() -> None:
    statement = Statement("s.csv", AS_OF, {"SAP": D(100)}, D(5))
    first = Reconciliation.of("ACC-1", statement, ours={"SAP": D(90)}, cash_ours=D(5))
    again = Reconciliation.of("ACC-1", statement, ours={"SAP": D(100)}, cash_ours=D(5))
    assert first.id == again.id  # the same statement: the same aggregate
    recorded = first.recorded
    assert recorded is not None
    assert (recorded.instruments, recorded.breaks) == (
        1,
        (PositionBreak("SAP", D(90), D(100), D(10)),),
    )
