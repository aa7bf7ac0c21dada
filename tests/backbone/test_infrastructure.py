"""The fixtures start real servers: a query and a round trip through the broker succeed; and
the embedded PostgreSQL starts again whatever a killed process left in its directory."""

import json
import subprocess
import uuid
from pathlib import Path

import psycopg
import pulsar
import pytest

from quantvista.config import Settings
from quantvista.embedded import EmbeddedServerError, Infrastructure, _holds_data
from tests.faults.harness import postmaster_pid, stop_leftover_servers


def test_the_embedded_postgres_answers_queries(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT 1 + 1").fetchone() == (2,)


def test_the_embedded_broker_delivers_a_message_with_its_key_and_properties(
    pulsar_url: str, pulsar_tenant: str
) -> None:
    topic = f"persistent://{pulsar_tenant}/probe/messages"
    client = pulsar.Client(pulsar_url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
    try:
        consumer = client.subscribe(topic, "probe", consumer_type=pulsar.ConsumerType.Failover)
        producer = client.create_producer(topic, batching_enabled=True)
        producer.send(b"hello", partition_key="k1", properties={"position": "7"})
        message = consumer.receive(timeout_millis=5000)
        assert (message.data(), message.partition_key(), message.properties()["position"]) == (
            b"hello",
            "k1",
            "7",
        )
    finally:
        client.close()


# The embedded PostgreSQL after crashes: what a killed process leaves in the cluster directory
# must not stop the next start, and a cluster that holds data is never re-initialised.


def _start_and_stop(data_dir: Path, table: str | None = None) -> None:
    """A first start of the embedded PostgreSQL on ``data_dir`` (and a table in it, so the
    cluster holds data), stopped again."""
    infra = Infrastructure.start(Settings(data_dir=data_dir, pulsar_url="pulsar://unused:1"))
    try:
        if table is not None:
            with psycopg.connect(infra.database_url, autocommit=True) as conn:
                conn.execute(f"CREATE TABLE {table} (x int)")
    finally:
        infra.stop()


def _creates_a_table(data_dir: Path) -> None:
    infra = Infrastructure.start(Settings(data_dir=data_dir, pulsar_url="pulsar://unused:1"))
    try:
        with psycopg.connect(infra.database_url, autocommit=True) as conn:
            conn.execute(f"CREATE TABLE probe_{uuid.uuid4().hex} (x int)")
    finally:
        infra.stop()
    assert postmaster_pid(data_dir) is None


@pytest.mark.integration
def test_a_postmaster_pid_cut_short_by_a_kill_is_removed(tmp_path: Path) -> None:
    _start_and_stop(tmp_path)
    # What initdb's bootstrap backend leaves when killed: seven lines, a negative dead pid.
    dead = _dead_pid()
    pid_file = tmp_path / "postgres" / "postmaster.pid"
    pid_file.write_text(f"-{dead}\n{tmp_path / 'postgres'}\n1796362759\n5432\n\n\n  1 2\n")
    try:
        _creates_a_table(tmp_path)
    finally:
        stop_leftover_servers(tmp_path)


@pytest.mark.integration
def test_a_handle_file_cut_short_and_dead_owners_in_it_are_repaired(tmp_path: Path) -> None:
    _start_and_stop(tmp_path)
    handle_file = tmp_path / "postgres" / ".handle_pids.json"
    handle_file.write_text("[12")
    try:
        _creates_a_table(tmp_path)
        handle_file.write_text(json.dumps([_dead_pid()]))
        _creates_a_table(tmp_path)  # stopped on exit: the dead owner no longer counts
        assert json.loads(handle_file.read_text()) == []
    finally:
        stop_leftover_servers(tmp_path)


@pytest.mark.integration
def test_a_cluster_without_data_that_does_not_start_is_moved_aside_and_initialised(
    tmp_path: Path,
) -> None:
    _start_and_stop(tmp_path)
    pgdata = tmp_path / "postgres"
    assert not _holds_data(pgdata)  # a fresh cluster: only initdb's own relations
    with (pgdata / "postgresql.conf").open("a") as conf:
        conf.write("\nnot a setting at all\n")
    try:
        _creates_a_table(tmp_path)
        assert len(list(tmp_path.glob("postgres.incomplete-*"))) == 1
    finally:
        stop_leftover_servers(tmp_path)


@pytest.mark.integration
def test_a_cluster_holding_data_that_does_not_start_is_left_alone_with_what_to_do(
    tmp_path: Path,
) -> None:
    _start_and_stop(tmp_path, table="precious")
    pgdata = tmp_path / "postgres"
    assert _holds_data(pgdata)
    with (pgdata / "postgresql.conf").open("a") as conf:
        conf.write("\nnot a setting at all\n")
    before = sorted(p.relative_to(pgdata) for p in pgdata.rglob("*") if "pg_stat" not in str(p))
    try:
        with pytest.raises(EmbeddedServerError) as refused:
            Infrastructure.start(Settings(data_dir=tmp_path, pulsar_url="pulsar://unused:1"))
        message = str(refused.value)
        assert str(pgdata / "log") in message and "pg_ctl -D" in message
        assert not list(tmp_path.glob("postgres.incomplete-*"))
        after = sorted(p.relative_to(pgdata) for p in pgdata.rglob("*") if "pg_stat" not in str(p))
        assert after == before
    finally:
        stop_leftover_servers(tmp_path)


def test_only_relations_and_databases_made_after_initdb_count_as_data(tmp_path: Path) -> None:
    base = tmp_path / "base"
    (base / "5").mkdir(parents=True)
    for name in ("1259", "1259_fsm", "12623.1", "PG_VERSION", "pg_filenode.map"):
        (base / "5" / name).touch()
    (tmp_path / "pg_tblspc").mkdir()
    assert not _holds_data(tmp_path)
    (base / "5" / "16384_vm").touch()
    assert _holds_data(tmp_path)
    (base / "5" / "16384_vm").unlink()
    (base / "16390").mkdir()
    assert _holds_data(tmp_path)
    (base / "16390").rmdir()
    (tmp_path / "pg_tblspc" / "16400").symlink_to(tmp_path)
    assert _holds_data(tmp_path)


def _dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    child = subprocess.Popen(["true"])
    child.wait()
    return child.pid


@pytest.mark.integration
def test_a_data_directory_allows_enough_connections_for_one_process_per_context(
    tmp_path: Path,
) -> None:
    """initdb's ``max_connections = 100`` ran out with eight ``serve`` processes and the CLI:
    a new cluster is restarted with 300 at once, an older one gets it at its next start."""
    for _ in range(2):  # new, then again
        infra = Infrastructure.start(Settings(data_dir=tmp_path, pulsar_url="pulsar://unused:1"))
        try:
            with psycopg.connect(infra.database_url) as conn:
                assert conn.execute("SHOW max_connections").fetchone() == ("300",)
        finally:
            infra.stop()
    conf = tmp_path / "postgres" / "postgresql.conf"
    assert conf.read_text().count("max_connections = 300") == 1
    older = conf.read_text().replace("max_connections = 300", "#")
    conf.write_text(older)
    infra = Infrastructure.start(Settings(data_dir=tmp_path, pulsar_url="pulsar://unused:1"))
    try:
        with psycopg.connect(infra.database_url) as conn:
            assert conn.execute("SHOW max_connections").fetchone() == ("300",)
    finally:
        infra.stop()
