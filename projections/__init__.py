"""Read models: SQL tables folded from the event stores, each rebuildable from the log."""
