"""``quantvista demo``: a simulated trading session through all six contexts.

Starts (or connects to) PostgreSQL and Pulsar, lists the instruments, feeds the bars (the
shipped sample, a user's CSV, or the seeded synthetic market), shows progress while every
context works, prints the session summary, writes it under ``<data-dir>/reports/``, and serves
GraphQL until interrupted. Running it again continues from the stored state.
"""

from __future__ import annotations

import json
import logging
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import islice
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from bounded_contexts.ingestion.adapters.csv_replay import read_bars, read_instruments, sample_path
from bounded_contexts.ingestion.adapters.synthetic_feed import SeededMarket, SyntheticFeedConfig
from bounded_contexts.ingestion.application.synthetic_schedule import seeded_feed
from bounded_contexts.ingestion.domain.bars import RawBar
from bounded_contexts.ingestion.domain.synthetic_schedule import SeedMismatch
from bounded_contexts.support.application.reporting import SessionReport, session_report
from gateway.security import INSECURE_NOTICE
from quantvista.config import ConfigurationError, Settings
from quantvista.embedded import Infrastructure
from quantvista.platform import ComponentsFailing, Platform
from quantvista.security import DEMO_USERS, Identity, configure, create_demo_users

FIRST_SYNTHETIC_SESSION = date(2026, 11, 16)
FEED_CHUNK = 250
DEMO_TOKEN_TTL_S = 8 * 3600


@dataclass(frozen=True)
class DemoOptions:
    bars: Path | None = None
    instruments: Path | None = None
    seed: int | None = None
    days: int = 1
    fresh: bool = False
    serve: bool = True


def run_demo(
    settings: Settings, options: DemoOptions, console: Console | None = None
) -> SessionReport:
    console = console or Console()
    if options.fresh:
        _wipe(settings, console)
    # The demo is interactive: a component's failures are counted in the summary and the
    # health table, and what ends the run is said once; a line per retry would bury it.
    logging.getLogger("events.component").setLevel(logging.ERROR)
    logging.getLogger("events.consumer").setLevel(logging.ERROR)
    with Infrastructure.start(settings) as infra:
        platform = Platform.configured(infra.database_url, infra.pulsar_url, settings)
        try:
            platform.create_tables()
            platform.build()
            platform.start()
            report = _session(platform, options, console)
            _write_report(settings.data_dir, report)
            failing = platform.failures()
            for failure in failing:
                console.print(f"[yellow]degraded:[/] {failure}")
            identity = configure(settings, infra.database_url, platform.stores["support"])
            create_demo_users(identity)
            _show_access(identity, settings, console)
            if options.serve:
                from quantvista.serving import serve_gateway

                serve_gateway(platform, infra.database_url, settings, console, identity=identity)
            elif failing:
                raise ComponentsFailing(
                    "the session completed, but components are still failing: " + "; ".join(failing)
                )
            return report
        finally:
            platform.close()


def _session(platform: Platform, options: DemoOptions, console: Console) -> SessionReport:
    ingestion = platform.ingestion
    instruments_file = options.instruments or sample_path("instruments.csv")
    listed = ingestion.list_instruments(
        read_instruments(instruments_file), actor="feed:reference-data"
    )
    skipped = [0]
    rows, source = _bar_source(platform, options, skipped, console)
    console.print(
        f"[bold]QuantVista demo[/] — {len(ingestion.instruments)} instruments "
        f"({listed} newly listed), bars from {source}"
    )
    started = time.monotonic()
    start_head = platform.stores["ingestion"].head()
    fed = 0
    execution = next(c for c in platform.consumers if c.name == "execution.orders")
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as progress:
        ingest_task = progress.add_task("bars ingested        ", total=None)
        pipe_task = progress.add_task("events through execution", total=None)
        chunks = iter(lambda: list(islice(rows, FEED_CHUNK)), [])
        for chunk in chunks:
            report = ingestion.ingest(chunk, actor=f"feed:{source}")
            platform.faults.passed("mid_feed")
            fed += report.accepted + report.quarantined
            progress.update(ingest_task, completed=fed, total=None)
            _show_pipeline(platform, execution, start_head, progress, pipe_task)
        progress.update(ingest_task, total=fed)
        while (
            platform.wait_until_idle(timeout_s=0.5, settle_s=0.3, give_up_after_s=GIVE_UP_AFTER_S)
            is None
        ):
            _show_pipeline(platform, execution, start_head, progress, pipe_task)
        _show_pipeline(platform, execution, start_head, progress, pipe_task)
    elapsed = time.monotonic() - started
    summary = session_report(platform.database_url, platform.execution.config.account_id)
    _print_summary(console, summary, fed, skipped[0], elapsed, platform)
    return summary


GIVE_UP_AFTER_S = 60.0
"""A component failing this long without recovering ends the demo (it would never finish)."""


def _show_pipeline(platform: Platform, execution, start_head, progress, task) -> None:  # type: ignore[no-untyped-def]
    platform.check(give_up_after_s=GIVE_UP_AFTER_S)
    head = platform.stores["ingestion"].head()
    done = execution.positions.get("ingestion", start_head) - start_head
    progress.update(task, completed=max(0, done), total=max(1, head - start_head))


