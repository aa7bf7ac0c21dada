"""Loading the firm's configuration file (TOML or JSON) named by ``--firm FILE`` or the
``QUANTVISTA_FIRM_CONFIG`` environment variable; it fails loudly, naming what is wrong."""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path

from bounded_contexts.support.domain.mifid.firm import (
    FirmConfig,
    FirmConfigError,
    firm_from_mapping,
)

FIRM_CONFIG_VARIABLE = "QUANTVISTA_FIRM_CONFIG"


def firm_config_path(explicit: Path | None = None) -> Path:
    path = explicit or (Path(v) if (v := os.environ.get(FIRM_CONFIG_VARIABLE)) else None)
    if path is None:
        raise FirmConfigError(
            f"no firm configuration: pass --firm FILE or set {FIRM_CONFIG_VARIABLE} "
            "(docs/firm-config.example.toml documents one; docs/firm-config.demo.toml is the "
            "demo's)"
        )
    return path


def load_firm_config(explicit: Path | None = None) -> FirmConfig:
    path = firm_config_path(explicit)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise FirmConfigError(f"cannot read the firm configuration {path}: {error}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as error:
        raise FirmConfigError(f"{path} is not valid TOML/JSON: {error}") from None
    try:
        return firm_from_mapping(data)
    except FirmConfigError as error:
        raise FirmConfigError(f"{path}: {error}") from None


def trading_capacities(firm: FirmConfig) -> dict[str, str]:
    """Account -> trading capacity, for the composition root to give the execution context
    (``ExecutionConfig.trading_capacity`` of its account), which records it on every order."""
    return {a.account_id: a.trading_capacity for a in firm.accounts.values()}
