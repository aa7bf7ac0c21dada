"""The gateway's one configuration object, validated once when the app is created."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from gateway.http import HttpLimits
from gateway.limits import Limits
from gateway.ratelimit import RateLimits


class GatewayConfigError(ValueError):
    """A gateway setting is out of range; the message names it."""


@dataclass(frozen=True)
class GatewayConfig:
    """Settings of :func:`gateway.app.create_app`.

    Attributes:
        pool_min_size: connections opened at startup (and kept) for read-model queries.
        pool_max_size: most connections the gateway holds; requests beyond wait for one.
        graphiql: serve the GraphiQL IDE on ``GET /graphql`` from a browser.
        introspection: answer ``__schema``/``__type`` queries (off in production).
        consistency_timeout_s: how long a query given ``minPosition`` waits for the read
            model to reach it before answering ``CONSISTENCY_TIMEOUT``.
        limits: depth, alias and cost limits of one operation (:mod:`gateway.limits`).
        http: body size, batch size, query time budget, persisted-query memory.
        max_in_flight: GraphQL requests served at once; more are shed with 503.
        retry_after_s: the ``Retry-After`` of a shed request.
        cors_origins: browser origins allowed to call the API cross-origin (none by default:
            GraphiQL is served from the gateway's own origin).
        allowlist: ``{sha256: document}``; when given, the only documents the gateway runs.
        read_schema: serve the read models of this schema (a point-in-time replay,
            ``quantvista replay``) read-only: every mutation is refused with ``READ_ONLY``.
        firm_config: the firm file the regulator's transaction reports need (``None``: the
            ``QUANTVISTA_FIRM_CONFIG`` variable, read at each request).
        rate_limits: per-principal token buckets (:mod:`gateway.ratelimit`); ``None``: none
            (what a test or an embedding application starts with; ``quantvista`` turns them on).
    """

    pool_min_size: int = 1
    pool_max_size: int = 10
    graphiql: bool = True
    introspection: bool = True
    consistency_timeout_s: float = 5.0
    limits: Limits = field(default_factory=Limits)
    http: HttpLimits = field(default_factory=HttpLimits)
    max_in_flight: int = 24
    retry_after_s: int = 1
    cors_origins: tuple[str, ...] = ()
    allowlist: Mapping[str, str] | None = None
    rate_limits: RateLimits | None = None
    read_schema: str | None = None
    firm_config: Path | None = None

    def __post_init__(self) -> None:
        if self.pool_min_size < 0:
            raise GatewayConfigError(f"pool_min_size must be >= 0, got {self.pool_min_size}")
        if self.pool_max_size < max(1, self.pool_min_size):
            raise GatewayConfigError(
                f"pool_max_size must be >= max(1, pool_min_size={self.pool_min_size}), "
                f"got {self.pool_max_size}"
            )
        if self.consistency_timeout_s <= 0:
            raise GatewayConfigError(
                f"consistency_timeout_s must be > 0, got {self.consistency_timeout_s}"
            )
        if self.max_in_flight < 1:
            raise GatewayConfigError(f"max_in_flight must be >= 1, got {self.max_in_flight}")
        for origin in self.cors_origins:
            if origin != "*" and not origin.startswith(("http://", "https://")):
                raise GatewayConfigError(
                    f"a CORS origin is a scheme and host such as https://app.example.com, "
                    f"got {origin!r}"
                )
