"""Event -> command reactions of the intelligence context (no I/O of their own)."""
