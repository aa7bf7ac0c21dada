"""I/O of the prediction context with the outside world."""
