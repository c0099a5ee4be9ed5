"""Detection gaps (filled below)."""
