"""The execution context's settings from a TOML file (``QUANTVISTA_EXECUTION_CONFIG``): the
configured account, the firm's default pre-trade limits, the trading session's close, and the
simulated venues orders are routed to. Everything is optional; what is left out keeps the
built-in default. A malformed file is refused at start, naming the key — a desk must not
trade on limits it did not mean. See ``docs/execution-config.example.toml``.
"""

from __future__ import annotations

import tomllib
from dataclasses import fields, replace
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from bounded_contexts.execution.adapters.venues.fix44.config import (
    FixSessionConfig,
    InvalidFixConfig,
)
from bounded_contexts.execution.adapters.venues.simulated import SimulatedVenueConfig
from bounded_contexts.execution.application.service import ExecutionConfig
from bounded_contexts.execution.domain.pretrade import PreTradeLimits
from quantvista.config import ConfigurationError

MS = 1_000_000
_SECTIONS = {"account", "limits", "session", "venues", "fix_broker"}
_FIX = {
    "mic",
    "host",
    "port",
    "sender_comp_id",
    "target_comp_id",
    "store_path",
    "heartbeat_interval_s",
    "store_fsync",
}
_ACCOUNT = {"id", "currency", "initial_cash", "trading_capacity", "short_sale_exempt"}
_VENUE_DECIMALS = {
    "slippage_bps",
    "fee_bps",
    "maker_fee_bps",
    "min_fee",
    "max_participation",
    "resting_depth_fraction",
    "volume_share",
}
_VENUE_INTS = {"latency_ms", "latency_jitter_ms", "seed"}


def load_execution_config(path: Path) -> ExecutionConfig:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"no such execution config file: {path}") from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise ConfigurationError(f"{path}: not a readable TOML file: {error}") from None
    return execution_config(data, where=str(path))


def execution_config(data: dict[str, Any], *, where: str) -> ExecutionConfig:
    _only(data, _SECTIONS, where)
    config = ExecutionConfig()
    account = data.get("account", {})
    _only(account, _ACCOUNT, f"{where} [account]")
    changes: dict[str, Any] = {}
    if "id" in account:
        changes["account_id"] = _text(account["id"], f"{where} [account] id")
    if "currency" in account:
        changes["account_currency"] = _text(account["currency"], f"{where} [account] currency")
    if "initial_cash" in account:
        changes["initial_cash"] = _decimal(account["initial_cash"], f"{where} initial_cash")
    if "trading_capacity" in account:
        changes["trading_capacity"] = _text(account["trading_capacity"], f"{where} capacity")
    if "short_sale_exempt" in account:
        changes["short_sale_exempt"] = _flag(account["short_sale_exempt"], f"{where} exempt")
    if "limits" in data:
        changes["limits"] = _limits(data["limits"], f"{where} [limits]")
    session = data.get("session", {})
    _only(session, {"close_utc"}, f"{where} [session]")
    if "close_utc" in session:
        changes["session_close_utc"] = _time(session["close_utc"], f"{where} [session] close_utc")
    venues = [
        _venue(v, f"{where} [[venues]] #{n}") for n, v in enumerate(data.get("venues", []), 1)
    ]
    if venues:
        changes["venue"], changes["venues"] = venues[0], tuple(venues[1:])
    if "fix_broker" in data:
        changes["fix_broker_mic"], changes["fix_broker"] = _fix_broker(
            data["fix_broker"], f"{where} [fix_broker]"
        )
    try:
        return replace(config, **changes)
    except ValueError as error:  # the config's own checks (capacity, distinct MICs …)
        raise ConfigurationError(f"{where}: {error}") from None


def _limits(table: Any, where: str) -> PreTradeLimits:
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where} must be a table")
    names = {f.name for f in fields(PreTradeLimits)}
    _only(table, names, where)
    values: dict[str, Any] = {}
    for name, raw in table.items():
        if name == "allow_short":
            values[name] = _flag(raw, f"{where} {name}")
        elif name in (
            "max_messages_per_second",
            "max_executions_per_minute",
            "rolling_collar_window_s",
        ):
            values[name] = _positive_int(raw, f"{where} {name}")
        else:
            value = _decimal(raw, f"{where} {name}")
            if value <= 0:
                raise ConfigurationError(f"{where} {name} must be above 0, got {value}")
            values[name] = value
    try:
        return PreTradeLimits(**values)
    except ValueError as error:  # a pair given by half
        raise ConfigurationError(f"{where}: {error}") from None


