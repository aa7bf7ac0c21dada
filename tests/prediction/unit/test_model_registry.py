"""The registry aggregate: versions in sequence, one champion, guarded promotions and
retirements, and the same registry again from its events."""

from __future__ import annotations

import pytest

from bounded_contexts.prediction.domain.events import HorizonMetrics, ModelTrained
from bounded_contexts.prediction.domain.registry import REGISTRY_ID, ModelRegistry, RegistryError


def trained(model_id: str, version: int, family: str = "logreg", fs: str = "fs-2") -> ModelTrained:
    metrics = (HorizonMetrics(1, 100, 1.0, 0.6, 0.5, 0.4, 0.02, ()),)
    return ModelTrained(
        model_id, family, version, "req", {"l2": 0.01}, 0, fs, ("a",), (1,), 0.0002, 1, (1.0,),
        0, 10, ("SAP",), 100, 3, 10, metrics, 5, 10, {"a": (0.0, 1.0)}, {"a": 100.0}, "ab" * 32,
        64,
    )  # fmt: skip


def test_models_register_in_sequence_and_the_first_promotion_makes_a_champion() -> None:
    registry = ModelRegistry()
    registry.register(trained("logreg-a", 1))
    with pytest.raises(RegistryError, match="out of sequence"):
        registry.register(trained("logreg-b", 3))
    with pytest.raises(RegistryError, match="already registered"):
        registry.register(trained("logreg-a", 2))
    registry.register(trained("logreg-b", 2))
    assert registry.champion is None and registry.status("logreg-a") == "candidate"
    registry.promote("logreg-a", rule="first")
    registry.promote("logreg-b", rule="manual", note="desk review")
    assert registry.champion == "logreg-b"
    assert registry.status("logreg-a") == "former-champion"
    assert [p.previous_champion for p in registry.promotions] == [None, "logreg-a"]


def test_a_retired_model_cannot_serve_and_the_champion_cannot_be_retired() -> None:
    registry = ModelRegistry()
    registry.register(trained("logreg-a", 1))
    registry.register(trained("logreg-b", 2))
    registry.promote("logreg-a", rule="first")
    with pytest.raises(RegistryError, match="promote another model before retiring it"):
        registry.retire("logreg-a", "stale")
    with pytest.raises(RegistryError, match="say why"):
        registry.retire("logreg-b", " ")
    registry.retire("logreg-b", "worse out of sample")
    with pytest.raises(RegistryError, match="is retired: worse out of sample"):
        registry.promote("logreg-b", rule="manual")
    with pytest.raises(RegistryError, match="already the champion"):
        registry.promote("logreg-a", rule="manual")
    with pytest.raises(RegistryError, match="no model 'nope'"):
        registry.promote("nope", rule="manual")


def test_a_model_of_another_feature_set_cannot_replace_the_champion() -> None:
    registry = ModelRegistry()
    registry.register(trained("logreg-a", 1))
    registry.register(trained("logreg-b", 2, fs="fs-3"))
    registry.promote("logreg-a", rule="first")
    with pytest.raises(RegistryError, match="feature set fs-3"):
        registry.promote("logreg-b", rule="manual")


def test_the_registry_replays_from_its_events_to_the_same_state() -> None:
    registry = ModelRegistry()
    registry.register(trained("logreg-a", 1))
    registry.register(trained("flax-mlp-b", 1, family="flax-mlp"))
    registry.promote("logreg-a", rule="first")
    registry.fail("req-2", "norse-lif", "too little data")
    registry.promote("flax-mlp-b", rule="beats-champion")
    registry.retire("logreg-a", "replaced")
    events = [p.event for p in registry.collect_pending()]
    again = ModelRegistry.replay(REGISTRY_ID, events)
    assert again.version == registry.version == len(events)
    assert again.models == registry.models and again.champion == registry.champion
    assert again.retired == registry.retired and again.promotions == registry.promotions
    assert again.answered("req-2") and again.answered("req") and not again.answered("req-3")
    assert again.next_version("flax-mlp") == 2
