"""Read what a publish needs from the store: runs, their measurements, previous values."""

from __future__ import annotations

from collections.abc import Sequence

from harness.detect.config import DetectorConfig
from harness.publish.layout import RunRecords
from harness.records import Measurement, Run
from harness.store import Store

# How many earlier runs of the same environment to search for a metric's previous value
# (and to count towards the history detection needs, `DetectorConfig.min_points`).
LOOKBACK_RUNS = 20


class RecordsCollector:
    """Builds RunRecords for runs of one store, caching measurements across runs."""

    def __init__(self, store: Store, lookback: int = LOOKBACK_RUNS,
                 min_points: int = DetectorConfig().min_points) -> None:
        self.store = store
        self.lookback = lookback
        self.min_points = min_points
        self._timeline = store.runs(newest_first=False)
        self._position = {run.run_id: index for index, run in enumerate(self._timeline)}
        self._cache: dict[str, tuple[Measurement, ...]] = {}

    def measurements(self, run_id: str) -> tuple[Measurement, ...]:
        """The run's measurements (read once)."""
        if run_id not in self._cache:
            self._cache[run_id] = tuple(self.store.measurements(run_id))
        return self._cache[run_id]

    def previous_values(
        self, run: Run, wanted: set[tuple[str, str]]
    ) -> tuple[dict[tuple[str, str], float], dict[tuple[str, str], int]]:
        """The latest earlier valid value of each wanted (test, metric) in the run's
        environment, and how many more runs each needs there before it is judged."""
        found: dict[tuple[str, str], float] = {}
        counts = dict.fromkeys(wanted, 1)  # this run
        index = self._position.get(run.run_id, len(self._timeline))
        fingerprint = run.env.fingerprint
        searched = 0
        for earlier in reversed(self._timeline[:index]):
            if searched >= self.lookback or (len(found) == len(wanted) and all(
                    count >= self.min_points for count in counts.values())):
                break
            if earlier.env.fingerprint != fingerprint:
                continue
            searched += 1
            for item in self.measurements(earlier.run_id):
                key = (item.test, item.metric)
                if key in wanted and item.value is not None:
                    found.setdefault(key, item.value)
                    counts[key] += 1
        needed = {key: self.min_points - count for key, count in counts.items()
                  if count < self.min_points}
        return found, needed

    def collect(self, runs: Sequence[Run]) -> list[RunRecords]:
        """RunRecords for `runs`, in the order given."""
        batch = []
        for run in runs:
            items = self.measurements(run.run_id)
            wanted = {(item.test, item.metric) for item in items}
            batch.append(RunRecords(run, items, *self.previous_values(run, wanted)))
        return batch
