"""``quantvista clients``: the client records transaction reports identify clients by.

- ``clients record CLIENT_ID --kind LEGAL --lei LEI --reason TEXT --by SUBJECT`` (a legal
  person), or ``--kind NATURAL --national-id ID --scheme NIDN|CCPT|CONCAT --first-names N
  --surnames N --birth-date YYYY-MM-DD`` (a natural person); ``--country`` (of the branch
  that received the order), ``--discretionary``. Each call records a new version
  (``ClientRecorded``, support store); a record that could not identify the client in a
  report is refused naming the field, and nothing is recorded.
- ``clients list [--as-of T] [--json]``: every recorded client as it stood then (now by
  default).

Registered by :func:`add_client_commands`; entrypoints parse, call the application, print.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from typing import Any

from rich.console import Console

from quantvista.config import ConfigurationError


def add_client_commands(subparsers: Any) -> None:
    clients = subparsers.add_parser("clients", help="client records for transaction reports")
    sub = clients.add_subparsers(dest="clients_action", required=True)
    record = sub.add_parser("record", help="record a client's identification (a new version)")
    record.add_argument("client_id", help="the id accounts name in the firm file")
    record.add_argument("--kind", required=True, choices=("LEGAL", "NATURAL"))
    record.add_argument("--lei", help="a legal person's LEI")
    record.add_argument("--national-id", help="a natural person's national identifier")
    record.add_argument("--scheme", choices=("NIDN", "CCPT", "CONCAT"))
    record.add_argument("--first-names")
    record.add_argument("--surnames")
    record.add_argument("--birth-date", help="YYYY-MM-DD")
    record.add_argument("--country", help="country of the branch (ISO 3166 alpha-2)")
    record.add_argument("--discretionary", action="store_true", help="the firm decides for it")
    record.add_argument("--reason", required=True, help="why (new client, changed name, …)")
    record.add_argument("--by", required=True, help="who recorded it (recorded as person:<by>)")
    record.set_defaults(run=_record)
    listed = sub.add_parser("list", help="every recorded client")
    listed.add_argument("--as-of", help="as it stood then (ISO-8601 UTC, date or ns)")
    listed.add_argument("--json", action="store_true")
    listed.set_defaults(run=_list)


def _record(args: argparse.Namespace, settings: Any, console: Console) -> int:
    import psycopg

    from bounded_contexts.support.application.mifid.clients import record_client
    from bounded_contexts.support.domain.mifid.firm import ClientRecord
    from quantvista.mifid_cli import platform_started

    if not args.by.strip():
        raise ConfigurationError("--by must name who recorded the client")
    natural = args.kind == "NATURAL"
    given = {
        "--lei": args.lei,
        "--national-id": args.national_id,
        "--scheme": args.scheme,
        "--first-names": args.first_names,
        "--surnames": args.surnames,
        "--birth-date": args.birth_date,
    }
    wrong = [o for o, v in given.items() if v is not None and (o == "--lei") == natural]
    if wrong:
        raise ConfigurationError(f"a {args.kind} client takes no {', '.join(wrong)}")
    record = ClientRecord(
        client_id=args.client_id,
        kind=args.kind,
        lei=args.lei,
        national_id=args.national_id,
        scheme=args.scheme,
        first_names=args.first_names,
        surnames=args.surnames,
        birth_date=args.birth_date,
        country_of_branch=args.country,
        discretionary=args.discretionary,
    )
    with platform_started(settings) as platform, psycopg.connect(platform.database_url) as conn:
        position, version = record_client(
            platform.stores["support"],
            conn,
            record,
            args.reason,
            actor=f"person:{args.by.strip()}",
            ts_event=time.time_ns(),
        )
    console.print(
        f"recorded client {args.client_id}, version {version} (support #{position}); reports "
        "of days ending after now identify the client so"
    )
    return 0


def _list(args: argparse.Namespace, settings: Any, console: Console) -> int:
    import psycopg

    from bounded_contexts.support.application.mifid.clients import clients_as_of
    from quantvista.mifid_cli import parse_instant, platform_started

    as_of = time.time_ns() if args.as_of is None else parse_instant(args.as_of, "--as-of")
    with platform_started(settings) as platform, psycopg.connect(platform.database_url) as conn:
        clients = clients_as_of(conn, as_of + 1)
    if args.json:
        console.print_json(json.dumps([asdict(c) for c in clients.values()]))
        return 0
    if not clients:
        console.print("no client recorded")
    for client in clients.values():
        who = client.lei if client.kind == "LEGAL" else f"{client.national_id} ({client.scheme})"
        console.print(f"{client.client_id}: {client.kind} {who}")
    return 0
