"""Validation helpers for model configuration values."""

from __future__ import annotations


def positive_int(name: str, value: object) -> int:
    """Return ``value`` if it is an int greater than zero, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return value


def positive_float(name: str, value: object) -> float:
    """Return ``value`` as float if it is a number greater than zero, else raise ``ValueError``."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)
