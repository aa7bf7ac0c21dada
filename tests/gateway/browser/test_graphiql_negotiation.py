"""Which ``GET /graphql`` is a person's browser (the IDE) and which a GraphQL client (JSON),
and who gets the vendored files gzipped."""

from __future__ import annotations

import pytest

from gateway.graphiql.negotiation import accepts_gzip, media_quality, prefers_html

CHROME = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,"
    "image/apng,*/*;q=0.8,application/signed-exchange;v=b3;q=0.7"
)
FIREFOX = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
SAFARI = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize("accept", [CHROME, FIREFOX, SAFARI, "text/html", "TEXT/HTML; q=0.9"])
def test_browsers_get_the_page(accept: str) -> None:
    assert prefers_html(accept)


@pytest.mark.parametrize(
    "accept",
    [
        None,  # a client that says nothing
        "",
        "*/*",  # curl, requests, httpx
        "application/json",
        "application/graphql-response+json, application/json;q=0.9",
        "text/html;q=0.5, application/json",  # prefers JSON
        "text/html, application/json",  # a tie is not a preference
        "text/html;q=0",  # explicitly refused
        "text/html;q=oops",  # a malformed quality counts as 0
        "application/graphql-response+json, text/*;q=0.5",
    ],
)
def test_graphql_clients_do_not(accept: str | None) -> None:
    assert not prefers_html(accept)


def test_the_most_specific_range_decides_the_quality() -> None:
    assert media_quality("text/*;q=0.3, text/html;q=0.7, */*;q=0.1", "text/html") == 0.7
    assert media_quality("text/*;q=0.3, */*;q=0.1", "text/html") == 0.3
    assert media_quality("*/*;q=0.1", "text/html") == 0.1
    assert media_quality("application/json", "text/html") == 0.0


@pytest.mark.parametrize(
    ("accept_encoding", "gzip"),
    [
        ("gzip, deflate, br, zstd", True),  # Chrome
        ("GZIP", True),
        ("x-gzip", True),
        ("*", True),
        ("br;q=1.0, gzip;q=0.8, *;q=0.1", True),
        (None, False),
        ("", False),
        ("identity", False),
        ("br", False),
        ("gzip;q=0", False),
        ("gzip;q=0, *", False),  # the explicit refusal wins over the wildcard
    ],
)
def test_gzip_is_sent_only_to_clients_that_accept_it(
    accept_encoding: str | None, gzip: bool
) -> None:
    assert accepts_gzip(accept_encoding) is gzip
