"""Corrected executions in the regulator's records: a fill corrected on its own trading day is
reported once, with the corrected price; one corrected on a later day is cancelled and sent
again, corrected, in that day's file (the ``Cxl`` before the ``New``); the day it was executed
still gives the file that was sent; the order record has the correction's own row."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import psycopg
import pytest
from lxml import etree

from bounded_contexts.support.adapters.mifid.auth016_xml import structure_problems
from bounded_contexts.support.application.mifid.order_records import order_records
from bounded_contexts.support.application.mifid.transactions import (
    day_bounds,
    transaction_reports,
    write_transaction_file,
)
from events.effects import EventsToAppend
from events.envelope import Cause
from tests.support.integration.test_mifid_reports import NS, flatten, trn
from tests.support.mifid_scenario import BUY, DAY, SELL, T0, firm, recorded_day

pytestmark = [pytest.mark.integration]
NEXT_DAY = "2026-11-27"
HOUR = 3_600_000_000_000


@pytest.fixture(scope="module")
def corrected_log(infrastructure):  # type: ignore[no-untyped-def]
    url, platform, day = recorded_day(infrastructure.database_url, "mifid_corr")
    for order_id, price, ts in ((BUY, "100.01", T0 + 2 * HOUR), (SELL, "101.97", T0 + 26 * HOUR)):
        uow = EventsToAppend()
        day.svc.correct_fill(
            order_id,
            1,
            price=Decimal(price),
            fee=day.svc.orders[order_id].fill_terms[1].fee,
            reason="venue trade correction",
            uow=uow,
            cause=Cause.origin(ts_event=ts, actor="person:olga", key=f"corr/{order_id}"),
        )
        day.store.append(uow.items)
    yield url
    platform.close()


def file_of(url: str, day: str, tmp_path):  # type: ignore[no-untyped-def]
    config = firm()
    with psycopg.connect(url) as conn:
        reports = transaction_reports(conn, config, date.fromisoformat(day))
    written = write_transaction_file(reports, config, tmp_path / f"{day}.xml")
    assert written is not None and not reports.left_out, reports.left_out
    return etree.fromstring(written.path.read_bytes()), written.path.read_bytes()


def prices(root: etree._Element) -> dict[str, str]:
    return {
        flatten(new)["TxId"]: flatten(new)["Tx/Pric/Pric/MntryVal/Amt"]
        for new in root.findall(f".//{{{NS}}}New")
    }


def test_a_same_day_correction_is_reported_once_with_the_corrected_price(
    corrected_log, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    root, _ = file_of(corrected_log, DAY, tmp_path)
    reported = prices(root)
    assert reported[trn(BUY, 1)] == "100.01"  # corrected the same day
    assert reported[trn(SELL, 1)] == "101.9796"  # corrected the next day: as sent that day
    assert root.findall(f".//{{{NS}}}Cxl") == []


def test_a_later_correction_cancels_the_report_sent_and_sends_it_again_corrected(
    corrected_log, tmp_path
) -> None:  # type: ignore[no-untyped-def]
    root, content = file_of(corrected_log, NEXT_DAY, tmp_path)
    body = root.find(f".//{{{NS}}}FinInstrmRptgTxRpt")
    records = [etree.QName(tx[0]).localname for tx in body]
    assert records == ["Cxl", "New"]  # the cancellation first, then its replacement
    (cxl,) = root.findall(f".//{{{NS}}}Cxl")
    assert flatten(cxl)["TxId"] == trn(SELL, 1)
    assert prices(root) == {trn(SELL, 1): "101.97"}
    assert structure_problems(content, NS) == []
    assert file_of(corrected_log, NEXT_DAY, tmp_path)[1] == content  # byte-identical again


def test_the_order_record_has_the_correction_beside_the_fill(corrected_log) -> None:  # type: ignore[no-untyped-def]
    start, _ = day_bounds(date.fromisoformat(DAY))
    _, end = day_bounds(date.fromisoformat(NEXT_DAY))
    with psycopg.connect(corrected_log) as conn:
        records = order_records(conn, firm(), start, end)
    sell = [r for r in records if r.order_id == str(SELL)]
    assert [(r.event_type, r.event_code) for r in sell][-2:] == [
        ("OrderFilled", "FILL"),
        ("OrderFillCorrected", None),
    ]
    fill, correction = sell[-2:]
    assert (fill.traded_price, correction.traded_price) == ("101.9796", "101.97")
    assert correction.transaction_reference == fill.transaction_reference == trn(SELL, 1)
    assert correction.reason == "venue trade correction"
