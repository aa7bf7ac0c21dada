"""The development mode's principal header (only with --insecure-dev-auth); the gateway config
refuses nonsense."""

from __future__ import annotations

import asyncio

import pytest

from gateway.config import GatewayConfig, GatewayConfigError
from gateway.identity import AuthenticationFailed
from gateway.security import HeaderAuthenticator


def run(coroutine):  # type: ignore[no-untyped-def]
    return asyncio.run(coroutine)


def test_the_development_header_names_the_subject_only_in_insecure_mode() -> None:
    dev = HeaderAuthenticator()
    identity = run(dev.authenticate({"X-QuantVista-Principal": "  trader-7 "}, {}))
    assert identity is not None and identity.subject == "trader-7"
    assert run(dev.authenticate({}, {})) is None  # no header: anonymous, never a default user


@pytest.mark.parametrize("value", ["", "   ", "x" * 201, "a\x00b"])
def test_an_unusable_development_header_is_refused_rather_than_replaced(value: str) -> None:
    with pytest.raises(AuthenticationFailed):
        run(HeaderAuthenticator().authenticate({"x-quantvista-principal": value}, {}))


def test_the_default_config_is_valid() -> None:
    assert GatewayConfig() == GatewayConfig(pool_min_size=1, pool_max_size=10, graphiql=True)


@pytest.mark.parametrize(
    ("min_size", "max_size", "named"),
    [(-1, 10, "pool_min_size"), (5, 4, "pool_max_size"), (0, 0, "pool_max_size")],
)
def test_pool_sizes_out_of_range_are_refused(min_size: int, max_size: int, named: str) -> None:
    with pytest.raises(GatewayConfigError, match=named):
        GatewayConfig(pool_min_size=min_size, pool_max_size=max_size)
