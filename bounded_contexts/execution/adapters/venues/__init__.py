"""Venue adapters: where accepted orders are executed."""
