"""Use cases of the support context, run against its event store."""
