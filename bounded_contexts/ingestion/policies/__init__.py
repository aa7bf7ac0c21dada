"""Event -> command reactions of the ingestion context (no I/O of their own)."""
