"""Detector settings: one frozen object, defaults chosen by `benchmarks/detection.py`."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DetectorConfig:  # pylint: disable=too-many-instance-attributes  # one knob per rule
    """How sure the detector must be before it reports a change.

    Attributes:
        method: change-point engine, "binseg" (built in) or "pelt" (ruptures).
        beta: penalty per change point, in units of noise variance times log(n).
        min_sigmas: minimum detectable change, in noise sigmas; smaller shifts are never flagged.
        min_z: a shift must be this many standard errors (difference of segment means).
        outlier_sigmas: a single run this far from both neighbours' level is an outlier;
            the newest run this far from its baseline is flagged but unconfirmed.
        window: runs on each side used as an outlier's local level.
        relative_floor: smallest noise assumed, relative to the level (deterministic metrics).
        min_points: an environment segment with fewer runs has no verdict yet (see
            `harness.detect.classify.history_needed`).
        max_history: only the newest this many runs of a segment are analysed (each search
            level is linear; 1000 nightly runs take a few milliseconds).
        env_window: up to this many runs each side of an environment change (within one
            level, outliers set aside) are compared by their medians.
        trend_window: runs each side of a candidate shift over which a straight line must
            fit worse than a step (by `trend_margin` noise variances): a drift or a trend
            is not cut into steps.
        mcnemar_alpha: a change of an accuracy with per-sample correctness is reported only
            below this exact McNemar p-value, and a newest-run change below it is confirmed.
    """

    method: str = "binseg"
    beta: float = 3.0
    min_sigmas: float = 2.5
    min_z: float = 4.5
    outlier_sigmas: float = 5.0
    window: int = 5
    relative_floor: float = 1e-4
    min_points: int = 5
    max_history: int = 1000
    env_window: int = 20
    trend_window: int = 20
    trend_margin: float = 4.0
    mcnemar_alpha: float = 0.001
