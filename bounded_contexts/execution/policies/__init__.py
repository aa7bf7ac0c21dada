"""Event -> command reactions of the execution context (no I/O of their own)."""
