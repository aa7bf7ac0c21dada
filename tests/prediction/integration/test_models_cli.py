"""``quantvista models`` (the CLI's ``main``, in this process) against a database the real
pipeline filled, given by ``DATABASE_URL`` as a deployment gives it: the registry listed, a
retrain asked for and answered in-process (the training component then finds it answered), a
promotion and a retirement recorded with the person as actor, a model evaluated beside the
champion — and every bad command refused with the reason and exit status 2, recording
nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bounded_contexts.prediction.application.registry_view import load_registry
from bounded_contexts.prediction.domain.registry import REGISTRY_ID
from gateway.scalars import format_utc_ns
from quantvista.cli import main
from quantvista.platform import Platform
from tests.pipeline_helpers import feed_synthetic

pytestmark = [pytest.mark.integration]


@pytest.fixture(scope="module")
def platform(infrastructure) -> Iterator[Platform]:  # type: ignore[no-untyped-def]
    """One day of three instruments through the pipeline with the models' defaults (what
    the CLI's platform uses): the baseline bootstraps at warm-up."""
    import uuid

    import psycopg

    from tests.conftest import _with_database

    name = "models_cli_" + uuid.uuid4().hex[:12]
    with psycopg.connect(infrastructure.database_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = _with_database(infrastructure.database_url, name)
    platform = Platform(url, None)
    platform.create_tables()
    platform.build()
    feed_synthetic(platform, seed=5, instruments=3)
    platform.run_until_caught_up()
    yield platform
    platform.close()


@pytest.fixture
def cli(platform: Platform, infrastructure, monkeypatch, capsys):  # type: ignore[no-untyped-def]
    """Run ``quantvista ARGS`` on the module's database: (exit status, what it printed)."""
    monkeypatch.setenv("DATABASE_URL", platform.database_url)
    monkeypatch.setenv("PULSAR_URL", infrastructure.pulsar_url)
    monkeypatch.setenv("COLUMNS", "200")

    def run(*args: str) -> tuple[int, str]:
        capsys.readouterr()
        status = main(list(args))
        out = capsys.readouterr()
        text = (out.out + out.err).translate({ord(c): " " for c in "│┃"})  # table cells
        return status, " ".join(text.split())

    return run


def test_the_registry_is_listed_with_the_champion_marked(cli, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    registry = load_registry(platform.stores["prediction"])
    status, out = cli("models", "list")
    assert status == 0, out
    champion = registry.models[registry.champion]  # type: ignore[index]
    assert f"* {champion.model_id} logreg 1 champion" in out
    assert f"{champion.metrics[0].log_loss:.4f}" in out


def test_train_asks_trains_in_process_and_the_training_component_finds_it_answered(  # type: ignore[no-untyped-def]
    cli, platform: Platform
) -> None:
    store = platform.stores["prediction"]
    before = load_registry(store)
    status, out = cli(
        "models", "train", "--families", "logreg", "--note", "after the session", "--by", "quant"
    )
    assert status == 0, out
    after = load_registry(store)
    (new,) = [m for m in after.models.values() if m.model_id not in before.models]
    assert new.request_id.startswith("manual/") and f"requested {new.request_id}" in out
    assert f"trained {new.model_id}" in out and f"{new.metrics[0].log_loss:.4f}" in out
    assert ("promoted " + new.model_id in out) == (after.champion == new.model_id)
    events = store.read(0, limit=100_000)
    request = next(e for e in events if e.event_type == "RetrainRequested")
    assert (request.actor, request.event.note) == ("person:quant", "after the session")
    trained = next(e for e in events if e.event_type == "ModelTrained" and e.event == new)
    assert trained.actor == "algo:qv-model-trainer" and trained.causation_id == request.event_id
    # the serving training component reads the request and records nothing more
    head = store.head()
    platform.run_until_caught_up()
    assert store.head() == head
    assert load_registry(store).models == after.models

    # --no-wait leaves it to the training component
    status, out = cli("models", "train", "--no-wait", "--by", "quant")
    assert status == 0 and "the training component answers it" in out, out
    asked = [e.event for e in store.read(head, limit=10) if e.event_type == "RetrainRequested"]
    assert [r.families for r in asked] == [("logreg",)]  # the configured families
    platform.run_until_caught_up()
    assert load_registry(store).answered(asked[0].request_id)


def test_promote_retire_and_evaluate_beside_the_champion(cli, platform: Platform) -> None:  # type: ignore[no-untyped-def]
    store = platform.stores["prediction"]
    registry = load_registry(store)
    assert len(registry.models) >= 2, "the previous test trained more models"
    champion = registry.champion
    chosen = next(m for m in registry.models if m != champion and m not in registry.retired)
    status, out = cli("models", "promote", chosen, "--note", "the desk's choice", "--by", "quant")
    assert status == 0 and f"{chosen} is the champion" in out, out
    status, out = cli("models", "retire", champion, "--reason", "superseded", "--by", "quant")  # type: ignore[arg-type]
    assert status == 0 and f"{champion} is retired" in out, out
    registry = load_registry(store)
    assert registry.champion == chosen and registry.retired == {champion: "superseded"}
    changes = store.aggregate_events(REGISTRY_ID)[-2:]
    assert [(e.event_type, e.actor) for e in changes] == [
        ("ModelPromoted", "person:quant"),
        ("ModelRetired", "person:quant"),
    ]
    assert changes[0].event.rule == "manual" and changes[0].event.note == "the desk's choice"

    # the retired model on its own holdout block, beside the champion on the same rows
    old = registry.models[champion]  # type: ignore[index]
    status, out = cli("models", "evaluate", champion)  # type: ignore[arg-type]
    assert status == 0, out
    assert "(its out-of-sample block)" in out and f"champion {chosen}" in out
    assert "vs the champion's" in out
    # the champion itself, on a window given as ISO instants
    start, end = format_utc_ns(old.holdout_from_ts), format_utc_ns(old.holdout_to_ts)
    status, out = cli("models", "evaluate", chosen, "--from", start, "--to", end)
    assert status == 0 and "no comparison with the champion: it is the champion" in out, out


def test_bad_model_commands_are_refused_with_the_reason_and_record_nothing(  # type: ignore[no-untyped-def]
    cli, platform: Platform
) -> None:
    store = platform.stores["prediction"]
    registry = load_registry(store)
    champion = registry.champion
    retired = next(iter(registry.retired))
    model = registry.models[champion]  # type: ignore[index]
    head = store.head()
    late = str(model.window_end_ts + 10**15)  # eleven days after the last bar
    for args, says in [
        (("promote", "logreg-nope", "--note", "x", "--by", "q"), "no model 'logreg-nope'"),
        (("retire", "logreg-nope", "--reason", "x", "--by", "q"), "no model 'logreg-nope'"),
        (("promote", retired, "--note", "back", "--by", "q"), "is retired"),
        (("promote", champion, "--note", "again", "--by", "q"), "already the champion"),
        (("retire", champion, "--reason", "old", "--by", "q"), "promote another model before"),
        (("retire", retired, "--reason", "twice", "--by", "q"), "already retired"),
        (("promote", retired, "--note", "x", "--by", " "), "--by must name"),
        (("train", "--families", "nonsense", "--by", "q"), "unknown model family 'nonsense'"),
        (("train", "--families", "", "--by", "q"), "name at least one model family"),
        (("evaluate", "logreg-nope"), "no model 'logreg-nope'"),
        (("evaluate", champion, "--from", "2026-11-17T00:00:00Z", "--to", "2026-11-16T00:00:00Z"),
         "must end after it starts"),
        (("evaluate", champion, "--from", late), "must end after it starts"),
        (("evaluate", champion, "--from", late, "--to", late + "0"), "no bar with a known outcome"),
        (("evaluate", champion, "--from", "yesterday"), "--from"),
    ]:  # fmt: skip
        status, out = cli("models", *args)
        assert status == 2 and says in out, (args, out)
        assert "Traceback" not in out
    assert store.head() == head, "a refused command recorded events"


def test_train_on_an_empty_platform_says_there_is_nothing_to_train_on(  # type: ignore[no-untyped-def]
    new_database, infrastructure, monkeypatch, capsys
) -> None:
    monkeypatch.setenv("DATABASE_URL", new_database())
    monkeypatch.setenv("PULSAR_URL", infrastructure.pulsar_url)
    assert main(["models", "train", "--by", "quant"]) == 2
    assert "no bar has reached the intelligence store yet" in " ".join(
        capsys.readouterr().out.split()
    )
    assert main(["models", "list"]) == 0
    assert "holds no model yet" in capsys.readouterr().out
