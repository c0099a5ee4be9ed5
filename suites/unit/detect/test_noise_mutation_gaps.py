"""robust_sigma on series worked out by hand: which of its two estimates wins, three runs
(the smallest series it estimates), the trimmed share, and integer values."""

from __future__ import annotations

import math

import pytest

from harness.detect.noise import robust_sigma

MAD_TO_SIGMA = 1.0 / (0.6744897501960817 * math.sqrt(2.0))


def test_three_runs_are_estimated_from_their_two_differences():
    # differences 0 and 10: median 5, absolute deviations 5 and 5, so the MAD estimate is
    # 5 * MAD_TO_SIGMA; the trimmed estimate drops the larger difference and keeps only 0.
    assert robust_sigma([0.0, 0.0, 10.0], 0.0) == pytest.approx(5.0 * MAD_TO_SIGMA)
    assert robust_sigma([7.0, 7.0, 17.0], 0.0) == pytest.approx(5.0 * MAD_TO_SIGMA)


def test_the_median_deviation_wins_when_the_differences_are_centred_off_zero():
    # differences 4 -1 4 -1 4 -1 4 -1 4: median 4, deviations 0 or 5, their median 0;
    # against 0 -> the trimmed RMS decides. Shifted by a constant the result is the same.
    values = [0.0, 4.0, 3.0, 7.0, 6.0, 10.0, 9.0, 13.0, 12.0, 16.0]
    # |differences| sorted: 1 1 1 1 4 4 4 4 4; the largest (one, 10 % rounded up) dropped:
    # mean square (4 * 1 + 4 * 16) / 8 = 8.5
    expected = math.sqrt(8.5 / 2.0) / 0.7892
    assert robust_sigma(values, 0.0) == pytest.approx(expected)
    assert robust_sigma([value + 1000.0 for value in values], 0.0) == pytest.approx(expected)


def test_only_the_largest_tenth_of_a_short_series_is_trimmed():
    # differences 2 -1 2 -1 2 -1 2: |d| sorted 1 1 1 2 2 2 2, one dropped: mean square 15 / 6
    values = [0.0, 2.0, 1.0, 3.0, 2.0, 4.0, 3.0, 5.0]
    assert robust_sigma(values, 0.0) == pytest.approx(math.sqrt(2.5 / 2.0) / 0.7892)


def test_integer_byte_counts_whose_squares_pass_int64_are_estimated_as_floats():
    # peak memory in bytes, recorded as ints: 4e9^2 is beyond 64-bit integers
    values = [0, 4_000_000_000] * 4
    assert robust_sigma(values, 0.0) == pytest.approx(
        robust_sigma([float(value) for value in values], 0.0))
    # differences all +-4e9 (7 of them): median 4e9, MAD 0; six kept, RMS 4e9
    assert robust_sigma(values, 0.0) == pytest.approx(4e9 / math.sqrt(2.0) / 0.7892)
