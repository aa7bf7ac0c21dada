"""Execution: the Order aggregate and its state machine, pre-trade controls, venues, fills."""
