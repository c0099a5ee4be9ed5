"""Timing helpers: rounds, percentiles and the speed summary."""

import pytest

from harness.measure.timing import SpeedResult, percentile, synced, time_rounds


def test_time_rounds_uses_the_clock_and_skips_warmup():
    ticks = iter(range(100))
    calls = []
    times = time_rounds(lambda: calls.append(1), rounds=4, warmup=2, clock=lambda: next(ticks))
    assert len(calls) == 6
    assert times == [1, 1, 1, 1]


def test_time_rounds_rejects_bad_counts():
    with pytest.raises(ValueError):
        time_rounds(lambda: None, rounds=0, warmup=0)


def test_percentiles_interpolate_like_numpy():
    numpy = pytest.importorskip("numpy")
    values = [5.0, 1.0, 4.0, 2.0, 3.0, 10.0]
    for fraction in (0.0, 0.5, 0.9, 1.0):
        assert percentile(values, fraction) == pytest.approx(
            numpy.percentile(values, fraction * 100)
        )


def test_speed_result_summary():
    result = SpeedResult((0.1, 0.2, 0.3, 0.4, 0.5), items_per_call=32, peak_memory_bytes=2_000_000)
    assert result.p50 == pytest.approx(0.3)
    assert result.throughput == pytest.approx(32 / 0.3)
    assert result.peak_memory_mb == 2.0


def test_synced_runs_sync_after_the_work():
    order = []
    synced(lambda: order.append("work"), lambda: order.append("sync"))()
    assert order == ["work", "sync"]
