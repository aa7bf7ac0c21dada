"""Benchmark: the in-process pre-trade check (RTS 6 Art. 15), per order.

Timed per call with ``perf_counter_ns`` over ``CALLS`` orders (half passing, half breaking one or
more controls), after a warm-up; printed as p50 / p99 / max in microseconds:

* **pretrade_failures**: the controls themselves (order quantity, order notional, position
  notional per instrument, short selling, cash including open buys), on an account holding 50
  instruments;
* the same with **limits at five scopes** (firm, account, trader, instrument, venue: quantity,
  notional, position, price collar, messages per second) — what an order meets once the risk
  desk has set limits at run time;
* **ExecutionService.submit**, in memory (nothing appended): validation against the
  instrument's terms, the decision makers, the Order aggregate, the kill-switch lookup, the
  controls, accept or reject — with no open order, with 1,000 open buy orders (the open-buy
  notional the cash control adds up), and with limits at five scopes and two kill switches
  engaged elsewhere;
* reference: the same Decimal arithmetic and comparisons inline, without building breaches —
  the floor of any check on Decimal money.

Target (issue 10): the pre-trade check's p99 under 100 µs. Timings move with machine load;
nothing is asserted.

Run: ``.venv/bin/python bench/bench_pretrade.py [CALLS]``
"""

from __future__ import annotations

import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from decimal import Decimal

from bounded_contexts.execution.application.service import (
    ExecutionConfig,
    ExecutionService,
    SubmitOrder,
)
from bounded_contexts.execution.domain.account import Account
from bounded_contexts.execution.domain.controls.events import Limits
from bounded_contexts.execution.domain.controls.scope import ControlScope
from bounded_contexts.execution.domain.events import OrderSubmitted
from bounded_contexts.execution.domain.pretrade import PreTradeLimits, pretrade_failures
from events.effects import EventsToAppend
from events.envelope import Cause

CALLS = int(sys.argv[1]) if len(sys.argv) > 1 else 50_000
TARGET_US = 100.0
INSTRUMENTS = [f"I{i:02d}" for i in range(50)]


def account_with_positions() -> Account:
    account = Account.open("ACC-1", "EUR", Decimal(1_000_000))
    for number, instrument in enumerate(INSTRUMENTS):
        account.book_fill(
            order_id=uuid.uuid4(),
            instrument_id=instrument,
            side="BUY",
            quantity=Decimal(10 + number),
            price=Decimal(100),
            fee=Decimal(1),
        )
    account.collect_pending()
    return account


def orders(rng: random.Random) -> list[OrderSubmitted]:
    """Half within every limit, half breaking one or more (size, notional, short, cash)."""
    made = []
    for i in range(CALLS):
        big = i % 2 == 1
        quantity = Decimal(rng.choice([5_000, 20_000, 2_000_000]) if big else rng.randint(1, 50))
        side = rng.choice(["BUY", "SELL"])
        made.append(
            OrderSubmitted(
                uuid.uuid4(),
                "ACC-1",
                rng.choice(INSTRUMENTS),
                side,
                "MARKET",  # type: ignore[arg-type]
                quantity,
                None,
                "GTC",
                None,
                "MANUAL",
                None,
                None,
            )
        )
    return made


def percentiles(samples_ns: list[int]) -> tuple[float, float, float]:
    ordered = sorted(samples_ns)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return statistics.median(ordered) / 1000, p99 / 1000, ordered[-1] / 1000


def timed(
    calls: list[Callable[[], object]],
    warm_up: int = 2000,
    after: Callable[[], object] = lambda: None,
) -> list[int]:
    """Each call once: the first ``warm_up`` untimed, the rest timed one by one; ``after``
    runs untimed after each (to keep the state each call sees the same)."""
    for call in calls[:warm_up]:
        call()
        after()
    samples = []
    clock = time.perf_counter_ns
    for call in calls[warm_up:]:
        started = clock()
        call()
        samples.append(clock() - started)
        after()
    return samples


def inline_floor(
    order: OrderSubmitted, account: Account, price: Decimal, limits: PreTradeLimits
) -> int:
    notional = order.quantity * price
    signed = order.quantity if order.side == "BUY" else -order.quantity
    after = account.positions.get(order.instrument_id, Decimal(0)) + signed
    return (
        (order.quantity > limits.max_order_quantity)
        + (notional > limits.max_order_notional)
        + (abs(after) * price > limits.max_position_notional)
        + (after < 0 and not limits.allow_short)
        + (order.side == "BUY" and notional > account.cash)
    )


SCOPED_LIMITS = Limits(
    max_order_quantity=Decimal(1_000_000),
    max_order_notional=Decimal(100_000),
    max_position_notional=Decimal(150_000),
    price_collar_pct=Decimal(5),
    max_messages_per_second=1_000_000,
)
SCOPES = ("firm", "account:ACC-1", "trader:bench", "instrument:I07", "venue:XETR")


