"""Pure domain of the prediction context: no I/O, no clock, no global randomness."""
