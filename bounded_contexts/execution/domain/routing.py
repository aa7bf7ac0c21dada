"""Choosing a venue for an order: the best expected price after fees, split by liquidity.

For each venue the order could go to, the expected execution price is the reference price
moved against the order by the venue's expected slippage, and the all-in price adds (a buy) or
takes off (a sell) the venue's fee per unit, in basis points of that price. The order goes to
the venue with the best all-in price — the lowest for a buy, the highest for a sell — the first
configured winning a tie. Every candidate and the reason are recorded with the decision
(``OrderRouted``), so the trail shows why this venue and not another (RTS 27/28-style best
execution evidence).

Splitting. When routing knows each venue's expected liquidity — what the venue would fill of
the order in one typical bar: its participation cap on the recent bars' volume traded there —
an order larger than the best venue's liquidity is split: the best venue takes what it is
expected to fill, the next best what it is expected to fill, and so on, in whole lots; what no
venue is expected to fill in one bar stays with the best venue, which works it over the next
bars. Each venue's slice is recorded (``OrderRouted.slices``) with the liquidity behind it.

Not modelled here: venue latency in the choice (it is modelled in the fills), and liquidity
that changes within the order's life (the split is decided once, on arrival).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from bounded_contexts.execution.domain.events import RouteCandidate, RouteSlice

BPS = Decimal(10_000)
PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class VenueTerms:
    """What routing needs to know of a venue."""

    venue: str  # its MIC
    slippage_bps: Decimal
    fee_bps: Decimal
    liquidity: Decimal | None = None
    """What the venue is expected to fill of an order in one bar (None: unknown: no split)."""


@dataclass(frozen=True)
class RoutingDecision:
    venue: str
    candidates: tuple[RouteCandidate, ...]
    reason: str
    slices: tuple[RouteSlice, ...] = ()


def route(
    side: str,
    reference_price: Decimal,
    venues: Sequence[VenueTerms],
    *,
    quantity: Decimal | None = None,
    lot: Decimal = Decimal(1),
) -> RoutingDecision:
    """The routing decision; ``quantity`` (and the venues' ``liquidity``): split the order if
    the best venue alone is not expected to fill it in one bar, in whole ``lot``s."""
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
    if quantity is None:
        return RoutingDecision(best.venue, tuple(candidates), reason)
    ranked = sorted(zip(candidates, venues, strict=True), key=lambda cv: sign * cv[0].all_in_price)
    slices = _split(quantity, [v for _, v in ranked], lot)
    if len(slices) < 2:
        return RoutingDecision(best.venue, tuple(candidates), reason)
    parts = ", ".join(f"{s.venue} {s.quantity} (liquidity {s.liquidity})" for s in slices)
    reason += f"; split by liquidity, best price first: {parts}"
    return RoutingDecision(best.venue, tuple(candidates), reason, tuple(slices))


def _split(quantity: Decimal, ranked: Sequence[VenueTerms], lot: Decimal) -> list[RouteSlice]:
    """Fill each venue, best first, to its one-bar liquidity (whole lots); the rest stays with
    the best. One slice or none: no split (a venue's liquidity unknown, or enough at the best)."""
    if any(v.liquidity is None for v in ranked) or not ranked:
        return []
    best = ranked[0].liquidity
    assert best is not None
    if quantity <= best:
        return []
    left, taken = quantity, []
    for venue in ranked:
        assert venue.liquidity is not None
        share = min(left, (venue.liquidity / lot).to_integral_value(rounding=ROUND_DOWN) * lot)
        if share > 0:
            taken.append([venue, share])
            left -= share
        if left == 0:
            break
    if not taken:
        return []
    if taken[0][0] is not ranked[0]:  # the best venue had no liquidity: it keeps the rest
        taken.insert(0, [ranked[0], Decimal(0)])
    taken[0][1] += left
    return [RouteSlice(v.venue, q, v.liquidity) for v, q in taken if q > 0]  # type: ignore[arg-type]
