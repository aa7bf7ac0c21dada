"""A broker's or venue's position statement, as a CSV file: a header ``instrument_id,quantity``
then one row per instrument held (signed: short positions negative), and optionally one row
``CASH,<balance>``. The statement's name (its ``source``) is the file's name.

A malformed file is refused whole, naming the line and what is wrong with it — a statement
read in part would reconcile against positions the broker never stated.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from pathlib import Path

from bounded_contexts.execution.domain.reconciliation import Statement

CASH = "CASH"
MAX_ROWS = 100_000


class StatementError(ValueError):
    """The statement cannot be read; nothing was reconciled."""


def read_statement(path: Path, as_of: int) -> Statement:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise StatementError(f"no such statement file: {path}") from None
    except (OSError, UnicodeDecodeError) as error:
        raise StatementError(f"{path} cannot be read as UTF-8 text: {error}") from None
    return parse_statement(text, source=path.name, as_of=as_of)


def parse_statement(text: str, *, source: str, as_of: int) -> Statement:
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or [cell.strip().lower() for cell in rows[0]] != ["instrument_id", "quantity"]:
        raise StatementError(f"{source}: the first line must be 'instrument_id,quantity'")
    if len(rows) > MAX_ROWS:
        raise StatementError(f"{source}: {len(rows):,} lines; at most {MAX_ROWS:,}")
    positions: dict[str, Decimal] = {}
    cash: Decimal | None = None
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue  # a blank line
        if len(row) != 2:
            raise StatementError(f"{source} line {number}: 2 columns expected, got {len(row)}")
        instrument, quantity_text = row[0].strip(), row[1].strip()
        try:
            quantity = Decimal(quantity_text)
        except InvalidOperation:
            raise StatementError(
                f"{source} line {number}: {quantity_text!r} is not a number"
            ) from None
        if not quantity.is_finite():
            raise StatementError(f"{source} line {number}: {quantity_text!r} is not finite")
        if not instrument:
            raise StatementError(f"{source} line {number}: the instrument id is empty")
        if instrument == CASH:
            if cash is not None:
                raise StatementError(f"{source} line {number}: a second CASH line")
            cash = quantity
        elif instrument in positions:
            raise StatementError(f"{source} line {number}: {instrument} is stated twice")
        else:
            positions[instrument] = quantity
    return Statement(source=source, as_of=as_of, positions=positions, cash=cash)