def _bar_source(
    platform: Platform, options: DemoOptions, skipped: list[int], console: Console
) -> tuple[Iterator[RawBar], str]:
    """The rows to feed. A file replay resumes after what earlier runs stored (counted in
    ``skipped``); the seeded market finishes a plan a killed run left unfinished, else
    continues with the next trading days."""
    ingestion = platform.ingestion
    if options.bars is not None or options.seed is None:
        path = options.bars or sample_path("sample_bars.csv")
        name = options.bars.name if options.bars else "the shipped sample"
        return ingestion.resume_point().filter(read_bars(path), skipped), name
    market = SeededMarket(SyntheticFeedConfig(seed=options.seed))
    try:
        feed = seeded_feed(
            ingestion,
            market,
            days=options.days,
            first_session=FIRST_SYNTHETIC_SESSION,
            skipped=skipped,
        )
    except SeedMismatch as exc:
        raise ConfigurationError(str(exc)) from None
    if feed.resumed_with is not None:
        plan = feed.plan
        console.print(
            f"resuming the interrupted seeded feed: seed {plan.seed}, {plan.sessions[0]} "
            f"+{len(plan.sessions) - 1}d, {feed.resumed_with:,} bars already stored"
        )
    return feed.rows, feed.label


def _print_summary(
    console: Console, s: SessionReport, fed: int, skipped: int, elapsed: float, platform: Platform
) -> None:
    table = Table(title="Session summary", show_header=False)
    perf = s.performance
    rows: list[tuple[str, str]] = [
        ("bars processed (all sessions)", f"{s.bars:,}"),
        (
            "rows fed this run",
            f"{fed:,} in {elapsed:.1f} s ({fed / elapsed if elapsed else 0:,.0f}/s)",
        ),
        ("rows already stored, skipped", f"{skipped:,}"),
        ("bars quarantined", f"{s.quarantined:,}"),
        ("predictions", f"{s.predictions:,}"),
        ("decisions", f"{s.decisions:,}"),
        ("orders", f"{s.orders:,}"),
        ("fills", f"{s.fills:,}"),
        ("rejects", f"{s.rejects:,}"),
        ("initial cash", f"{s.initial_cash:,.2f}"),
        ("final equity", f"{s.final_equity:,.2f}"),
    ]
    if perf is not None:
        rows += [
            ("return", f"{perf.total_return:.4%}"),
            ("Sharpe (annualised)", _num(perf.sharpe_ratio)),
            ("max drawdown", f"{perf.max_drawdown:.4%}"),
            ("win rate", "—" if perf.win_rate is None else f"{perf.win_rate:.1%}"),
            ("profit factor", _num(perf.profit_factor)),
            ("round trips", f"{perf.trade_count}"),
        ]
    for cost in s.transaction_costs:
        rows.append(
            (
                f"costs of {cost.strategy} ({cost.orders} orders)",
                f"slippage {_bps(cost.slippage_bps)}, vs VWAP {_bps(cost.vs_vwap_bps)}, "
                f"shortfall {cost.implementation_shortfall:,.2f} "
                f"({_bps(cost.implementation_shortfall_bps)})",
            )
        )
    rows.append(("dead letters", str(platform.dead_letters.count())))
    rows.append(
        ("component failures (restarted)", f"{sum(c.failures for c in platform.components):,}")
    )
    for k, v in rows:
        table.add_row(k, v)
    console.print(table)


def _bps(value: object) -> str:
    return "—" if value is None else f"{value} bps"


def _num(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


def _write_report(data_dir: Path, report: SessionReport) -> Path:
    folder = data_dir / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"session-{datetime.now(tz=UTC):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps(report.as_dict(), default=str, indent=2))
    return path


def _wipe(settings: Settings, console: Console) -> None:
    if settings.database_url or settings.pulsar_url:
        raise ConfigurationError(
            "--fresh only wipes the embedded servers' data directory; with DATABASE_URL or "
            "PULSAR_URL set, clear those servers yourself (drop the database, delete the "
            "tenant's topics) or point QuantVista at new ones"
        )
    if settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)
        console.print(f"removed {settings.data_dir}")


def _show_access(identity: Identity, settings: Settings, console: Console) -> None:
    """How to call the API: a ready-to-paste header for the demo's trader, and the others."""
    names = ", ".join(name for name, _, _ in DEMO_USERS)
    if settings.insecure_dev_auth:
        console.print(
            f"[bold red]{INSECURE_NOTICE}[/]\nSend [bold]X-QuantVista-Principal: demo-trader[/] "
            f"(demo users: {names})."
        )
        return
    if identity.keys is None:
        console.print(f"Sign in through Ory (demo users' relations are written: {names}).")
        return
    token = identity.token("demo-trader", ttl_s=DEMO_TOKEN_TTL_S, settings=settings)
    console.print(
        "The demo trader (account DEMO-001), valid 8 hours — paste into GraphiQL's Headers tab:\n"
        f'  {{"Authorization": "Bearer {token}"}}\n'
        f"Other demo users ({names}): quantvista token NAME",
        soft_wrap=True,  # one line: the token must survive copy and paste
    )
