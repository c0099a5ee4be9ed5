"""Measuring: what ran where (devices, environment, git) and how fast. Knows nothing of storage."""
