"""The ``quantvista`` command line. Entrypoints parse, build, and call — nothing more."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from rich.console import Console
from rich.table import Table

from quantvista.accounts_cli import add_account_commands
from quantvista.clients_cli import add_client_commands
from quantvista.config import ConfigurationError, Settings
from quantvista.controls_cli import add_control_commands
from quantvista.embedded import Infrastructure
from quantvista.mifid_cli import add_mifid_commands
from quantvista.models_cli import add_model_commands
from quantvista.orders_cli import add_order_commands
from quantvista.platform import CONTEXT_COMPONENTS, STORES, ComponentsFailing, Platform
from quantvista.reconcile_cli import add_reconcile_command
from quantvista.watchdog import DatabaseLost

if TYPE_CHECKING:
    from quantvista.security import Identity

EXIT_DATABASE_LOST = 3
INSECURE_HELP = (
    "development only: trust the X-QuantVista-Principal header as the caller's identity "
    "(serves on 127.0.0.1 only, and says so in every response)"
)
ROLE_NAMES = ("trader", "viewer", "risk", "auditor", "regulator", "admin")
EXIT_COMPONENTS_FAILING = 1


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # SIGTERM unwinds like Ctrl-C, so every server this process started is stopped.
    signal.signal(signal.SIGTERM, _interrupt)
    console = Console()
    try:
        settings = Settings.from_env(
            data_dir=args.data_dir,
            http_port=getattr(args, "port", None),
            gateway_workers=getattr(args, "workers", None),
            insecure_dev_auth=getattr(args, "insecure_dev_auth", None) or None,
        )
        return int(args.run(args, settings, console) or 0)
    except (ConfigurationError, FileNotFoundError, LookupError, ValueError) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 2
    except KeyboardInterrupt:
        return 130
    except DatabaseLost as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_DATABASE_LOST
    except ComponentsFailing as exc:
        console.print(f"[red]error:[/] {exc}")
        return EXIT_COMPONENTS_FAILING
    except Exception as exc:
        if not is_database_outage(exc):
            raise
        # A call that found the database gone before the watch's grace period ran out.
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        console.print(
            f"[red]error:[/] lost the database — {text}. The run stopped; nothing recorded "
            "is lost: start it again once the database is back and it resumes from the "
            "stored state"
        )
        return EXIT_DATABASE_LOST


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def is_database_outage(exc: BaseException) -> bool:
    """An error that says the database cannot be reached (not that a query was wrong)."""
    import eventsourcing.persistence as es
    import psycopg

    from events.store import StoreUnavailable

    outage = (
        StoreUnavailable,
        psycopg.OperationalError,
        psycopg.InterfaceError,
        es.OperationalError,
        es.InterfaceError,
    )
    return isinstance(exc, outage)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quantvista", description=__doc__)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="embedded servers' data (default ./.quantvista or QUANTVISTA_DATA_DIR)",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    demo = sub.add_parser("demo", help="run a simulated trading session, then serve GraphQL")
    demo.add_argument("--bars", type=Path, help="CSV of bars to replay instead of the sample")
    demo.add_argument("--instruments", type=Path, help="CSV of instruments (ISIN, MIC, currency)")
    demo.add_argument(
        "--seed", type=int, help="use the seeded synthetic market instead of the sample"
    )
    demo.add_argument("--days", type=int, default=1, help="synthetic sessions to run (with --seed)")
    demo.add_argument("--fresh", action="store_true", help="start from an empty data directory")
    demo.add_argument(
        "--no-serve", dest="serve", action="store_false", help="exit after the summary"
    )
    demo.add_argument("--port", type=int, default=None, help="GraphQL port (default 8000)")
    demo.add_argument("--insecure-dev-auth", action="store_true", help=INSECURE_HELP)
    demo.set_defaults(run=_demo)

    serve = sub.add_parser("serve", help="run one context (or the gateway) as its own process")
    serve.add_argument("component", choices=[*CONTEXT_COMPONENTS, "gateway"])
    serve.add_argument("--port", type=int, default=None)
    serve.add_argument("--insecure-dev-auth", action="store_true", help=INSECURE_HELP)
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="gateway only: worker processes (default QUANTVISTA_GATEWAY_WORKERS, else 1)",
    )
    serve.add_argument(
        "--read-schema",
        default=None,
        help="gateway only: serve the read models a `quantvista replay` wrote into this schema, "
        "read-only",
    )
    serve.set_defaults(run=_serve)

    ingest = sub.add_parser("ingest", help="validate and record bars from a CSV file")
    ingest.add_argument("bars", type=Path)
    ingest.add_argument("--instruments", type=Path, help="list these instruments first")
    ingest.add_argument(
        "--resume",
        action="store_true",
        help="the same file again: skip rows at or before what is stored or quarantined "
        "(without it every row is validated, so re-sent bars are quarantined as duplicates)",
    )
    ingest.add_argument(
        "--mic-registry",
        type=Path,
        default=None,
        help="ISO 10383 CSV deciding which MICs exist (default QUANTVISTA_MIC_REGISTRY, "
        "else the iso10383 package's snapshot)",
    )
    ingest.set_defaults(run=_ingest)

    projections = sub.add_parser("projections", help="read-model maintenance")
    proj_sub = projections.add_subparsers(dest="action", required=True)
    rebuild = proj_sub.add_parser("rebuild", help="drop and rebuild read models from the log")
    rebuild.add_argument("name", nargs="?", help="one projection (default: all)")
    rebuild.set_defaults(run=_rebuild)

    status = sub.add_parser("status", help="positions and lag of every relay and consumer")
    status.add_argument("--json", action="store_true")
    status.set_defaults(run=_status)

    replay = sub.add_parser(
        "replay", help="rebuild every read model as it stood at a past moment, in its own schema"
    )
    replay.add_argument(
        "--as-of",
        required=True,
        help="an ISO-8601 UTC instant (2026-11-20T10:00:00Z) or UTC nanoseconds",
    )
    replay.add_argument("--into", required=True, help="a new schema to hold the read models")
    replay.set_defaults(run=_replay)

    add_mifid_commands(sub)
    add_order_commands(sub)
    add_client_commands(sub)
    add_control_commands(sub)
    add_model_commands(sub)
    add_account_commands(sub)
    add_reconcile_command(sub)

    users = sub.add_parser("users", help="who may do what: users, roles and accounts")
    users_sub = users.add_subparsers(dest="action", required=True)
    add = users_sub.add_parser("add", help="grant a role (and, to traders and viewers, accounts)")
    add.add_argument("name")
    add.add_argument("--role", required=True, help=", ".join(ROLE_NAMES))
    add.add_argument("--account", action="append", default=[], help="repeat for several")
    add.set_defaults(run=_users_add)
    remove = users_sub.add_parser("remove", help="revoke everything, a role, or an account")
    remove.add_argument("name")
    remove.add_argument("--role", default=None)
    remove.add_argument("--account", default=None)
    remove.set_defaults(run=_users_remove)
    listed = users_sub.add_parser("list", help="every user with its roles and accounts")
    listed.set_defaults(run=_users_list)
    token = sub.add_parser("token", help="issue a bearer token (embedded identity provider)")
    token.add_argument("name")
    token.add_argument("--ttl", default="8h", help="lifetime: 30m, 8h, 7d or seconds (8h)")
    token.set_defaults(run=_token)

    audit = sub.add_parser("audit", help="the auditor's tools over the event stores")
    audit_sub = audit.add_subparsers(dest="action", required=True)
    verify = audit_sub.add_parser(
        "verify", help="recompute every store's hash chain; exit 1 when anything was tampered"
    )
    verify.add_argument("--context", choices=STORES, help="one store (default: all)")
    verify.add_argument("--anchor", type=Path, help="an anchor file written by `audit anchor`")
    verify.set_defaults(run=_audit_verify)
    lineage = audit_sub.add_parser(
        "lineage", help="an order's lineage: its events and every event that led to them"
    )
    lineage.add_argument("--order", required=True, help="the order id (UUID)")
    lineage.add_argument("--json", action="store_true", help="as JSON lines, payloads included")
    lineage.set_defaults(run=_audit_lineage)
    access = audit_sub.add_parser(
        "access", help="who looked at or changed what: the access log, newest first"
    )
    access.add_argument("--subject", help="one principal (a user, or os:<name> for the CLI)")
    access.add_argument("--resource", help="e.g. account:DEMO-001, order:<uuid>, user:alice")
    access.add_argument("--operation", help="e.g. placeOrder, lineage, users.add, token.issue")
    access.add_argument("--denied", action="store_true", help="refusals only")
    access.add_argument("--since", help="ISO-8601 UTC or integer nanoseconds (inclusive)")
    access.add_argument("--until", help="ISO-8601 UTC or integer nanoseconds (exclusive)")
    access.add_argument("--limit", type=int, default=100, help="at most this many (100)")
    access.add_argument("--json", action="store_true", help="one JSON object per line")
    access.set_defaults(run=_audit_access)
    anchor = audit_sub.add_parser("anchor", help="export every store's chain head as JSON")
    anchor.add_argument("--out", type=Path, help="write here (default: standard output)")
    anchor.set_defaults(run=_audit_anchor)
    archive = audit_sub.add_parser(
        "archive",
        help="copy each store's closed period (events recorded before --until) to Parquet "
        "with its chain heads; nothing is deleted",
    )
    archive.add_argument("--until", required=True, help="ISO-8601 UTC, or integer nanoseconds")
    archive.add_argument("--context", choices=STORES, help="one store (default: all)")
    archive.add_argument("--out", type=Path, help="archive directory (default <data dir>/archive)")
    archive.set_defaults(run=_audit_archive)
    check = audit_sub.add_parser(
        "verify-archive", help="recompute archive files' chains; exit 1 when one was altered"
    )
    check.add_argument("files", nargs="+", type=Path, help="archive .parquet files")
    check.add_argument(
        "--against-store",
        action="store_true",
        help="also check that each file's head is the live store's link at that position",
    )
    check.set_defaults(run=_audit_verify_archive)

    schemas = sub.add_parser("schemas", help="event contract maintenance")
    schemas_sub = schemas.add_subparsers(dest="action", required=True)
    export = schemas_sub.add_parser("export", help="write JSON Schemas of the current versions")
    export.set_defaults(run=_export_schemas)
    return parser


def _demo(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from quantvista.demo import DemoOptions, run_demo

    if args.days < 1:
        raise ConfigurationError("--days must be at least 1")
    for path in (args.bars, args.instruments):
        if path is not None and not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    run_demo(
        settings,
        DemoOptions(args.bars, args.instruments, args.seed, args.days, args.fresh, args.serve),
        console,
    )
    return 0


@contextlib.contextmanager
def _running(settings: Settings) -> Iterator[tuple[Infrastructure, Platform]]:
    """Servers started (or connected to), tables created, platform closed on the way out."""
    with Infrastructure.start(settings) as infra:
        platform = Platform.configured(infra.database_url, infra.pulsar_url, settings)
        try:
            platform.create_tables()
            yield infra, platform
        finally:
            platform.close()


def _serve(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    with _running(settings) as (infra, platform):
        if args.component == "gateway" and args.read_schema:
            from projections.as_of import check_schema_name
            from quantvista.serving import serve_gateway

            platform.build([])  # nothing to follow: the schema is a past state
            platform.start()
            serve_gateway(
                platform,
                infra.database_url,
                settings,
                console,
                read_schema=check_schema_name(args.read_schema),
            )
        elif args.component == "gateway" and settings.gateway_workers > 1:
            if settings.insecure_dev_auth:
                raise ConfigurationError("--insecure-dev-auth serves one process: no --workers")
            from quantvista.serving import serve_gateway_workers

            serve_gateway_workers(infra.database_url, infra.pulsar_url, settings, console)
        elif args.component == "gateway":
            # The gateway hosts the execution command path, so it follows execution like any
            # execution worker (the store arbitrates between instances).
            from quantvista.serving import serve_gateway

            platform.build(["execution"], fix_link=False)  # `serve execution` runs the link
            platform.start()
            serve_gateway(platform, infra.database_url, settings, console)
        else:
            platform.build([args.component])
            platform.start()
            console.print(
                f"serving {args.component}: "
                + ", ".join(c.name for c in platform.components)
                + " (Ctrl-C to stop)"
            )
            # Failing components are restarted with backoff (each failure is logged as one
            # line); only a lost database ends the process.
            stop = threading.Event()
            try:
                while not stop.wait(1.0):
                    platform.check()
            except KeyboardInterrupt:
                pass
    return 0


def _ingest(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from bounded_contexts.ingestion.adapters.csv_replay import read_bars, read_instruments
    from bounded_contexts.ingestion.adapters.mic_registry import mic_registry

    for path in (args.bars, args.instruments, args.mic_registry):
        if path is not None and not path.is_file():
            raise FileNotFoundError(f"no such file: {path}")
    # Both files are checked before any server starts: a bad reference file or bar header
    # fails in a second with its line, and nothing is recorded.
    mics = mic_registry(args.mic_registry or settings.mic_registry)
    listings = read_instruments(args.instruments, mics) if args.instruments else []
    rows = read_bars(args.bars)
    with _running(settings) as (_, platform):
        if listings:
            platform.ingestion.list_instruments(listings, actor="cli", mics=mics)
        skipped = [0]
        if args.resume:  # the same file again: continue after what is already recorded
            rows = platform.ingestion.resume_point().filter(rows, skipped)
        report = platform.ingestion.ingest(rows, actor=f"cli:{args.bars.name}")
        console.print(
            f"accepted {report.accepted}, quarantined {report.quarantined} {report.reasons}, "
            f"skipped as already recorded {skipped[0]}"
        )
    return 0


def _rebuild(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from projections.rebuild import rebuild_projections

    with _running(settings) as (_, platform):
        for name, count, seconds in rebuild_projections(platform, args.name):
            console.print(f"rebuilt {name}: {count:,} events in {seconds:.2f} s")
    return 0


def _status(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from quantvista.status import collect_status

    with _running(settings) as (_, platform):
        report = collect_status(platform)
    if args.json:
        print(json.dumps(report, indent=2, default=str))
        return 0
    table = Table(title="QuantVista status")
    for column in ("component", "upstream", "position", "head", "lag"):
        table.add_column(column)
    for row in report["components"]:
        table.add_row(
            row["component"],
            row["upstream"],
            str(row["position"]),
            str(row["head"]),
            str(row["lag"]),
        )
    console.print(table)
    if report["health"]:
        health = Table(title="component health (as last reported by the running processes)")
        for column in ("component", "process", "state", "failures", "restarts", "last error"):
            health.add_column(column)
        for row in report["health"]:
            health.add_row(
                row["component"],
                row["process"],
                row["state"],
                str(row["failures"]),
                str(row["restarts"]),
                row["last_error"] or "",
            )
        console.print(health)
    console.print(f"dead letters: {report['dead_letters']['count']}")
    for letter in report["dead_letters"]["latest"]:
        console.print(
            f"  #{letter['id']} {letter['consumer']} <- "
            f"{letter['upstream']}#{letter['position']}: {letter['reason']}"
        )
    return 0


def _audit_verify(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from quantvista.audit import read_anchor, verify_stores

    anchor = read_anchor(args.anchor) if args.anchor else None
    contexts = [args.context] if args.context else list(STORES)
    with _running(settings) as (infra, _):
        report = verify_stores(infra.database_url, contexts, anchor)
    for result in report.verifications:
        state = "[green]intact[/]" if result.intact else "[red]TAMPERED[/]"
        console.print(
            f"{result.context:<13} {state}  {result.events:>9,} events, "
            f"head #{result.head_position} {result.head_hash.hex()[:16]}…"
        )
        for found in result.breaks:
            console.print(f"  [red]#{found.position}[/]: {found.problem}")
    rate = report.events / report.seconds if report.seconds else 0.0
    console.print(f"verified {report.events:,} events in {report.seconds:.2f} s ({rate:,.0f}/s)")
    return 0 if report.intact else 1


def _audit_archive(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    import psycopg

    from events.archive import archive_store, read_header

    until = _instant("--until", args.until)
    assert until is not None  # a required option
    out = args.out or settings.data_dir / "archive"
    contexts = [args.context] if args.context else list(STORES)
    with _running(settings) as (infra, _), psycopg.connect(infra.database_url) as conn:
        for context in contexts:
            written = archive_store(conn, context, until, out)
            if written is None:
                console.print(f"{context:<13} nothing new recorded before --until")
                continue
            header = read_header(written)
            console.print(
                f"{context:<13} {header.events:>9,} events #{header.first_position}–"
                f"#{header.last_position}, head {header.head_hash.hex()} -> {written}",
                soft_wrap=True,
            )
    return 0


def _audit_verify_archive(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    import contextlib

    import psycopg

    from events.archive import verify_archive

    intact = True
    with contextlib.ExitStack() as stack:
        conn = None
        if args.against_store:
            infra, _ = stack.enter_context(_running(settings))
            conn = stack.enter_context(psycopg.connect(infra.database_url))
        for path in args.files:
            result = verify_archive(path, conn)
            state = "[green]intact[/]" if result.intact else "[red]ALTERED[/]"
            console.print(
                f"{path.name}  {state}  {result.events:,} events of {result.header.context}, "
                f"#{result.header.first_position}–#{result.header.last_position}",
                soft_wrap=True,
            )
            for problem in result.problems:
                console.print(f"  [red]{problem}[/]", soft_wrap=True)
            intact = intact and result.intact
    return 0 if intact else 1


def _replay(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from gateway.scalars import format_utc_ns
    from projections.as_of import check_schema_name, replay_as_of

    as_of = _instant("--as-of", args.as_of)
    assert as_of is not None  # a required option
    schema = check_schema_name(args.into)
    with _running(settings) as (infra, platform):
        for name, count, seconds in replay_as_of(
            infra.database_url, platform.stores, as_of, schema
        ):
            console.print(f"{name}: {count:,} events in {seconds:.2f} s")
    console.print(
        f"read models as of {format_utc_ns(as_of)} are in schema [bold]{schema}[/]; serve them "
        f"with: quantvista serve gateway --read-schema {schema}"
    )
    return 0


def _identity(settings: Settings, platform: Platform, database_url: str) -> Identity:
    from quantvista.security import configure

    return configure(settings, database_url, platform.stores["support"])


def _administered(platform: Platform, operation: str, user: str, what: str) -> None:
    """Record an administration command in the support store's access log: who ran it (the
    operating-system user of the CLI, which runs with database access, outside the gateway),
    what and for whom, so that an auditor sees every grant, revocation and token issued."""
    import getpass
    import uuid

    from bounded_contexts.support.application.access_log import AccessLog
    from bounded_contexts.support.domain.access_log import AccessDecision

    operator = f"os:{getpass.getuser()}"
    request_id = f"cli-{uuid.uuid4().hex[:16]}"
    decision = AccessDecision.record(
        subject=operator,
        roles=("cli",),
        operation=operation,
        resource=f"user:{user}",
        allowed=True,
        reason=what,
        request_id=request_id,
    )
    AccessLog(platform.stores["support"]).record(
        [decision], request_id=request_id, actor="cli:administration"
    )


def _users_add(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from bounded_contexts.support.application.users import UserAdministrationError

    with _running(settings) as (infra, platform):
        try:
            granted = _identity(settings, platform, infra.database_url).users.add(
                args.name, args.role, args.account
            )
        except UserAdministrationError as error:
            raise ConfigurationError(str(error)) from None
        on = f" on {', '.join(args.account)}" if args.account else ""
        _administered(platform, "users.add", args.name, f"role {args.role}{on}")
    console.print(f"{args.name}: {args.role}{on}")
    for relation in granted:
        console.print(f"  {relation}")
    return 0


def _users_remove(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from bounded_contexts.support.application.users import UserAdministrationError

    with _running(settings) as (infra, platform):
        try:
            removed = _identity(settings, platform, infra.database_url).users.remove(
                args.name, args.role, args.account
            )
        except UserAdministrationError as error:
            raise ConfigurationError(str(error)) from None
        _administered(
            platform,
            "users.remove",
            args.name,
            f"{len(removed)} relation(s): " + ", ".join(str(r) for r in removed)[:500],
        )
    console.print(f"removed {len(removed)} relation(s) of {args.name}")
    return 0


def _users_list(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    with _running(settings) as (infra, platform):
        records = _identity(settings, platform, infra.database_url).users.list()
    table = Table(title="users")
    for column in ("user", "roles", "accounts"):
        table.add_column(column)
    for record in records:
        table.add_row(
            record.name,
            ", ".join(record.roles),
            ", ".join(f"{account} ({relation})" for account, relation in record.accounts),
        )
    console.print(table)
    return 0


def _token(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    ttl = _duration(args.ttl)
    with _running(settings) as (infra, platform):
        identity = _identity(settings, platform, infra.database_url)
        if not any(record.name == args.name for record in identity.users.list()):
            raise ConfigurationError(
                f"no user {args.name!r}: add one with "
                f"`quantvista users add {args.name} --role ROLE`"
            )
        token = identity.token(args.name, ttl_s=ttl, settings=settings)
        _administered(platform, "token.issue", args.name, f"bearer token valid {ttl} s")
        print(token)
    return 0


def _duration(text: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    number, unit = (text[:-1], text[-1]) if text[-1:] in units else (text, "s")
    if not number.isdigit() or not 0 < int(number) * units[unit] <= 30 * 86400:
        raise ConfigurationError(f"--ttl must be like 30m, 8h, 7d (at most 30 days), got {text!r}")
    return int(number) * units[unit]


def _audit_lineage(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    import uuid

    import psycopg

    from bounded_contexts.support.application.lineage import order_lineage
    from gateway.scalars import format_utc_ns

    try:
        order_id = uuid.UUID(args.order)
    except ValueError:
        raise ConfigurationError(f"--order must be a UUID, got {args.order!r}") from None
    with _running(settings) as (infra, _), psycopg.connect(infra.database_url) as conn:
        steps = order_lineage(conn, order_id)
    for step in steps:
        if args.json:
            print(
                json.dumps(
                    {
                        "context": step.context,
                        "position": step.position,
                        "type": step.event_type,
                        "role": step.role,
                        "ts_event": format_utc_ns(step.ts_event),
                        "actor": step.actor,
                        "event_id": str(step.event_id),
                        "causation_id": str(step.causation_id) if step.causation_id else None,
                        "payload": step.payload,
                    }
                )
            )
        else:
            console.print(
                f"{format_utc_ns(step.ts_event)}  {step.context:>12} #{step.position:<7} "
                f"{step.event_type:<24} {step.role:<9} {step.actor}"
            )
    return 0


def _instant(option: str, text: str | None) -> int | None:
    from gateway.errors import BadUserInput
    from gateway.scalars import parse_utc_timestamp

    if text is None:
        return None
    text = text.strip()
    try:
        return int(text) if text.isdigit() else parse_utc_timestamp(text)
    except BadUserInput as error:
        raise ConfigurationError(f"{option}: {error}") from None


def _audit_access(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    import psycopg

    from bounded_contexts.support.application.access_queries import (
        AccessQuery,
        access_decisions,
    )
    from gateway.scalars import format_utc_ns

    try:
        query = AccessQuery(
            subject=args.subject,
            resource=args.resource,
            operation=args.operation,
            denied_only=args.denied,
            ts_from=_instant("--since", args.since),
            ts_to=_instant("--until", args.until),
            limit=args.limit,
        )
    except ValueError as error:
        raise ConfigurationError(str(error)) from None
    with _running(settings) as (infra, _), psycopg.connect(infra.database_url) as conn:
        records = access_decisions(conn, query)
    for r in records:
        if args.json:
            print(
                json.dumps(
                    {
                        "position": r.position,
                        "ts_event": format_utc_ns(r.ts_event),
                        "subject": r.subject,
                        "roles": list(r.roles),
                        "operation": r.operation,
                        "resource": r.resource,
                        "outcome": r.outcome,
                        "reason": r.reason,
                        "request_id": r.request_id,
                        "recorded_by": r.recorded_by,
                    }
                )
            )
        else:
            console.print(
                f"{format_utc_ns(r.ts_event)}  {r.outcome:<7} {r.subject:<16} "
                f"{r.operation:<22} {r.resource}  ({r.reason})",
                soft_wrap=True,
                markup=False,
            )
    return 0


def _audit_anchor(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from quantvista.audit import anchor_document

    with _running(settings) as (infra, _):
        document = anchor_document(infra.database_url, STORES)
    text = json.dumps(document, indent=2) + "\n"
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        console.print(f"wrote {args.out}")
    else:
        print(text, end="")
    return 0


def _export_schemas(args: argparse.Namespace, settings: Settings, console: Console) -> int:
    from quantvista.schemas import export_schemas

    for path in export_schemas():
        console.print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
