"""The six bounded contexts. A context talks to another only through events."""
