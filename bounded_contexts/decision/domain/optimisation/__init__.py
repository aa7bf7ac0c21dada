"""Portfolio optimisation: mean-variance, Black-Litterman, risk budgeting, CVaR, HRP and
rebalancing (pure domain code; cvxpy with CLARABEL by default).

The public surface is re-exported here; see ``docs/quant/optimisation.md``.
"""

from .black_litterman import (
    BlackLittermanResult,
    View,
    black_litterman,
    equilibrium_returns,
    implied_risk_aversion,
)
from .constraints import GroupLimit, PortfolioConstraints
from .costs import TransactionCosts
from .cvar import CvarResult, minimum_cvar, scenario_cvar
from .errors import (
    DimensionMismatchError,
    InfeasibleProblemError,
    InsufficientCashError,
    InvalidInputError,
    NonPsdCovarianceError,
    OptimisationError,
    SolverFailureError,
    UnboundedProblemError,
    UnknownAssetError,
)
from .hrp import HrpResult, hierarchical_risk_parity
from .mean_variance import (
    efficient_frontier,
    efficient_return,
    efficient_risk,
    maximum_return,
    maximum_sharpe,
    maximum_utility,
    minimum_variance,
)
from .problem import MarketModel
from .rebalancing import (
    DroppedTrade,
    Order,
    RebalancePlan,
    WhatIfResult,
    parametric_value_at_risk,
    plan_rebalance,
    what_if,
)
from .results import EfficientFrontier, PortfolioResult
from .risk_budgeting import RiskBudgetResult, risk_budgeting, risk_contributions
from .solving import DEFAULT_SOLVER

__all__ = [
    "DEFAULT_SOLVER",
    "BlackLittermanResult",
    "CvarResult",
    "DimensionMismatchError",
    "DroppedTrade",
    "EfficientFrontier",
    "GroupLimit",
    "HrpResult",
    "InfeasibleProblemError",
    "InsufficientCashError",
    "InvalidInputError",
    "MarketModel",
    "NonPsdCovarianceError",
    "OptimisationError",
    "Order",
    "PortfolioConstraints",
    "PortfolioResult",
    "RebalancePlan",
    "RiskBudgetResult",
    "SolverFailureError",
    "TransactionCosts",
    "UnboundedProblemError",
    "UnknownAssetError",
    "View",
    "WhatIfResult",
    "black_litterman",
    "efficient_frontier",
    "efficient_return",
    "efficient_risk",
    "equilibrium_returns",
    "hierarchical_risk_parity",
    "implied_risk_aversion",
    "maximum_return",
    "maximum_sharpe",
    "maximum_utility",
    "minimum_cvar",
    "minimum_variance",
    "parametric_value_at_risk",
    "plan_rebalance",
    "risk_budgeting",
    "risk_contributions",
    "scenario_cvar",
    "what_if",
]
