"""Event -> command reactions of the support context (no I/O of their own)."""
