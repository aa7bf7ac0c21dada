"""Settings from the environment: every variable read once, every bad value refused with its
name — including the gateway's (CORS origins, the GraphQL allow-list, GraphiQL, workers)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from gateway.http import PersistedQueries
from quantvista.config import ConfigurationError, Settings
from quantvista.serving import gateway_config


def test_the_defaults_start_embedded_servers_and_serve_graphiql_to_one_worker() -> None:
    settings = Settings.from_env({})
    assert (settings.database_url, settings.pulsar_url) == (None, None)
    assert (settings.cors_origins, settings.graphql_allowlist, settings.graphiql) == (
        (),
        None,
        True,
    )
    assert settings.gateway_workers == 1
    config = gateway_config(settings)
    assert (config.cors_origins, config.allowlist, config.graphiql) == ((), None, True)


def test_gateway_settings_come_from_their_variables(tmp_path: Path) -> None:
    query = '{ portfolio(accountId: "DEMO-001") { cash } }'
    allowlist = tmp_path / "allow.json"
    allowlist.write_text(json.dumps({hashlib.sha256(query.encode()).hexdigest(): query}))
    settings = Settings.from_env(
        {
            "QUANTVISTA_CORS_ORIGINS": "https://desk.example.com, http://localhost:5173",
            "QUANTVISTA_GRAPHQL_ALLOWLIST": str(allowlist),
            "QUANTVISTA_GRAPHIQL": "0",
            "QUANTVISTA_GATEWAY_WORKERS": "4",
        }
    )
    assert settings.cors_origins == ("https://desk.example.com", "http://localhost:5173")
    assert (settings.graphiql, settings.gateway_workers) == (False, 4)
    config = gateway_config(settings)
    assert config.allowlist == {hashlib.sha256(query.encode()).hexdigest(): query}
    assert config.cors_origins == settings.cors_origins and config.graphiql is False


@pytest.mark.parametrize(
    ("environ", "named"),
    [
        ({"QUANTVISTA_GATEWAY_WORKERS": "0"}, "QUANTVISTA_GATEWAY_WORKERS"),
        ({"QUANTVISTA_GATEWAY_WORKERS": "two"}, "QUANTVISTA_GATEWAY_WORKERS"),
        ({"QUANTVISTA_GRAPHQL_ALLOWLIST": "/no/such/file.json"}, "QUANTVISTA_GRAPHQL_ALLOWLIST"),
        ({"QUANTVISTA_HTTP_PORT": "80a"}, "QUANTVISTA_HTTP_PORT"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"QUANTVISTA_AUTH_LEEWAY_S": "301"}, "QUANTVISTA_AUTH_LEEWAY_S"),
        (
            {"QUANTVISTA_AUTH": "ory", "ORY_OATHKEEPER_JWKS_URL": "http://oathkeeper:4456/jwks"},
            "QUANTVISTA_AUTH_ISSUER",
        ),
        ({"QUANTVISTA_SMTP_HOST": "mail", "QUANTVISTA_SMTP_PORT": "0"}, "QUANTVISTA_SMTP_PORT"),
        ({"QUANTVISTA_SMTP_HOST": "mail", "QUANTVISTA_SMTP_SECURITY": "ssl"}, "QUANTVISTA_SMTP"),
    ],
)
def test_a_bad_value_is_refused_naming_its_variable(environ: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigurationError, match=named):
        Settings.from_env(environ)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("not json", "not JSON"),
        ('["a list"]', "sha256 -> document"),
        ('{"' + "0" * 64 + '": "{ a }"}', "does not hash"),
    ],
)
def test_a_bad_allow_list_file_is_refused_with_the_reason(
    tmp_path: Path, content: str, problem: str
) -> None:
    path = tmp_path / "allow.json"
    path.write_text(content)
    settings = Settings.from_env({"QUANTVISTA_GRAPHQL_ALLOWLIST": str(path)})
    with pytest.raises((ConfigurationError, ValueError), match=problem):
        PersistedQueries(10, gateway_config(settings).allowlist)


def test_a_cors_origin_without_a_scheme_is_refused() -> None:
    settings = Settings.from_env({"QUANTVISTA_CORS_ORIGINS": "desk.example.com"})
    with pytest.raises(ConfigurationError, match="CORS origin"):
        gateway_config(settings)


def test_rate_limits_are_on_by_default_and_configurable_or_off() -> None:
    from gateway.ratelimit import Rate

    default = gateway_config(Settings.from_env({})).rate_limits
    assert default is not None and default.queries == Rate(50, 100)
    tuned = gateway_config(
        Settings.from_env({"QUANTVISTA_RATE_LIMIT_MUTATIONS": "2/4"})
    ).rate_limits
    assert tuned is not None and tuned.mutations == Rate(2, 4)
    assert gateway_config(Settings.from_env({"QUANTVISTA_RATE_LIMITS": "off"})).rate_limits is None
    with pytest.raises(ConfigurationError, match="QUANTVISTA_RATE_LIMIT_ANONYMOUS"):
        gateway_config(Settings.from_env({"QUANTVISTA_RATE_LIMIT_ANONYMOUS": "lots"}))


def test_production_turns_graphiql_and_introspection_off_unless_asked_for() -> None:
    production = gateway_config(Settings.from_env({"QUANTVISTA_ENV": "production"}))
    assert (production.graphiql, production.introspection) == (False, False)
    asked = gateway_config(
        Settings.from_env({"QUANTVISTA_ENV": "production", "QUANTVISTA_INTROSPECTION": "1"})
    )
    assert (asked.graphiql, asked.introspection) == (False, True)
    with pytest.raises(ConfigurationError, match="QUANTVISTA_ENV"):
        Settings.from_env({"QUANTVISTA_ENV": "prod"})
    with pytest.raises(ConfigurationError, match="QUANTVISTA_GRAPHIQL"):
        Settings.from_env({"QUANTVISTA_GRAPHIQL": "maybe"})


def test_the_insecure_development_mode_never_runs_in_production() -> None:
    with pytest.raises(ConfigurationError, match="never with QUANTVISTA_ENV=production"):
        Settings.from_env({"QUANTVISTA_ENV": "production"}, insecure_dev_auth=True)
    assert Settings.from_env({}, insecure_dev_auth=True).insecure_dev_auth


def test_smtp_settings_come_from_their_variables() -> None:
    assert Settings.from_env({}).smtp is None  # e-mail deliveries fail, saying so
    smtp = Settings.from_env(
        {
            "QUANTVISTA_SMTP_HOST": "relay.example.com",
            "QUANTVISTA_SMTP_PORT": "587",
            "QUANTVISTA_SMTP_SECURITY": "starttls",
            "QUANTVISTA_SMTP_FROM": "alerts@example.com",
            "QUANTVISTA_SMTP_USER": "alerts",
            "QUANTVISTA_SMTP_PASSWORD_REF": "env:QUANTVISTA_SECRET_SMTP",
        }
    ).smtp
    assert smtp is not None
    assert (smtp.host, smtp.port, smtp.security, smtp.sender) == (
        "relay.example.com",
        587,
        "starttls",
        "alerts@example.com",
    )
    assert (smtp.username, smtp.password_ref) == ("alerts", "env:QUANTVISTA_SECRET_SMTP")
