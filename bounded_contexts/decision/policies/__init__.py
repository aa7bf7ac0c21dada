"""Event -> command reactions of the decision context (no I/O of their own)."""
