"""The baseline logistic family honours the contract every direction model family shares."""

from __future__ import annotations

import numpy as np
import pytest

from bounded_contexts.prediction.domain.models.codec import (
    decode_weights,
    encode_weights,
    weights_sha256,
)
from bounded_contexts.prediction.domain.models.direction import ModelInputError, TrainingData
from bounded_contexts.prediction.domain.models.logistic import (
    LogisticDirectionModel,
    LogisticFamily,
)
from tests.prediction.models_kit import FEATURES, HORIZONS, check_family_contract, synthetic_data


def test_the_baseline_learns_a_planted_signal_and_invents_none() -> None:
    check_family_contract(LogisticFamily())


def test_stored_weights_give_back_the_same_model_and_the_same_sha256() -> None:
    model = LogisticFamily(steps=50).fit(synthetic_data(300, signal=1.0))
    blob = encode_weights(model.weights())
    assert encode_weights(model.weights()) == blob
    again = LogisticDirectionModel.restore(model.spec, decode_weights(blob))
    assert weights_sha256(encode_weights(again.weights())) == weights_sha256(blob)


def test_a_truncated_weights_blob_is_refused_with_a_reason() -> None:
    model = LogisticFamily(steps=5).fit(synthetic_data(300, signal=1.0))
    blob = encode_weights(model.weights())
    with pytest.raises(ModelInputError, match="truncated"):
        decode_weights(blob[:-9])
    with pytest.raises(ModelInputError, match="magic"):
        decode_weights(b"XXXX" + blob[4:])


def test_a_non_finite_feature_is_named_in_the_error() -> None:
    model = LogisticFamily(steps=5).fit(synthetic_data(300, signal=1.0))
    x = np.zeros((3, len(FEATURES)))
    x[2, 1] = np.nan
    with pytest.raises(ModelInputError, match="noise_a at row 2"):
        model.probabilities(x)


def test_too_few_known_labels_cannot_train() -> None:
    data = synthetic_data(12, signal=1.0)
    tiny = TrainingData(
        FEATURES, HORIZONS, tuple(s.between(None, int(s.ts[2])) for s in data.series)
    )
    with pytest.raises(ModelInputError, match="at least 10 known labels"):
        LogisticFamily().fit(tiny)
