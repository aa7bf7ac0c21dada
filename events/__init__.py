"""The backbone: event envelope, catalogue, codec and upcasters, the PostgreSQL event store,
the Pulsar bus, the store -> Pulsar relay and the tracked-consumer runtime.

Principle: the event store decides, Pulsar carries. Every consumer records the last upstream
position it applied in the same transaction as its effect, drops what it has seen, and heals
gaps by reading the store — exactly-once effects whatever the broker does.
"""
