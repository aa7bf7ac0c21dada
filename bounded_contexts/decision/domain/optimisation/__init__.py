"""Portfolio optimisation: mean-variance, Black-Litterman, risk budgeting, CVaR, HRP and
rebalancing (pure domain code; cvxpy with CLARABEL by default)."""
