"""The pytest plugin, exercised through real inner pytest sessions (pytester)."""

import random
import subprocess

import pytest

from harness.records import MeasurementStatus, RunStatus
from harness.store import Store

try:  # pytester's in-process runs unload modules they import; torch cannot load twice
    import torch  # noqa: F401  pylint: disable=unused-import
except ImportError:
    pass

RECORDING_TESTS = """
import math, os, random, signal

def test_accuracy(metrics):
    metrics.record("top1_accuracy", 0.91, unit="fraction")

def test_speed(speed):
    speed.measure(lambda: sum(range(2000)), items=8, name="sum", rounds=5, warmup=1)
"""


def store_of(pytester: pytest.Pytester) -> Store:
    """The store the inner session wrote."""
    return Store.open(str(pytester.path / "results.db"), create=False)


def run_inner(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    """An in-process pytest session recording into results.db in the test folder."""
    return pytester.runpytest(
        "-p", "no:cacheprovider", f"--harness-store={pytester.path / 'results.db'}", *args
    )


def init_git(path) -> str:
    """Make `path` a git repository with one commit; return the commit sha."""
    for args in (
        ["init", "-q"],
        ["config", "user.email", "t@e.x"],
        ["config", "user.name", "T"],
        ["add", "-A"],
        ["commit", "-qm", "Seed"],
    ):
        subprocess.run(["git", *args], cwd=path, check=True, capture_output=True)
    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=path, check=True, capture_output=True, text=True
    ).stdout.strip()


def test_metrics_and_speed_are_recorded_with_provenance(pytester):
    pytester.makepyfile(test_rec=RECORDING_TESTS)
    commit = init_git(pytester.path)
    result = run_inner(pytester)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["harness: recorded 5 measurements in run *"])
    store = store_of(pytester)
    run = store.last_run()
    assert run.status is RunStatus.COMPLETE and run.git.commit == commit
    assert run.env.python and run.env.hostname and run.env.fingerprint
    values = {(m.test, m.metric): m for m in store.measurements(run.run_id)}
    assert values[("test_rec.py::test_accuracy", "top1_accuracy")].value == 0.91
    speed = {metric: m for (test, metric), m in values.items() if test.endswith("test_speed")}
    assert set(speed) == {"sum_throughput", "sum_latency_p50", "sum_latency_p90", "sum_peak_memory"}
    assert speed["sum_throughput"].value > 0 and speed["sum_throughput"].higher_is_better
    assert speed["sum_latency_p90"].value >= speed["sum_latency_p50"].value > 0
    assert speed["sum_peak_memory"].unit == "MB" and not speed["sum_peak_memory"].higher_is_better


def test_speed_works_without_pytest_benchmark_timing(pytester):
    pytester.makepyfile(test_rec=RECORDING_TESTS)
    run_inner(pytester, "--benchmark-disable").assert_outcomes(passed=2)
    store = store_of(pytester)
    metrics = {m.metric for m in store.measurements(store.last_run().run_id)}
    assert "sum_latency_p90" in metrics


