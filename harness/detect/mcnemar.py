"""Paired accuracy comparison: exact McNemar test on per-sample correctness.

Two runs scored on the same fixed evaluation set disagree on some samples: `b` that only the
first got right, `c` that only the second did. Under "same accuracy" each disagreement is a
fair coin, so the two-sided p-value is a binomial tail of min(b, c) out of b + c. This is
far sharper than comparing two top-1 numbers as noisy values.

Correctness vectors travel packed (`pack_correctness`): a 4-byte little-endian length and
one bit per sample, so a 50,000-image evaluation set costs 6 kB per run.
"""

from __future__ import annotations

import math
from collections.abc import Sequence


def exact_mcnemar(first: Sequence[bool], second: Sequence[bool]) -> float:
    """Two-sided exact McNemar p-value that `first` and `second` (per-sample correctness of
    two runs on the same samples, same order) have the same accuracy."""
    if len(first) != len(second):
        raise ValueError(f"correctness vectors differ in length: {len(first)} != {len(second)}")
    only_first = sum(1 for one, two in zip(first, second) if one and not two)
    only_second = sum(1 for one, two in zip(first, second) if two and not one)
    return binomial_two_sided(min(only_first, only_second), only_first + only_second)


def binomial_two_sided(low: int, total: int) -> float:
    """P(X <= low) * 2 for X ~ Binomial(total, 1/2), capped at 1 (log space, any size)."""
    if total == 0:
        return 1.0
    log_half = total * math.log(0.5)
    terms = [math.lgamma(total + 1) - math.lgamma(k + 1) - math.lgamma(total - k + 1) + log_half
             for k in range(low + 1)]
    top = max(terms)
    tail = math.exp(top) * math.fsum(math.exp(term - top) for term in terms)
    return min(1.0, 2.0 * tail)


def pack_correctness(correct: Sequence[bool]) -> bytes:
    """Per-sample correctness as bytes: length (4 bytes, little endian) then bits, LSB first."""
    packed = bytearray(len(correct).to_bytes(4, "little"))
    for start in range(0, len(correct), 8):
        byte = 0
        for bit, value in enumerate(correct[start:start + 8]):
            byte |= int(bool(value)) << bit
        packed.append(byte)
    return bytes(packed)


def unpack_correctness(packed: bytes) -> list[bool]:
    """The correctness vector that `pack_correctness` packed."""
    count = int.from_bytes(packed[:4], "little")
    if len(packed) != 4 + (count + 7) // 8:
        raise ValueError("packed correctness vector is truncated or has trailing bytes")
    return [bool(packed[4 + index // 8] >> (index % 8) & 1) for index in range(count)]


def runs_p_value(first: bytes | None, second: bytes | None) -> float | None:
    """McNemar p-value between two runs' packed vectors; None when either is missing or the
    evaluation sets differ in size (not the same fixed set)."""
    if not first or not second:
        return None
    one, two = unpack_correctness(first), unpack_correctness(second)
    if len(one) != len(two):
        return None
    return exact_mcnemar(one, two)
