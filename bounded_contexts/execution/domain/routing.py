"""Choosing a venue for an order: the best expected price after fees.

For each venue the order could go to, the expected execution price is the reference price
moved against the order by the venue's expected slippage, and the all-in price adds (a buy) or
takes off (a sell) the venue's fee per unit, in basis points of that price. The order goes to
the venue with the best all-in price — the lowest for a buy, the highest for a sell — the first
configured winning a tie. Every candidate and the reason are recorded with the decision
(``OrderRouted``), so the trail shows why this venue and not another (RTS 27/28-style best
execution evidence).

Not modelled here: splitting an order across venues by their liquidity (a parent order with
child orders), venue latency, and a venue's depth beyond its participation cap.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from bounded_contexts.execution.domain.events import RouteCandidate

BPS = Decimal(10_000)
PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class VenueTerms:
    """What routing needs to know of a venue."""

    venue: str  # its MIC
    slippage_bps: Decimal
    fee_bps: Decimal


@dataclass(frozen=True)
class RoutingDecision:
    venue: str
    candidates: tuple[RouteCandidate, ...]
    reason: str


def route(side: str, reference_price: Decimal, venues: Sequence[VenueTerms]) -> RoutingDecision:
    sign = Decimal(1) if side == "BUY" else Decimal(-1)
    candidates = []
    for v in venues:
        expected = reference_price * (1 + sign * v.slippage_bps / BPS)
        fee = expected * v.fee_bps / BPS
        candidates.append(
            RouteCandidate(
                v.venue,
                expected.quantize(PLACES),
                fee.quantize(PLACES),
                (expected + sign * fee).quantize(PLACES),
            )
        )
    best = min(candidates, key=lambda c: sign * c.all_in_price)  # first wins a tie
    others = ", ".join(f"{c.venue} {c.all_in_price}" for c in candidates if c is not best)
    reason = (
        f"best expected price after fees for a {side.lower()}: {best.venue} {best.all_in_price}"
        + (f" (against {others})" if others else "")
    )
    return RoutingDecision(best.venue, tuple(candidates), reason)