def test_non_finite_metric_fails_the_test_and_is_kept(pytester):
    pytester.makepyfile("""
        def test_diverged(metrics):
            metrics.record("loss", float("nan"), higher_is_better=False)
        """)
    result = run_inner(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*metric 'loss' is not a finite number*"])
    store = store_of(pytester)
    run = store.last_run()
    (item,) = store.measurements(run.run_id)
    assert item.status is MeasurementStatus.INVALID and item.value is None
    assert run.status is RunStatus.FAILED


def test_killed_process_keeps_earlier_results_and_run_stays_incomplete(pytester):
    pytester.makepyfile(test_crash="""
        import os, signal

        def test_1_measured(metrics):
            metrics.record("top1_accuracy", 0.8)

        def test_2_killed(metrics):
            metrics.record("never_written", 1.0)
            os.kill(os.getpid(), signal.SIGKILL)

        def test_3_never_runs(metrics):
            metrics.record("after_crash", 1.0)
        """)
    result = pytester.runpytest_subprocess(f"--harness-store={pytester.path / 'results.db'}")
    assert result.ret != 0
    store = store_of(pytester)
    run = store.last_run()
    assert run.status is RunStatus.INCOMPLETE and run.ended_at is None
    assert [(m.test, m.metric) for m in store.measurements(run.run_id)] == [
        ("test_crash.py::test_1_measured", "top1_accuracy")
    ]


def test_session_without_measurements_creates_no_store(pytester):
    pytester.makepyfile("def test_plain():\n    assert True\n")
    run_inner(pytester).assert_outcomes(passed=1)
    assert not (pytester.path / "results.db").exists()


def test_no_record_option_measures_but_writes_nothing(pytester):
    pytester.makepyfile(test_rec=RECORDING_TESTS)
    run_inner(pytester, "--harness-no-record").assert_outcomes(passed=2)
    assert not (pytester.path / "results.db").exists()


def test_gpu_marker_skips_with_a_reason_without_cuda(pytester):
    torch_module = pytest.importorskip("torch")
    pytester.makepyfile("""
        import pytest

        @pytest.mark.gpu
        def test_needs_gpu():
            pass
        """)
    result = run_inner(pytester, "-rs", "--harness-device=cpu")
    result.assert_outcomes(skipped=1)
    expected = "*is False*" if not torch_module.cuda.is_available() else "*--harness-device=cpu*"
    result.stdout.fnmatch_lines([f"*needs a CUDA GPU{expected}"])


def test_markers_are_registered_for_strict_mode(pytester):
    pytester.makepyfile("""
        import pytest

        @pytest.mark.integration
        @pytest.mark.slow
        def test_marked():
            pass
        """)
    run_inner(pytester, "--strict-markers").assert_outcomes(passed=1)


def test_device_fixture_follows_the_option(pytester):
    pytest.importorskip("torch")
    pytester.makepyfile("def test_dev(device):\n    assert device.type == 'cpu'\n")
    run_inner(pytester, "--harness-device=cpu").assert_outcomes(passed=1)


def test_rng_is_seeded_per_test_whatever_the_order(pytester):
    pytester.makepyfile("""
        import random

        def test_a(harness_seed):
            random.seed(harness_seed)
            first = random.random()
            random.seed(harness_seed)
            assert random.random() == first
            print("A", first)

        def test_b():
            print("B", random.random())
        """)
    forward = run_inner(pytester, "-s", "-p", "no:randomly")
    backward = run_inner(
        pytester,
        "-s",
        "test_rng_is_seeded_per_test_whatever_the_order.py::test_b",
        "test_rng_is_seeded_per_test_whatever_the_order.py::test_a",
    )
    assert printed_values(forward) == printed_values(backward)


def printed_values(result: pytest.RunResult) -> list[str]:
    """The lines the inner tests printed, in a stable order."""
    return sorted(line for line in result.outlines if line.startswith(("A ", "B ")))


def test_xdist_workers_record_into_one_run(pytester):
    pytest.importorskip("xdist")
    pytester.makepyfile(test_many="""
        import pytest

        @pytest.mark.parametrize("index", range(6))
        def test_value(metrics, index):
            metrics.record("value", index)
        """)
    result = pytester.runpytest_subprocess(
        "-n", "2", f"--harness-store={pytester.path / 'results.db'}"
    )
    result.assert_outcomes(passed=6)
    store = store_of(pytester)
    (run,) = store.runs()
    assert run.status is RunStatus.COMPLETE
    assert sorted(m.value for m in store.measurements(run.run_id)) == [0, 1, 2, 3, 4, 5]


def test_rng_state_outside_the_tests_is_untouched_by_them(pytester):
    # The session's own random stream continues after the tests exactly where it was before
    # them, as if no test had drawn from it or reseeded it.
    pytester.makeconftest("""
        import random

        def pytest_collection_finish(session):
            random.seed(7)

        def pytest_sessionfinish(session):
            print("AFTER", random.random())
        """)
    pytester.makepyfile("""
        import random

        def test_draws(harness_seed):
            assert [random.random() for _ in range(3)]

        def test_reseeds():
            random.seed(99)
        """)
    result = run_inner(pytester, "-s", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    random.seed(7)
    assert f"AFTER {random.random()}\n" in result.stdout.str()
