"""Unit tests of backbone: the code under test (CPU only, tiny models)."""
