"""Ingestion: market data in (CSV replay, synthetic feed), normalised and validated;
bad bars quarantined."""
