"""I/O of the intelligence context with the outside world."""
