"""RTS 22 transaction reports and Annex IV order records of a small day run through the real
execution context: every field of every report against a hand-built expectation, records that
fail validation left out with their field numbers, the same file byte for byte every time, the
structure checked by schema, and one order record per event with its ISO 20022 code."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date

import psycopg
import pyarrow.parquet as pq
import pytest
from lxml import etree

from bounded_contexts.execution.adapters.venues.simulated import venue_trade_id
from bounded_contexts.execution.domain.algorithms import candidate_code
from bounded_contexts.support.adapters.mifid.auth016_xml import HEAD001, structure_problems
from bounded_contexts.support.application.mifid.cancellations import (
    ReportAlreadyCancelled,
    cancel_transaction_report,
)
from bounded_contexts.support.application.mifid.order_records import (
    order_records,
    order_records_bytes,
)
from bounded_contexts.support.application.mifid.transactions import (
    day_bounds,
    transaction_reports,
    write_transaction_file,
)
from bounded_contexts.support.domain.mifid.order_records import ORDER_RECORD_COLUMNS
from tests.support.mifid_scenario import (
    ALGO,
    ALICE_ID,
    BUY,
    CLIENT_BUY,
    CLIENT_ID,
    DAY,
    EXEC_ALGO,
    EXPIRES,
    FIRM_LEI,
    LIMIT,
    MINUTE,
    REJECTED,
    SAP_ISIN,
    SELL,
    SHORT,
    SUBMITTER_LEI,
    T0,
    firm,
    recorded_day,
)

pytestmark = [pytest.mark.integration]
NS = "urn:iso:std:iso:20022:tech:xsd:auth.016.001.01"
DECISION_ALGO = candidate_code(ALGO)
EXECUTION_ALGO = candidate_code(EXEC_ALGO)


@pytest.fixture(scope="module")
def day_log(infrastructure):  # type: ignore[no-untyped-def]
    url, platform, _ = recorded_day(infrastructure.database_url, "mifid")
    yield url, platform
    platform.close()


def trn(order_id: uuid.UUID, seq: int) -> str:
    return f"{order_id.hex.upper()}F{seq}"


def utc(minute: int) -> str:
    return f"2026-11-26T08:{minute:02d}:00.000000Z"


def deal(order_id, seq, minute, side, qty, price, *, algo=False, short=None):  # type: ignore[no-untyped-def]
    """The expected New of a DEAL execution on XETR, every element path -> text."""
    firm_side, venue_side = ("Buyr", "Sellr") if side == "BUY" else ("Sellr", "Buyr")
    expected = {
        "TxId": trn(order_id, seq),
        "ExctgPty": FIRM_LEI,
        "InvstmtPtyInd": "true",
        "SubmitgPty": SUBMITTER_LEI,
        f"{firm_side}/AcctOwnr/Id/LEI": FIRM_LEI,
        f"{venue_side}/AcctOwnr/Id/MIC": "XETR",
        "OrdrTrnsmssn/TrnsmssnInd": "false",
        "Tx/TradDt": utc(minute),
        "Tx/TradgCpcty": "DEAL",
        "Tx/Qty/Unit": qty,
        "Tx/Pric/Pric/MntryVal/Amt": price,
        "Tx/Pric/Pric/MntryVal/Amt@Ccy": "EUR",
        "Tx/TradVn": "XETR",
        "Tx/TradPlcMtchgId": venue_trade_id(order_id, seq, T0 + minute * MINUTE),
        "FinInstrm/Id": SAP_ISIN,
        "AddtlAttrbts/SctiesFincgTxInd": "false",
    }
    if algo:
        expected["InvstmtDcsnPrsn/Algo"] = DECISION_ALGO
        expected["ExctgPrsn/Algo"] = EXECUTION_ALGO
    else:
        for role in ("InvstmtDcsnPrsn", "ExctgPrsn"):
            expected[f"{role}/Prsn/CtryOfBrnch"] = "DE"
            expected[f"{role}/Prsn/Othr/Id"] = ALICE_ID
            expected[f"{role}/Prsn/Othr/SchmeNm/Prtry"] = "CONCAT"
    if short:
        expected["AddtlAttrbts/ShrtSellgInd"] = short
    return expected


EXPECTED_NEW = [
    deal(BUY, 1, 0, "BUY", "50", "100.02", algo=True),
    deal(BUY, 2, 1, "BUY", "50", "101.0202", algo=True),
    deal(SELL, 1, 2, "SELL", "30", "101.9796", short="SELL"),
    deal(SHORT, 1, 3, "SELL", "20", "99.98", short="SELL"),
    deal(SHORT, 2, 4, "SELL", "80", "99.98", short="SESH"),
    deal(LIMIT, 1, 5, "BUY", "25", "99.5"),
    {  # the client's buy: AOTC, the client a natural person, no decision within the firm
        "TxId": trn(CLIENT_BUY, 1),
        "ExctgPty": FIRM_LEI,
        "InvstmtPtyInd": "true",
        "SubmitgPty": SUBMITTER_LEI,
        "Buyr/AcctOwnr/Id/Prsn/FrstNm": "MARIE",
        "Buyr/AcctOwnr/Id/Prsn/Nm": "CURIE",
        "Buyr/AcctOwnr/Id/Prsn/BirthDt": "1975-07-04",
        "Buyr/AcctOwnr/Id/Prsn/Othr/Id": CLIENT_ID,
        "Buyr/AcctOwnr/Id/Prsn/Othr/SchmeNm/Prtry": "CONCAT",
        "Buyr/AcctOwnr/CtryOfBrnch": "FR",
        "Sellr/AcctOwnr/Id/MIC": "XETR",
        "OrdrTrnsmssn/TrnsmssnInd": "false",
        "Tx/TradDt": utc(10),
        "Tx/TradgCpcty": "AOTC",
        "Tx/Qty/Unit": "10",
        "Tx/Pric/Pric/MntryVal/Amt": "100.02",
        "Tx/Pric/Pric/MntryVal/Amt@Ccy": "EUR",
        "Tx/TradVn": "XETR",
        "Tx/TradPlcMtchgId": venue_trade_id(CLIENT_BUY, 1, T0 + 10 * MINUTE),
        "FinInstrm/Id": SAP_ISIN,
        "ExctgPrsn/Prsn/CtryOfBrnch": "DE",
        "ExctgPrsn/Prsn/Othr/Id": ALICE_ID,
        "ExctgPrsn/Prsn/Othr/SchmeNm/Prtry": "CONCAT",
        "AddtlAttrbts/SctiesFincgTxInd": "false",
    },
]


def flatten(element: etree._Element, prefix: str = "") -> dict[str, str]:
    """Every leaf of an element as ``path -> text`` (attributes as ``path@name``)."""
    found: dict[str, str] = {}
    for child in element:
        path = f"{prefix}{etree.QName(child).localname}"
        for name, value in child.attrib.items():
            found[f"{path}@{name}"] = value
        if len(child):
            found.update(flatten(child, path + "/"))
        else:
            found[path] = child.text or ""
    return found


def write(url: str, day: str, tmp_path, name: str, **firm_changes):  # type: ignore[no-untyped-def]
    config = firm(**firm_changes)
    with psycopg.connect(url) as conn:
        reports = transaction_reports(conn, config, date.fromisoformat(day))
    written = write_transaction_file(reports, config, tmp_path / name)
    return reports, written


def test_every_execution_of_the_day_is_reported_field_by_field(day_log, tmp_path) -> None:
    url, _ = day_log
    reports, written = write(url, DAY, tmp_path, "a.xml")
    assert written is not None and not reports.left_out and not reports.cancellations
    root = etree.fromstring(written.path.read_bytes())
    news = root.findall(f".//{{{NS}}}New")
    assert [flatten(new) for new in news] == EXPECTED_NEW
    header = root.find(f".//{{{HEAD001}}}AppHdr")
    assert flatten(header)["MsgDefIdr"] == "auth.016.001.01"
    assert flatten(header)["Fr/OrgId/Id/OrgId/Othr/Id"] == SUBMITTER_LEI
    assert flatten(header)["BizMsgIdr"] == written.message_id
    assert structure_problems(written.path.read_bytes(), NS) == []


def test_the_same_day_written_twice_is_byte_identical(day_log, tmp_path) -> None:
    url, _ = day_log
    _, first = write(url, DAY, tmp_path, "first.xml")
    _, second = write(url, DAY, tmp_path, "second.xml")
    assert first.path.read_bytes() == second.path.read_bytes()


def test_a_record_that_fails_validation_is_left_out_with_its_fields(day_log, tmp_path) -> None:
    url, _ = day_log
    broken_client = {
        "C-7": {**firm_client(), "national_id": "XX123", "birth_date": "04/07/1975"},
    }
    reports, written = write(url, DAY, tmp_path, "b.xml", persons={}, clients=broken_client)
    left = {item.transaction_reference: item for item in reports.left_out}
    # every manual execution names alice, whom this configuration does not know
    for reference in (trn(SELL, 1), trn(SHORT, 1), trn(SHORT, 2), trn(LIMIT, 1)):
        assert [(p.field, p.reason) for p in left[reference].problems] == [
            (57, "no national identifier configured for person 'alice'"),
            (59, "no national identifier configured for person 'alice'"),
        ]
    client = [str(p) for p in left[trn(CLIENT_BUY, 1)].problems]
    assert client[0].startswith("field 7 (Buyer identification code): national identifier 'XX123'")
    assert client[1] == "field 11 (Buyer - date of birth): date '04/07/1975' must be YYYY-MM-DD"
    root = etree.fromstring(written.path.read_bytes())
    assert [e.text for e in root.findall(f".//{{{NS}}}New/{{{NS}}}TxId")] == [
        trn(BUY, 1),
        trn(BUY, 2),
    ]


def firm_client() -> dict[str, str]:
    from tests.support.mifid_scenario import FIRM

    return dict(FIRM["clients"]["C-7"])


def test_a_cancelled_report_is_sent_as_cxl_on_the_day_it_was_cancelled(day_log, tmp_path) -> None:
    url, platform = day_log
    next_day = T0 + 86_400 * 1_000_000_000
    store = platform.stores["support"]
    cancel_transaction_report(
        store, trn(BUY, 1), "busted by the venue", actor="person:bob", ts_event=next_day
    )
    with pytest.raises(ReportAlreadyCancelled):
        cancel_transaction_report(
            store, trn(BUY, 1), "again", actor="person:bob", ts_event=next_day
        )
    cancel_transaction_report(store, "0" * 32 + "F1", "unknown", actor="cli", ts_event=next_day)
    reports, written = write(url, "2026-11-27", tmp_path, "c.xml")
    root = etree.fromstring(written.path.read_bytes())
    assert [flatten(c) for c in root.findall(f".//{{{NS}}}Cxl")] == [
        {"TxId": trn(BUY, 1), "ExctgPty": FIRM_LEI, "SubmitgPty": SUBMITTER_LEI}
    ]
    assert root.findall(f".//{{{NS}}}New") == []
    (unknown,) = reports.left_out
    assert unknown.status == "CANC" and unknown.problems[0].field == 2
    assert structure_problems(written.path.read_bytes(), NS) == []
    # the original report stays in its own day's file
    again, _ = write(url, DAY, tmp_path, "d.xml")
    assert trn(BUY, 1) in [r.transaction_reference for r in again.reports]


def test_a_day_without_executions_writes_no_file(day_log, tmp_path) -> None:
    url, _ = day_log
    reports, written = write(url, "2026-11-25", tmp_path, "e.xml")
    assert reports.empty and written is None and not (tmp_path / "e.xml").exists()


EXPECTED_CODES = [
    (BUY, "NEWO"), (BUY, None), (BUY, "PARF"), (BUY, "FILL"),
    (SELL, "NEWO"), (SELL, None), (SELL, "FILL"),
    (SHORT, "NEWO"), (SHORT, None), (SHORT, "PARF"), (SHORT, "FILL"),
    (LIMIT, "NEWO"), (LIMIT, None), (LIMIT, "PARF"), (LIMIT, "CAME"),
    (EXPIRES, "NEWO"), (EXPIRES, None), (EXPIRES, "EXPI"),
    (REJECTED, "NEWO"), (REJECTED, "REMO"),
    (CLIENT_BUY, "NEWO"), (CLIENT_BUY, None), (CLIENT_BUY, "FILL"),
]  # fmt: skip


def test_order_records_carry_every_event_with_its_iso_code(day_log) -> None:
    url, _ = day_log
    start, end = day_bounds(date.fromisoformat(DAY))
    with psycopg.connect(url) as conn:
        records = order_records(conn, firm(), start, end)
    assert [(uuid.UUID(r.order_id), r.event_code) for r in records] == EXPECTED_CODES
    first = records[0]
    assert (first.decision_maker_kind, first.decision_maker_id) == ("ALGO", DECISION_ALGO)
    assert (first.executor_kind, first.executor_id) == ("ALGO", EXECUTION_ALGO)
    assert first.algo_name == ALGO and first.client_id == FIRM_LEI
    assert first.decision_time == "2026-11-26T07:59:00.000000Z"
    assert first.submission_time == "2026-11-26T08:00:00.000000Z"
    assert records[1].acknowledgement_time == "2026-11-26T08:00:00.000000Z"
    sesh = next(r for r in records if r.transaction_reference == trn(SHORT, 2))
    assert (sesh.short_selling, sesh.traded_quantity, sesh.remaining_quantity) == (
        "SESH",
        "80",
        "0",
    )
    assert sesh.decision_maker_code == ALICE_ID and sesh.trader_id == "person:alice"
    client = next(r for r in records if r.order_id == str(CLIENT_BUY))
    assert (client.client_id, client.trading_capacity) == (CLIENT_ID, "AOTC")
    expired = next(r for r in records if r.event_code == "EXPI")
    assert expired.validity == "GTSV" and expired.validity_expiry == "2026-11-26T08:08:00.000000Z"


def test_order_record_files_are_deterministic_in_both_formats(day_log) -> None:
    url, _ = day_log
    start, end = day_bounds(date.fromisoformat(DAY))
    with psycopg.connect(url) as conn:
        records = order_records(conn, firm(), start, end)
        again = order_records(conn, firm(), start, end)
    for fmt in ("csv", "parquet"):
        assert order_records_bytes(records, fmt) == order_records_bytes(again, fmt)
    rows = list(csv.reader(io.StringIO(order_records_bytes(records, "csv").decode())))
    assert tuple(rows[0]) == ORDER_RECORD_COLUMNS and len(rows) == len(records) + 1
    table = pq.read_table(io.BytesIO(order_records_bytes(records, "parquet")))
    assert table.column_names == list(ORDER_RECORD_COLUMNS) and table.num_rows == len(records)
    assert table.column("event_code").to_pylist() == [r.event_code for r in records]
