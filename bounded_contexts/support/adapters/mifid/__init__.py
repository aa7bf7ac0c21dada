"""Files of the MiFID II records: ISO 20022 ``auth.016.001.01`` XML, CSV and Parquet order
records, and the host clock's synchronisation state."""
