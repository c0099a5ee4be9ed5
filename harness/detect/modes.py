"""Two-state clocks: timings that flip between a fast and a slow mode for streaks of runs.

GPU boost states, CPU frequency steps and cache or NUMA placement make some timings bimodal:
most runs sit tight around one of two levels a fixed distance apart, and the series jumps
between them, staying in each mode for one run or for twenty. A mean test reads each streak
as a shift and its end as a shift back. Here the jumps between the modes are recognised (many
first differences of one size, alternating up and down, far above the noise within a mode)
and taken out: each run in the upper mode is moved down by the distance between the modes.
What is left is the noise within a mode plus real shifts, which the usual search then finds;
a real shift that happens to look like a mode jump still moves the corrected level by the
amount it differs from one.

Quantised and deterministic series (most neighbours identical) are never clocks: their
steps are the signal.
"""

from __future__ import annotations

from collections.abc import Sequence

from harness.detect.noise import MAD_TO_SIGMA

_JUMP_SIGMAS = 6.0  # a first difference this many within-mode noises is a jump
_MIN_JUMPS = 8  # fewer jumps are steps or spikes, not a clock
_SHARE = 0.75  # of the jumps that must alternate in sign and be of one size
_RETURN_SHARE = 0.6  # of the jumps that must be undone by the next one
_ALIKE = (0.6, 1.6)  # "one size": within these factors of the typical jump
_RETURN_SIGMAS = 4.0  # a jump and the next one cancel within this many within-mode noises
_SPIKE_SHARE = 0.5  # more one-run visits than this are spikes, not a clock
_DISTINCT_NOISE = 10.0  # within-mode noise must exceed the noise floor this many times


def declocked(values: Sequence[float], floor: float) -> list[float] | None:
    """`values` with a two-state clock taken out (upper-mode runs moved down by the distance
    between the modes), or None when the series does not flip between two modes."""
    import numpy  # pylint: disable=import-outside-toplevel  # keep `import harness` light

    array = numpy.asarray(values, dtype=float)
    clock = _clock_jumps(array, floor) if len(array) >= 2 * _MIN_JUMPS else None
    if clock is None:
        return None
    jumps, steps, alike, typical = clock
    start, states = _modes(steps[jumps], alike, typical)
    offsets = numpy.full(len(array), typical if start else 0.0)
    for position, index in enumerate(jumps):
        offsets[index + 1:] = typical if states[position] else 0.0
    return [float(value) for value in array - offsets]


def _clock_jumps(array, floor: float):
    """(jump indices, first differences, which jumps are of the typical size, that size) of
    a two-state clock, or None when the jumps are steps, spikes or quantisation."""
    import numpy  # pylint: disable=import-outside-toplevel

    steps = numpy.diff(array)
    fine = float(numpy.median(numpy.abs(steps - numpy.median(steps)))) * MAD_TO_SIGMA
    if fine <= _DISTINCT_NOISE * floor:
        return None
    jumps = numpy.flatnonzero(numpy.abs(steps) > _JUMP_SIGMAS * fine)
    if len(jumps) < _MIN_JUMPS:
        return None
    signed = steps[jumps]
    typical = float(numpy.median(numpy.abs(signed)))
    alike = (numpy.abs(signed) > _ALIKE[0] * typical) & (numpy.abs(signed) < _ALIKE[1] * typical)
    signs = numpy.sign(signed)
    # a clock comes back: each jump is undone by the next one (sum within the noise of four
    # runs), where independent shifts of similar sizes would leave a level behind
    returns = numpy.abs(signed[1:] + signed[:-1]) < _RETURN_SIGMAS * fine
    # and it stays: a visit of one run to the other level and back is a spike
    single_visits = numpy.mean(numpy.diff(jumps) == 1)
    if (numpy.mean(signs[1:] != signs[:-1]) < _SHARE or numpy.mean(alike) < _SHARE
            or numpy.mean(returns) < _RETURN_SHARE or single_visits > _SPIKE_SHARE):
        return None
    return jumps, steps, alike, typical


def _modes(sizes, alike, typical: float) -> tuple[bool, list[bool]]:
    """Whether the series starts in the upper mode, and is in it after each jump (signed
    `sizes`). A jump to the other mode is one of the typical size in the right direction;
    of two such jumps in a row the same way, the one nearer the typical size is the mode
    jump, the other a shift."""
    candidates = [number for number, flag in enumerate(alike) if flag]
    upper = bool(sizes[candidates[0]] < 0)  # the first mode jump leaves the upper mode
    state, after = upper, []
    for number, size in enumerate(sizes):
        if alike[number] and (size > 0) != state:
            later = next((other for other in candidates if other > number), None)
            if later is None or (sizes[later] > 0) != (size > 0) or abs(
                    abs(size) - typical) <= abs(abs(sizes[later]) - typical):
                state = not state
        after.append(state)
    return upper, after