def _venue(table: Any, where: str) -> SimulatedVenueConfig:
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where} must be a table")
    _only(table, {"mic", *_VENUE_DECIMALS, *_VENUE_INTS}, where)
    values: dict[str, Any] = {}
    if "mic" in table:
        mic = _text(table["mic"], f"{where} mic")
        if len(mic) != 4 or not mic.isalnum() or not mic.isupper():
            raise ConfigurationError(f"{where} mic must be 4 capital letters or digits: {mic!r}")
        values["mic"] = mic
    for name in _VENUE_DECIMALS & table.keys():
        value = _decimal(table[name], f"{where} {name}")
        if value < 0:
            raise ConfigurationError(f"{where} {name} must not be negative, got {value}")
        values[name] = value
    if "latency_ms" in table:
        values["latency_ns"] = _positive_int(table["latency_ms"], f"{where} latency_ms", 0) * MS
    if "latency_jitter_ms" in table:
        jitter = _positive_int(table["latency_jitter_ms"], f"{where} latency_jitter_ms", 0)
        values["latency_jitter_ns"] = jitter * MS
    if "seed" in table:
        values["seed"] = _positive_int(table["seed"], f"{where} seed", 0)
    try:
        return SimulatedVenueConfig(**values)
    except ValueError as error:  # a value out of its range (a participation above 1 …)
        raise ConfigurationError(f"{where}: {error}") from None


def _fix_broker(table: Any, where: str) -> tuple[str, FixSessionConfig]:
    """The broker's MIC (orders routed there go over FIX) and the session to it."""
    _only(table, _FIX, where)
    for key in ("mic", "host", "port", "sender_comp_id", "target_comp_id", "store_path"):
        if key not in table:
            raise ConfigurationError(f"{where}: {key} is required")
    mic = _text(table["mic"], f"{where} mic")
    try:
        session = FixSessionConfig(
            host=_text(table["host"], f"{where} host"),
            port=_positive_int(table["port"], f"{where} port"),
            sender_comp_id=_text(table["sender_comp_id"], f"{where} sender_comp_id"),
            target_comp_id=_text(table["target_comp_id"], f"{where} target_comp_id"),
            store_path=Path(_text(table["store_path"], f"{where} store_path")),
            heartbeat_interval_s=_positive_int(
                table.get("heartbeat_interval_s", 30), f"{where} heartbeat_interval_s"
            ),
            store_fsync=_flag(table.get("store_fsync", True), f"{where} store_fsync"),
        )
    except InvalidFixConfig as error:
        raise ConfigurationError(f"{where}: {error}") from None
    return mic, session


def _only(table: Any, allowed: set[str], where: str) -> None:
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where} must be a table")
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigurationError(
            f"{where}: unknown key(s) {', '.join(unknown)}; known: {', '.join(sorted(allowed))}"
        )


def _text(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigurationError(f"{where} must be a non-empty string, got {value!r}")
    return value.strip()


def _decimal(value: Any, where: str) -> Decimal:
    """Money and limits as strings (``"100000"``) or integers, never floats: a float in a
    config file is already rounded."""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ConfigurationError(f"{where} must be a decimal string or an integer, got {value!r}")
    try:
        number = Decimal(value)
    except InvalidOperation:
        raise ConfigurationError(f"{where} must be a decimal number, got {value!r}") from None
    if not number.is_finite():
        raise ConfigurationError(f"{where} must be finite, got {value!r}")
    return number


def _positive_int(value: Any, where: str, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(f"{where} must be an integer of at least {minimum}, got {value!r}")
    return value


def _flag(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{where} must be true or false, got {value!r}")
    return value


def _time(value: Any, where: str) -> time:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(_text(value, where))
    except ValueError:
        raise ConfigurationError(f"{where} must be a time of day, HH:MM, got {value!r}") from None
