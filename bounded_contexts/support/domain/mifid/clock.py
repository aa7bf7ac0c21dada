"""RTS 25 (Reg. 2017/574): where in the flow each regulated timestamp is taken, from which
clock, at what granularity — and whether the host clock is known to be close enough to UTC.

The regulated timestamps are recorded in the execution events as they happen (UTC ns):

- in the demo, backtests and replays, strategy activity runs on the **market-data clock**: a
  decision's time is the end of the bar it was made on, a fill's the start of the bar it
  executed on. These are the times of the replayed market, not readings of a clock;
- a manual order's times are the **gateway host's wall clock** (``time.time_ns``) when its
  command was received;
- every event also carries ``ts_recorded``: the **event-store host's wall clock** at append.
"""

from __future__ import annotations

from dataclasses import dataclass

GRANULARITY = "recorded in integer nanoseconds; reported at 1 microsecond (6 fractional digits)"
REQUIREMENTS: tuple[tuple[str, str, str], ...] = (
    ("high-frequency algorithmic trading", "100 µs", "1 µs or finer"),
    ("other algorithmic trading", "1 ms", "1 ms or finer"),
    ("voice, RFQ with human intervention, negotiated", "1 s", "1 s or finer"),
)
"""RTS 25 Annex, tables 1 and 2: activity, maximum divergence from UTC, granularity."""
ALGORITHMIC_MAX_DIVERGENCE_US = 1_000  # other algorithmic trading (QuantVista's activity)


@dataclass(frozen=True)
class TimestampPoint:
    step: str
    recorded_as: str
    taken_where: str
    clock: str


TIMESTAMP_POINTS: tuple[TimestampPoint, ...] = (
    TimestampPoint(
        "investment decision",
        "OrderSubmitted.ts_decision",
        "execution policy on TradeDecided (strategy); ExecutionCommands.place_order (manual)",
        "market-data clock: the decision's bar end (strategy); gateway wall clock (manual)",
    ),
    TimestampPoint(
        "submission to the venue",
        "OrderSubmitted.ts_submitted",
        "ExecutionService.submit, as the order is sent to the venue",
        "the cause's time: market-data clock (strategy); gateway wall clock (manual)",
    ),
    TimestampPoint(
        "submission of a held one-triggers-other child",
        "OrderActivated.ts_activated",
        "ExecutionService._release_children, as the parent's last fill (or end) is received",
        "market-data clock: the start of the parent's bar plus the venue's one-way latency",
    ),
    TimestampPoint(
        "venue acknowledgement",
        "OrderAccepted.ts_acknowledged",
        "ExecutionService.submit, when the (simulated) venue accepts the order",
        "the same instant as the submission: the simulated venue acknowledges at once",
    ),
    TimestampPoint(
        "trigger of a conditional order",
        "OrderTriggered.ts_triggered",
        "ExecutionService._trigger, when a bar's range crosses the order's trigger",
        "market-data clock: the start of that bar (the bar has no finer path)",
    ),
    TimestampPoint(
        "execution at the venue (RTS 22 field 28)",
        "OrderFilled.ts_executed",
        "ExecutionService._execute, from the bar the venue executed on",
        "market-data clock: the start of that bar (the simulated venue trades at the open)",
    ),
    TimestampPoint(
        "fill receipt",
        "OrderFilled.ts_received",
        "ExecutionService._execute, as the venue's fill is booked",
        "the same instant as the execution: the simulated venue reports synchronously",
    ),
    TimestampPoint(
        "recording in the log",
        "envelope ts_recorded (every event)",
        "EventStore.append, once per append",
        "event-store host wall clock (time.time_ns)",
    ),
)


@dataclass(frozen=True)
class ClockSync:
    """What the host says about its clock. ``None`` is unknown, said plainly."""

    clock_source: str | None
    synchronised: bool | None
    max_error_us: int | None
    estimated_error_us: int | None
    method: str
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClockReport:
    points: tuple[TimestampPoint, ...]
    granularity: str
    sync: ClockSync
    verdict: str


def clock_report(sync: ClockSync) -> ClockReport:
    return ClockReport(TIMESTAMP_POINTS, GRANULARITY, sync, verdict(sync))


def verdict(sync: ClockSync) -> str:
    """Whether the host clock meets the 1 ms divergence of (non-HFT) algorithmic trading."""
    if sync.synchronised is None:
        return "unknown: the host's clock synchronisation could not be read"
    if not sync.synchronised:
        return "NOT MET: the host clock is not synchronised"
    if sync.max_error_us is None:
        return "unknown: synchronised, but the host reports no error bound"
    if sync.max_error_us <= ALGORITHMIC_MAX_DIVERGENCE_US:
        return (
            f"met for algorithmic trading: maximum error {sync.max_error_us} µs "
            f"<= {ALGORITHMIC_MAX_DIVERGENCE_US} µs"
        )
    return (
        f"NOT MET: maximum error {sync.max_error_us} µs exceeds the "
        f"{ALGORITHMIC_MAX_DIVERGENCE_US} µs of algorithmic trading"
    )
