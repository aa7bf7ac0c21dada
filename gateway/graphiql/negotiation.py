"""Just enough HTTP content negotiation to tell a browser from a GraphQL client.

``GET /graphql`` answers both: a person's browser wants the IDE, a client wants JSON. The
``Accept`` header decides (RFC 9110 §12.5.1): the page only when ``text/html`` is preferred,
strictly, to every JSON type the GraphQL handler speaks, so ``*/*`` (curl, scripts) and a
missing header reach GraphQL. ``Accept-Encoding`` decides whether a vendored file goes out as
the gzip stored in the package or is decompressed first.
"""

from __future__ import annotations

GRAPHQL_JSON_TYPES = ("application/json", "application/graphql-response+json")


def _parameters(header: str) -> list[tuple[str, float]]:
    """``[(token, q), ...]`` of a comma-separated header; a malformed ``q`` counts as 0."""
    entries = []
    for part in header.split(","):
        token, *params = (piece.strip() for piece in part.split(";"))
        if not token:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        entries.append((token.lower(), q))
    return entries


def media_quality(accept: str | None, media_type: str) -> float:
    """The quality ``accept`` gives ``media_type``: that of its most specific matching range
    (``type/subtype`` over ``type/*`` over ``*/*``); no header accepts everything at 1."""
    if accept is None or not accept.strip():
        return 1.0
    kind = media_type.split("/", 1)[0]
    best_rank, best_q = -1, 0.0
    for token, q in _parameters(accept):
        rank = {media_type: 2, f"{kind}/*": 1, "*/*": 0}.get(token, -1)
        if rank > best_rank:
            best_rank, best_q = rank, q
    return best_q


def prefers_html(accept: str | None) -> bool:
    """True when ``text/html`` is acceptable and preferred to every GraphQL JSON type."""
    html = media_quality(accept, "text/html")
    return html > 0 and all(html > media_quality(accept, t) for t in GRAPHQL_JSON_TYPES)


def accepts_gzip(accept_encoding: str | None) -> bool:
    """True when ``gzip`` (or ``x-gzip``, or ``*``) is listed with a non-zero quality.

    A missing header is read as "identity only": RFC 9110 would allow any coding, but a client
    that says nothing is more likely a script than a browser, and plain bytes never hurt.
    """
    if accept_encoding is None:
        return False
    qualities = dict(_parameters(accept_encoding))
    for coding in ("gzip", "x-gzip", "*"):
        if coding in qualities:
            return qualities[coding] > 0
    return False
