"""Pure domain of the execution context: no I/O, no clock, no global randomness."""
