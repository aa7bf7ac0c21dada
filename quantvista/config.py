"""Configuration from the environment, validated once at the entrypoint.

Nothing else in the code base reads environment variables: the CLI builds one
:class:`Settings` and hands it down. With no ``DATABASE_URL`` / ``PULSAR_URL`` the embedded
servers are started under the data directory; with them set, the real servers are used and
nothing is started.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from bounded_contexts.support.adapters.channels.email import SmtpConfig

DEFAULT_DATA_DIR = ".quantvista"
EMBEDDED_ISSUER = "quantvista-embedded"
MAX_LEEWAY_S = 300.0  # what the JWT verifier accepts


class ConfigurationError(ValueError):
    """A setting is missing or malformed; the message names it."""


@dataclass(frozen=True)
class Settings:
    """Every setting of a QuantVista process.

    Attributes:
        data_dir: where embedded PostgreSQL and the embedded broker keep their data
            (``--data-dir``, else ``QUANTVISTA_DATA_DIR``, else ``./.quantvista``).
        database_url: libpq URL of a real PostgreSQL; ``None`` starts the embedded one.
        pulsar_url: ``pulsar://host:port`` of a real Apache Pulsar; ``None`` starts pulsar-lite.
        pulsar_tenant: tenant of every topic, ``persistent://<tenant>/<context>/<stream>``.
        http_host, http_port: where the GraphQL gateway listens.
        fault_plan: crash-recovery tests only — where this process kills itself
            (``QUANTVISTA_FAULT_PLAN``; see :mod:`events.faults`). Unset in any real run.
        mic_registry: an ISO 10383 file (``ISO10383_MIC.csv`` as ISO publishes it) that
            decides which MICs instruments may be listed on (``QUANTVISTA_MIC_REGISTRY``, or
            ``ingest --mic-registry``); ``None`` uses the snapshot in the ``iso10383`` package.
        cors_origins: browser origins allowed to call the gateway cross-origin
            (``QUANTVISTA_CORS_ORIGINS``, comma-separated; none by default).
        graphql_allowlist: a JSON file ``{"<sha256>": "<document>", …}``: when set, the only
            GraphQL documents the gateway runs (``QUANTVISTA_GRAPHQL_ALLOWLIST``).
        environment: ``development`` (default) or ``production`` (``QUANTVISTA_ENV``).
        graphiql, introspection: serve GraphiQL to browsers, answer introspection
            (``QUANTVISTA_GRAPHIQL``, ``QUANTVISTA_INTROSPECTION``; on by default, off by
            default in production).
        gateway_workers: processes ``serve gateway`` runs (``QUANTVISTA_GATEWAY_WORKERS`` or
            ``--workers``; 1 by default).
        auth: ``embedded`` (the platform's own identity provider, keys under the data
            directory, tuples in PostgreSQL) or ``ory`` (Oathkeeper's JWTs and/or Kratos
            sessions, Keto) — ``QUANTVISTA_AUTH``.
        auth_issuer, auth_audience, auth_leeway_s: what a JWT must say and the clock-skew
            allowance (``QUANTVISTA_AUTH_ISSUER``, ``_AUDIENCE``, ``_LEEWAY_S``).
        ory_oathkeeper_jwks_url, ory_kratos_public_url, ory_kratos_cookie_name: Ory endpoints
            (``ORY_OATHKEEPER_JWKS_URL``, ``ORY_KRATOS_PUBLIC_URL``, ``ORY_KRATOS_COOKIE_NAME``);
            Keto's come from ``ORY_KETO_READ_URL`` / ``ORY_KETO_WRITE_URL``.
        insecure_dev_auth: trust the ``X-QuantVista-Principal`` header (``--insecure-dev-auth``
            only; loopback only).
        smtp: the SMTP server e-mail notifications go through (``QUANTVISTA_SMTP_HOST``,
            ``_PORT`` 25, ``_FROM``, ``_SECURITY`` none|starttls|tls, ``_USER`` and
            ``_PASSWORD_REF``, a secret reference such as ``env:SMTP_PASSWORD``); ``None``
            (no host): e-mail deliveries fail with a clear error, other channels work.
        rate_limits: per-principal rates ``"<per second>/<burst>"`` of queries, mutations and
            callers without credentials (``QUANTVISTA_RATE_LIMIT_QUERIES`` 50/100,
            ``_MUTATIONS`` 10/20, ``_ANONYMOUS`` 5/10); ``None`` when
            ``QUANTVISTA_RATE_LIMITS=off``.
        execution_config: a TOML file of the execution context's settings — the account, the
            firm's default pre-trade limits, the session close, the simulated venues
            (routing, fees, latency) — (``QUANTVISTA_EXECUTION_CONFIG``; see
            ``docs/execution-config.example.toml``); ``None``: the built-in defaults.
    """

    data_dir: Path = field(default_factory=lambda: Path(DEFAULT_DATA_DIR))
    database_url: str | None = None
    pulsar_url: str | None = None
    pulsar_tenant: str = "quantvista"
    http_host: str = "127.0.0.1"
    http_port: int = 8000
    fault_plan: str | None = None
    mic_registry: Path | None = None
    cors_origins: tuple[str, ...] = ()
    graphql_allowlist: Path | None = None
    environment: str = "development"
    graphiql: bool = True
    introspection: bool = True
    gateway_workers: int = 1
    rate_limits: tuple[str, str, str] | None = ("50/100", "10/20", "5/10")
    auth: str = "embedded"
    auth_issuer: str = EMBEDDED_ISSUER
    auth_audience: str = "quantvista-gateway"
    auth_leeway_s: float = 30.0
    ory_oathkeeper_jwks_url: str | None = None
    ory_kratos_public_url: str | None = None
    ory_kratos_cookie_name: str = "ory_kratos_session"
    insecure_dev_auth: bool = False
    smtp: SmtpConfig | None = None
    execution_config: Path | None = None

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: object) -> Settings:
        env = os.environ if environ is None else environ
        port_text = env.get("QUANTVISTA_HTTP_PORT", "8000")
        if not port_text.isdigit():
            raise ConfigurationError(f"QUANTVISTA_HTTP_PORT must be an integer, got {port_text!r}")
        environment = env.get("QUANTVISTA_ENV", "development")
        if environment not in ("development", "production"):
            raise ConfigurationError(
                f"QUANTVISTA_ENV must be development or production, got {environment!r}"
            )
        production = environment == "production"
        settings = cls(
            data_dir=Path(env.get("QUANTVISTA_DATA_DIR", DEFAULT_DATA_DIR)),
            database_url=env.get("DATABASE_URL") or None,
            pulsar_url=env.get("PULSAR_URL") or None,
            pulsar_tenant=env.get("QUANTVISTA_PULSAR_TENANT", "quantvista"),
            http_host=env.get("QUANTVISTA_HTTP_HOST", "127.0.0.1"),
            http_port=int(port_text),
            fault_plan=env.get("QUANTVISTA_FAULT_PLAN") or None,
            mic_registry=Path(env["QUANTVISTA_MIC_REGISTRY"])
            if env.get("QUANTVISTA_MIC_REGISTRY")
            else None,
            cors_origins=tuple(
                origin.strip()
                for origin in env.get("QUANTVISTA_CORS_ORIGINS", "").split(",")
                if origin.strip()
            ),
            graphql_allowlist=Path(env["QUANTVISTA_GRAPHQL_ALLOWLIST"])
            if env.get("QUANTVISTA_GRAPHQL_ALLOWLIST")
            else None,
            environment=environment,
            graphiql=_flag(env, "QUANTVISTA_GRAPHIQL", default=not production),
            introspection=_flag(env, "QUANTVISTA_INTROSPECTION", default=not production),
            gateway_workers=_positive_int(env, "QUANTVISTA_GATEWAY_WORKERS", 1),
            auth=env.get("QUANTVISTA_AUTH", "embedded"),
            auth_issuer=env.get("QUANTVISTA_AUTH_ISSUER", EMBEDDED_ISSUER),
            auth_audience=env.get("QUANTVISTA_AUTH_AUDIENCE", "quantvista-gateway"),
            auth_leeway_s=_seconds(env, "QUANTVISTA_AUTH_LEEWAY_S", 30.0),
            ory_oathkeeper_jwks_url=env.get("ORY_OATHKEEPER_JWKS_URL") or None,
            ory_kratos_public_url=env.get("ORY_KRATOS_PUBLIC_URL") or None,
            ory_kratos_cookie_name=env.get("ORY_KRATOS_COOKIE_NAME", "ory_kratos_session"),
            smtp=_smtp(env),
            execution_config=Path(env["QUANTVISTA_EXECUTION_CONFIG"])
            if env.get("QUANTVISTA_EXECUTION_CONFIG")
            else None,
            rate_limits=None
            if env.get("QUANTVISTA_RATE_LIMITS", "on").lower() in ("off", "0", "no", "false")
            else (
                env.get("QUANTVISTA_RATE_LIMIT_QUERIES", "50/100"),
                env.get("QUANTVISTA_RATE_LIMIT_MUTATIONS", "10/20"),
                env.get("QUANTVISTA_RATE_LIMIT_ANONYMOUS", "5/10"),
            ),
        )
        given = {k: v for k, v in overrides.items() if v is not None}
        settings = replace(settings, **given)
        settings.validate()
        return settings

    def validate(self) -> None:
        if self.database_url is not None and not self.database_url.startswith(
            ("postgres://", "postgresql://")
        ):
            raise ConfigurationError(
                f"DATABASE_URL must be a postgresql:// URL, got {self.database_url!r}"
            )
        if self.pulsar_url is not None and not self.pulsar_url.startswith(
            ("pulsar://", "pulsar+ssl://")
        ):
            raise ConfigurationError(f"PULSAR_URL must be a pulsar:// URL, got {self.pulsar_url!r}")
        if self.fault_plan is not None:
            from events.faults import FaultPlan, FaultPlanError

            try:
                FaultPlan(self.fault_plan)
            except FaultPlanError as exc:
                raise ConfigurationError(f"QUANTVISTA_FAULT_PLAN: {exc}") from None
        if self.graphql_allowlist is not None and not self.graphql_allowlist.is_file():
            raise ConfigurationError(
                f"QUANTVISTA_GRAPHQL_ALLOWLIST: no such file {str(self.graphql_allowlist)!r}"
            )
        if self.auth not in ("embedded", "ory"):
            raise ConfigurationError(f"QUANTVISTA_AUTH must be embedded or ory, got {self.auth!r}")
        if self.auth == "ory" and not (self.ory_oathkeeper_jwks_url or self.ory_kratos_public_url):
            raise ConfigurationError(
                "QUANTVISTA_AUTH=ory needs ORY_OATHKEEPER_JWKS_URL and/or ORY_KRATOS_PUBLIC_URL"
            )
        if self.auth_leeway_s > MAX_LEEWAY_S:
            raise ConfigurationError(
                f"QUANTVISTA_AUTH_LEEWAY_S is a clock-skew allowance of at most {MAX_LEEWAY_S:g} "
                f"s, got {self.auth_leeway_s:g}"
            )
        if (
            self.auth == "ory"
            and self.ory_oathkeeper_jwks_url
            and self.auth_issuer == EMBEDDED_ISSUER
        ):
            raise ConfigurationError(
                "QUANTVISTA_AUTH=ory with Oathkeeper: set QUANTVISTA_AUTH_ISSUER to the issuer_url "
                "of Oathkeeper's id_token mutator (and QUANTVISTA_AUTH_AUDIENCE to its audience)"
            )
        if self.insecure_dev_auth and self.environment == "production":
            raise ConfigurationError(
                "--insecure-dev-auth trusts a header anyone can send: never with QUANTVISTA_ENV="
                "production"
            )
        if self.insecure_dev_auth and self.http_host not in ("127.0.0.1", "localhost", "::1"):
            raise ConfigurationError(
                "--insecure-dev-auth trusts a header anyone can send: it serves on 127.0.0.1 "
                f"only, not on {self.http_host!r}"
            )
        if self.gateway_workers < 1:
            raise ConfigurationError(
                f"gateway workers must be at least 1, got {self.gateway_workers}"
            )
        if self.mic_registry is not None and not self.mic_registry.is_file():
            raise ConfigurationError(
                f"QUANTVISTA_MIC_REGISTRY: no such file {str(self.mic_registry)!r}"
            )
        if not self.pulsar_tenant.replace("-", "").replace("_", "").isalnum():
            raise ConfigurationError(f"invalid Pulsar tenant {self.pulsar_tenant!r}")


def _smtp(env: os._Environ[str] | dict[str, str]) -> SmtpConfig | None:
    host = env.get("QUANTVISTA_SMTP_HOST")
    if not host:
        return None
    port_text = env.get("QUANTVISTA_SMTP_PORT", "25")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigurationError(f"QUANTVISTA_SMTP_PORT must be a port number, got {port_text!r}")
    try:
        return SmtpConfig(
            host=host,
            port=int(port_text),
            sender=env.get("QUANTVISTA_SMTP_FROM", "quantvista@localhost"),
            security=env.get("QUANTVISTA_SMTP_SECURITY", "none"),
            username=env.get("QUANTVISTA_SMTP_USER") or None,
            password_ref=env.get("QUANTVISTA_SMTP_PASSWORD_REF") or None,
        )
    except ValueError as exc:
        raise ConfigurationError(f"QUANTVISTA_SMTP_*: {exc}") from None


def _positive_int(env: os._Environ[str] | dict[str, str], name: str, default: int) -> int:
    text = env.get(name, str(default))
    if not text.isdigit() or int(text) < 1:
        raise ConfigurationError(f"{name} must be a positive integer, got {text!r}")
    return int(text)


def _flag(env: os._Environ[str] | dict[str, str], name: str, *, default: bool) -> bool:
    text = env.get(name)
    if text is None or text == "":
        return default
    if text.lower() in ("1", "true", "yes", "on"):
        return True
    if text.lower() in ("0", "false", "no", "off"):
        return False
    raise ConfigurationError(f"{name} must be 1 or 0, got {text!r}")


def _seconds(env: os._Environ[str] | dict[str, str], name: str, default: float) -> float:
    text = env.get(name)
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 600:
        raise ConfigurationError(f"{name} must be seconds between 0 and 600, got {text!r}")
    return value
