"""Composition root of QuantVista: configuration, embedded servers, runners and the CLI."""
