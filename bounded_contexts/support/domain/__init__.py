"""Pure domain of the support context: no I/O, no clock, no global randomness."""
