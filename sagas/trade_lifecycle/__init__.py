"""The trade lifecycle saga: decision -> order -> fill -> position, with a timeout."""
