"""The installed ``quantvista`` command, as a user runs it, from an empty directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from quantvista.config import Settings
from quantvista.embedded import Infrastructure

pytestmark = [pytest.mark.slow, pytest.mark.integration]

QUANTVISTA = str(Path(sys.executable).with_name("quantvista"))


def _run(cwd: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PULSAR_URL")}
    env["COLUMNS"] = "120"
    return subprocess.run(
        [QUANTVISTA, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout
    )


def _bearer(cwd: Path, user: str = "demo-trader") -> dict[str, str]:
    """The Authorization header of a token ``quantvista token`` issues to a demo user, as
    a client of the secured gateway needs one."""
    issued = _run(cwd, "token", user, "--ttl", "30m")
    assert issued.returncode == 0, issued.stdout[-2000:] + issued.stderr[-2000:]
    return {"authorization": f"Bearer {issued.stdout.strip().splitlines()[-1]}"}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One demo run on the shipped sample, in an empty directory, that the tests below use in
    file order (the last one tampers with the store)."""
    tmp_path = tmp_path_factory.mktemp("cli-demo")
    first = _run(tmp_path, "demo", "--no-serve")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "bars quarantined" in first.stdout and "│ 6 " in first.stdout.replace("  ", " ")
    assert (tmp_path / ".quantvista" / "postgres").is_dir()
    assert list((tmp_path / ".quantvista" / "reports").glob("session-*.json"))
    return tmp_path


def test_demo_runs_from_any_directory_resumes_and_reports_status(demo_dir: Path) -> None:
    again = _run(demo_dir, "demo", "--no-serve")
    assert again.returncode == 0, again.stderr[-3000:]
    assert "4,080" in again.stdout
    assert "│ 0 in " in again.stdout  # rows fed this run: nothing new

    status = _run(demo_dir, "status", "--json")
    assert status.returncode == 0, status.stderr[-3000:]
    report = json.loads(status.stdout)
    assert report["components"] and all(row["lag"] == 0 for row in report["components"])
    assert report["dead_letters"]["count"] == 0

    rebuilt = _run(demo_dir, "projections", "rebuild", "orders")
    assert rebuilt.returncode == 0 and "rebuilt projection.orders" in rebuilt.stdout


def test_the_regulators_records_of_the_sample_day_come_from_the_log(demo_dir: Path) -> None:
    # The regulator's records of the sample day, from the log: every fill an RTS 22 report,
    # every order event an Annex IV record; a bad day or firm file is refused with the reason.
    firm = Path(__file__).resolve().parents[2] / "docs" / "firm-config.demo.toml"
    reported = _run(demo_dir, "mifid", "transactions", "--date", "2026-11-20", "--firm", str(firm))
    assert reported.returncode == 0, reported.stdout[-2000:] + reported.stderr[-2000:]
    assert "0 left out" in reported.stdout
    from lxml import etree

    xml = etree.parse(str(demo_dir / "transactions-2026-11-20.xml"))
    assert xml.xpath("//*[local-name()='Tx']/*[local-name()='New']")
    records = _run(demo_dir, "mifid", "orders", "--from", "2026-11-20", "--to", "2026-11-21")
    assert records.returncode == 0, records.stdout[-2000:] + records.stderr[-2000:]
    assert len((demo_dir / "order-records.csv").read_text().splitlines()) > 1
    bad_day = _run(demo_dir, "mifid", "transactions", "--date", "20/11/2026", "--firm", str(firm))
    bad_firm = _run(demo_dir, "mifid", "transactions", "--date", "2026-11-20", "--firm", "no.toml")
    backwards = _run(demo_dir, "mifid", "orders", "--from", "2026-11-21", "--to", "2026-11-20")
    for refused in (bad_day, bad_firm, backwards):
        assert refused.returncode == 2, refused.stdout + refused.stderr[-2000:]
        assert "Traceback" not in refused.stderr


