"""Two-state clocks built by hand: the de-clocked values exactly (upper mode moved down by
the distance between the modes) at small, unit and large scales, the shortest clock, and
series that are not clocks because one test fails (single visits, jumps that leave a level
behind, jumps of two sizes)."""

from __future__ import annotations

import statistics

import pytest

from harness.detect.modes import declocked

WOBBLE = [0.0, 0.1, 0.0, 0.1, 0.05, 0.0, 0.1, 0.0, 0.05, 0.1] * 10  # noise within a mode
STREAKS = "LLLHHH" * 5


def clock(pattern: str, low: float = 10.0, gap: float = 10.0, scale: float = 1.0,
          drift: float = 0.0) -> list[float]:
    """Values in the modes of `pattern` (L or H, H `gap` above), WOBBLE times `scale`; each
    visit to the lower mode `drift` above the last."""
    values, visits = [], 0
    for index, mode in enumerate(pattern):
        if mode == "L" and index and pattern[index - 1] == "H":
            visits += 1
        values.append(low + (gap if mode == "H" else 0.0) + drift * visits
                      + WOBBLE[index] * scale)
    return values


def without_clock(values: list[float], pattern: str) -> list[float]:
    """`values` with each upper-mode run moved down by the median mode jump."""
    jumps = [abs(two - one) for one, two, a, b in zip(values, values[1:], pattern, pattern[1:])
             if a != b]
    typical = statistics.median(jumps)
    return [value - (typical if mode == "H" else 0.0) for value, mode in zip(values, pattern)]


@pytest.mark.parametrize("low, gap, scale", [(10.0, 10.0, 1.0), (0.0, 0.5, 0.005),
                                             (10000.0, 1000.0, 100.0)])
@pytest.mark.parametrize("pattern", [STREAKS, "H" + STREAKS[:-1]])
def test_the_upper_mode_is_moved_down_by_the_distance_between_the_modes(low, gap, scale,
                                                                        pattern):
    values = clock(pattern, low, gap, scale)
    assert declocked(values, 1e-9) == pytest.approx(without_clock(values, pattern), rel=1e-12,
                                                    abs=1e-12)


def test_the_shortest_clock_has_streaks_of_two():
    # 20 runs, 9 jumps, 10 steps within a mode: still a clock
    pattern = "LLHH" * 5
    values = clock(pattern)
    assert declocked(values, 1e-9) == pytest.approx(without_clock(values, pattern))


def test_visits_of_one_run_are_spikes_not_a_clock_when_they_are_more_than_half():
    # 8 one-run visits up: of the 15 gaps between the 16 jumps, 8 are of one run
    assert declocked(clock("LLLLH" * 8 + "L"), 1e-9) is None
    # without the last return: 7 of 14, exactly half, is still a clock
    assert declocked(clock("LLLLH" * 8), 1e-9) is not None


def test_jumps_that_leave_a_level_behind_are_shifts_not_a_clock():
    # up 10, down 9 each time: the lower mode climbs by 1 each visit
    assert declocked(clock(STREAKS, drift=1.0), 1e-9) is None
    assert declocked(clock(STREAKS, drift=0.0), 1e-9) is not None


def test_jumps_of_two_sizes_are_not_one_clock():
    # six jumps of 10 and four of 30, each undone by the next: only 60 % of one size
    pattern = "LLLHHH" * 3 + "LLLTTT" * 2 + "LLL"
    values = [10.0 + {"L": 0.0, "H": 10.0, "T": 30.0}[mode] + WOBBLE[index]
              for index, mode in enumerate(pattern)]
    assert declocked(values, 1e-9) is None
    assert declocked(clock("LLLHHH" * 5 + "LLL"), 1e-9) is not None
