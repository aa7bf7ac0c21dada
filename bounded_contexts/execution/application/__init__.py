"""Use cases of the execution context, run against its event store."""
