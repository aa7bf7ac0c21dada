"""Process managers across contexts."""
