"""The request principal comes from its header; the gateway config refuses nonsense."""

from __future__ import annotations

import pytest

from gateway.config import GatewayConfig, GatewayConfigError
from gateway.context import InvalidPrincipalHeader, principal_from_header
from gateway.ports import Principal


def test_without_the_header_the_local_operator_acts() -> None:
    assert principal_from_header(None) == Principal(subject="local-operator")


def test_the_header_names_the_acting_subject_without_surrounding_blanks() -> None:
    assert principal_from_header("  trader-7 ") == Principal(subject="trader-7")


@pytest.mark.parametrize(
    ("value", "reason"),
    [("", "empty"), ("   ", "empty"), ("x" * 201, "201 characters"), ("a\x00b", "control")],
)
def test_an_unusable_header_is_refused_rather_than_replaced(value: str, reason: str) -> None:
    with pytest.raises(InvalidPrincipalHeader, match=reason):
        principal_from_header(value)


def test_the_default_config_is_valid() -> None:
    assert GatewayConfig() == GatewayConfig(pool_min_size=1, pool_max_size=10, graphiql=True)


@pytest.mark.parametrize(
    ("min_size", "max_size", "named"),
    [(-1, 10, "pool_min_size"), (5, 4, "pool_max_size"), (0, 0, "pool_max_size")],
)
def test_pool_sizes_out_of_range_are_refused(min_size: int, max_size: int, named: str) -> None:
    with pytest.raises(GatewayConfigError, match=named):
        GatewayConfig(pool_min_size=min_size, pool_max_size=max_size)
