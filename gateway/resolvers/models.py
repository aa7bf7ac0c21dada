"""``models``, ``model``, ``modelChanges``, ``features`` (read models) and ``promoteModel``,
``retireModel``, ``requestRetrain`` (the prediction context's registry commands, as the
request's principal).

Who may: reading the registry and the feature vectors is like reading predictions — anyone
signed in. Promoting, retiring and asking for a retrain change what drives the strategy's
orders: they need the ``models`` permission (the risk role), and every decision, allowed or
not, is in the access log. A refusal names what was wrong: ``NOT_FOUND`` for an unknown model,
``ILLEGAL_STATE`` for a retired model, the champion, a second retirement or nothing to train
on, ``BAD_USER_INPUT`` for an unknown family or a missing reason.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import anyio.to_thread
import asyncpg

from bounded_contexts.prediction.application.registry_errors import (
    InvalidModelCommand,
    ModelCommandError,
    UnknownModel,
)
from bounded_contexts.prediction.domain.features import FEATURE_NAMES, FEATURE_SET
from bounded_contexts.support.domain.access_model import PlatformPermission
from events.store import StoreUnavailable
from gateway.context import GatewayContext
from gateway.errors import BadUserInput, GatewayError, IllegalState, NotFound, Unavailable
from gateway.model_types import (
    FeatureVector,
    HorizonMetrics,
    Model,
    ModelChange,
    ModelPayload,
    ModelStatus,
    ReliabilityBin,
    RetrainPayload,
)
from gateway.ports import ModelCommands, ModelOutcome, RetrainOutcome
from gateway.resolvers.commands import UNAVAILABLE_MESSAGE
from gateway.scalars import Nanoseconds, StorePosition

_T = TypeVar("_T")

FEATURE_SETS: dict[str, tuple[str, ...]] = {FEATURE_SET: FEATURE_NAMES}
"""The names of every feature set this release builds (an older row's set shows none)."""

_MODEL_COLUMNS = (
    "model_id, family, model_version, status, request_id, feature_set, feature_names, horizons, "
    "neutral_band, lookback, hyper_parameters, seed, temperatures, window_start_ts, "
    "window_end_ts, instruments, samples, folds, embargo_bars, holdout_from_ts, holdout_to_ts, "
    "metrics, weights_sha256, weights_bytes, trained_at, promoted_at, "
    "promotion_rule, promoted_by, promotion_note, retired_at, retired_reason, retired_by"
)
# Newest first within a family; the champion first of all.
_MODELS_SQL = f"""
SELECT {_MODEL_COLUMNS} FROM rm_models
 WHERE ($1::text IS NULL OR status = $1::text) AND ($2::text IS NULL OR family = $2::text)
 ORDER BY status <> 'champion', family, model_version DESC
"""
_FAMILIES_SQL = "SELECT DISTINCT family FROM rm_models ORDER BY family"
_MODEL_SQL = f"SELECT {_MODEL_COLUMNS} FROM rm_models WHERE model_id = $1"
_CHANGE_COLUMNS = "seq, event_type, model_id, request_id, reason, actor, ts_event, details"
# A model's own events, the request it answers, and the promotion that replaced it.
_HISTORY_SQL = f"""
SELECT {_CHANGE_COLUMNS} FROM rm_model_changes
 WHERE model_id = $1
    OR (event_type = 'RetrainRequested' AND request_id = $2)
    OR (event_type = 'ModelPromoted' AND details ->> 'previous_champion' = $1)
 ORDER BY seq
"""
_CHANGES_SQL = f"""
SELECT * FROM (
    SELECT {_CHANGE_COLUMNS} FROM rm_model_changes
     WHERE ($1::text IS NULL OR request_id = $1::text)
     ORDER BY seq DESC
     LIMIT $2
) latest
 ORDER BY seq
"""
# The latest `last` vectors of an instrument, oldest first.
_FEATURES_SQL = """
SELECT * FROM (
    SELECT instrument_id, ts_end, feature_set, feature_values, absent, hash
      FROM rm_features
     WHERE instrument_id = $1
     ORDER BY ts_end DESC
     LIMIT $2
) latest
 ORDER BY ts_end
"""


# -- reading ---------------------------------------------------------------------------------
def _metrics(stored: Sequence[dict[str, Any]]) -> list[HorizonMetrics]:
    result = []
    for m in stored:
        bins, lower = [], 0.0
        for b in m["reliability"]:
            bins.append(
                ReliabilityBin(
                    lower=lower,
                    upper=b["upper"],
                    count=b["count"],
                    mean_confidence=b["mean_confidence"],
                    accuracy=b["accuracy"],
                )
            )
            lower = b["upper"]
        result.append(
            HorizonMetrics(
                horizon=m["horizon"],
                samples=m["samples"],
                log_loss=m["log_loss"],
                brier=m["brier"],
                accuracy=m["accuracy"],
                balanced_accuracy=m["balanced_accuracy"],
                calibration_error=m["calibration_error"],
                reliability=bins,
            )
        )
    return result


def _optional_ns(value: int | None) -> Nanoseconds | None:
    return None if value is None else Nanoseconds(value)


def model_from_row(row: asyncpg.Record) -> Model:
    metrics = _metrics(row["metrics"])
    losses = [m.log_loss for m in metrics]
    return Model(
        model_id=row["model_id"],
        family=row["family"],
        version=row["model_version"],
        status=ModelStatus(row["status"]),
        champion=row["status"] == ModelStatus.CHAMPION.value,
        request_id=row["request_id"],
        feature_set=row["feature_set"],
        feature_names=list(row["feature_names"]),
        horizons=list(row["horizons"]),
        neutral_band=row["neutral_band"],
        lookback=row["lookback"],
        hyper_parameters=row["hyper_parameters"],
        seed=row["seed"],
        temperatures=list(row["temperatures"]),
        window_start_ts=Nanoseconds(row["window_start_ts"]),
        window_end_ts=Nanoseconds(row["window_end_ts"]),
        instruments=list(row["instruments"]),
        samples=row["samples"],
        folds=row["folds"],
        embargo_bars=row["embargo_bars"],
        holdout_from_ts=Nanoseconds(row["holdout_from_ts"]),
        holdout_to_ts=Nanoseconds(row["holdout_to_ts"]),
        metrics=metrics,
        mean_log_loss=sum(losses) / len(losses) if losses else None,
        weights_sha256=row["weights_sha256"],
        weights_bytes=row["weights_bytes"],
        trained_at=Nanoseconds(row["trained_at"]),
        promoted_at=_optional_ns(row["promoted_at"]),
        promotion_rule=row["promotion_rule"],
        promoted_by=row["promoted_by"],
        promotion_note=row["promotion_note"],
        retired_at=_optional_ns(row["retired_at"]),
        retired_reason=row["retired_reason"],
        retired_by=row["retired_by"],
    )


def _change(row: asyncpg.Record) -> ModelChange:
    return ModelChange(
        position=StorePosition(row["seq"]),
        type=row["event_type"],
        model_id=row["model_id"],
        request_id=row["request_id"],
        reason=row["reason"],
        actor=row["actor"],
        ts_event=Nanoseconds(row["ts_event"]),
        details=row["details"],
    )


async def fetch_models(
    pool: asyncpg.Pool, *, status: ModelStatus | None, family: str | None
) -> list[Model]:
    if family is not None:
        held = [r["family"] for r in await pool.fetch(_FAMILIES_SQL)]
        if family not in held:
            raise BadUserInput(
                f"no model of family {family!r} in the registry; its families: "
                f"{', '.join(held) or 'none yet'}",
                field="family",
            )
    rows = await pool.fetch(_MODELS_SQL, None if status is None else status.value, family)
    return [model_from_row(row) for row in rows]


async def fetch_model(pool: asyncpg.Pool, model_id: str) -> Model | None:
    row = await pool.fetchrow(_MODEL_SQL, model_id)
    return None if row is None else model_from_row(row)


async def fetch_history(pool: asyncpg.Pool, model_id: str, request_id: str) -> list[ModelChange]:
    return [_change(row) for row in await pool.fetch(_HISTORY_SQL, model_id, request_id)]


async def fetch_changes(
    pool: asyncpg.Pool, *, request_id: str | None, last: int
) -> list[ModelChange]:
    return [_change(row) for row in await pool.fetch(_CHANGES_SQL, request_id, last)]


async def fetch_features(
    pool: asyncpg.Pool, instrument_id: str, *, last: int
) -> list[FeatureVector]:
    rows = await pool.fetch(_FEATURES_SQL, instrument_id, last)
    return [
        FeatureVector(
            instrument_id=row["instrument_id"],
            ts_end=Nanoseconds(row["ts_end"]),
            feature_set=row["feature_set"],
            names=list(FEATURE_SETS.get(row["feature_set"], ())),
            values=list(row["feature_values"]),
            absent=list(row["absent"]),
            hash=row["hash"],
        )
        for row in rows
    ]


# -- commands --------------------------------------------------------------------------------
def _translate(error: ModelCommandError, *, id_field: str) -> GatewayError:
    message = str(error)
    if isinstance(error, UnknownModel):
        return NotFound(message, field=id_field)
    if isinstance(error, InvalidModelCommand):
        return BadUserInput(message, field=error.field)
    # IllegalModelTransition, NoTrainingData: the registry's or the data's state forbids it
    return IllegalState(message)


async def _call(call: Callable[[], _T], *, id_field: str = "id") -> _T:
    """Run a registry command on a worker thread (the store's driver blocks), its refusals
    translated to the gateway's codes."""
    try:
        return await anyio.to_thread.run_sync(call)
    except ModelCommandError as error:
        raise _translate(error, id_field=id_field) from error
    except StoreUnavailable as error:
        raise Unavailable(UNAVAILABLE_MESSAGE) from error


def _port(context: GatewayContext) -> ModelCommands:
    if context.models is None:
        raise Unavailable("this gateway was started without the model registry")
    return context.models


def _payload(outcome: ModelOutcome) -> ModelPayload:
    return ModelPayload(
        model_id=outcome.model_id,
        status=ModelStatus(outcome.status),
        position=StorePosition(outcome.position),
    )


async def promote_model(context: GatewayContext, model_id: str, note: str) -> ModelPayload:
    await context.caller.require(PlatformPermission.MODELS, "promoteModel", f"model:{model_id}")
    port = _port(context)
    outcome: ModelOutcome = await _call(
        functools.partial(port.promote_model, context.principal, model_id=model_id, note=note)
    )
    return _payload(outcome)


async def retire_model(context: GatewayContext, model_id: str, reason: str) -> ModelPayload:
    await context.caller.require(PlatformPermission.MODELS, "retireModel", f"model:{model_id}")
    port = _port(context)
    outcome: ModelOutcome = await _call(
        functools.partial(port.retire_model, context.principal, model_id=model_id, reason=reason)
    )
    return _payload(outcome)


async def request_retrain(
    context: GatewayContext, families: list[str] | None, note: str
) -> RetrainPayload:
    await context.caller.require(PlatformPermission.MODELS, "requestRetrain", "models")
    port = _port(context)
    outcome: RetrainOutcome = await _call(
        functools.partial(port.request_retrain, context.principal, families=families, note=note)
    )
    return RetrainPayload(
        request_id=outcome.request_id,
        families=list(outcome.families),
        window_end_ts=Nanoseconds(outcome.window_end_ts),
        upto_position=StorePosition(outcome.upto_position),
        position=StorePosition(outcome.position),
    )
