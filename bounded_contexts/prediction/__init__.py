"""Prediction: price-direction models and risk analytics (VaR, expected shortfall, stress)."""
