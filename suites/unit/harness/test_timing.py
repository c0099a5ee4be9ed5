"""Timing helpers: percentiles, the speed summary, section memory and the paused collector."""

import gc
import subprocess
import sys
import textwrap

import pytest

from harness.measure.timing import PeakMemory, SpeedResult, paused_gc, percentile, synced


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


def test_peak_memory_is_the_sections_own_beside_the_process_peak():
    with PeakMemory("cpu") as peak:
        block = bytearray(64 * 10**6)
        block[:: 4096] = b"x" * len(block[:: 4096])  # touch every page: resident
        del block
    if not sys.platform.startswith("linux"):
        pytest.skip("section peaks need Linux's /proc/self")
    assert peak.growth_bytes >= 60 * 10**6
    assert peak.start_bytes < peak.peak_bytes <= peak.process_peak_bytes
    details = peak.as_details()
    assert details["memory_source"] == "rss" and details["memory_growth_mb"] >= 60


HOLES = textwrap.dedent("""
    import sys
    import harness.measure.timing as timing
    if sys.argv[1] == "untrimmed":
        timing._malloc_trim = lambda: None
    warm = [bytearray(1 << 20) for _ in range(5)]  # glibc now keeps 1 MB blocks on its heap
    del warm
    pins, blocks = [], []
    for _ in range(60):
        blocks.append(bytearray(1 << 20))
        pins.append(bytearray(2000))  # small objects between the blocks keep the heap's top
    del blocks  # 60 MB free in holes that the heap's own trimming cannot give back
    with timing.PeakMemory("cpu") as peak:
        again = [bytearray(1 << 20) for _ in range(60)]
    print(peak.growth_bytes)
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="RSS from /proc, glibc's heap")
def test_memory_that_earlier_code_freed_does_not_hide_the_sections_own_growth():
    def growth(mode: str) -> float:
        done = subprocess.run([sys.executable, "-c", HOLES, mode], check=True,
                              capture_output=True, text=True)
        return float(done.stdout)

    untrimmed = growth("untrimmed")
    if untrimmed > 50e6:
        pytest.skip(f"this C library gives freed holes back by itself ({untrimmed / 1e6:.0f} MB)")
    assert growth("trimmed") > 50e6  # the 60 MB the section allocated, not the ~1 MB above


def test_paused_gc_keeps_collections_out_of_the_block():
    assert gc.isenabled()
    with paused_gc():
        assert not gc.isenabled()
    assert gc.isenabled()
