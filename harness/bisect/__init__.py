"""Bisection of a metric change: `git bisect run` with a measuring, noise-aware step."""

from harness.bisect.decide import Baseline, Decision, decide
from harness.bisect.driver import BisectError, BisectResult, bisect

__all__ = ["Baseline", "BisectError", "BisectResult", "Decision", "bisect", "decide"]