def scoped_limits() -> list[tuple[ControlScope, Limits]]:
    return [(ControlScope.parse(text), SCOPED_LIMITS) for text in SCOPES]


def submit_calls(open_orders: int, rng: random.Random, *, controlled: bool = False) -> list[int]:
    """``submit`` timed with ``open_orders`` working orders each time (an accepted order is
    taken out of the working set again after its sample, untimed); ``controlled``: with limits
    at five scopes and kill switches engaged on another instrument and another venue."""
    service = ExecutionService(store=None, config=ExecutionConfig(account_id="ACC-1"))  # type: ignore[arg-type]
    for instrument in INSTRUMENTS:
        service.instrument_listed(instrument)
        service.last_price[instrument] = Decimal(100)
    service.accounts["ACC-1"] = account_with_positions()
    cause = Cause.origin(ts_event=1, actor="person:bench", key="bench")
    if controlled:
        for text in SCOPES:
            service.set_risk_limits(
                ControlScope.parse(text), SCOPED_LIMITS, "bench", EventsToAppend(), cause
            )
        for text in ("instrument:ELSEWHERE", "venue:XLON"):
            service.engage_kill_switch(ControlScope.parse(text), "bench", EventsToAppend(), cause)
    for _ in range(open_orders):  # resting buys: the cash control adds them up
        service.submit(
            SubmitOrder(
                uuid.uuid4(),
                "ACC-1",
                rng.choice(INSTRUMENTS),
                "BUY",
                "LIMIT",
                Decimal(1),
                Decimal("50.00"),
                "MANUAL",
            ),
            EventsToAppend(),
            cause,
        )
    commands = [
        SubmitOrder(
            uuid.uuid4(), "ACC-1", o.instrument_id, o.side, "MARKET", o.quantity, None, "MANUAL"
        )
        for o in orders(rng)
    ]
    calls = [
        (lambda c=c: service.submit(c, EventsToAppend(), cause))  # type: ignore[misc]
        for c in commands
    ]

    def keep_open_orders() -> None:
        while len(service.working) > open_orders:
            service.working.popitem()

    return timed(calls, after=keep_open_orders)


def main() -> None:
    rng = random.Random(7)
    account, limits, price = account_with_positions(), PreTradeLimits(), Decimal(100)
    scoped = scoped_limits()
    batch = orders(rng)
    rows = [
        (
            "pretrade_failures (5 controls, 50 positions)",
            timed(
                [
                    (
                        lambda o=o: pretrade_failures(
                            o,
                            account=account,
                            reference_price=price,
                            open_buy_notional=Decimal(0),
                            limits=limits,
                        )
                    )
                    for o in batch
                ]
            ),
        ),
        (
            "reference: the same arithmetic inline",
            timed([(lambda o=o: inline_floor(o, account, price, limits)) for o in batch]),
        ),
        (
            "pretrade_failures, limits at 5 scopes",
            timed(
                [
                    (
                        lambda o=o: pretrade_failures(
                            o,
                            account=account,
                            reference_price=price,
                            open_buy_notional=Decimal(0),
                            limits=limits,
                            scoped=scoped,
                            messages_sent=lambda scope: 0,
                        )
                    )
                    for o in batch
                ]
            ),
        ),
        ("ExecutionService.submit, no open order", submit_calls(0, rng)),
        ("ExecutionService.submit, 1,000 open buys", submit_calls(1_000, rng)),
        ("ExecutionService.submit, 5 scopes, 2 switches", submit_calls(0, rng, controlled=True)),
    ]
    print(f"{CALLS:,} orders per line, half of them breaking a control; microseconds per call")
    print(f"{'':46} {'p50':>8} {'p99':>8} {'max':>9}")
    results = {}
    for label, samples in rows:
        p50, p99, worst = percentiles(samples)
        results[label] = (p50, p99)
        print(f"{label:46} {p50:8.1f} {p99:8.1f} {worst:9.1f}")
    check_p50, check_p99 = results["pretrade_failures (5 controls, 50 positions)"]
    floor_p50, _ = results["reference: the same arithmetic inline"]
    print(f"pretrade_failures / inline arithmetic, p50: x{check_p50 / floor_p50:.1f}")
    verdict = "met" if check_p99 < TARGET_US else "NOT met"
    print(f"target: pre-trade check p99 < {TARGET_US:.0f} µs -> {check_p99:.1f} µs: {verdict}")
    _, scoped_p99 = results["pretrade_failures, limits at 5 scopes"]
    verdict = "met" if scoped_p99 < TARGET_US else "NOT met"
    print(f"with limits at 5 scopes: p99 {scoped_p99:.1f} µs: {verdict}")
    _, submit_p99 = results["ExecutionService.submit, 1,000 open buys"]
    print(f"(the whole in-memory submit with 1,000 open buys: p99 {submit_p99:.1f} µs)")


if __name__ == "__main__":
    main()
