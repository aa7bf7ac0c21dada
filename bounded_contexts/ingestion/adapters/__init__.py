"""I/O of the ingestion context with the outside world."""
