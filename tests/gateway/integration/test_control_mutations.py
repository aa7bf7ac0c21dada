"""The RTS 6 controls over GraphQL, end to end on the real execution context: the risk desk
engages a kill switch and the trader's working order is cancelled and their next order
rejected naming the switch; limits set govern the next order; the controls read back from
their read models; bad input gets a clear error naming the argument and records nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import psycopg
import pytest
from fastapi.testclient import TestClient

from bounded_contexts.execution.application.service import ExecutionConfig
from bounded_contexts.ingestion.adapters.csv_replay import read_instruments, sample_path
from bounded_contexts.support.application.access_log import AccessLog
from gateway import GatewayConfig, create_app
from quantvista.platform import PipelineConfig, Platform
from tests.access_helpers import TestAccess
from tests.conftest import _with_database

pytestmark = pytest.mark.integration

PLACE = """
mutation ($input: PlaceOrderInput!) {
  placeOrder(input: $input) { position order { orderId status rejectReason } }
}
"""
ENGAGE = """
mutation ($scope: ControlScopeInput!, $reason: String!) {
  engageKillSwitch(scope: $scope, reason: $reason) { scope engaged cancelledOrderIds position }
}
"""
RELEASE = ENGAGE.replace("engageKillSwitch", "releaseKillSwitch")
SET_LIMITS = """
mutation ($input: RiskLimitsInput!) { setRiskLimits(input: $input) { scope position } }
"""
SWITCHES = """
query ($min: StorePosition, $engaged: Boolean!) {
  killSwitches(engagedOnly: $engaged, minPosition: $min) { scope engaged reason actor position }
}
"""
LIMITS = """
query ($min: StorePosition) {
  riskLimits(minPosition: $min) { scope maxOrderQuantity maxOrderNotional priceCollarPct
    maxMessagesPerSecond rollingCollarPct rollingCollarWindowS reason actor }
}
"""


@dataclass
class Desk:
    platform: Platform
    client: TestClient
    access: TestAccess

    def call(self, user: str, document: str, variables: Mapping[str, Any]) -> Any:
        response = self.client.post(
            "/graphql",
            json={"query": document, "variables": dict(variables)},
            headers=self.access.headers(user),
        )
        assert response.status_code == 200, response.text
        return response.json()

    def place(self, quantity: str = "1", instrument: str = "SAP") -> Any:
        order = {
            "accountId": "acc-1",
            "instrumentId": instrument,
            "side": "BUY",
            "quantity": quantity,
            "orderType": "LIMIT",
            "limitPrice": "1",
        }
        return self.call("trader-1", PLACE, {"input": order})


@pytest.fixture(scope="module")
def desk(infrastructure, tmp_path_factory) -> Iterator[Desk]:  # type: ignore[no-untyped-def]
    name = "controls_" + uuid.uuid4().hex[:12]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    access = TestAccess(tmp_path_factory.mktemp("identity"))
    access.grant("trader-1", "trader", ["acc-1"]).grant("risk-1", "risk")
    platform = Platform(
        url, None, config=PipelineConfig(execution=ExecutionConfig(account_id="acc-1"))
    )
    try:
        platform.create_tables()
        platform.build()
        access.access_log = AccessLog(platform.stores["support"])
        listings = read_instruments(sample_path("instruments.csv"))[:2]
        platform.ingestion.list_instruments(listings, actor="test")
        platform.run_until_caught_up()
        app = create_app(
            url,
            platform.execution_commands,
            security=access.security(),
            config=GatewayConfig(pool_min_size=1, pool_max_size=4),
        )
        with TestClient(app) as client:
            yield Desk(platform, client, access)
    finally:
        platform.close()


def scope(kind: str, value: str | None = None) -> dict[str, Any]:
    return {"kind": kind, **({} if value is None else {"value": value})}


def project(desk: Desk) -> None:
    """The read models fold what the commands appended (a platform without a broker)."""
    desk.platform.run_until_caught_up()


def test_an_engaged_switch_cancels_the_working_order_and_rejects_the_next_naming_it(
    desk: Desk,
) -> None:
    resting = desk.place()["data"]["placeOrder"]["order"]
    assert resting["status"] == "ACCEPTED"

    variables = {"scope": scope("ACCOUNT", "acc-1"), "reason": "runaway quoting"}
    engaged = desk.call("risk-1", ENGAGE, variables)
    assert "errors" not in engaged, engaged
    payload = engaged["data"]["engageKillSwitch"]
    assert (payload["scope"], payload["engaged"]) == ("account:acc-1", True)
    assert payload["cancelledOrderIds"] == [resting["orderId"]]

    refused = desk.place()
    assert refused["data"]["placeOrder"]["order"]["status"] == "REJECTED"
    [error] = refused["errors"]
    extensions = error["extensions"]
    assert (extensions["code"], extensions["control"], extensions["scope"]) == (
        "REJECTED",
        "kill_switch",
        "account:acc-1",
    )
    assert "runaway quoting" in error["message"]

    again = desk.call("risk-1", ENGAGE, variables)
    assert [e["extensions"]["code"] for e in again["errors"]] == ["ILLEGAL_STATE"]

    project(desk)
    switches = desk.call("risk-1", SWITCHES, {"min": payload["position"], "engaged": True})
    [switch] = switches["data"]["killSwitches"]
    assert switch == {
        "scope": "account:acc-1",
        "engaged": True,
        "reason": "runaway quoting",
        "actor": "person:risk-1",
        "position": switch["position"],
    }
    # the switch is recorded first, the cancellations after it in the same append
    assert int(switch["position"]) < int(payload["position"])

    released = desk.call("risk-1", RELEASE, {**variables, "reason": "quotes fixed"})
    assert released["data"]["releaseKillSwitch"]["engaged"] is False
    assert desk.place()["data"]["placeOrder"]["order"]["status"] == "ACCEPTED"
    twice = desk.call("risk-1", RELEASE, {**variables, "reason": "again"})
    assert [e["extensions"]["code"] for e in twice["errors"]] == ["ILLEGAL_STATE"]
    assert "is not engaged" in twice["errors"][0]["message"]
    project(desk)
    still = desk.call("risk-1", SWITCHES, {"engaged": True})["data"]["killSwitches"]
    assert still == []


def test_limits_set_over_graphql_govern_the_next_order_and_read_back(desk: Desk) -> None:
    limits = {
        "scope": scope("INSTRUMENT", "SAP"),
        "maxOrderQuantity": "5",
        "priceCollarPct": "2.5",
        "rollingCollarPct": "8",
        "rollingCollarWindowS": 600,
        "reason": "thin book",
    }
    answer = desk.call("risk-1", SET_LIMITS, {"input": limits})
    assert "errors" not in answer, answer
    position = answer["data"]["setRiskLimits"]["position"]

    refused = desk.place(quantity="10")
    [error] = refused["errors"]
    assert (error["extensions"]["control"], error["extensions"]["scope"]) == (
        "max_order_quantity",
        "instrument:SAP",
    )
    assert (error["extensions"]["limit"], error["extensions"]["value"]) == ("5", "10")
    other = desk.place(quantity="10", instrument=desk_other_instrument(desk))
    assert other["data"]["placeOrder"]["order"]["status"] == "ACCEPTED"

    project(desk)
    shown = desk.call("risk-1", LIMITS, {"min": position})["data"]["riskLimits"]
    assert {
        "scope": "instrument:SAP",
        "maxOrderQuantity": "5",
        "maxOrderNotional": None,
        "priceCollarPct": "2.5",
        "maxMessagesPerSecond": None,
        "rollingCollarPct": "8",
        "rollingCollarWindowS": 600,
        "reason": "thin book",
        "actor": "person:risk-1",
    } in shown


def desk_other_instrument(desk: Desk) -> str:
    return next(i for i in desk.platform.execution.instruments if i != "SAP")


@pytest.mark.parametrize(
    ("document", "variables", "field", "says"),
    [
        (ENGAGE, {"scope": scope("FIRM", "all"), "reason": "x"}, "scope", "takes no value"),
        (ENGAGE, {"scope": scope("ACCOUNT"), "reason": "x"}, "scope", "needs a value"),
        (ENGAGE, {"scope": scope("FIRM"), "reason": "  "}, "reason", "a reason is required"),
        (
            SET_LIMITS,
            {"input": {"scope": scope("FIRM"), "maxOrderNotional": "-1", "reason": "x"}},
            "input.maxOrderNotional",
            "must be a number above 0",
        ),
        (
            SET_LIMITS,
            {"input": {"scope": scope("FIRM"), "priceCollarPct": "150", "reason": "x"}},
            "input.priceCollarPct",
            "at most 100",
        ),
        (
            SET_LIMITS,
            {"input": {"scope": scope("FIRM"), "rollingCollarPct": "5", "reason": "x"}},
            "input.rollingCollarWindowS",
            "needs both",
        ),
        (
            SET_LIMITS,
            {"input": {"scope": scope("TRADER", "a b"), "reason": "x"}},
            "input.scope",
            "letters, digits",
        ),
    ],
)
def test_bad_control_input_gets_a_clear_error_naming_the_argument_and_records_nothing(
    desk: Desk, document: str, variables: dict[str, Any], field: str, says: str
) -> None:
    head = desk.platform.stores["execution"].head()
    body = desk.call("risk-1", document, variables)
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", body
    assert error["extensions"]["field"] == field
    assert says in error["message"]
    assert body["data"] is None
    assert desk.platform.stores["execution"].head() == head


def test_an_unknown_scope_kind_is_refused_by_the_schema(desk: Desk) -> None:
    body = desk.call("risk-1", ENGAGE, {"scope": {"kind": "DESK", "value": "x"}, "reason": "x"})
    assert "data" not in body and "DESK" in body["errors"][0]["message"]  # never ran
