"""GraphQL gateway: FastAPI + Strawberry over the read models, commands through ports."""

from gateway.app import create_app
from gateway.config import GatewayConfig

__all__ = ["GatewayConfig", "create_app"]
