"""The `git bisect run` step: exit 0 (good), 1 (bad) or 125 (cannot tell: skip).

    python -m harness.bisect.step STATE.json

STATE holds the test, metric, baseline levels and noise written by the driver.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from harness.bisect.decide import Baseline, Decision, decide
from harness.bisect.measure import measure

GOOD, BAD, SKIP = 0, 1, 125


def run_step(state_path: Path, cwd: Path) -> int:
    """Measure the checked-out commit, repeating while unclear, and answer git bisect."""
    state = json.loads(Path(state_path).read_text(encoding="utf-8"))
    baseline = Baseline(**state["baseline"])
    values: list[float] = []
    while len(values) < state["max_repeat"]:
        fresh = measure(state["test"], state["metric"], cwd, state["repeat"],
                        state["pytest_args"])
        if not fresh:
            return SKIP
        values.extend(fresh)
        answer = decide(values, baseline)
        if answer is not Decision.UNCLEAR:
            print(f"harness bisect: {answer.value} ({len(values)} measurements, "
                  f"mean {sum(values) / len(values):.6g})")
            return BAD if answer is Decision.BAD else GOOD
    print(f"harness bisect: unclear after {len(values)} measurements: skipping this commit")
    return SKIP


if __name__ == "__main__":
    sys.exit(run_step(Path(sys.argv[1]), Path.cwd()))
