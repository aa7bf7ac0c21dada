"""Intelligence: technical indicators, instrument clustering and market regimes."""
