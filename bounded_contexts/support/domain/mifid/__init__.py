"""MiFID II / MiFIR records, pure: RTS 22 transaction reports and their validation, Annex IV
order records and their ISO 20022 event codes, the firm's reference data, and the RTS 25
timestamp points. No I/O here: the application layer reads the log, the adapters write files."""
