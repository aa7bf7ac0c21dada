"""The registry's read models and a person's registry commands, through the real pipeline on
the embedded PostgreSQL: ``rm_models`` is the registry the log replays to (and a rebuild gives
the same rows), every prediction's feature hash finds its ``rm_features`` row, a person's
promotion, retirement and retrain request are recorded with them as the actor and answered,
and every bad command is refused with the reason, recording nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator

import psycopg
import pytest

from bounded_contexts.prediction.application.models_config import ModelsConfig
from bounded_contexts.prediction.application.registry_commands import (
    IllegalModelTransition,
    InvalidModelCommand,
    NoTrainingData,
    UnknownModel,
)
from bounded_contexts.prediction.application.registry_view import load_registry
from bounded_contexts.prediction.domain.events import (
    DriftDetected,
    FeatureDriftFigure,
    PriceDirectionPredicted,
)
from bounded_contexts.prediction.domain.facts import Fact
from bounded_contexts.prediction.domain.models.training import TrainingConfig
from bounded_contexts.prediction.domain.registry import ModelRegistry
from events.effects import EventsToAppend
from events.envelope import Cause
from gateway.ports import Principal
from projections.rebuild import rebuild_projections
from quantvista.platform import PipelineConfig, Platform
from tests.pipeline_helpers import feed_synthetic, table_rows
from tests.registry_helpers import trained as seeded_model

pytestmark = [pytest.mark.integration]

MODELS = ModelsConfig(
    horizons=(1, 5),
    warmup_bars=200,
    training=TrainingConfig(folds=2, embargo_bars=5, min_train_bars=120),
)
QUANT = Principal("quant-1")


@pytest.fixture(scope="module")
def platform(infrastructure) -> Iterator[Platform]:  # type: ignore[no-untyped-def]
    import uuid

    from tests.conftest import _with_database

    name = "models_" + uuid.uuid4().hex[:12]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    platform = Platform(url, None, config=PipelineConfig(models=MODELS))
    platform.create_tables()
    platform.build()
    feed_synthetic(platform, seed=5, instruments=3)
    platform.run_until_caught_up()
    yield platform
    platform.close()


def rows(platform: Platform, query: str, *args: object) -> list[dict[str, object]]:
    with psycopg.connect(platform.database_url, row_factory=psycopg.rows.dict_row) as conn:
        return conn.execute(query, args).fetchall()


def assert_read_model_is_the_registry(platform: Platform) -> ModelRegistry:
    registry = load_registry(platform.stores["prediction"])
    shown = {r["model_id"]: r for r in rows(platform, "SELECT * FROM rm_models")}
    assert set(shown) == set(registry.models)
    for model_id, trained in registry.models.items():
        row = shown[model_id]
        assert row["status"] == registry.status(model_id)
        assert (row["family"], row["model_version"], row["request_id"]) == (
            trained.family,
            trained.model_version,
            trained.request_id,
        )
        assert (row["window_start_ts"], row["window_end_ts"], row["samples"]) == (
            trained.window_start_ts,
            trained.window_end_ts,
            trained.samples,
        )
        assert row["horizons"] == list(trained.horizons)
        assert row["hyper_parameters"] == dict(trained.hyper_parameters)
        assert row["weights_sha256"] == trained.weights_sha256
        assert [(m["horizon"], m["log_loss"], m["balanced_accuracy"]) for m in row["metrics"]] == [
            (m.horizon, m.log_loss, m.balanced_accuracy) for m in trained.metrics
        ]
        bins = row["metrics"][0]["reliability"]
        assert [(b["upper"], b["count"]) for b in bins] == [
            (b[0], int(b[1])) for b in trained.metrics[0].reliability
        ]
        assert (row["retired_reason"] is not None) == (model_id in registry.retired)
    return registry


def test_the_registry_read_model_is_the_registry_the_log_replays_to(platform: Platform) -> None:
    registry = assert_read_model_is_the_registry(platform)
    (champion,) = rows(platform, "SELECT * FROM rm_models WHERE status = 'champion'")
    assert champion["model_id"] == registry.champion
    assert champion["promotion_rule"] == "first"
    assert champion["promoted_by"] == "algo:qv-model-trainer"
    # (the live drift monitor's own readings are left out: which bars drift is its business)
    changes = rows(
        platform,
        "SELECT event_type, model_id, reason FROM rm_model_changes "
        "WHERE event_type <> 'DriftDetected' ORDER BY seq",
    )
    assert [c["event_type"] for c in changes] == ["ModelTrained", "ModelPromoted"]
    assert changes[1]["reason"] == "first"


def test_every_prediction_names_a_feature_row_with_what_the_model_saw(platform: Platform) -> None:
    joined = rows(
        platform,
        "SELECT p.instrument_id, p.ts_event, f.feature_values, f.absent, f.feature_set "
        "FROM rm_predictions p JOIN rm_features f ON f.instrument_id = p.instrument_id "
        "AND f.ts_end = p.ts_event AND f.hash = p.feature_hash",
    )
    (made,) = rows(platform, "SELECT count(*) AS n FROM rm_predictions")
    assert made["n"] > 0 and len(joined) == made["n"]
    events = {
        (e.event.instrument_id, e.event.ts_end): e.event
        for e in platform.stores["prediction"].iter_all()
        if isinstance(e.event, PriceDirectionPredicted)
    }
    for row in joined[:: max(1, len(joined) // 50)]:
        event = events[row["instrument_id"], row["ts_event"]]
        assert row["feature_values"] == list(event.features)
        assert row["feature_set"] == event.feature_set == "fs-2"
        # the regime once the intelligence context has read one; no news events yet
        expected = ["sentiment"] if event.regime is not None else ["regime", "sentiment"]
        assert row["absent"] == expected
    # bars before the models existed have vectors too (the warm-up the baseline learnt from)
    (warm,) = rows(
        platform,
        "SELECT count(*) AS n FROM rm_features WHERE ts_end < (SELECT min(ts_event) "
        "FROM rm_predictions)",
    )
    assert warm["n"] > 0


def test_a_person_promotes_retires_and_asks_for_a_retrain_that_is_answered(
    platform: Platform,
) -> None:
    commands = platform.model_commands
    asked = commands.request_retrain(QUANT, families=["logreg"], note="more data since warm-up")
    assert asked.request_id.startswith("manual/") and asked.families == ("logreg",)
    assert asked.upto_position == platform.stores["intelligence"].head()
    (last_bar,) = rows(platform, "SELECT max(ts_end) AS ts FROM rm_features")
    platform.run_until_caught_up()
    assert asked.window_end_ts == last_bar["ts"]
    registry = load_registry(platform.stores["prediction"])
    assert registry.answered(asked.request_id)
    (new,) = [m for m in registry.models.values() if m.request_id == asked.request_id]
    first = next(m for m in registry.models.values() if m.model_version == 1)

    # A person promotes the model that is not the champion (the new one, or — if the rule
    # already promoted it — the first one back), then retires the other.
    by_rule = registry.champion == new.model_id
    chosen, other = (first, new) if by_rule else (new, first)
    promoted = commands.promote_model(QUANT, model_id=chosen.model_id, note="desk's choice")
    assert (promoted.model_id, promoted.status) == (chosen.model_id, "champion")
    retired = commands.retire_model(QUANT, model_id=other.model_id, reason="superseded")
    assert (retired.model_id, retired.status) == (other.model_id, "retired")
    platform.run_until_caught_up()

    registry = assert_read_model_is_the_registry(platform)
    assert registry.champion == chosen.model_id
    (champion,) = rows(platform, "SELECT * FROM rm_models WHERE model_id = %s", chosen.model_id)
    assert (champion["status"], champion["promotion_rule"], champion["promoted_by"]) == (
        "champion",
        "manual",
        "person:quant-1",
    )
    assert champion["promotion_note"] == "desk's choice"
    (old,) = rows(platform, "SELECT * FROM rm_models WHERE model_id = %s", other.model_id)
    assert (old["status"], old["retired_reason"], old["retired_by"]) == (
        "retired",
        "superseded",
        "person:quant-1",
    )
    history = rows(
        platform,
        "SELECT event_type, model_id, request_id, reason, actor, details FROM rm_model_changes "
        "ORDER BY seq",
    )
    request = next(h for h in history if h["event_type"] == "RetrainRequested")
    assert (request["request_id"], request["reason"], request["actor"]) == (
        asked.request_id,
        "manual",
        "person:quant-1",
    )
    assert request["details"]["note"] == "more data since warm-up"
    trained = next(h for h in history if h["model_id"] == new.model_id)
    assert trained["event_type"] == "ModelTrained" and trained["request_id"] == asked.request_id
    assert trained["actor"] == "algo:qv-model-trainer"
    promotions = [h for h in history if h["event_type"] == "ModelPromoted"]
    assert [p["reason"] for p in promotions] == ["first", *(["beats-champion"] * by_rule), "manual"]
    assert (promotions[-1]["actor"], promotions[-1]["details"]["note"]) == (
        "person:quant-1",
        "desk's choice",
    )
    if by_rule:  # with the log losses the rule compared
        details = promotions[1]["details"]
        assert details["challenger_log_loss"] < details["champion_log_loss"] - details["margin"]
    # rebuilding the read models from the log gives the same rows
    for projection in ("projection.models", "projection.features"):
        tables = (
            ("rm_models", "rm_model_changes") if projection.endswith("models") else ("rm_features",)
        )
        before = {t: table_rows(platform.database_url, t) for t in tables}
        [(name, applied, _)] = list(rebuild_projections(platform, projection))
        assert name == projection and applied > 0
        assert {t: table_rows(platform.database_url, t) for t in tables} == before


def test_a_drift_reading_is_in_the_history_with_its_figures(platform: Platform) -> None:
    champion = load_registry(platform.stores["prediction"]).champion
    assert champion is not None
    drift = DriftDetected(
        "drift/test",
        champion,
        1,
        500,
        (FeatureDriftFigure("zscore", 0.31, 0.2, 0.001, True, 240.0, 0.05),),
        120,
        0.31,
        0.71,
        0.4,
        0.64,
        ("psi:zscore",),
    )
    fact = Fact("drift", "drift/test", drift)
    platform.stores["prediction"].append(
        [
            (p, Cause.origin(ts_event=1, actor="algo:qv-model-watch", key="d"))
            for p in fact.collect_pending()
        ]
    )
    platform.run_until_caught_up()
    (row,) = rows(
        platform,
        "SELECT * FROM rm_model_changes WHERE event_type = 'DriftDetected' "
        "AND details->>'drift_id' = 'drift/test'",
    )
    assert (row["model_id"], row["reason"]) == (champion, "psi:zscore")
    assert row["details"]["features"][0]["psi"] == 0.31
    assert row["details"]["live_accuracy"] == 0.31


def test_bad_registry_commands_are_refused_with_the_reason_and_record_nothing(
    platform: Platform,
) -> None:
    commands = platform.model_commands
    registry = load_registry(platform.stores["prediction"])
    champion = registry.champion
    assert champion is not None
    retired = next(iter(registry.retired), None)
    if retired is None:
        candidate = next(m for m in registry.models if m != champion)
        commands.retire_model(QUANT, model_id=candidate, reason="for the test")
        retired = candidate
    # a model whose weights are not stored could not serve: it is not promoted
    registry = load_registry(platform.stores["prediction"])
    unservable = seeded_model(9, "f" * 64, version=registry.next_version("logreg"))
    registry.register(unservable)
    uow = EventsToAppend()
    uow.save(registry, Cause.origin(ts_event=1, actor="algo:qv-model-trainer", key="u"))
    platform.stores["prediction"].append(uow.items)
    head = platform.stores["prediction"].head()
    refusals = [
        (IllegalModelTransition, "cannot serve: no model weights", lambda: commands.promote_model(
            QUANT, model_id=unservable.model_id, note="x")),
        (UnknownModel, "no model 'logreg-nope'", lambda: commands.promote_model(
            QUANT, model_id="logreg-nope", note="x")),
        (UnknownModel, "no model 'logreg-nope'", lambda: commands.retire_model(
            QUANT, model_id="logreg-nope", reason="x")),
        (IllegalModelTransition, "is retired", lambda: commands.promote_model(
            QUANT, model_id=retired, note="back")),
        (IllegalModelTransition, "already the champion", lambda: commands.promote_model(
            QUANT, model_id=champion, note="again")),
        (IllegalModelTransition, "is the champion", lambda: commands.retire_model(
            QUANT, model_id=champion, reason="old")),
        (IllegalModelTransition, "already retired", lambda: commands.retire_model(
            QUANT, model_id=retired, reason="twice")),
        (InvalidModelCommand, "say why", lambda: commands.retire_model(
            QUANT, model_id=champion, reason="  ")),
        (InvalidModelCommand, "say why", lambda: commands.promote_model(
            QUANT, model_id=champion, note="")),
        (InvalidModelCommand, "unknown model family 'nonsense'", lambda: commands.request_retrain(
            QUANT, families=["logreg", "nonsense"], note="")),
        (InvalidModelCommand, "at least one", lambda: commands.request_retrain(
            QUANT, families=[], note="")),
    ]  # fmt: skip
    for error, says, call in refusals:
        with pytest.raises(error, match=says):
            call()
    assert platform.stores["prediction"].head() == head, "a refused command recorded events"


def test_a_retrain_request_before_any_bar_is_refused(database_url: str) -> None:
    platform = Platform(database_url, None, config=PipelineConfig(models=MODELS))
    try:
        platform.create_tables()
        with pytest.raises(NoTrainingData, match="no bar"):
            platform.model_commands.request_retrain(QUANT, families=None, note="")
        assert platform.stores["prediction"].head() == 0
        assert json.dumps(rows(platform, "SELECT * FROM rm_models")) == "[]"
    finally:
        platform.close()


def test_the_features_projection_restarted_mid_log_rebuilds_its_builder_from_the_log(
    platform: Platform,
) -> None:
    """A new process resumes the projection where the last one stopped: its feature builder
    is fed the events before that point from the store, so the rows it adds are the rows an
    unbroken run added (the last closes of each instrument matter to every vector)."""
    url = platform.database_url
    before = table_rows(url, "rm_features")
    (middle,) = rows(
        platform, "SELECT percentile_disc(0.6) WITHIN GROUP (ORDER BY seq) AS p FROM rm_features"
    )
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("DELETE FROM rm_features WHERE seq > %s", (middle["p"],))
        conn.execute(
            "UPDATE projection_tracking SET position = %s WHERE projection = 'projection.features'",
            (middle["p"],),
        )
    assert len(table_rows(url, "rm_features")) < len(before)
    again = Platform(url, None, config=PipelineConfig(models=MODELS))
    try:
        again.build(["projections"])
        again.run_until_caught_up()
    finally:
        again.close()
    assert table_rows(url, "rm_features") == before
