"""Measuring: where the code came from, what it ran on, and how fast it went.

Knows nothing of storage or publishing.
"""
