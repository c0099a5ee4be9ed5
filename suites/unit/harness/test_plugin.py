"""The pytest plugin, exercised through real inner pytest sessions (pytester)."""

import json
import random
import subprocess
import time
import warnings

import pytest

from harness.detect.mcnemar import unpack_correctness
from harness.detect.series import series_from_store
from harness.measure import load
from harness.measure.work import count_work
from harness.plugin.fixtures import MetricRecorder, SpeedMeter
from harness.records import MeasurementStatus, RunStatus
from harness.store import Store

try:  # pytester's in-process runs unload modules they import; torch cannot load twice
    import torch

    count_work(lambda: torch.ones(1) + 1)  # what counting imports is loaded here, once
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
    result.stdout.fnmatch_lines(["harness: recorded 7 measurements in run *"])
    store = store_of(pytester)
    run = store.last_run()
    assert run.status is RunStatus.COMPLETE and run.git.commit == commit
    assert run.env.python and run.env.hostname and run.env.fingerprint
    values = {(m.test, m.metric): m for m in store.measurements(run.run_id)}
    assert values[("test_rec.py::test_accuracy", "top1_accuracy")].value == 0.91
    speed = {metric: m for (test, metric), m in values.items() if test.endswith("test_speed")}
    assert set(speed) == {"sum_throughput", "sum_latency_p50", "sum_latency_p90", "sum_cpu_time",
                          "sum_peak_memory", "sum_memory_growth"}
    assert speed["sum_throughput"].value > 0 and speed["sum_throughput"].higher_is_better
    assert speed["sum_latency_p90"].value >= speed["sum_latency_p50"].value > 0
    assert speed["sum_peak_memory"].unit == "MB" and not speed["sum_peak_memory"].higher_is_better
    assert speed["sum_peak_memory"].value >= speed["sum_memory_growth"].value >= 0
    evidence = speed["sum_latency_p50"].details
    assert (evidence["rounds"], evidence["ended_by"]) == (5, "rounds")
    assert evidence["ci_rel"] is None  # five rounds give no 95 % interval of the median
    assert evidence["threads"] == 1  # the default; torch is loaded by the device fixture
    assert evidence["cpu_ms_p50"] > 0 and evidence["cores"] >= 1


def test_adaptive_rounds_record_their_interval_and_what_ended_them(pytester):
    pytester.makepyfile("""
        import torch

        def test_auto(speed):
            left = torch.randn(64, 64)
            result = speed.measure(lambda: left @ left, items=1, name="mm", rounds="auto",
                                   target_ci=0.5, budget_s=5)
            assert result.details["ended_by"] == "ci"
    """)
    run_inner(pytester, "--harness-threads=1").assert_outcomes(passed=1)
    store = store_of(pytester)
    values = {m.metric: m for m in store.measurements(store.last_run().run_id)}
    p50, throughput = values["mm_latency_p50"], values["mm_throughput"]
    assert p50.details["ended_by"] == "ci" and p50.details["rounds"] >= 10
    assert p50.details["threads"] == 1
    assert 0 < p50.details["ci_rel"] <= 0.5
    assert p50.details["mdc_rel"] == pytest.approx(2.02 * p50.details["ci_rel"], rel=0.01)
    assert p50.details["ci_low"] <= p50.value <= p50.details["ci_high"]
    assert throughput.details["ci_low"] <= throughput.value <= throughput.details["ci_high"]
    assert "ci_rel" in values["mm_latency_p90"].details  # its own (None with few rounds)


def test_bad_rounds_and_thread_settings_are_refused(pytester):
    pytester.makepyfile("""
        import pytest

        def test_bad_rounds(speed):
            with pytest.raises(ValueError, match="rounds"):
                speed.measure(lambda: None, items=1, rounds="many")
    """)
    run_inner(pytester).assert_outcomes(passed=1)
    result = run_inner(pytester, "--harness-threads=-2")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*threads must be 0 or more*"])


