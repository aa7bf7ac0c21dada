"""MiFID II / MiFIR records from the event log: RTS 22 transaction reports, Annex IV order
records and the RTS 25 clock report, as plain data for the CLI and the gateway (the database
connection is passed in), and their files."""
