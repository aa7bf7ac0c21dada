"""The gateway's one configuration object, validated once when the app is created."""

from __future__ import annotations

from dataclasses import dataclass


class GatewayConfigError(ValueError):
    """A gateway setting is out of range; the message names it."""


@dataclass(frozen=True)
class GatewayConfig:
    """Settings of :func:`gateway.app.create_app`.

    Attributes:
        pool_min_size: connections opened at startup (and kept) for read-model queries.
        pool_max_size: most connections the gateway holds; requests beyond wait for one.
        graphiql: serve the GraphiQL IDE on ``GET /graphql`` from a browser.
    """

    pool_min_size: int = 1
    pool_max_size: int = 10
    graphiql: bool = True

    def __post_init__(self) -> None:
        if self.pool_min_size < 0:
            raise GatewayConfigError(f"pool_min_size must be >= 0, got {self.pool_min_size}")
        if self.pool_max_size < max(1, self.pool_min_size):
            raise GatewayConfigError(
                f"pool_max_size must be >= max(1, pool_min_size={self.pool_min_size}), "
                f"got {self.pool_max_size}"
            )
