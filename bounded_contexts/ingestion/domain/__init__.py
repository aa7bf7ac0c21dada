"""Pure domain of the ingestion context: no I/O, no clock, no global randomness."""
