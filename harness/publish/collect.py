"""Read what a publish needs from the store: runs, their measurements, previous values."""

from __future__ import annotations

from collections.abc import Sequence

from harness.publish.layout import RunRecords
from harness.records import Measurement, Run
from harness.store import Store

# How many earlier runs of the same environment to search for a metric's previous value.
LOOKBACK_RUNS = 20


class RecordsCollector:
    """Builds RunRecords for runs of one store, caching measurements across runs."""

    def __init__(self, store: Store, lookback: int = LOOKBACK_RUNS) -> None:
        self.store = store
        self.lookback = lookback
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
    ) -> dict[tuple[str, str], float]:
        """The latest earlier valid value of each wanted (test, metric) in the run's environment."""
        found: dict[tuple[str, str], float] = {}
        index = self._position.get(run.run_id, len(self._timeline))
        fingerprint = run.env.fingerprint
        searched = 0
        for earlier in reversed(self._timeline[:index]):
            if searched >= self.lookback or len(found) == len(wanted):
                break
            if earlier.env.fingerprint != fingerprint:
                continue
            searched += 1
            for item in self.measurements(earlier.run_id):
                key = (item.test, item.metric)
                if key in wanted and key not in found and item.value is not None:
                    found[key] = item.value
        return found

    def collect(self, runs: Sequence[Run]) -> list[RunRecords]:
        """RunRecords for `runs`, in the order given."""
        batch = []
        for run in runs:
            items = self.measurements(run.run_id)
            wanted = {(item.test, item.metric) for item in items}
            batch.append(RunRecords(run, items, self.previous_values(run, wanted)))
        return batch
