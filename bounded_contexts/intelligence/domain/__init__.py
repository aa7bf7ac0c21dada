"""Pure domain of the intelligence context: no I/O, no clock, no global randomness."""
