"""I/O of the support context with the outside world."""
