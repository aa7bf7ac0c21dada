"""Use cases of the decision context, run against its event store."""
