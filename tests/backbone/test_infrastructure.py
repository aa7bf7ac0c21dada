"""The fixtures start real servers: a query and a round trip through the broker succeed."""

import psycopg
import pulsar


def test_the_embedded_postgres_answers_queries(database_url: str) -> None:
    with psycopg.connect(database_url) as conn:
        assert conn.execute("SELECT 1 + 1").fetchone() == (2,)


def test_the_embedded_broker_delivers_a_message_with_its_key_and_properties(
    pulsar_url: str, pulsar_tenant: str
) -> None:
    topic = f"persistent://{pulsar_tenant}/probe/messages"
    client = pulsar.Client(pulsar_url, logger=pulsar.ConsoleLogger(pulsar.LoggerLevel.Error))
    try:
        consumer = client.subscribe(topic, "probe", consumer_type=pulsar.ConsumerType.Failover)
        producer = client.create_producer(topic, batching_enabled=True)
        producer.send(b"hello", partition_key="k1", properties={"position": "7"})
        message = consumer.receive(timeout_millis=5000)
        assert (message.data(), message.partition_key(), message.properties()["position"]) == (
            b"hello",
            "k1",
            "7",
        )
    finally:
        client.close()
