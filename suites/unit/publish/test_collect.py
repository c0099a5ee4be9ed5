"""What a publish reads from the store, and how a sync is split into writes."""

# pylint: disable=missing-function-docstring  # test names state the behaviour checked
from __future__ import annotations

from datetime import timedelta

from harness.stages.publish import chunks
from harness.publish.collect import RecordsCollector
from harness.publish.layout import CHANGE_SUFFIX, summary_row
from harness.records import Environment, Measurement, Run, RunStatus
from harness.testing.fixtures import T0

TEST = "suites/t.py::test_x"


def _run(store, index: int, env: Environment, value: float | None) -> Run:
    run = Run(f"run{index}", T0 + timedelta(hours=index), env=env, status=RunStatus.COMPLETE)
    store.begin_run(run)
    store.record([Measurement.checked(run.run_id, TEST, "acc", value)])
    return run


def test_previous_values_come_from_the_same_environment_and_skip_invalid_ones(store):
    cpu, gpu = Environment(cpu_model="cpu"), Environment(gpu_name="H100")
    _run(store, 0, cpu, 0.5)
    _run(store, 1, gpu, 0.9)
    _run(store, 2, cpu, float("nan"))
    latest = _run(store, 3, cpu, 0.6)
    records = RecordsCollector(store).collect([latest])[0]
    assert records.previous == {(TEST, "acc"): 0.5}
    assert [m.value for m in records.measurements] == [0.6]


def test_the_first_run_of_an_environment_has_no_previous_values(store):
    _run(store, 0, Environment(cpu_model="cpu"), 0.5)
    first_gpu = _run(store, 1, Environment(gpu_name="H100"), 0.9)
    assert RecordsCollector(store).collect([first_gpu])[0].previous == {}


def test_lookback_is_bounded(store):
    env = Environment(cpu_model="cpu")
    _run(store, 0, env, 0.5)
    for index in range(1, 4):
        run = _run(store, index, env, None)
    assert RecordsCollector(store, lookback=2).collect([run])[0].previous == {}
    assert RecordsCollector(store, lookback=3).collect([run])[0].previous == {(TEST, "acc"): 0.5}


def test_chunks_keep_each_write_within_the_limit():
    assert list(chunks([4, 4, 4, 9, 1], 8)) == [slice(0, 2), slice(2, 3), slice(3, 4),
                                                slice(4, 5)]
    assert not list(chunks([], 8))
    assert list(chunks([1, 1, 1], 8)) == [slice(0, 3)]


def test_a_series_short_of_history_says_how_many_runs_it_needs(store):
    cpu, gpu = Environment(cpu_model="cpu"), Environment(gpu_name="H100")
    runs = [_run(store, 0, cpu, 0.5), _run(store, 1, gpu, 0.9), _run(store, 2, cpu, None),
            _run(store, 3, cpu, 0.6)]
    collector = RecordsCollector(store)
    assert collector.collect([runs[3]])[0].needed == {(TEST, "acc"): 3}  # 2 of the 5 valid
    assert collector.collect([runs[1]])[0].needed == {(TEST, "acc"): 4}
    for index in range(4, 7):
        runs.append(_run(store, index, cpu, 0.6))
    assert RecordsCollector(store).collect([runs[-1]])[0].needed == {}  # 5 valid cpu runs
    row = summary_row(RecordsCollector(store).collect([runs[3]])[0])
    [value] = [cell for name, cell in row.metrics.items() if not name.endswith(CHANGE_SUFFIX)]
    assert value.note == ("not judged yet: this series needs 3 more runs in this environment "
                          "before detection colours it") and value.flag is None