def test_speed_works_without_pytest_benchmark_timing(pytester):
    pytester.makepyfile(test_rec=RECORDING_TESTS)
    run_inner(pytester, "--benchmark-disable").assert_outcomes(passed=2)
    store = store_of(pytester)
    metrics = {m.metric for m in store.measurements(store.last_run().run_id)}
    assert "sum_latency_p90" in metrics


def test_fixed_rounds_go_to_pytest_benchmark_and_adaptive_ones_never_ask_for_it(pytester,
                                                                               monkeypatch):
    monkeypatch.delenv("PYTEST_XDIST_WORKER", raising=False)  # pytest-benchmark would be off
    pytester.makepyfile("""
        def test_fixed(speed):
            speed.measure(lambda: sum(range(2000)), items=1, name="fixed", rounds=5, warmup=1)

        def test_adaptive(speed):
            speed.measure(lambda: sum(range(2000)), items=1, name="adaptive", rounds="auto",
                          budget_s=0.2)
        """)
    result = run_inner(pytester, f"--benchmark-json={pytester.path / 'benchmark.json'}")
    result.assert_outcomes(passed=2)
    assert "fixture was not used" not in result.stdout.str()
    report = json.loads((pytester.path / "benchmark.json").read_text(encoding="utf-8"))
    assert [(item["group"], item["stats"]["rounds"]) for item in report["benchmarks"]] == [
        ("fixed", 5)]


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


@pytest.mark.slow  # a pytest-xdist session of two workers
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


def test_config_and_per_sample_correctness_are_stored_and_read_by_detection(pytester):
    pytester.makepyfile(test_cfg="""
        import dataclasses

        @dataclasses.dataclass
        class Args:
            lr: float = 0.1
            layers: tuple = (1, 2)

        def test_trained(metrics):
            recorded = metrics.config({"train": Args(), "arch": "resnet", "device": object})
            assert recorded["train"] == {"lr": 0.1, "layers": [1, 2]}
            metrics.record("top1", 0.6, "fraction", correct=[True, False, True, True, False])
    """)
    run_inner(pytester).assert_outcomes(passed=1)
    store = store_of(pytester)
    run_id = store.last_run().run_id
    test = "test_cfg.py::test_trained"
    config = store.configs(run_id)[test]
    assert config["train"] == {"layers": [1, 2], "lr": 0.1} and config["arch"] == "resnet"
    assert config["device"].startswith("<class")  # not JSON: kept as its text
    [series] = series_from_store(store)
    assert unpack_correctness(series.points[0].samples) == [True, False, True, True, False]


def test_config_refuses_what_it_cannot_read(pytester):
    pytester.makepyfile(test_bad="""
        import pytest

        def test_bad(metrics):
            with pytest.raises(TypeError, match="dataclass, mapping or namespace"):
                metrics.config(42)
    """)
    run_inner(pytester).assert_outcomes(passed=1)


def test_an_unusable_store_fails_the_session_once_at_the_start(pytester):
    pytester.makepyfile(test_many="""
import pytest

@pytest.mark.parametrize("index", range(30))
def test_value(metrics, index):
    metrics.record("value", float(index))
""")
    (pytester.path / "results.db").write_bytes(b"not a database, " * 512)
    result = run_inner(pytester)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    output = result.stdout.str() + result.stderr.str()
    assert output.count("harness: cannot use store") == 1
    assert "file is not a database" in output and "Traceback" not in output
    assert "test_many.py ." not in output and "test_many.py E" not in output  # none ran


def test_an_unusable_store_does_not_matter_to_a_session_that_measures_nothing(pytester):
    pytester.makepyfile(test_plain="def test_plain():\n    assert True\n")
    (pytester.path / "results.db").write_bytes(b"not a database, " * 512)
    run_inner(pytester).assert_outcomes(passed=1)