def test_a_fill_price_correction_is_recorded_and_bad_input_refused(demo_dir: Path) -> None:
    # A fill's price corrected: recorded beside the fill, shown by the read models once they
    # are rebuilt from the log; bad input is refused with the reason and records nothing.
    with (
        Infrastructure.start(Settings(data_dir=demo_dir / ".quantvista")) as infra,
        psycopg.connect(infra.database_url) as conn,
    ):
        order_id, price = conn.execute(
            "SELECT order_id, price FROM rm_fills ORDER BY seq LIMIT 1"
        ).fetchone()
    correct = ("orders", "correct-fill", "--order", str(order_id), "--reason", "venue")
    correct += ("--by", "olga")
    fixed = _run(demo_dir, *correct, "--fill", "1", "--price", str(price + 1))
    assert fixed.returncode == 0 and "recorded the correction" in fixed.stdout, fixed.stdout
    for bad, says in (
        (("--fill", "99", "--price", "1"), "has no fill 99"),
        (("--fill", "1", "--price", "-5"), "must be positive"),
        (("--fill", "1", "--price", "abc"), "must be a decimal"),
        (("--fill", "1", "--price", str(price + 1)), "already at price"),
    ):
        refused = _run(demo_dir, *correct, *bad)
        said = " ".join(refused.stdout.split())
        assert refused.returncode == 2 and says in said and "Traceback" not in refused.stderr, said
    assert _run(demo_dir, "projections", "rebuild", "orders").returncode == 0
    with (
        Infrastructure.start(Settings(data_dir=demo_dir / ".quantvista")) as infra,
        psycopg.connect(infra.database_url) as conn,
    ):
        shown = conn.execute(
            "SELECT price, corrected_seq IS NOT NULL FROM rm_fills WHERE order_id = %s "
            "AND fill_seq = 1",
            (order_id,),
        ).fetchone()
        history = conn.execute(
            "SELECT count(*) FROM rm_order_events WHERE order_id = %s "
            "AND event_type IN ('OrderFilled', 'OrderFillCorrected')",
            (order_id,),
        ).fetchone()[0]
    assert shown == (price + 1, True) and history >= 2


def test_client_records_refuse_a_bad_lei_and_list_a_good_one(demo_dir: Path) -> None:
    # Client records: a bad LEI is refused naming it; a good one is a version, listed.
    client = ("clients", "record", "ACME", "--kind", "LEGAL", "--reason", "new", "--by", "olga")
    bad_lei = _run(demo_dir, *client, "--lei", "529900T8BM49AURSDO56")
    assert bad_lei.returncode == 2 and "not a valid ISO 17442" in " ".join(bad_lei.stdout.split())
    assert _run(demo_dir, *client, "--lei", "529900T8BM49AURSDO55").returncode == 0
    listed = _run(demo_dir, "clients", "list", "--json")
    assert [(c["client_id"], c["lei"]) for c in json.loads(listed.stdout)] == [
        ("ACME", "529900T8BM49AURSDO55")
    ]


def test_rts6_kill_switches_and_limits_from_the_command_line(demo_dir: Path) -> None:
    # RTS 6 controls: a kill switch engaged, refused when engaged again, listed, released;
    # limits set and shown beside the firm's configured ones; a bad scope or limit is
    # refused with the reason.
    why = ("--reason", "desk halt", "--by", "rita")
    engaged = _run(demo_dir, "kill-switch", "engage", "--scope", "instrument:SAP", *why)
    assert engaged.returncode == 0, engaged.stdout[-2000:] + engaged.stderr[-2000:]
    assert "kill switch of instrument:SAP engaged" in engaged.stdout
    twice = _run(demo_dir, "kill-switch", "engage", "--scope", "instrument:SAP", *why)
    assert twice.returncode == 2 and "already engaged" in " ".join(twice.stdout.split())
    listed = " ".join(_run(demo_dir, "kill-switch", "list").stdout.split())
    assert "instrument:SAP ENGAGED desk halt" in listed, listed
    released = _run(demo_dir, "kill-switch", "release", "--scope", "instrument:SAP", *why)
    assert released.returncode == 0 and "released" in released.stdout
    limits = ("limits", "set", "--scope", "account:DEMO-001", *why)
    assert _run(demo_dir, *limits, "--max-order-notional", "5000").returncode == 0
    shown = " ".join(_run(demo_dir, "limits", "show").stdout.split())
    assert "account:DEMO-001 set" in shown and "firm default" in shown, shown
    for bad, says in (
        (("--max-order-notional", "-1"), "max_order_notional must be a number above 0"),
        (("--price-collar-pct", "abc"), "must be a decimal number"),
    ):
        refused = _run(demo_dir, *limits, *bad)
        said = " ".join(refused.stdout.split())
        assert refused.returncode == 2 and says in said and "Traceback" not in refused.stderr, said
    bad_scope = _run(demo_dir, "kill-switch", "engage", "--scope", "desk:FX", *why)
    assert bad_scope.returncode == 2 and "a scope kind is one of" in bad_scope.stdout


