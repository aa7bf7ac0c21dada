"""Use cases of the intelligence context, run against its event store."""
