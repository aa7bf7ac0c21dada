"""The regulated facts of an execution, decided when it happens (MiFIR Art. 26, RTS 22).

Pure functions: the same order and fill always give the same facts, so a replay of the log
agrees with what was recorded live and nothing here reads a clock or a random source.

- **Transaction reference number** (RTS 22 field 2): the order id (32 upper-case hex digits)
  followed by ``F`` and the fill's sequence number. Order ids are unique within the firm and a
  fill's sequence number is unique within its order, so the reference is unique per firm; it is
  derived, never drawn, and at most 52 characters of ``[A-Z0-9]`` (the ESMA pattern).
- **Short-selling indicator** (field 62), for a sell only, from the account's position in the
  instrument just before the fill: ``SELL`` when the position covers the quantity, ``SESH``
  (or ``SSEX`` for an account holding a short-selling exemption, e.g. market making) when it
  does not, and ``UNDI`` when the position is not known.
- **Venue** (field 36): the segment (else operating) MIC of the venue that executed; ``XOFF``
  for an execution outside any venue in an instrument admitted to trading; ``XXXX`` for one not
  admitted to trading anywhere. The simulated exchange stands for the instrument's listing
  venue, so its executions carry the listing MIC.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Literal
from uuid import UUID

TradingCapacity = Literal["DEAL", "MTCH", "AOTC"]
ShortSelling = Literal["SESH", "SSEX", "SELL", "UNDI"]
TRADING_CAPACITIES: tuple[str, ...] = ("DEAL", "MTCH", "AOTC")
OFF_VENUE_ADMITTED = "XOFF"
OFF_VENUE_NOT_ADMITTED = "XXXX"
_MIC = re.compile(r"^[A-Z0-9]{4}$")


def transaction_reference(order_id: UUID, fill_seq: int) -> str:
    """The firm's transaction reference number of one execution (RTS 22 field 2)."""
    if fill_seq < 1:
        raise ValueError(f"a fill sequence number starts at 1, got {fill_seq}")
    return f"{order_id.hex.upper()}F{fill_seq}"


def short_selling_indicator(
    side: str, quantity: Decimal, position_before: Decimal | None, *, exempt: bool = False
) -> ShortSelling | None:
    """RTS 22 field 62 for one execution: ``None`` for a buy (the field does not apply)."""
    if side != "SELL":
        return None
    if position_before is None:
        return "UNDI"
    if position_before >= quantity:
        return "SELL"
    return "SSEX" if exempt else "SESH"


def reported_venue(executed_on: str | None, *, admitted_to_trading: bool) -> str:
    """RTS 22 field 36: the MIC the execution happened on, else ``XOFF``/``XXXX``."""
    if executed_on is not None:
        if not _MIC.match(executed_on):
            raise ValueError(f"{executed_on!r} is not a MIC (four letters or digits)")
        return executed_on
    return OFF_VENUE_ADMITTED if admitted_to_trading else OFF_VENUE_NOT_ADMITTED
