"""Use cases of the ingestion context, run against its event store."""
