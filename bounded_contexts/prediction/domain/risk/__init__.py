"""Risk analytics of the prediction context: VaR, expected shortfall, covariance, stress tests,
VaR backtests and exposure reports. Pure domain code: no I/O, no clock, no global randomness.

Conventions shared by every module (see docs/quant/risk.md):

* returns are simple daily returns, (observations x instruments), oldest row first;
* position values are market values in the reporting currency, negative for shorts;
* VaR and ES are positive loss numbers in currency; stress P&L keeps P&L signs.
"""

from .backtesting import (
    ExceptionSeries,
    LikelihoodRatioTest,
    VaRBacktest,
    backtest_var,
    christoffersen_conditional_coverage_test,
    christoffersen_independence_test,
    kupiec_pof_test,
    var_exceptions,
)
from .covariance import (
    ShrunkCovariance,
    ensure_positive_semidefinite,
    ewma_covariance,
    ledoit_wolf_covariance,
    nearest_correlation,
    sample_covariance,
)
from .errors import (
    DimensionMismatchError,
    InstrumentMappingError,
    InsufficientObservationsError,
    InvalidConfidenceError,
    InvalidCovarianceError,
    InvalidDegreesOfFreedomError,
    InvalidHorizonError,
    InvalidMoneyError,
    InvalidParameterError,
    InvalidShockError,
    NonFiniteInputError,
    NotPositiveSemiDefiniteError,
    RiskError,
    UnknownScenarioTargetError,
)
from .exposure import ExposureLine, ExposureReport, PositionExposure, exposure_report
from .historical import HorizonScaling, historical_var
from .monte_carlo import monte_carlo_var
from .parametric import Distribution, parametric_var, var_es_multipliers
from .report import InstrumentAllocation, RiskFigures, VaRMethod, VaRReport
from .stress import (
    ShockLevel,
    StressResult,
    StressScenario,
    apply_stress_scenario,
    apply_stress_scenarios,
    historical_window_scenario,
    worst_day_scenario,
)

__all__ = [
    "DimensionMismatchError",
    "Distribution",
    "ExceptionSeries",
    "ExposureLine",
    "ExposureReport",
    "HorizonScaling",
    "InstrumentAllocation",
    "InstrumentMappingError",
    "InsufficientObservationsError",
    "InvalidConfidenceError",
    "InvalidCovarianceError",
    "InvalidDegreesOfFreedomError",
    "InvalidHorizonError",
    "InvalidMoneyError",
    "InvalidParameterError",
    "InvalidShockError",
    "LikelihoodRatioTest",
    "NonFiniteInputError",
    "NotPositiveSemiDefiniteError",
    "PositionExposure",
    "RiskError",
    "RiskFigures",
    "ShockLevel",
    "ShrunkCovariance",
    "StressResult",
    "StressScenario",
    "UnknownScenarioTargetError",
    "VaRBacktest",
    "VaRMethod",
    "VaRReport",
    "apply_stress_scenario",
    "apply_stress_scenarios",
    "backtest_var",
    "christoffersen_conditional_coverage_test",
    "christoffersen_independence_test",
    "ensure_positive_semidefinite",
    "ewma_covariance",
    "exposure_report",
    "historical_var",
    "historical_window_scenario",
    "kupiec_pof_test",
    "ledoit_wolf_covariance",
    "monte_carlo_var",
    "nearest_correlation",
    "parametric_var",
    "sample_covariance",
    "var_es_multipliers",
    "var_exceptions",
    "worst_day_scenario",
]
