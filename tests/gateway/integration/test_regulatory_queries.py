"""What a regulator or auditor gets for a malformed request, and from a gateway that has no
firm configuration: a coded error naming what is wrong, before anything is read. (Allowed and
refused requests, with real data, are in the role matrix, test_role_matrix.py.)"""

from __future__ import annotations

import pytest

from tests.gateway.conftest import error_codes

pytestmark = pytest.mark.integration

REPORTS = "query ($day: String!) { transactionReports(date: $day) { day xml } }"
RECORDS = """query ($from: UtcTimestamp!, $to: UtcTimestamp!, $first: Int!) {
  orderRecords(from: $from, to: $to, first: $first) { totalCount } }"""
ACCESS = """query ($since: UtcTimestamp, $until: UtcTimestamp, $first: Int!) {
  accessLog(since: $since, until: $until, first: $first) { subject } }"""


@pytest.fixture
def auditor(access):  # type: ignore[no-untyped-def]
    access.grant("audrey", "auditor")
    return access.headers("audrey")


def ask(client, headers, query: str, **variables):  # type: ignore[no-untyped-def]
    body = client.post(
        "/graphql", json={"query": query, "variables": variables}, headers=headers
    ).json()
    return error_codes(body), body


@pytest.mark.parametrize("day", ["20/11/2026", "2026-13-01", "yesterday", ""])
def test_a_malformed_trading_day_is_bad_input(client, auditor, day: str) -> None:  # type: ignore[no-untyped-def]
    codes, body = ask(client, auditor, REPORTS, day=day)
    assert codes == ["BAD_USER_INPUT"] and "YYYY-MM-DD" in body["errors"][0]["message"]


def test_without_a_firm_configuration_reports_are_unavailable_and_say_why(
    client, auditor, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("QUANTVISTA_FIRM_CONFIG", raising=False)
    codes, body = ask(client, auditor, REPORTS, day="2026-11-20")
    assert codes == ["UNAVAILABLE"], body
    assert "QUANTVISTA_FIRM_CONFIG" in body["errors"][0]["message"]


@pytest.mark.parametrize(
    ("start", "end", "first", "says"),
    [
        ("2026-11-21T00:00:00Z", "2026-11-20T00:00:00Z", 10, "after"),
        ("2026-11-20T00:00:00Z", "2026-11-20T00:00:00Z", 10, "after"),
        ("2026-10-01T00:00:00Z", "2026-11-20T00:00:00Z", 10, "31 days"),
        ("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", 0, "first"),
        ("2026-11-20T00:00:00Z", "2026-11-21T00:00:00Z", 10_001, "first"),
    ],
)
def test_a_bad_order_record_window_is_bad_input(client, auditor, start, end, first, says) -> None:  # type: ignore[no-untyped-def]
    codes, body = ask(client, auditor, RECORDS, **{"from": start, "to": end, "first": first})
    assert codes == ["BAD_USER_INPUT"] and says in body["errors"][0]["message"], body


def test_a_timestamp_without_its_zone_is_refused(client, auditor) -> None:  # type: ignore[no-untyped-def]
    variables = {"from": "2026-11-20T00:00:00", "to": "2026-11-21T00:00:00Z", "first": 1}
    codes, _ = ask(client, auditor, RECORDS, **variables)
    assert codes and codes[0] in ("BAD_USER_INPUT", "GRAPHQL_VALIDATION_FAILED")


@pytest.mark.parametrize(
    ("since", "until", "first"),
    [
        ("2026-11-21T00:00:00Z", "2026-11-20T00:00:00Z", 10),
        (None, None, 0),
        (None, None, 10_001),
    ],
)
def test_a_bad_access_log_query_is_bad_input(client, auditor, since, until, first) -> None:  # type: ignore[no-untyped-def]
    codes, body = ask(client, auditor, ACCESS, since=since, until=until, first=first)
    assert codes == ["BAD_USER_INPUT"], body


def test_input_is_checked_before_the_permission(client, access) -> None:  # type: ignore[no-untyped-def]
    access.grant("tina", "trader", ["acc-1"])
    codes, _ = ask(client, access.headers("tina"), REPORTS, day="nonsense")
    assert codes == ["BAD_USER_INPUT"]
    codes, _ = ask(client, access.headers("tina"), REPORTS, day="2026-11-20")
    assert codes == ["FORBIDDEN"]