def test_reconciliation_agrees_with_a_flat_statement_and_names_a_break(demo_dir: Path) -> None:
    # Reconciliation: the demo ends flat, so a statement of no position agrees (exit 0), one
    # stating SAP breaks (exit 1, named), and a malformed one is refused (exit 2).
    (demo_dir / "flat.csv").write_text("instrument_id,quantity\n")
    (demo_dir / "broker.csv").write_text("instrument_id,quantity\nSAP,5\n")
    (demo_dir / "garbled.csv").write_text("instrument_id,quantity\nSAP,five\n")
    run = ("reconcile", "--account", "DEMO-001", "--by", "olga", "--statement")
    agreed = _run(demo_dir, *run, str(demo_dir / "flat.csv"))
    assert agreed.returncode == 0 and "0 break(s)" in agreed.stdout, agreed.stdout
    broke = _run(demo_dir, *run, str(demo_dir / "broker.csv"))
    said = " ".join(broke.stdout.split())
    assert broke.returncode == 1 and "BREAK SAP: ours 0, theirs 5" in said, said
    garbled = _run(demo_dir, *run, str(demo_dir / "garbled.csv"))
    said = " ".join(garbled.stdout.split())
    assert garbled.returncode == 2 and "line 2: 'five' is not a number" in said, said


def test_retention_archives_every_store_to_parquet_that_verifies(demo_dir: Path) -> None:
    # Retention: every store's closed period copied to Parquet with its chain heads; each
    # file verifies alone and against the live store; bad input is refused with the reason.
    import time

    archived = _run(demo_dir, "audit", "archive", "--until", str(time.time_ns()))
    assert archived.returncode == 0, archived.stdout[-2000:] + archived.stderr[-2000:]
    files = sorted((demo_dir / ".quantvista" / "archive").glob("*.parquet"))
    assert {f.name.split("-")[0] for f in files} >= {"ingestion", "decision", "execution"}
    checked = _run(demo_dir, "audit", "verify-archive", "--against-store", *map(str, files))
    assert checked.returncode == 0 and "ALTERED" not in checked.stdout, checked.stdout
    assert _run(demo_dir, "audit", "archive", "--until", "soon").returncode == 2
    (demo_dir / "notes.parquet").write_text("not parquet")
    unreadable = _run(demo_dir, "audit", "verify-archive", str(demo_dir / "notes.parquet"))
    said = " ".join(unreadable.stdout.split())
    assert unreadable.returncode == 2 and "not a readable Parquet file" in said, said
    assert "Traceback" not in archived.stderr + unreadable.stderr


def test_the_auditors_tools_name_a_row_changed_in_postgresql(demo_dir: Path) -> None:
    # The auditor's tools: every chain intact, an anchor taken, then a row changed directly in
    # PostgreSQL is named by position and the command fails.
    intact = _run(demo_dir, "audit", "verify")
    assert intact.returncode == 0 and "TAMPERED" not in intact.stdout, intact.stdout
    assert _run(demo_dir, "audit", "anchor", "--out", "anchor.json").returncode == 0
    with (
        Infrastructure.start(Settings(data_dir=demo_dir / ".quantvista")) as infra,
        psycopg.connect(infra.database_url, autocommit=True) as conn,
    ):
        conn.execute("DELETE FROM execution_events WHERE notification_id = 3")
    tampered = _run(demo_dir, "audit", "verify", "--anchor", "anchor.json")
    assert tampered.returncode == 1, tampered.stdout + tampered.stderr[-2000:]
    assert "execution" in tampered.stdout and "#3" in tampered.stdout
    assert "Traceback" not in tampered.stderr


