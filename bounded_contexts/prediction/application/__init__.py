"""Use cases of the prediction context, run against its event store."""