def test_recording_imports_no_torch_and_keeps_no_rng_state_per_test(pytester):
    pytester.makeconftest("""
import sys
from harness.plugin import RNG_STATE_KEY

def pytest_sessionfinish(session):
    print("torch loaded:", "torch" in sys.modules)
    print("states kept:", sum(RNG_STATE_KEY in item.stash for item in session.items))
""")
    pytester.makepyfile(test_rec="""
import pytest

@pytest.mark.parametrize("index", range(3))
def test_value(metrics, index):
    metrics.record("value", float(index))
""")
    result = pytester.runpytest_subprocess(
        "-s", "-p", "no:cacheprovider", f"--harness-store={pytester.path / 'results.db'}")
    result.assert_outcomes(passed=3)
    output = result.stdout.str()
    assert "torch loaded: False" in output and "states kept: 0" in output
    store = store_of(pytester)
    try:
        assert store.last_run().env.torch == str(torch.__version__)  # read without importing
    finally:
        store.close()


def test_rerun_keeps_only_the_listed_tests(pytester):
    pytester.makepyfile(test_some="""
        import pytest

        @pytest.mark.parametrize("arch", ["resnet", "vit", "mlp"])
        def test_speed(arch):
            pass
    """)
    listed = pytester.path / "rerun.txt"
    listed.write_text("test_some.py::test_speed[vit]\ntest_some.py::test_speed[mlp]\n")
    result = run_inner(pytester, f"--harness-rerun={listed}", "-v")
    result.assert_outcomes(passed=2, deselected=1)
    result.stdout.fnmatch_lines(["*test_speed[[]vit[]] PASSED*"])
    missing = run_inner(pytester, f"--harness-rerun={pytester.path / 'absent.txt'}")
    assert missing.ret == pytest.ExitCode.USAGE_ERROR
    assert "cannot read --harness-rerun" in missing.stderr.str()


def test_an_oversubscribed_machine_is_warned_about(tmp_path, monkeypatch):
    # A stand-in /proc/stat: 64 runnable threads, more than any test machine's cores.
    stat = tmp_path / "stat"
    stat.write_text("cpu  10 0 10 10 0 0 0 0 0 0\nprocs_running 64\n", encoding="ascii")
    monkeypatch.setattr(load, "PROC_STAT", stat)
    recorded = []
    meter = SpeedMeter(None, "cpu", MetricRecorder("t.py::test", "run", recorded.extend))
    with pytest.warns(load.NoiseWarning, match="oversubscribed machine .*64.0 runnable"):
        meter.measure(lambda: None, items=1, name="idle", rounds=3, warmup=0)
    assert not recorded  # written when the test's recorder flushes
    assert meter.metrics.recorded[0].details["oversubscribed"] is True


@pytest.mark.parametrize(("running", "rounds_used", "waited"), [(64, "on_cpu", 30),
                                                                 (1, "all", None)])
def test_on_an_oversubscribed_machine_latency_comes_from_rounds_that_never_waited(
        tmp_path, monkeypatch, running, rounds_used, waited):
    stat = tmp_path / "stat"  # a stand-in /proc/stat with `running` runnable threads
    stat.write_text(f"cpu  10 0 10 10 0 0 0 0 0 0\nprocs_running {running}\n", encoding="ascii")
    monkeypatch.setattr(load, "PROC_STAT", stat)
    calls = []

    def work():  # every other call waits 20 ms without computing, as if preempted
        calls.append(None)
        if len(calls) % 2:
            time.sleep(0.02)
        else:
            deadline = time.process_time() + 0.001
            while time.process_time() < deadline:
                pass

    meter = SpeedMeter(None, "cpu", MetricRecorder("t.py::test", "run", len))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", load.NoiseWarning)
        result = meter.measure(work, items=1, name="step", rounds=60, warmup=0)
    details = meter.metrics.recorded[0].details
    assert details["latency_rounds"] == rounds_used
    # every sleeping round waited; on a busy test machine some computing ones may have too
    assert details.get("rounds_waited") == waited or waited < details["rounds_waited"] <= 50
    assert (result.p50 < 0.01) is (rounds_used == "on_cpu")  # 1 ms computing, not 20 ms asleep


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
