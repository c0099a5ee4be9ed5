"""The exact McNemar test and the packed correctness vectors on cases worked out by hand."""

from __future__ import annotations

import math

import pytest

from harness.detect.mcnemar import (
    binomial_two_sided,
    exact_mcnemar,
    pack_correctness,
    runs_p_value,
    unpack_correctness,
)


def test_binomial_tails_by_hand():
    assert binomial_two_sided(0, 0) == 1.0
    assert binomial_two_sided(0, 1) == 1.0  # 2 * 1/2, capped
    assert binomial_two_sided(0, 3) == pytest.approx(0.25)  # 2 * 1/8
    assert binomial_two_sided(1, 5) == pytest.approx(2 * 6 / 32)  # (1 + 5) / 32
    assert binomial_two_sided(2, 10) == pytest.approx(2 * 56 / 1024)  # (1 + 10 + 45) / 1024
    assert binomial_two_sided(3, 6) == 1.0


def test_a_large_tail_is_exact_in_log_space():
    # P(X <= 400) for X ~ Binomial(1000, 1/2): each term relative to the largest one
    terms = [math.comb(1000, k) for k in range(401)]
    assert binomial_two_sided(400, 1000) == pytest.approx(2 * sum(terms) / 2 ** 1000,
                                                          rel=1e-9)


def test_only_the_discordant_pairs_count_and_the_smaller_side_is_the_tail():
    first = [True, True, True, False, True, False, True, False]
    second = [True, False, False, False, True, True, False, False]
    # only the first right: samples 1, 2, 6 (b = 3); only the second: sample 5 (c = 1)
    assert exact_mcnemar(first, second) == pytest.approx(2 * 5 / 16)
    assert exact_mcnemar(first=second, second=first) == pytest.approx(2 * 5 / 16)
    # agreements, right or wrong, change nothing
    assert exact_mcnemar(first + [True] * 50 + [False] * 50,
                         second + [True] * 50 + [False] * 50) == pytest.approx(2 * 5 / 16)
    assert exact_mcnemar([True] * 5 + [False], [False] * 5 + [True]) == pytest.approx(
        2 * 7 / 64)


def test_vectors_of_different_lengths_are_refused_with_both_lengths():
    with pytest.raises(ValueError, match="differ in length: 2 != 1"):
        exact_mcnemar([True, True], [True])


def test_packing_is_a_length_then_bits_least_significant_first():
    assert pack_correctness([]) == b"\x00\x00\x00\x00"
    assert pack_correctness([True, False, True]) == b"\x03\x00\x00\x00\x05"
    assert pack_correctness([False] * 7 + [True, True]) == b"\x09\x00\x00\x00\x80\x01"
    assert pack_correctness([1, 0, 2]) == b"\x03\x00\x00\x00\x05"  # truthy values are True
    assert len(pack_correctness([True] * 300)) == 4 + 38
    assert pack_correctness([True] * 300)[:4] == (300).to_bytes(4, "little")


def test_unpacking_reads_every_bit_back_and_refuses_trailing_bytes():
    assert unpack_correctness(b"\x09\x00\x00\x00\x80\x01") == [False] * 7 + [True, True]
    assert unpack_correctness(b"\x00\x00\x00\x00") == []
    pattern = [index % 3 == 0 or index % 5 == 0 for index in range(300)]
    assert unpack_correctness(pack_correctness(pattern)) == pattern
    with pytest.raises(ValueError, match="^packed correctness vector is truncated or has "
                                         "trailing bytes$"):
        unpack_correctness(pack_correctness(pattern) + b"\x00")


def test_runs_p_value_compares_two_packed_runs():
    first = pack_correctness([True] * 10)
    second = pack_correctness([False] * 10)
    assert runs_p_value(first, second) == pytest.approx(2 * 0.5 ** 10)
    assert runs_p_value(first, first) == 1.0
    assert runs_p_value(first, None) is None
    assert runs_p_value(b"", second) is None
    assert runs_p_value(first, b"") is None
    assert runs_p_value(first, pack_correctness([True] * 11)) is None
