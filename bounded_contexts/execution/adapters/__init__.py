"""I/O of the execution context with the outside world."""
