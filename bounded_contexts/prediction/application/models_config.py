"""How the prediction context trains, promotes, serves and watches its models."""

from __future__ import annotations

from dataclasses import dataclass, field

from bounded_contexts.prediction.domain.models.catalogue import FAMILIES
from bounded_contexts.prediction.domain.models.direction import ModelInputError
from bounded_contexts.prediction.domain.models.logistic import FAMILY as BASELINE
from bounded_contexts.prediction.domain.models.training import TrainingConfig


@dataclass(frozen=True)
class ModelsConfig:
    """Documented defaults; validated once, at construction.

    - The baseline family (``logreg``) is fitted inline at warm-up and becomes the first
      champion: a deterministic start, the same bar in every run of the same input.
      ``challengers``: the families the training component fits in the background — at
      warm-up, on schedule and on drift — each promoted only if it beats the champion out of
      sample. The library default trains none, so two runs of the same input give the same
      read models; ``quantvista`` commands read ``[models]`` from the settings, whose default
      trains every family (docs/models.md).
    - ``retrain_on_drift``: a drift reading also asks for a retrain (after the cool-down).
    - ``horizons`` / ``neutral_band``: what a model predicts — down/neutral/up over each
      horizon in bars, neutral while the log move stays within ``neutral_band`` x sqrt(h).
    - ``warmup_bars``: bars with a full feature vector, per instrument on average, before the
      first training is requested; ``retrain_every_bars``: a scheduled retrain (0: never).
    - ``window_bars``: the most recent bars per instrument a training reads.
    - ``promotion_margin``: how much lower (mean log loss over horizons, same out-of-sample
      block) a challenger must score to replace the champion.
    - ``drift_check_every``: predictions between two drift readings; ``drift_window``: the
      live vectors compared with the training profile; ``retrain_cooldown_bars``: the least
      bars between two drift-driven retrains.
    """

    challengers: tuple[str, ...] = ()
    retrain_on_drift: bool = False
    horizons: tuple[int, ...] = (1, 5, 30)
    neutral_band: float = 0.0002
    warmup_bars: int = 200
    retrain_every_bars: int = 0
    window_bars: int = 20_000
    training: TrainingConfig = field(default_factory=TrainingConfig)
    promotion_margin: float = 0.002
    drift_check_every: int = 250
    drift_window: int = 500
    retrain_cooldown_bars: int = 2_000
    #: resolved calls before skill decay is judged: at 200 a model as good as in training is
    #: flagged in ~7 % of readings, at 1,000 in ~0.02 % (docs/models-drift.md)
    drift_min_resolved: int = 1_000
    volatility_key: str = "volatility"

    def __post_init__(self) -> None:
        unknown = [f for f in self.challengers if f not in FAMILIES]
        if unknown:
            raise ModelInputError(
                f"unknown model families {unknown}; known: {', '.join(sorted(FAMILIES))}"
            )
        if not self.horizons or any(h < 1 for h in self.horizons):
            raise ModelInputError(f"horizons must be positive bar counts, got {self.horizons}")
        if self.neutral_band < 0 or self.promotion_margin < 0:
            raise ModelInputError("neutral_band and promotion_margin must be >= 0")
        needed = (
            self.training.min_train_bars
            + 2 * max(self.horizons)
            + self.training.embargo_bars
            + self.training.folds
        )
        if self.warmup_bars < needed:
            raise ModelInputError(
                f"warmup_bars {self.warmup_bars} cannot hold {self.training.folds} folds after "
                f"{self.training.min_train_bars} training bars, horizon {max(self.horizons)} "
                f"and an embargo of {self.training.embargo_bars}: at least {needed}"
            )
        if len(set(self.challengers)) != len(self.challengers):
            raise ModelInputError(f"a challenger family is listed twice: {self.challengers}")
        if min(self.drift_check_every, self.drift_window, self.window_bars) < 1:
            raise ModelInputError("drift_check_every, drift_window and window_bars must be >= 1")

    def families(self) -> tuple[str, ...]:
        """What a scheduled or drift-driven retrain fits: the baseline and the challengers."""
        return (BASELINE, *(f for f in self.challengers if f != BASELINE))