def test_bad_arguments_get_a_clear_error_and_no_traceback(tmp_path: Path) -> None:
    missing = _run(tmp_path, "demo", "--no-serve", "--bars", "nope.csv")
    assert missing.returncode == 2 and "no such file: nope.csv" in missing.stdout
    unknown = _run(tmp_path, "projections", "rebuild", "nonsense")
    assert unknown.returncode == 2 and "no projection named 'nonsense'" in unknown.stdout
    assert "Traceback" not in missing.stderr + unknown.stderr


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _processes_on(data_dir: Path) -> list[int]:
    pids = []
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if str(data_dir).encode() in (proc / "cmdline").read_bytes():
                    pids.append(int(proc.name))
            except OSError:
                continue
    return pids


def test_status_while_a_demo_serves_leaves_it_running_and_sigterm_stops_everything(
    tmp_path: Path,
) -> None:
    import signal
    import time

    import httpx

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PULSAR_URL")}
    demo = subprocess.Popen(
        [QUANTVISTA, "demo", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.5)
        else:
            raise AssertionError("the demo never started serving")

        status = _run(tmp_path, "status", "--json")
        assert status.returncode == 0, status.stderr[-2000:]
        trader = _bearer(tmp_path)  # issued while the demo serves, from the same directory

        query = {"query": '{ portfolio(accountId: "DEMO-001") { cash } }'}
        anonymous = httpx.post(f"http://127.0.0.1:{port}/graphql", json=query, timeout=10)
        assert anonymous.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        answer = httpx.post(
            f"http://127.0.0.1:{port}/graphql", json=query, headers=trader, timeout=10
        ).json()
        assert answer["data"]["portfolio"]["cash"], answer  # the demo kept its servers
        placed = httpx.post(
            f"http://127.0.0.1:{port}/graphql",
            headers=trader,
            timeout=10,
            json={
                "query": "mutation { placeOrder(input: {"
                'accountId: "DEMO-001", instrumentId: "SAP", side: BUY, quantity: "1", '
                'orderType: LIMIT, limitPrice: "1"}) { orderId } }'
            },
        ).json()
        assert "errors" not in placed, placed  # and its pipeline still takes orders
    finally:
        demo.send_signal(signal.SIGTERM)
        demo.wait(timeout=60)
    deadline = time.monotonic() + 30
    while _processes_on(tmp_path / ".quantvista") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_on(tmp_path / ".quantvista") == []


def test_serve_gateway_with_two_workers_answers_from_both_and_stops_on_sigterm(
    tmp_path: Path,
) -> None:
    """Production serving: the gateway alone, in several processes (each with its own pool
    and execution command path), behind one port."""
    import signal
    import time

    import httpx
    import psutil

    assert _run(tmp_path, "demo", "--no-serve").returncode == 0
    trader = _bearer(tmp_path)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "PULSAR_URL")}
    server = subprocess.Popen(
        [QUANTVISTA, "serve", "gateway", "--workers", "2", "--port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        workers: set[int] = set()
        while time.monotonic() < deadline and len(workers) < 2:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    workers = {
                        child.pid
                        for child in psutil.Process(server.pid).children(recursive=True)
                        if "spawn_main" in " ".join(child.cmdline())
                    }
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        assert len(workers) == 2, "two worker processes serve the port"
        query = {"query": '{ portfolio(accountId: "DEMO-001") { cash positions { quantity } } }'}
        answers = [
            httpx.post(f"{url}/graphql", json=query, headers=trader, timeout=10).json()
            for _ in range(20)
        ]
        assert all(a == answers[0] and "errors" not in a for a in answers), answers[0]
        placed = httpx.post(
            f"{url}/graphql",
            headers=trader,
            timeout=20,
            json={
                "query": "mutation { placeOrder(input: {"
                'accountId: "DEMO-001", instrumentId: "SAP", side: BUY, quantity: "1", '
                'orderType: LIMIT, limitPrice: "1"}) { position order { status } } }'
            },
        ).json()
        assert placed["data"]["placeOrder"]["order"]["status"] == "ACCEPTED", placed
    finally:
        server.send_signal(signal.SIGTERM)
        _, stderr = server.communicate(timeout=60)
    assert "Traceback" not in stderr.decode(), stderr.decode()[-3000:]
    deadline = time.monotonic() + 30
    while _processes_on(tmp_path / ".quantvista") and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _processes_on(tmp_path / ".quantvista") == []
