"""Decision: strategies turn predictions into trade decisions; sizing and portfolio optimisation."""
