"""I/O of the decision context with the outside world."""
