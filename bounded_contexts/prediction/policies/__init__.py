"""Event -> command reactions of the prediction context (no I/O of their own)."""
