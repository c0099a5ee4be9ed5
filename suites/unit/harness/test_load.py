"""Machine load: /proc/stat parsing, busy shares, runnable threads, the oversubscription flag."""

import os
import sys

import pytest

from harness.measure.load import LoadMonitor, MachineLoad, read_ticks, usable_cores

STAT = """cpu  {user} 0 {system} {idle} 0 0 0 0 0 0
cpu0 1 2 3 4 5 6 7 8 9 10
intr 12345
procs_running {running}
procs_blocked 0
"""


def write_stat(path, user, idle, running, system=0):
    """A stand-in /proc/stat with these counters."""
    path.write_text(STAT.format(user=user, system=system, idle=idle, running=running),
                    encoding="ascii")


def test_ticks_are_read_from_the_cpu_line(tmp_path):
    stat = tmp_path / "stat"
    write_stat(stat, user=300, system=100, idle=600, running=5)
    ticks = read_ticks(stat)
    assert (ticks.busy, ticks.total, ticks.runnable) == (400, 1000, 5)
    assert read_ticks(tmp_path / "missing") is None


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads Linux's /proc/stat")
def test_this_machine_has_counters_and_at_least_one_runnable_thread():
    ticks = read_ticks()
    assert ticks.total > ticks.busy > 0
    assert ticks.runnable >= 1  # this process, reading


def test_monitor_reports_busy_share_and_runnable_threads(tmp_path):
    stat = tmp_path / "stat"
    write_stat(stat, user=0, idle=0, running=1)
    monitor = LoadMonitor(stat)
    monitor.start()
    write_stat(stat, user=50_000, idle=50_000, running=9)
    monitor.sample()
    write_stat(stat, user=150_000, idle=50_000, running=3)
    load = monitor.stop()
    assert load.busy == pytest.approx(0.75)
    assert 0 <= load.others_busy <= load.busy  # this test's own CPU time is subtracted
    assert load.runnable_max == 9
    assert load.runnable_mean == pytest.approx((1 + 9 + 3) / 3)
    assert load.oversubscribed == (load.runnable_mean > usable_cores())
    assert load.as_details()["machine_busy"] == 0.75


def test_oversubscribed_means_more_runnable_threads_than_cores():
    quiet = MachineLoad(cores=2, busy=0.5, others_busy=0.0, runnable_mean=2.0, runnable_max=3,
                        loadavg_1m=1.0)
    assert not quiet.oversubscribed
    assert MachineLoad(2, 1.0, 0.5, 2.5, 4, 3.0).oversubscribed
    assert not MachineLoad(2, None, None, None, None, None).oversubscribed


def test_usable_cores_follow_the_affinity_mask():
    if hasattr(os, "sched_getaffinity"):
        assert usable_cores() == len(os.sched_getaffinity(0))
    else:
        assert usable_cores() >= 1
