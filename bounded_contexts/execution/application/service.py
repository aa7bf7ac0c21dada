"""Use cases of the execution context: submit, cancel, and execute against market bars.

One service instance is the in-memory view of the execution store (orders, accounts, the
recent bars the simulated venue fills against). The strategy path (a policy reacting to
``TradeDecided``) and the GraphQL path (``ExecutionCommands``) call the same methods under the
same lock; optimistic concurrency in the store settles any race with another process, after
which the view is reloaded from the store.

Fills are deterministic whatever the arrival order of bars and decisions: an order submitted
at time T fills against the first bar that *starts* at or after T, taken from the recent-bar
cache if that bar has already been seen.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import threading
from bisect import bisect_left
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import time
from decimal import Decimal
from uuid import UUID

from bounded_contexts.execution.adapters.venues.book import (
    BarShare,
    LevelTrade,
    queue_on_joining,
    trade_at_level,
)
from bounded_contexts.execution.adapters.venues.fix44.config import FixSessionConfig
from bounded_contexts.execution.adapters.venues.simulated import (
    Execution,
    SimulatedVenueConfig,
    VenueBar,
    better,
    crossed,
    fill_on_trigger,
    marketable,
    match,
    trailing_trigger,
    venue_trade_id,
)
from bounded_contexts.execution.application.contingent import ContingentOrders
from bounded_contexts.execution.application.venue_reports import VenueReport
from bounded_contexts.execution.domain.account import Account
from bounded_contexts.execution.domain.algorithms import AlgorithmRegistry, RegisteredAlgorithm
from bounded_contexts.execution.domain.controls.book import ControlBook
from bounded_contexts.execution.domain.controls.events import (
    KillSwitchEngaged,
    Limits,
    RiskLimitsSet,
    TradingHalted,
)
from bounded_contexts.execution.domain.controls.halt import InstrumentHalt
from bounded_contexts.execution.domain.controls.kill_switch import KillSwitch, checked_reason
from bounded_contexts.execution.domain.controls.risk_limits import (
    MAX_ROLLING_WINDOW_S,
    RiskLimits,
)
from bounded_contexts.execution.domain.controls.scope import ControlScope, OrderScopes
from bounded_contexts.execution.domain.errors import (
    AccountAlreadyOpen,
    InvalidAccount,
    InvalidOrder,
    OrderNotFound,
    StatementAlreadyReconciled,
    UnknownAccount,
    UnknownInstrument,
)
from bounded_contexts.execution.domain.events import (
    AccountOpened,
    AlgorithmRegistered,
    AlgorithmRole,
    ControlBreach,
    FillBooked,
    FillBookingCorrected,
    OrderCancelRequested,
    OrderReplaceRequested,
    OrderSubmitted,
    PositionsReconciled,
    Responsible,
)
from bounded_contexts.execution.domain.instrument import (
    DEFAULT_LOT_SIZE,
    DEFAULT_TICK_SIZE,
    InstrumentTerms,
)
from bounded_contexts.execution.domain.order import (
    Order,
    OrderStatus,
    order_id_for,
    order_id_of_ref,
)
from bounded_contexts.execution.domain.order_terms import (
    ORDER_TYPES,
    day_order_expiry,
    reducible_quantity,
)
from bounded_contexts.execution.domain.pretrade import (
    PreTradeFailure,
    PreTradeLimits,
    kill_switch_engaged,
    no_reference_price,
    pretrade_failures,
    reduce_only_failure,
    trading_halted,
)
from bounded_contexts.execution.domain.reconciliation import Reconciliation, Statement
from bounded_contexts.execution.domain.regulatory import (
    TRADING_CAPACITIES,
    reported_venue,
    short_selling_indicator,
)
from bounded_contexts.execution.domain.routing import RoutingDecision, VenueTerms, route
from events.domain import Aggregate
from events.effects import EventsToAppend
from events.envelope import Cause, EventEnvelope
from events.store import EventStore, PoisonEvent

log = logging.getLogger(__name__)

MAX_CACHED_BARS = 100_000  # per instrument; bounds memory in a long catch-up
IOC_FOK = ("IOC", "FOK")
MAX_BAR_SHARES = 10_000  # before the shares of bars no longer held are dropped
TYPICAL_BARS = 20  # routing sizes a venue's liquidity by the mean volume of this many bars
MAX_ROLLING_WINDOW_NS = MAX_ROLLING_WINDOW_S * 1_000_000_000
VENUE_ACTOR = "venue:simulated"
THROTTLE_ACTOR = "system:execution-throttle"


@dataclass(frozen=True)
class ExecutionConfig:
    """The execution context's settings. The MiFID II ones describe the configured account and
    are recorded on every order and fill as they happen (RTS 22):

    - ``trading_capacity``: ``DEAL`` (the firm trades on its own account: the default, what the
      demo account does), ``MTCH`` (matched principal) or ``AOTC`` (any other capacity, e.g.
      for a client). Set it from the firm's configuration (per account).
    - ``short_sale_exempt``: the account sells short under an exemption (market making), so a
      short sale is ``SSEX`` rather than ``SESH``.
    - ``execution_algo``: name and version of the algorithm that executes strategy orders (its
      registered code is reported in field 59); a new version of the execution code must get
      a new name.

    ``session_close_utc``: the end of the trading day, in UTC, at which DAY orders expire (the
    first bar starting at or after it); 21:00 by default, the close of the longest European
    and US cash sessions. It is fixed into each DAY order's ``expire_at`` when the order is
    received, so a replay expires it identically whatever the configuration is then.
    """

    account_id: str = "DEMO-001"
    account_currency: str = "EUR"
    initial_cash: Decimal = Decimal(1_000_000)
    strategy_order_ttl_ns: int = 5 * 60_000_000_000  # GTD: 5 one-minute bars
    limits: PreTradeLimits = field(default_factory=PreTradeLimits)
    venue: SimulatedVenueConfig = field(default_factory=SimulatedVenueConfig)
    venues: tuple[SimulatedVenueConfig, ...] = ()
    fix_broker_mic: str | None = None
    """The MIC of a broker reached over FIX 4.4: orders routed there are acknowledged, filled
    and cancelled by the broker's execution reports (``ExecutionService.on_broker_report``),
    never by bars."""
    fix_broker: FixSessionConfig | None = None
    """The FIX session to that broker: the process that runs the execution context starts a
    ``FixVenueLink`` over it (gateway workers do not: one session per SenderCompID)."""
    """More venues to route to: with any, every order is routed (``OrderRouted``) to the
    venue with the best expected price after fees among ``venue`` and these, each of which
    must then name its own MIC; without, every order goes to ``venue``."""
    trading_capacity: str = "DEAL"
    short_sale_exempt: bool = False
    execution_algo: str = "qv-execution-market-v1"
    session_close_utc: time = time(21, 0)

    @property
    def session_close_ns(self) -> int:
        """The session close as nanoseconds after midnight UTC."""
        t = self.session_close_utc
        return ((t.hour * 60 + t.minute) * 60 + t.second) * 1_000_000_000 + t.microsecond * 1000

    def __post_init__(self) -> None:
        if self.session_close_utc.tzinfo is not None:
            raise ValueError("session_close_utc is a UTC time of day without a time zone")
        if self.trading_capacity not in TRADING_CAPACITIES:
            raise ValueError(
                f"trading_capacity must be one of {', '.join(TRADING_CAPACITIES)}, "
                f"got {self.trading_capacity!r}"
            )
        if not self.execution_algo:
            raise ValueError("execution_algo must name the execution algorithm and its version")
        if self.venues:
            mics = [v.mic for v in (self.venue, *self.venues)]
            if None in mics or len(set(mics)) != len(mics):
                raise ValueError(f"routing needs a distinct MIC for every venue, got {mics}")


@dataclass(frozen=True)
class SubmitOrder:
    order_id: UUID
    account_id: str
    instrument_id: str
    side: str
    order_type: str
    quantity: Decimal
    limit_price: Decimal | None
    origin: str
    decision_id: UUID | None = None
    algo_id: str | None = None
    reference_price: Decimal | None = None
    expire_at: int | None = None
    ts_decision: int | None = None
    """When the investment decision was taken (UTC ns): a strategy order's decision event time;
    for a manual order, when the command was received (the default: the cause's time)."""
    person: str | None = None
    """The authenticated subject who decided and executes a manual order (default: the
    ``person:<subject>`` actor of the cause)."""
    time_in_force: str | None = None
    """DAY, GTC, GTD, IOC or FOK; ``None``: GTD when ``expire_at`` is given, else GTC (the
    strategy path). A DAY order takes no ``expire_at``: it expires at the session close."""
    stop_price: Decimal | None = None
    trail_amount: Decimal | None = None
    trail_percent: Decimal | None = None
    post_only: bool = False
    reduce_only: bool = False


@dataclass(frozen=True)
class OpenAccount:
    """An account to open: its id, base currency and starting cash, who owns it (a subject,
    or none) and what it may trade (None: any instrument, any strategy)."""

    account_id: str
    currency: str
    initial_cash: Decimal
    reason: str
    owner: str | None = None
    allowed_instruments: tuple[str, ...] | None = None
    allowed_strategies: tuple[str, ...] | None = None


@dataclass(frozen=True)
class PreparedOrder:
    """An order checked and built by ``ExecutionService._prepare``, not yet held or recorded,
    with the algorithms to register if it is and the price its controls check against."""

    order: Order
    registrations: list[RegisteredAlgorithm]
    reference_price: Decimal | None


_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_INITIAL_CASH = Decimal("1e15")


class ExecutionService(ContingentOrders):
    def __init__(self, store: EventStore, config: ExecutionConfig | None = None) -> None:
        self.store = store
        self.config = config or ExecutionConfig()
        self.lock = threading.RLock()
        self.orders: dict[UUID, Order] = {}
        self.working: dict[UUID, Order] = {}  # the open ones, in submission order
        self.held: dict[UUID, Order] = {}  # OTO children recorded, not sent (not in working)
        self.oco_groups: dict[UUID, list[Order]] = {}  # members by group, in submission order
        self.children: dict[UUID, list[Order]] = {}  # OTO children by parent, in order
        self.accounts: dict[str, Account] = {}
        self.instruments: dict[str, InstrumentTerms] = {}
        self.bars: dict[str, deque[VenueBar]] = {}
        self.last_price: dict[str, Decimal] = {}
        self.algorithms = AlgorithmRegistry()
        self.controls = ControlBook(self.config.limits)
        self.halts: dict[str, InstrumentHalt] = {}  # by instrument, ever halted
        self.seen_position = 0  # the last store position this view has taken in
        self._aggregates: dict[UUID, Aggregate] = {}  # every aggregate held, by id
        self.price_marks: dict[str, deque[tuple[int, Decimal, Decimal]]] = {}
        """Each instrument's bars of the last day (start, open, volume): what the rolling
        collar holds an order to and routing sizes venues' liquidity by (kept apart from
        ``bars``, which strategy orders trim)."""
        self.bar_shares: dict[tuple[str, str | None, str, int], BarShare] = {}
        """What the firm's orders took of each recent bar, by (instrument, venue, side, bar
        start): the venue's participation cap is shared by all of them (see ``book``)."""

    # -- loading ------------------------------------------------------------------
    def reload_own_state(self) -> None:
        """Rebuild orders, accounts, controls and algorithm codes from the execution store
        (at start, and after a conflict)."""
        self.orders, self.working, self.accounts = {}, {}, {}
        self.held, self.oco_groups, self.children = {}, {}, {}
        self.algorithms = AlgorithmRegistry(code_length=self.algorithms.code_length)
        self.controls = ControlBook(self.config.limits)
        self.halts = {}
        self._aggregates, self.seen_position = {}, 0
        self.bar_shares = {}
        self._take_in_stored(strict=False)
        self.recall_arrivals()  # from the bars this view still holds (none at a first load)

    def catch_up(self) -> None:
        """Take in what other processes appended since this view last looked — a kill switch
        engaged from the CLI, limits set by another gateway, an order cancelled elsewhere —
        so that the next decision sees it (one query when nothing is new). Events this view
        recorded itself are recognised by their aggregate's version and stepped over."""
        known = len(self.orders)
        if not self._take_in_stored(strict=True):
            self.reload_own_state()
        elif len(self.orders) != known:
            self.recall_arrivals()  # orders another process placed: which bar they met

    def _take_in_stored(self, *, strict: bool) -> bool:
        """Apply every stored event after ``seen_position``. Strict (catching up): False as
        soon as one does not follow its aggregate's version here — the view lost track, the
        caller reloads. Not strict (reloading): an aggregate's event after one that could not
        be decoded (and was logged) is applied all the same, as a replay would."""
        while True:
            raws = self.store.read_raw(self.seen_position, limit=1000)
            if not raws:
                return True
            for raw in raws:
                try:
                    envelope = self.store.decode(raw)
                except PoisonEvent as exc:
                    log.error("skipping undecodable execution event: %s", exc)
                    continue
                if not self._take_in(envelope, strict=strict):
                    return False
            self.seen_position = raws[-1].position

    def _take_in(self, envelope: EventEnvelope, *, strict: bool) -> bool:
        aggregate = self._aggregates.get(envelope.aggregate_id)
        if aggregate is not None:
            if aggregate.version >= envelope.aggregate_version:
                return True  # recorded by this view itself
            if strict and aggregate.version + 1 != envelope.aggregate_version:
                return False
            aggregate.apply(envelope.event)
            aggregate.version = envelope.aggregate_version
        elif strict and envelope.aggregate_version != 1:
            return False
        else:
            aggregate = self._first_of(envelope)
            if aggregate is None:
                return True
        self._hold(aggregate)
        return True

    def _first_of(self, envelope: EventEnvelope) -> Aggregate | None:
        """A new aggregate from its first stored event (None: not one this view holds)."""
        event, aggregate_id = envelope.event, envelope.aggregate_id
        if isinstance(event, OrderSubmitted):
            order = Order.replay(aggregate_id, [event])
            order.ts_submitted = envelope.ts_event
            order.correlation_id = envelope.correlation_id
            order.submitted_by = envelope.actor
            return order
        kinds: dict[type, type[Aggregate]] = {
            AccountOpened: Account,
            AlgorithmRegistered: RegisteredAlgorithm,
            KillSwitchEngaged: KillSwitch,
            RiskLimitsSet: RiskLimits,
            PositionsReconciled: Reconciliation,
            TradingHalted: InstrumentHalt,
        }
        kind = kinds.get(type(event))
        return None if kind is None else kind.replay(aggregate_id, [event])

    def _hold(self, aggregate: Aggregate) -> None:
        """Index an aggregate this view holds (new or changed) where its users look."""
        self._aggregates[aggregate.id] = aggregate
        if isinstance(aggregate, Order):
            if aggregate.id not in self.orders:
                self._link(aggregate)
            self.orders[aggregate.id] = aggregate
            self._track(aggregate)
        elif isinstance(aggregate, Account):
            self.accounts[aggregate.account_id] = aggregate
        elif isinstance(aggregate, RegisteredAlgorithm):
            self.algorithms.learn(aggregate)
        elif isinstance(aggregate, KillSwitch):
            self.controls.learn_switch(aggregate)
        elif isinstance(aggregate, RiskLimits):
            self.controls.learn_limits(aggregate)
        elif isinstance(aggregate, InstrumentHalt):
            self.halts[aggregate.instrument_id] = aggregate

    def instrument_listed(
        self,
        instrument_id: str,
        lot_size: Decimal = DEFAULT_LOT_SIZE,
        tick_size: Decimal = DEFAULT_TICK_SIZE,
        mic: str | None = None,
    ) -> None:
        """The instrument becomes tradable on these terms (a relisting replaces them)."""
        self.instruments[instrument_id] = InstrumentTerms(instrument_id, lot_size, tick_size, mic)

    def strategy_quantity(self, instrument_id: str, wanted: Decimal) -> Decimal:
        """A strategy's wanted quantity rounded down to the instrument's lot (0: no order).

        Rounded here rather than in the decision context because execution is where the
        venue's terms are known: decision sizes from prices and risk limits and does not
        consume reference data, and teaching it the lot size would duplicate the listing in a
        second context. Rounding *down* keeps the order within every cap decision applied.
        An unknown instrument is passed through so that ``submit`` refuses it as before.
        """
        terms = self.instruments.get(instrument_id)
        return wanted if terms is None else terms.round_down_to_lot(wanted)

    def remember_bar(self, instrument_id: str, bar: VenueBar, close: Decimal) -> None:
        recent = self.bars.setdefault(instrument_id, deque(maxlen=MAX_CACHED_BARS))
        if not recent or bar.ts_start > recent[-1].ts_start:
            recent.append(bar)
            marks = self.price_marks.setdefault(instrument_id, deque())
            marks.append((bar.ts_start, bar.open, bar.volume))
            while marks[0][0] < bar.ts_start - MAX_ROLLING_WINDOW_NS:
                marks.popleft()
        self.last_price[instrument_id] = close
        if len(self.bar_shares) > MAX_BAR_SHARES:
            self._forget_old_shares()

    def _forget_old_shares(self) -> None:
        """Drop what orders took of bars no order can execute on any more (older than every
        bar still held): the shares stay bounded by the bar cache."""
        oldest = {i: bars[0].ts_start for i, bars in self.bars.items() if bars}
        self.bar_shares = {
            key: share
            for key, share in self.bar_shares.items()
            if key[3] >= oldest.get(key[0], key[3])
        }

    # -- commands -----------------------------------------------------------------
    def account(self, uow: EventsToAppend, cause: Cause, account_id: str | None = None) -> Account:
        account_id = account_id or self.config.account_id
        account = self.accounts.get(account_id)
        if account is None and account_id != self.config.account_id:
            raise UnknownAccount(account_id)
        if account is None:
            account = Account.open(
                account_id, self.config.account_currency, self.config.initial_cash
            )
            self._hold(account)
            uow.save(account, cause)
        return account

    def submit(self, cmd: SubmitOrder, uow: EventsToAppend, cause: Cause) -> UUID:
        """Validate, run pre-trade controls, accept or reject, and fill if the next bar is known.

        Raises ``UnknownInstrument``/``InvalidOrder`` for a malformed command (nothing is
        recorded) — including a quantity off the instrument's lot or a limit price off its
        tick, and an absurdly large quantity (see ``InstrumentTerms``); a well-formed order
        that fails a control is recorded as rejected."""
        prepared = self._prepare(cmd, cause)
        order = prepared.order
        account = self._place(prepared, uow, cause)
        self._send(order, account, cause)
        self._hold(order)
        uow.save(order, cause)
        self._trade_cached_bars([order], uow, cause)
        recent = self.bars.get(cmd.instrument_id)
        if recent and cmd.origin == "STRATEGY" and not self.at_broker(order):
            # Strategy orders arrive in time order per instrument: bars before this one
            # can no longer be "the next bar" of any future strategy order.
            while recent and recent[0].ts_start < order.ts_submitted:
                recent.popleft()
        return order.id

    def _prepare(
        self,
        cmd: SubmitOrder,
        cause: Cause,
        *,
        oco_group: UUID | None = None,
        parent_order_id: UUID | None = None,
    ) -> PreparedOrder:
        """The order ``cmd`` asks for, checked and built but held nowhere and recorded
        nowhere yet: a contingent group prepares every member before it places any, so one
        malformed member leaves nothing behind. A child (``parent_order_id``) is recorded
        held: not yet submitted to the venue (``ts_submitted`` null until it is activated)."""
        terms = self.instruments.get(cmd.instrument_id)
        if terms is None:
            raise UnknownInstrument(cmd.instrument_id)
        terms.check_quantity(cmd.quantity)
        if cmd.limit_price is not None:
            terms.check_limit_price(cmd.limit_price)
        for name in ("stop_price", "trail_amount"):
            price = getattr(cmd, name)
            if price is not None:
                terms.check_limit_price(price, field=name)
        if cmd.side not in ("BUY", "SELL"):
            raise InvalidOrder(f"side must be BUY or SELL, got {cmd.side!r}", field="side")
        if cmd.order_type not in ORDER_TYPES:
            raise InvalidOrder(
                f"order type must be one of {', '.join(ORDER_TYPES)}, got {cmd.order_type!r}",
                field="order_type",
            )
        if cmd.order_id in self.orders:
            raise InvalidOrder(f"order {cmd.order_id} already exists")
        time_in_force, expire_at = self._validity(cmd, cause)
        decision, execution, registrations = self._decision_makers(cmd, cause)
        routing = self._route(cmd)
        submitted = OrderSubmitted(
            cmd.order_id,
            cmd.account_id,
            cmd.instrument_id,
            cmd.side,  # type: ignore[arg-type]
            cmd.order_type,  # type: ignore[arg-type]
            cmd.quantity,
            cmd.limit_price,
            time_in_force,  # type: ignore[arg-type]
            expire_at,
            cmd.origin,  # type: ignore[arg-type]
            cmd.decision_id,
            cmd.algo_id,
            trading_capacity=self.config.trading_capacity,  # type: ignore[arg-type]
            investment_decision=decision,
            execution_decision=execution,
            venue=self._venue(terms) if routing is None else routing.venue,
            ts_decision=cause.ts_event if cmd.ts_decision is None else cmd.ts_decision,
            ts_submitted=None if parent_order_id is not None else cause.ts_event,
            stop_price=cmd.stop_price,
            trail_amount=cmd.trail_amount,
            trail_percent=cmd.trail_percent,
            post_only=cmd.post_only,
            reduce_only=cmd.reduce_only,
            oco_group=oco_group,
            parent_order_id=parent_order_id,
        )
        order = Order.submit(submitted)  # validates before anything is recorded
        if routing is not None:
            order.route(routing.venue, routing.candidates, routing.reason, routing.slices)
        return PreparedOrder(order, registrations, cmd.reference_price)

    def _place(self, prepared: PreparedOrder, uow: EventsToAppend, cause: Cause) -> Account:
        """Take a prepared order in: its account (the configured one is opened on first use)
        and the algorithms acting for the first time are recorded, and the order learns its
        chain and the price its controls check against. Returns the order's account."""
        order = prepared.order
        submitted = order.submitted
        assert submitted is not None
        account = self.account(uow, cause, submitted.account_id)
        for algorithm in prepared.registrations:  # the algorithms acting for the first time
            self._hold(algorithm)
            uow.save(algorithm, cause)
        order.ts_submitted = cause.ts_event
        order.correlation_id = cause.correlation_id
        order.submitted_by = cause.actor
        order.reference_price = prepared.reference_price or self.last_price.get(
            submitted.instrument_id
        )
        return account

    def _send(self, order: Order, account: Account, cause: Cause) -> list[PreTradeFailure]:
        """Send a new order to its venue: the pre-trade controls reject it (recorded with its
        breaches), or it counts as a message and the simulated venue acknowledges it (a FIX
        broker acknowledges by its own report). Returns the failures (empty: sent)."""
        submitted = order.submitted
        assert submitted is not None
        failures, scopes = self._controls_failures(submitted, account, order.reference_price, cause)
        if failures:
            order.reject("; ".join(f.message for f in failures), tuple(f.breach for f in failures))
        else:
            self._accept(order, scopes, cause)
        return failures

    def _accept(self, order: Order, scopes: list[ControlScope], cause: Cause) -> None:
        """The order passed its controls: it counts as a message, and the simulated venue
        acknowledges it as it reaches it (a FIX broker acknowledges by its own report)."""
        self.controls.count_message(scopes, cause.ts_event)  # sent to the venue
        if not self.at_broker(order):
            order.accept(ts_acknowledged=cause.ts_event + self._latency(order))

    def _trade_cached_bars(self, orders: list[Order], uow: EventsToAppend, cause: Cause) -> None:
        """Orders just sent (of one instrument) meet the bars the venue has already seen
        that start at or after they reach it, bar by bar, so a replay that sees the bar
        first decides the same as one that sees the order first."""
        sent = [o for o in orders if not o.is_held and not self.at_broker(o)]
        if not sent or sent[0].submitted is None:
            return
        for bar in list(self.bars.get(sent[0].submitted.instrument_id, ())):
            for order in sent:
                if order.is_open and bar.ts_start >= self._live_at(order):
                    self._execute(order, bar, uow, cause)

    def _validity(self, cmd: SubmitOrder, cause: Cause) -> tuple[str, int | None]:
        """The order's time in force and expiry: a DAY order's expiry is the session close
        (fixed now, recorded with it); a GTD expiry must lie after the order's receipt."""
        time_in_force = cmd.time_in_force or ("GTC" if cmd.expire_at is None else "GTD")
        if time_in_force == "DAY":
            if cmd.expire_at is not None:
                raise InvalidOrder(
                    "a DAY order expires at the session close and takes no expiry time",
                    field="expire_at",
                )
            return time_in_force, day_order_expiry(cause.ts_event, self.config.session_close_ns)
        if time_in_force == "GTD" and cmd.expire_at is not None and cmd.expire_at <= cause.ts_event:
            raise InvalidOrder(
                f"a GTD order must expire after it is received ({cause.ts_event}), got "
                f"{cmd.expire_at}",
                field="expire_at",
            )
        return time_in_force, cmd.expire_at

    def recall_arrivals(self) -> None:
        """After a restart, rebuild what the venue knew of the open orders from the bars just
        reloaded: which bar each arrived on (the first at or after its submission), so that a
        post-only order judged on arrival before the restart is not judged again on a later
        bar; where a resting order stands in its queue (from where it joined, worked off by
        every bar since); and what the firm's orders took of each bar held."""
        for order in self.working.values():
            s = order.submitted
            if s is None:
                continue
            if order.arrived_at is None:
                first = None
                for bar in reversed(self.bars.get(s.instrument_id, ())):  # recent: short
                    if bar.ts_start < self._live_at(order):
                        break
                    first = bar.ts_start
                order.arrived_at = first
            if order.queued_at is not None:
                self._recall_queue(order)
        if not self.bar_shares:
            self._recall_shares()

    def _recall_queue(self, order: Order) -> None:
        """Work the queue ahead of a resting order off by every held bar since it joined that
        this view has not worked it through yet — the steps ``_execute`` takes bar by bar."""
        s = order.submitted
        assert s is not None and s.limit_price is not None and order.queued_at is not None
        tick, venue = self._tick(s.instrument_id), self._venue_config(s.venue)
        for held in self.bars.get(s.instrument_id, ()):
            done = order.queue_worked_to
            if held.ts_start < order.queued_at or (done is not None and held.ts_start <= done):
                continue
            order.queue_worked_to = held.ts_start
            order.queue_ahead = trade_at_level(
                side=s.side,
                price=s.limit_price,
                queue_ahead=order.queue_ahead,
                high=held.high,
                low=held.low,
                volume=venue.traded_here(held.volume),
                tick=tick,
            ).queue_ahead

    def _recall_shares(self) -> None:
        """What the firm's fills at simulated venues took of each bar still held."""
        held = {i: bars[0].ts_start for i, bars in self.bars.items() if bars}
        for order in self.orders.values():
            s = order.submitted
            if s is None or not order.fill_terms or self.at_broker(order):
                continue
            oldest = held.get(s.instrument_id)
            for terms in order.fill_terms.values():
                ts = terms.ts_executed
                if oldest is None or ts is None or ts < oldest:
                    continue
                venue = terms.venue or s.venue
                self._share(s.instrument_id, venue, s.side, ts).took(terms.quantity, terms.price)

    def amend(
        self,
        order_id: UUID,
        *,
        quantity: Decimal | None = None,
        limit_price: Decimal | None = None,
        stop_price: Decimal | None = None,
        uow: EventsToAppend,
        cause: Cause,
    ) -> bool:
        """Change a working order's quantity, limit or stop price (None: unchanged). The new
        terms go through the kill switches and the pre-trade controls — on what is left to
        send, the new quantity less what is filled — and the amendment counts as a message;
        passing, the venue acknowledges it (``OrderAmended``); failing, the refusal is
        recorded (``OrderAmendRejected``) and the order works on unchanged. Returns whether it
        was amended. A malformed change raises (``InvalidOrder``, ``PriceOffTick``,
        ``QuantityOffLot``) and records nothing."""
        order = self.orders.get(order_id)
        if order is None or order.submitted is None:
            raise OrderNotFound(order_id)
        if order.slices:
            raise InvalidOrder(
                f"order {order_id} is split across venues ({', '.join(order.slices)}): cancel "
                "it and place a new one",
                field="quantity",
            )
        terms = self.instruments.get(order.submitted.instrument_id)
        if terms is not None:
            if quantity is not None:
                terms.check_quantity(quantity)
            if limit_price is not None:
                terms.check_limit_price(limit_price)
            if stop_price is not None:
                terms.check_limit_price(stop_price, field="stop_price")
        amended = order.amended_terms(quantity, limit_price, stop_price)
        account = self.accounts[amended.account_id]
        to_send = dataclasses.replace(amended, quantity=amended.quantity - order.filled)
        reference = self.last_price.get(amended.instrument_id) or order.reference_price
        failures, scopes = self._controls_failures(
            to_send, account, reference, cause, besides=order
        )
        if failures:
            order.reject_amendment(
                "; ".join(f.message for f in failures),
                tuple(f.breach for f in failures),
                quantity=quantity,
                limit_price=limit_price,
                stop_price=stop_price,
            )
        elif self.at_broker(order):  # a request the broker confirms (CHME) or refuses
            self.controls.count_message(scopes, cause.ts_event)  # sent to the broker
            order.request_replace(amended)
        else:
            self.controls.count_message(scopes, cause.ts_event)  # sent to the venue
            order.amend(amended, ts_acknowledged=cause.ts_event + self._latency(order))
        uow.save(order, cause)
        return not failures

    def _controls_failures(
        self,
        terms: OrderSubmitted,
        account: Account,
        reference: Decimal | None,
        cause: Cause,
        *,
        besides: Order | None = None,
    ) -> tuple[list[PreTradeFailure], list[ControlScope]]:
        """What a new order, or an amendment's terms still to send, meets before the venue:
        an engaged kill switch over any of its scopes, a halted instrument, no price to check
        against, then every pre-trade limit of its scopes and reduce-only. ``besides``: the
        order being amended, whose current terms the cash control leaves out. Returns the
        failures (empty: it may go) and the order's scopes (to count the message)."""
        scopes = list(order_scopes(terms))
        switch = self.controls.engaged_over(scopes)
        halt = self.halts.get(terms.instrument_id)
        priced = reference or terms.limit_price or terms.stop_price
        if switch is not None:
            failures = [kill_switch_engaged(ControlScope.parse(switch.scope), switch.reason)]
        elif halt is not None and halt.halted:
            failures = [trading_halted(terms.instrument_id, halt.reason)]
        elif priced is None:
            failures = [no_reference_price(terms.instrument_id)]
        else:
            now = cause.ts_event
            failures = pretrade_failures(
                terms,
                account=account,
                reference_price=priced,
                open_buy_notional=self._open_buy_notional(terms.account_id, besides=besides),
                limits=self.config.limits,
                scoped=self.controls.scoped_limits(scopes),
                messages_sent=lambda scope: self.controls.messages_sent(scope, now),
                price_before=lambda window: self._price_before(terms.instrument_id, now, window),
            )
        if terms.reduce_only:
            reduce = reduce_only_failure(terms, account.position(terms.instrument_id))
            failures += [] if reduce is None else [reduce]
        return failures, scopes

    def _price_before(self, instrument_id: str, now: int, window_s: int) -> Decimal | None:
        """The market price at the start of the last ``window_s`` seconds: the open of the
        first bar starting in the window (None: no bar in it)."""
        marks = self.price_marks.get(instrument_id)
        if not marks:
            return None
        since = now - window_s * 1_000_000_000
        at = bisect_left(marks, since, key=lambda mark: mark[0])
        return marks[at][1] if at < len(marks) and marks[at][0] <= now else None

    def cancel(self, order_id: UUID, reason: str, uow: EventsToAppend, cause: Cause) -> None:
        """Cancel an order: at once at the simulated venue (or while held); at a FIX broker
        by a request (``OrderCancelRequested``) the broker confirms or refuses, meanwhile the
        order may still fill."""
        order = self.orders.get(order_id)
        if order is None or order.submitted is None:
            raise OrderNotFound(order_id)
        if self.at_broker(order):
            order.request_cancel(reason)
            self.controls.count_message(order_scopes(order.submitted), cause.ts_event)
            uow.save(order, cause)
            return
        held = order.is_held
        order.cancel(reason)
        if not held:  # a held order was never sent: cancelling it sends nothing either
            self.controls.count_message(order_scopes(order.submitted), cause.ts_event)
        self._track(order)
        uow.save(order, cause)
        self._settle_contingencies(order, uow, cause)

    def open_account(self, spec: OpenAccount, uow: EventsToAppend, cause: Cause) -> Account:
        """Open an account by command, with its ledger's starting cash and its configuration
        (owner, what it may trade), in one append. An account id is opened once."""
        if not _ACCOUNT_ID.match(spec.account_id):
            raise InvalidAccount(
                f"an account id is 1-64 letters, digits or ._- (starting with a letter or "
                f"digit), got {spec.account_id!r}",
                field="account_id",
            )
        if spec.account_id in self.accounts:
            raise AccountAlreadyOpen(spec.account_id)
        if not _CURRENCY.match(spec.currency):
            raise InvalidAccount(
                f"currency must be an ISO 4217 code (3 capital letters), got {spec.currency!r}",
                field="currency",
            )
        cash = spec.initial_cash
        if not cash.is_finite() or not 0 <= cash <= MAX_INITIAL_CASH:
            raise InvalidAccount(
                f"initial cash must be between 0 and {MAX_INITIAL_CASH:E}, got {cash}",
                field="initial_cash",
            )
        account = Account.open(spec.account_id, spec.currency, cash)
        account.configure(
            owner=spec.owner,
            allowed_instruments=spec.allowed_instruments,
            allowed_strategies=spec.allowed_strategies,
            reason=spec.reason,
        )  # refuses a bad owner, list or reason before anything is held
        self._hold(account)
        uow.save(account, cause)
        return account

    def configure_account(
        self,
        account_id: str,
        *,
        owner: str | None,
        allowed_instruments: tuple[str, ...] | None,
        allowed_strategies: tuple[str, ...] | None,
        reason: str,
        uow: EventsToAppend,
        cause: Cause,
    ) -> Account:
        account = self.accounts.get(account_id)
        if account is None:
            raise UnknownAccount(account_id)
        account.configure(
            owner=owner,
            allowed_instruments=allowed_instruments,
            allowed_strategies=allowed_strategies,
            reason=reason,
        )
        uow.save(account, cause)
        return account

    # -- a FIX broker's execution reports ---------------------------------------------------
    def on_broker_report(self, report: VenueReport, uow: EventsToAppend, cause: Cause) -> bool:
        """Record what a FIX broker reported of one of our orders (ClOrdID: the order id in
        hex, or ``<hex>.<n>`` for its n-th cancel or replace): New -> accepted; a trade -> a
        fill (once per ExecID, kept with the fill, so a report delivered again — even after a
        restart — is recognised; a fill while a cancel is pending is a fill); Canceled /
        Expired -> cancelled / expired; Replaced -> the pending replace's terms
        (``OrderAmended``); a cancel reject -> the pending request refused; Rejected ->
        rejected (or cancelled, if it was working). Other reports (pending states,
        restatements, status) change nothing. Returns whether anything was recorded."""
        try:
            order_id = order_id_of_ref(report.order_ref)
        except ValueError:
            log.warning("a broker report for an order that is not ours: %s", report.order_ref)
            return False
        order = self.orders.get(order_id)
        if order is None or order.submitted is None or not self.at_broker(order):
            log.warning("a broker report for an order the broker should not have: %s", order_id)
            return False
        s, kind, when = order.submitted, report.kind, report.transact_time or cause.ts_event
        # the broker's facts belong to the order's chain (its lineage walks to them)
        cause = dataclasses.replace(
            cause, correlation_id=order.correlation_id or cause.correlation_id
        )
        if kind == "NEW" and order.status is OrderStatus.NEW:
            order.accept(ts_acknowledged=when)
        elif kind == "TRADE" and report.exec_id not in order.venue_fill_ids and order.is_open:
            if order.status is OrderStatus.NEW:  # its New report was lost: it was accepted
                order.accept(ts_acknowledged=when)
            account = self.accounts[s.account_id]
            quantity, price = report.last_qty, report.last_px
            assert quantity is not None and price is not None
            fee = report.commission or Decimal(0)
            order.fill(
                quantity,
                price,
                fee,
                short_selling=short_selling_indicator(
                    s.side,
                    quantity,
                    account.position(s.instrument_id),
                    exempt=self.config.short_sale_exempt,
                ),
                venue_transaction_id=report.exec_id,
                ts_executed=when,
                ts_received=cause.ts_event,
            )
            account.book_fill(
                order_id=order.id,
                instrument_id=s.instrument_id,
                side=s.side,
                quantity=quantity,
                price=price,
                fee=fee,
            )
            uow.save(account, cause)
        elif kind in ("CANCELED", "EXPIRED") and order.is_open:
            if order.status is OrderStatus.NEW:
                order.accept(ts_acknowledged=when)
            asked = order.pending_request
            if kind == "EXPIRED":
                order.expire(f"at the broker: {report.text or 'its time in force ran out'}")
            elif isinstance(asked, OrderCancelRequested):
                order.cancel(f"{asked.reason} (confirmed by the broker)")
            else:
                order.cancel(f"cancelled at the broker{': ' + report.text if report.text else ''}")
        elif kind == "REPLACED" and self._answers(order, report, OrderReplaceRequested):
            order.confirm_replace(ts_acknowledged=when)
        elif kind == "CANCEL_REJECTED" and self._answers(order, report, None):
            assert report.request_ref is not None
            order.refuse_request(report.request_ref, report.text or "no reason given")
        elif kind == "REJECTED" and order.status is OrderStatus.NEW:
            order.reject(f"rejected by the broker: {report.text or 'no reason given'}")
        elif kind == "REJECTED" and order.is_open:
            order.cancel(f"rejected by the broker: {report.text or 'no reason given'}")
        else:
            return False
        self._track(order)
        uow.save(order, cause)
        return True

    @staticmethod
    def _answers(order: Order, report: VenueReport, kind: type | None) -> bool:
        """The report answers the order's pending request (of ``kind``, if given)."""
        asked = order.pending_request
        return (
            asked is not None
            and asked.request_id == report.request_ref
            and (kind is None or isinstance(asked, kind))
        )

    # -- venue operations -------------------------------------------------------------------
    def halt_trading(
        self, instrument_id: str, reason: str, uow: EventsToAppend, cause: Cause
    ) -> None:
        """Halt trading in an instrument at the simulated venue: working orders rest
        untouched, new ones are rejected, until resumed."""
        if instrument_id not in self.instruments:
            raise UnknownInstrument(instrument_id)
        halt = self.halts.get(instrument_id) or InstrumentHalt.for_instrument(instrument_id)
        halt.halt(reason)
        self._hold(halt)
        uow.save(halt, cause)

    def resume_trading(
        self, instrument_id: str, reason: str, uow: EventsToAppend, cause: Cause
    ) -> None:
        halt = self.halts.get(instrument_id) or InstrumentHalt.for_instrument(instrument_id)
        halt.resume(reason)  # refuses an instrument that is not halted
        uow.save(halt, cause)

    # -- reconciliation -------------------------------------------------------------------
    def reconcile(
        self, account_id: str, statement: Statement, uow: EventsToAppend, cause: Cause
    ) -> PositionsReconciled:
        """Compare the account's positions and cash as of the statement's time (its ledger
        folded up to then, from the store) with the statement, and record the result —
        breaks and all — once per statement."""
        account = self.accounts.get(account_id)
        if account is None:
            raise UnknownAccount(account_id)
        positions: dict[str, Decimal] = {}
        cash = Decimal(0)
        for envelope in self.store.aggregate_events(account.id):
            if envelope.ts_event > statement.as_of:
                break
            event = envelope.event
            if isinstance(event, AccountOpened):
                cash = event.initial_cash
            elif isinstance(event, FillBooked | FillBookingCorrected):
                cash, positions[event.instrument_id] = event.cash_after, event.position_after
        reconciliation = Reconciliation.of(account_id, statement, ours=positions, cash_ours=cash)
        if reconciliation.id in self._aggregates:
            raise StatementAlreadyReconciled(account_id, statement.source, statement.as_of)
        self._hold(reconciliation)
        uow.save(reconciliation, cause)
        assert reconciliation.recorded is not None
        return reconciliation.recorded

    # -- controls (RTS 6) -----------------------------------------------------------------
    def cancel_all(
        self, scope: ControlScope, reason: str, uow: EventsToAppend, cause: Cause
    ) -> list[UUID]:
        """Cancel every working order in ``scope`` (new orders are not blocked: that is the
        kill switch). Returns the orders cancelled, in submission order."""
        reason = checked_reason(reason)
        return self._stop_all(self._working_in(scope), reason, uow, cause)

    def engage_kill_switch(
        self, scope: ControlScope, reason: str, uow: EventsToAppend, cause: Cause
    ) -> list[UUID]:
        """Engage the kill switch of ``scope``: cancel every working order in it, in the same
        append, and reject every new one until released. Returns the orders cancelled."""
        switch = self.controls.switch(scope)
        in_scope = self._working_in(scope)
        at_once = sum(1 for order in in_scope if not self.at_broker(order))
        switch.engage(reason, at_once)  # refuses a bad reason or a switch already on
        self._hold(switch)
        uow.save(switch, cause)
        reason = f"kill switch of {scope} engaged: {switch.reason}"
        return self._stop_all(in_scope, reason, uow, cause)

    def _stop_all(
        self, orders: list[Order], reason: str, uow: EventsToAppend, cause: Cause
    ) -> list[UUID]:
        """Cancel each order with ``reason``: at once at the simulated venue (and while held),
        by a cancel request at a FIX broker (which confirms it with its report; one already
        pending is left to its answer; a pending replace is superseded). Returns the orders
        cancelled at once."""
        cancelled = []
        for order in orders:
            if not self.at_broker(order):
                order.cancel(reason)
                cancelled.append(order)
                self._track(order)
            elif not isinstance(order.pending_request, OrderCancelRequested):
                order.request_cancel(reason)
                assert order.submitted is not None
                self.controls.count_message(order_scopes(order.submitted), cause.ts_event)
            uow.save(order, cause)
        self._settle_all(cancelled, uow, cause)  # group members outside the scope
        return [order.id for order in cancelled]

    def _working_in(self, scope: ControlScope) -> list[Order]:
        """The open orders in ``scope`` (is_open: an order filled on this very bar may not be
        untracked yet when a throttle engages), held OTO children and orders working at a
        FIX broker included."""
        return [
            order
            for order in (*self.working.values(), *self.held.values())
            if order.is_open
            and order.submitted is not None
            and scope in order_scopes(order.submitted)
        ]

    def release_kill_switch(
        self, scope: ControlScope, reason: str, uow: EventsToAppend, cause: Cause
    ) -> None:
        switch = self.controls.switches.get(scope) or KillSwitch.for_scope(scope)
        switch.release(reason)  # refuses a switch that is not engaged
        uow.save(switch, cause)

    def set_risk_limits(
        self, scope: ControlScope, limits: Limits, reason: str, uow: EventsToAppend, cause: Cause
    ) -> None:
        recorded = self.controls.limits_of(scope)
        recorded.set(limits, reason)
        self._hold(recorded)
        uow.save(recorded, cause)

    def correct_fill(
        self,
        order_id: UUID,
        fill_seq: int,
        *,
        price: Decimal,
        fee: Decimal,
        reason: str,
        uow: EventsToAppend,
        cause: Cause,
    ) -> None:
        """Correct a fill's price and fee: the order records the correction beside the fill
        (naming the fill's store position), and the account re-books the cash it makes."""
        order = self.orders.get(order_id)
        if order is None or order.submitted is None:
            raise OrderNotFound(order_id)
        terms = order.fill_terms.get(fill_seq)
        corrected_position = (
            0 if terms is None else self.store.position_of(order.id, terms.version) or 0
        )
        order.correct_fill(
            fill_seq, price=price, fee=fee, reason=reason, corrected_position=corrected_position
        )
        assert terms is not None  # correct_fill refused an unknown fill
        submitted = order.submitted
        self.accounts[submitted.account_id].correct_fill_booking(
            order_id=order.id,
            fill_seq=fill_seq,
            instrument_id=submitted.instrument_id,
            side=submitted.side,
            quantity=terms.quantity,
            previous_price=terms.price,
            previous_fee=terms.fee,
            price=price,
            fee=fee,
        )
        uow.save(order, cause)
        uow.save(self.accounts[submitted.account_id], cause)

    def on_bar(self, instrument_id: str, bar: VenueBar, uow: EventsToAppend, cause: Cause) -> None:
        """The venue's turn on a bar: every order live by then, in price-time priority (they
        share the bar, see ``book``)."""
        live = [o for o in self._open_orders(instrument_id) if self._live_at(o) <= bar.ts_start]
        for order in sorted(live, key=self._priority):
            # is_open: a throttle tripped by an earlier fill on this bar may have cancelled it
            if order.is_open and not self._out_of_reach(order, bar):
                self._execute(order, bar, uow, cause)

    @staticmethod
    def _out_of_reach(order: Order, bar: VenueBar) -> bool:
        """A resting order the bar leaves as it was: it did not reach the order's level (so
        its queue stands), and the order neither expires on it nor depends on the position
        (reduce-only). Most of a deep book on most bars: skipped at the cost of a comparison."""
        s = order.submitted
        if order.queued_at is None or s is None or s.limit_price is None or s.reduce_only:
            return False
        if s.expire_at is not None and bar.ts_start >= s.expire_at:
            return False
        if bar.low > s.limit_price if s.side == "BUY" else bar.high < s.limit_price:
            order.queue_worked_to = bar.ts_start
            return True
        return False

    def _priority(self, order: Order) -> tuple[int, Decimal, int, int]:
        """Price-time priority at the venue: market orders, then limits best price first,
        then conditional orders (which trigger during the bar); within a price, the one
        resting longest (joined its queue first), then the one submitted first (the sort is
        stable: orders submitted at the same instant keep the order they were received in).

        One exception, for a bar that crosses both exits of a bracket: a bar has no path, so
        whether the price reached the take-profit or the stop-loss first is unknown. The venue
        takes the adverse reading, as it does for a trailing stop: a conditional member of an
        OCO group goes before the limits, so the stop-loss fills and cancels its partner — a
        backtest never books a profit the market may not have given."""
        s = order.submitted
        assert s is not None
        if not order.is_live:
            rank, price = (1 if s.oco_group is not None else 3), Decimal(0)
        elif order.live_type == "MARKET" or s.limit_price is None:
            rank, price = 0, Decimal(0)
        else:
            rank, price = 2, -s.limit_price if s.side == "BUY" else s.limit_price
        queued = order.queued_at if order.queued_at is not None else self._live_at(order)
        return rank, price, queued, order.ts_submitted

    # -- internals ----------------------------------------------------------------
    def _execute(self, order: Order, bar: VenueBar, uow: EventsToAppend, cause: Cause) -> None:
        """What the venue does with one open order on one bar, all decided on the bar clock
        (never the wall clock), so a replay decides the same: expire it (DAY/GTD), cancel a
        reduce-only order with nothing left to reduce, trigger a conditional order, refuse a
        post-only order that would take liquidity on arrival, fill (FOK: all or nothing) and
        expire what an IOC or FOK order leaves on its one bar."""
        s = order.submitted
        assert s is not None
        level = self._work_queue(order, bar)  # the market traded at its level, halted or not
        halt = self.halts.get(s.instrument_id)
        if (
            halt is not None
            and halt.halted
            and not (s.expire_at is not None and bar.ts_start >= s.expire_at)
        ):
            return  # halted: the order rests untouched (it may still expire)
        arriving = order.arrived_at in (None, bar.ts_start)
        order.arrived_at = bar.ts_start if order.arrived_at is None else order.arrived_at
        cause = self._fill_cause(order, bar, cause)
        account = self.accounts[s.account_id]
        remaining = order.remaining
        if s.reduce_only:
            remaining = min(
                remaining, reducible_quantity(s.side, account.position(s.instrument_id))
            )
        if s.expire_at is not None and bar.ts_start >= s.expire_at:
            # Expiry on the bar clock, decided here and only here: replay-stable.
            order.expire(f"unfilled at {s.expire_at} ({s.time_in_force})")
        elif remaining == 0:
            order.cancel("reduce-only: no position left to reduce")
        elif order.slices:
            self._execute_slices(order, bar, remaining, account, uow, cause)
        elif not order.is_live:
            execution = self._trigger(order, bar, remaining, uow, cause)
            if execution is not None:
                self._fill(order, execution, bar, account, uow, cause)
        elif s.post_only and arriving and marketable(s.side, s.limit_price, bar.open):  # type: ignore[arg-type]
            order.reject(
                f"post-only: limit {s.limit_price} would take liquidity against the open "
                f"{bar.open} on arrival",
                (ControlBreach("post_only", s.limit_price, bar.open),),
            )
        else:
            resting = self._rests(order, bar)
            if resting and order.queued_at is None:
                level = self._join_queue(order, bar)
            execution = match(
                side=s.side,
                order_type=order.live_type,
                limit_price=s.limit_price,
                remaining=remaining,
                bar=bar,
                config=self._venue_config(s.venue),
                maker_only=s.post_only or resting,
                room=self._room(order, bar, level if resting else None),
            )
            if s.time_in_force == "FOK" and (
                execution is None or execution.quantity < remaining or remaining < order.remaining
            ):
                order.expire(
                    f"FOK: {order.remaining} not fillable in full on the bar at {bar.ts_start}"
                )
            elif execution is not None:
                self._fill(order, execution, bar, account, uow, cause)
            if s.time_in_force == "IOC" and order.is_open:
                order.expire(f"IOC: {order.remaining} left after the bar at {bar.ts_start}")
        self._track(order)
        uow.save(order, cause)
        self._settle_contingencies(order, uow, cause)

    def _trigger(
        self, order: Order, bar: VenueBar, remaining: Decimal, uow: EventsToAppend, cause: Cause
    ) -> Execution | None:
        """A conditional order on a bar: trigger it if the bar crosses its trigger, and return
        its fill in the same bar; else let a trailing stop follow the bar's best price."""
        s = order.submitted
        assert s is not None
        trailing = s.order_type == "TRAILING_STOP"
        if trailing:
            best = bar.open if order.best_price is None else order.best_price
            best = max(best, bar.open) if s.side == "SELL" else min(best, bar.open)
            stop = trailing_trigger(s.side, best, s.trail_amount, s.trail_percent)
        else:
            assert s.stop_price is not None
            best, stop = bar.open, s.stop_price
        if not crossed(order_type=s.order_type, side=s.side, trigger_price=stop, bar=bar):
            if trailing and (moved := better(s.side, best, bar)) != order.best_price:
                trigger = trailing_trigger(s.side, moved, s.trail_amount, s.trail_percent)
                order.move_trailing_stop(moved, trigger, bar.ts_start)
            return None
        order.trigger(stop, bar.ts_start)
        uow.save(order, cause)  # recorded before the fill it leads to
        return fill_on_trigger(
            side=s.side,
            order_type=s.order_type,
            live_type=order.live_type,
            trigger_price=stop,
            limit_price=s.limit_price,
            remaining=remaining,
            bar=bar,
            config=self._venue_config(s.venue),
            room=self._room(order, bar, None),
        )

    def _execute_slices(
        self,
        order: Order,
        bar: VenueBar,
        remaining: Decimal,
        account: Account,
        uow: EventsToAppend,
        cause: Cause,
    ) -> None:
        """A market order split across venues: each venue fills what is left of its slice,
        once the order has reached it, on its own terms (slippage, fees, share of the bar)."""
        s = order.submitted
        assert s is not None
        for venue, quantity in order.slices.items():
            left = min(remaining, quantity - order.filled_at.get(venue, Decimal(0)))
            if left <= 0 or self._live_at(order, venue) > bar.ts_start:
                continue
            execution = match(
                side=s.side,
                order_type="MARKET",
                limit_price=None,
                remaining=left,
                bar=bar,
                config=self._venue_config(venue),
                room=self._room(order, bar, None, venue),
            )
            if execution is not None:
                self._fill(order, execution, bar, account, uow, cause, venue)
                remaining -= execution.quantity
            if not order.is_open:
                break

    # -- the venue's book (see adapters.venues.book) ------------------------------------
    def _rests(self, order: Order, bar: VenueBar) -> bool:
        """The live limit order rests in the book on this bar: it would not trade at the
        open, or — queued already — the bar opened at its level without trading through it.
        IOC and FOK orders never rest: they live for their one bar."""
        s = order.submitted
        assert s is not None
        if order.live_type != "LIMIT" or s.limit_price is None or s.time_in_force in IOC_FOK:
            return False
        if order.queued_at is not None and bar.open == s.limit_price:
            return True
        return not marketable(s.side, s.limit_price, bar.open)

    def _join_queue(self, order: Order, bar: VenueBar) -> LevelTrade:
        """Put the order in its level's queue at this bar's open (``OrderQueued``) and let
        the bar trade at the level."""
        s = order.submitted
        assert s is not None and s.limit_price is not None
        venue = self._venue_config(s.venue)
        ahead = queue_on_joining(
            side=s.side,
            price=s.limit_price,
            open_price=bar.open,
            volume=venue.traded_here(bar.volume),
            half_spread_bps=venue.slippage_bps,
            resting_depth_fraction=venue.resting_depth_fraction,
        )
        order.join_queue(s.limit_price, ahead, bar.ts_start)
        order.queue_ahead = ahead
        level = self._work_queue(order, bar)
        assert level is not None
        return level

    def _work_queue(self, order: Order, bar: VenueBar) -> LevelTrade | None:
        """What the bar traded at a queued order's level, and what rests ahead of it after
        (None: the order is not in the book)."""
        s = order.submitted
        assert s is not None
        if order.queued_at is None or s.limit_price is None:
            return None
        level = trade_at_level(
            side=s.side,
            price=s.limit_price,
            queue_ahead=order.queue_ahead,
            high=bar.high,
            low=bar.low,
            volume=self._venue_config(s.venue).traded_here(bar.volume),
            tick=self._tick(s.instrument_id),
        )
        order.queue_ahead, order.queue_worked_to = level.queue_ahead, bar.ts_start
        return level

    def _room(
        self, order: Order, bar: VenueBar, level: LevelTrade | None, venue: str | None = None
    ) -> Decimal:
        """What the order may take of the bar at its venue (``venue``: a split order's slice's):
        the venue's participation cap less what the firm's orders ahead of it took on the same
        side; for a resting order on a bar that only touched its level, at most what reached
        the front of the queue less what orders ahead of it at that level took."""
        s = order.submitted
        assert s is not None
        venue = venue or s.venue
        share = self._share(s.instrument_id, venue, s.side, bar.ts_start)
        room = self._venue_config(venue).participation_cap(bar.volume) - share.taken
        if level is not None and not level.through:
            assert s.limit_price is not None
            room = min(room, level.reached - share.taken_at(s.limit_price))
        return max(Decimal(0), room)

    def _share(self, instrument_id: str, venue: str | None, side: str, ts_start: int) -> BarShare:
        key = (instrument_id, venue, side, ts_start)
        share = self.bar_shares.get(key)
        if share is None:
            share = self.bar_shares[key] = BarShare()
        return share

    def _tick(self, instrument_id: str) -> Decimal:
        terms = self.instruments.get(instrument_id)
        return DEFAULT_TICK_SIZE if terms is None else terms.tick_size

    def _fill(
        self,
        order: Order,
        execution: Execution,
        bar: VenueBar,
        account: Account,
        uow: EventsToAppend,
        cause: Cause,
        venue: str | None = None,
    ) -> None:
        """Record an execution at the order's venue (``venue``: a split order's slice's)."""
        s = order.submitted
        assert s is not None
        venue = venue or s.venue
        order.fill(
            execution.quantity,
            execution.price,
            execution.fee,
            short_selling=short_selling_indicator(
                s.side,
                execution.quantity,
                account.position(s.instrument_id),
                exempt=self.config.short_sale_exempt,
            ),
            venue_transaction_id=venue_trade_id(order.id, order.fills + 1, bar.ts_start),
            ts_executed=bar.ts_start,  # the simulated venue executes at the bar's open
            ts_received=cause.ts_event + self._latency(order, venue),  # its report's way back
            venue=venue,
        )
        account.book_fill(
            order_id=order.id,
            instrument_id=s.instrument_id,
            side=s.side,
            quantity=execution.quantity,
            price=execution.price,
            fee=execution.fee,
        )
        self._share(s.instrument_id, venue, s.side, bar.ts_start).took(
            execution.quantity, execution.price
        )
        uow.save(order, cause)
        uow.save(account, cause)
        self._throttle(order, uow, cause)
        self._settle_contingencies(order, uow, cause)

    def _throttle(self, order: Order, uow: EventsToAppend, cause: Cause) -> None:
        """The repeated-execution throttle (RTS 6 Art. 15): a fill beyond a scope's
        ``max_executions_per_minute`` engages that scope's kill switch, on the venue's clock
        (replay-stable), in the same unit of work as the fill; a person releases it."""
        assert order.submitted is not None
        for scope, count, limit in self.controls.throttled(
            order_scopes(order.submitted), cause.ts_event
        ):
            reason = (
                f"repeated-execution throttle: {count} executions in 60 s exceed the limit of "
                f"{limit}; a person must release the switch"
            )
            throttle = dataclasses.replace(cause, actor=THROTTLE_ACTOR)
            self.engage_kill_switch(scope, reason, uow, throttle)

    def _route(self, cmd: SubmitOrder) -> RoutingDecision | None:
        """With more than one venue configured, where the order goes and why (None: one
        venue, nothing to choose). No market price yet: the first configured venue."""
        if not self.config.venues:
            return None
        typical = self._typical_volume(cmd.instrument_id) if self._splittable(cmd) else None
        venues = [
            VenueTerms(
                v.mic,  # type: ignore[arg-type]
                v.slippage_bps,
                v.fee_bps,
                None if typical is None else v.participation_cap(typical),
            )
            for v in (self.config.venue, *self.config.venues)
        ]
        reference = (
            cmd.reference_price
            or self.last_price.get(cmd.instrument_id)
            or cmd.limit_price
            or cmd.stop_price
        )
        if reference is None:
            first = venues[0].venue
            return RoutingDecision(first, (), f"no market price known yet: {first}, the first")
        terms = self.instruments[cmd.instrument_id]
        quantity = None if typical is None else cmd.quantity
        return route(cmd.side, reference, venues, quantity=quantity, lot=terms.lot_size)

    def _splittable(self, cmd: SubmitOrder) -> bool:
        """Routing splits market orders that work over bars (not IOC/FOK, whose one bar
        allows no second venue's latency to matter), and none while a FIX broker is among
        the venues (its fills come from its reports, not from a slice of a bar)."""
        return (
            cmd.order_type == "MARKET"
            and cmd.time_in_force not in IOC_FOK
            and self.config.fix_broker_mic is None
        )

    def _typical_volume(self, instrument_id: str) -> Decimal | None:
        """The mean volume of the instrument's last ``TYPICAL_BARS`` bars (None: none yet)."""
        marks = self.price_marks.get(instrument_id)
        if not marks:
            return None
        recent = [marks[-i][2] for i in range(1, min(TYPICAL_BARS, len(marks)) + 1)]
        return sum(recent, Decimal(0)) / len(recent)

    def _latency(self, order: Order, venue: str | None = None) -> int:
        """The order's one-way latency to its venue, or to ``venue`` (0 unless the venue
        models it)."""
        s = order.submitted
        if s is None:
            return 0
        return self._venue_config(venue or s.venue).latency(order.id)

    def _live_at(self, order: Order, venue: str | None = None) -> int:
        """When the order reaches its venue (``venue``: that slice's; a split order: its
        nearest venue): it trades on the first bar starting then or after. An activated OTO
        child trades from the bar after the one its parent ended on at the earliest: the venue
        has no time within a bar, so a child cannot be placed ahead of what that bar already
        did."""
        if venue is None and order.slices:
            live = order.ts_submitted + min(self._latency(order, v) for v in order.slices)
        else:
            live = order.ts_submitted + self._latency(order, venue)
        return live if order.activated_at is None else max(live, order.activated_at + 1)

    def _venue_config(self, mic: str | None) -> SimulatedVenueConfig:
        """The simulated venue an order was routed to (its ``OrderSubmitted.venue``)."""
        for venue in self.config.venues:
            if venue.mic == mic:
                return venue
        return self.config.venue

    def _venue(self, terms: InstrumentTerms) -> str | None:
        """The MIC the simulated exchange executes this instrument under (None: unknown)."""
        mic = self.config.venue.mic or terms.mic
        return None if mic is None else reported_venue(mic, admitted_to_trading=True)

    def _decision_makers(
        self, cmd: SubmitOrder, cause: Cause
    ) -> tuple[Responsible | None, Responsible | None, list[RegisteredAlgorithm]]:
        """Who decided and who executes (RTS 22 fields 57 and 59), and the algorithms to
        register because they act for the first time (recorded only if the order is)."""
        if cmd.origin != "STRATEGY":
            person = cmd.person
            if person is None and cause.actor.startswith("person:"):
                person = cause.actor.removeprefix("person:")
            if not person:
                return None, None, []
            return Responsible("PERSON", person), Responsible("PERSON", person), []
        registrations: list[RegisteredAlgorithm] = []

        def algorithm(name: str, role: AlgorithmRole) -> Responsible:
            for pending in registrations:
                if pending.name == name:
                    return Responsible("ALGO", pending.algo_code)
            code, new = self.algorithms.code_for(
                name, role, cmd.order_id, taken={a.algo_code for a in registrations}
            )
            if new is not None:
                registrations.append(new)
            return Responsible("ALGO", code)

        decision = algorithm(cmd.algo_id, "DECISION") if cmd.algo_id else None
        return decision, algorithm(self.config.execution_algo, "EXECUTION"), registrations

    @staticmethod
    def _fill_cause(order: Order, bar: VenueBar, cause: Cause) -> Cause:
        """The venue acts at the bar's open, caused by that bar, within the order's chain:
        the same record whichever path (bar first or order first) led here."""
        if bar.event_id is None:  # a bar not from the store (direct callers, tests)
            return dataclasses.replace(cause, ts_event=bar.ts_start, actor=VENUE_ACTOR)
        return Cause(
            ts_event=bar.ts_start,
            actor=VENUE_ACTOR,
            correlation_id=order.correlation_id or cause.correlation_id,
            causation_id=bar.event_id,
            watermarks={"ingestion": bar.position},
        )

    def _track(self, order: Order) -> None:
        """Keep ``working`` to the open orders sent to a venue, so that a bar and a pre-trade
        check look at those, not at every order ever placed (each would cost O(history)),
        and ``held`` to the OTO children not sent yet (no bar or control sees them)."""
        if order.is_held:
            self.held[order.id] = order
            return
        self.held.pop(order.id, None)
        if order.is_open:
            self.working[order.id] = order
        else:
            self.working.pop(order.id, None)

    def _open_orders(self, instrument_id: str) -> Iterable[Order]:
        """The working orders the simulated venue fills on this instrument's bars (a FIX
        broker's orders are filled by its reports)."""
        fix = self.config.fix_broker_mic
        return [
            o
            for o in self.working.values()
            if o.submitted is not None
            and o.submitted.instrument_id == instrument_id
            and (fix is None or o.submitted.venue != fix)
        ]

    def at_broker(self, order: Order) -> bool:
        """The order was routed to the FIX broker."""
        fix = self.config.fix_broker_mic
        return fix is not None and order.submitted is not None and order.submitted.venue == fix

    def _open_buy_notional(self, account_id: str, *, besides: Order | None = None) -> Decimal:
        """What the account's working buys may still cost (``besides``: leave one out, the
        order being amended, whose new terms are checked on their own). On every submit's
        path: one pass, identity comparisons, no property calls."""
        total, last_price, zero = Decimal(0), self.last_price, Decimal(0)
        for o in self.working.values():
            s = o.submitted
            if s is None or s.side != "BUY" or s.account_id != account_id or o is besides:
                continue
            price = s.limit_price or last_price.get(s.instrument_id) or o.reference_price or zero
            total += (s.quantity - o.filled) * price
        return total


def order_scopes(submitted: OrderSubmitted) -> OrderScopes:
    """The control scopes an order falls under: its account and instrument, the strategy
    (investment-decision algorithm) of a strategy order, the person who placed a manual one,
    and the venue it is routed to."""
    decision = submitted.investment_decision
    return OrderScopes(
        account_id=submitted.account_id,
        instrument_id=submitted.instrument_id,
        strategy=submitted.algo_id,
        trader=decision.id if decision is not None and decision.kind == "PERSON" else None,
        venue=submitted.venue,
    )


def strategy_order_id(decision_event_id: UUID) -> UUID:
    return order_id_for(f"decision/{decision_event_id}")
