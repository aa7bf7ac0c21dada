"""Pure domain of the decision context: no I/O, no clock, no global randomness."""
