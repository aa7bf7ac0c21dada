"""Risk analytics of the prediction context: VaR, expected shortfall, covariance, stress tests,
VaR backtests and exposure reports. Pure domain code: no I/O, no clock, no global randomness."""
