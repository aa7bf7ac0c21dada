"""The execution context's settings file: the shipped example loads as the defaults it
documents; what is given replaces the default; a malformed file is refused naming the key and
what is wrong — before any order is placed on limits nobody meant."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from bounded_contexts.execution.application.service import ExecutionConfig
from quantvista.config import ConfigurationError, Settings
from quantvista.execution_config import execution_config, load_execution_config

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "execution-config.example.toml"


def test_the_shipped_example_is_the_built_in_defaults() -> None:
    assert load_execution_config(EXAMPLE) == ExecutionConfig()


def test_given_settings_replace_the_defaults_and_two_venues_route() -> None:
    config = execution_config(
        {
            "account": {"id": "FUND-1", "initial_cash": "250000"},
            "limits": {
                "max_order_notional": 5000,
                "max_executions_per_minute": 30,
                "rolling_collar_pct": "8",
                "rolling_collar_window_s": 600,
            },
            "session": {"close_utc": "17:30"},
            "venues": [
                {"mic": "XETR", "fee_bps": "1.5", "latency_ms": 3, "seed": 9},
                {"mic": "TRQX", "fee_bps": "0.5", "volume_share": "0.4"},
            ],
        },
        where="t.toml",
    )
    assert (config.account_id, config.initial_cash) == ("FUND-1", Decimal(250000))
    assert config.limits.max_order_notional == Decimal(5000)
    assert config.limits.max_executions_per_minute == 30
    assert config.limits.max_order_quantity == Decimal(1_000_000)  # left out: the default
    assert (config.limits.rolling_collar_pct, config.limits.rolling_collar_window_s) == (8, 600)
    assert config.venues[0].volume_share == Decimal("0.4")
    assert config.session_close_utc.hour == 17
    assert (config.venue.mic, config.venue.latency_ns, [v.mic for v in config.venues]) == (
        "XETR",
        3_000_000,
        ["TRQX"],
    )


@pytest.mark.parametrize(
    ("data", "says"),
    [
        ({"acount": {}}, "unknown key(s) acount"),
        ({"limits": {"max_order_notional": 1.5}}, "must be a decimal string or an integer"),
        ({"limits": {"max_order_notional": "lots"}}, "must be a decimal number"),
        ({"limits": {"max_order_notional": "0"}}, "must be above 0"),
        ({"limits": {"max_messages_per_second": 0}}, "must be an integer of at least 1"),
        ({"limits": {"allow_short": "yes"}}, "must be true or false"),
        ({"limits": {"rolling_collar_pct": "8"}}, "needs both rolling_collar_pct and"),
        ({"session": {"close_utc": "late"}}, "must be a time of day"),
        ({"account": {"trading_capacity": "OWN"}}, "trading_capacity must be one of"),
        ({"venues": [{"mic": "xetr"}]}, "mic must be 4 capital letters"),
        ({"venues": [{"mic": "XETR"}, {"mic": "XETR"}]}, "a distinct MIC for every venue"),
        ({"venues": [{"fee_bps": "-1"}]}, "must not be negative"),
        ({"venues": [{"latency_ms": -5}]}, "latency_ms must be an integer of at least 0"),
        ({"venues": [{"max_participation": "1.5"}]}, "max_participation must be above 0"),
        ({"venues": [{"max_participation": "0"}]}, "max_participation must be above 0"),
        ({"venues": [{"resting_depth_fraction": "2"}]}, "resting_depth_fraction must be between"),
        ({"venues": [{"volume_share": "0"}]}, "volume_share must be above 0"),
        ({"fix_broker": {"mic": "XBRK"}}, "[fix_broker]: host is required"),
        (
            {
                "fix_broker": {
                    "mic": "XBRK",
                    "host": "h",
                    "port": 70000,
                    "sender_comp_id": "US",
                    "target_comp_id": "THEM",
                    "store_path": "/tmp/s.sqlite",
                }
            },
            "port must be 1-65535",
        ),
    ],
)
def test_a_malformed_setting_is_refused_naming_it(data: dict[str, object], says: str) -> None:
    with pytest.raises(ConfigurationError, match=None) as refused:
        execution_config(data, where="t.toml")
    assert says in str(refused.value) and "t.toml" in str(refused.value)


def test_a_missing_or_broken_file_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no such execution config file"):
        load_execution_config(tmp_path / "nope.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[limits\n")
    with pytest.raises(ConfigurationError, match="not a readable TOML file"):
        load_execution_config(broken)


def test_the_environment_names_the_file() -> None:
    settings = Settings.from_env({"QUANTVISTA_EXECUTION_CONFIG": str(EXAMPLE)})
    assert settings.execution_config == EXAMPLE


def test_a_fix_broker_is_the_mic_and_the_session_to_it() -> None:
    config = execution_config(
        {
            "fix_broker": {
                "mic": "XBRK",
                "host": "fix.example",
                "port": 9876,
                "sender_comp_id": "QUANTVISTA",
                "target_comp_id": "BROKER",
                "store_path": "/var/lib/qv/fix.sqlite",
                "heartbeat_interval_s": 10,
            }
        },
        where="t.toml",
    )
    assert config.fix_broker_mic == "XBRK"
    assert config.fix_broker is not None
    assert (config.fix_broker.port, config.fix_broker.heartbeat_interval_s) == (9876, 10)
