"""The harness pytest plugin (entry point `pytest11: harness`): a thin face over measuring
and the store.

Adds markers `gpu`, `integration`, `slow`; fixtures `device`, `harness_seed`, `metrics`,
`speed`; per-test RNG seeding and isolation; and records every measurement into the results
store as each test finishes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from harness.errors import SettingsError
from harness.plugin.recorder import RunRecorder, new_run_id
from harness.plugin.rng import capture_states, restore_states, seed_for, seed_loaded
from harness.settings import SETTINGS, Settings, resolve

# Records, measuring and the store are imported only once something is measured, so a session
# that measures nothing pays almost nothing for the plugin (benchmarks/foundation.py).
# pylint: disable=import-outside-toplevel

RECORDER_KEY = pytest.StashKey[RunRecorder]()
RNG_STATE_KEY = pytest.StashKey[dict]()
SETTINGS_KEY = pytest.StashKey[Settings]()

MEASURING_FIXTURES = {"metrics", "speed"}
MARKERS = (
    "gpu: needs a CUDA GPU; skipped with a reason where none is visible",
    "integration: trains or evaluates real models (nightly)",
    "slow: takes more than a few seconds",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    """Command-line options of the plugin."""
    group = parser.getgroup("harness", "harness: record speed and accuracy")
    for setting in SETTINGS:
        if setting.pytest:
            where = ", ".join([*(f"${name}" for name in setting.env),
                               *([f"[tool.harness] {setting.key}"] if setting.key else [])])
            group.addoption(setting.pytest, dest=f"harness_{setting.name}", default=None,
                            help=f"{setting.help} (default: {where}, else {setting.default!r})")
    group.addoption(
        "--harness-no-record",
        action="store_true",
        help="measure but do not write anything to the store",
    )
    group.addoption("--harness-run-id", default=None, help=argparse.SUPPRESS)
    group.addoption(
        "--harness-rerun", default=None, metavar="FILE",
        help="run only the tests whose ids FILE lists, one a line (harness nightly's "
             "confirmation reruns); the others are deselected",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register markers and set up the run recorder (nothing is opened yet)."""
    for marker in MARKERS:
        config.addinivalue_line("markers", marker)
    try:
        settings = resolve({setting.name: config.getoption(f"harness_{setting.name}")
                            for setting in SETTINGS if setting.pytest},
                           table=None)
    except SettingsError as error:
        raise pytest.UsageError(f"harness: {error}") from None
    config.stash[SETTINGS_KEY] = settings
    workerinput = getattr(config, "workerinput", None)
    run_id = (
        (workerinput or {}).get("harness_run_id")
        or config.getoption("harness_run_id")
        or new_run_id()
    )
    config.stash[RECORDER_KEY] = RunRecorder(
        store_target=settings.store,
        run_id=run_id,
        rootdir=Path(str(config.rootpath)),
        enabled=not config.getoption("harness_no_record"),
    )


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist: every worker records into the controller's run."""
    node.workerinput["harness_run_id"] = node.config.stash[RECORDER_KEY].run_id


def _base_seed(config: pytest.Config) -> int:
    return int(config.stash[SETTINGS_KEY].seed)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Keep only the tests to rerun (`--harness-rerun`); skip `gpu` tests, with a reason,
    where no CUDA device is usable."""
    rerun = config.getoption("harness_rerun")
    if rerun:
        try:
            wanted = set(Path(rerun).read_text(encoding="utf-8").split())
        except OSError as error:
            raise pytest.UsageError(f"harness: cannot read --harness-rerun {rerun}: "
                                    f"{error.strerror}") from None
        deselected = [item for item in items if item.nodeid not in wanted]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if item.nodeid in wanted]
    gpu_items = [item for item in items if item.get_closest_marker("gpu")]
    if not gpu_items:
        return
    reason = _no_gpu_reason(config)
    if reason:
        for item in gpu_items:
            item.add_marker(pytest.mark.skip(reason=reason))


def _no_gpu_reason(config: pytest.Config) -> str:
    """Why GPU tests cannot run here, or '' when they can."""
    try:
        import torch  # pylint: disable=import-outside-toplevel  # only when gpu tests exist
    except ImportError:
        return "needs a CUDA GPU: torch is not installed"
    if not torch.cuda.is_available():
        return "needs a CUDA GPU: torch.cuda.is_available() is False"
    requested = str(config.stash[SETTINGS_KEY].device)
    if requested.strip().lower() == "cpu":
        return "needs a CUDA GPU: --harness-device=cpu"
    return ""


def pytest_collection_finish(session: pytest.Session) -> None:
    """A session that will measure opens its store now: an unusable store ends it here, once,
    with the store's error (instead of an error in every test)."""
    recorder = session.config.stash[RECORDER_KEY]
    measuring = any(MEASURING_FIXTURES & set(getattr(item, "fixturenames", ()))
                    for item in session.items)
    if recorder.enabled and measuring:
        from harness.store import StoreError

        try:
            recorder.open_store()
        except StoreError as error:
            raise pytest.UsageError(f"harness: {error}") from None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Save the RNG states, then seed every loaded RNG from the test id."""
    item.stash[RNG_STATE_KEY] = capture_states()
    seed_loaded(seed_for(item.nodeid, _base_seed(item.config)))


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    """Restore the RNG states saved before the test, and let go of them (a session keeps
    its items: states left on them would grow memory by ~25 KB per test)."""
    states = item.stash.get(RNG_STATE_KEY, None)
    if states is not None:
        restore_states(states)
        del item.stash[RNG_STATE_KEY]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Close the run: complete, failed, or incomplete when the session was interrupted."""
    recorder = session.config.stash[RECORDER_KEY]
    controller = _is_xdist_controller(session.config)
    if recorder.run is None and not controller:
        return
    from harness.records import RunStatus

    if exitstatus in (pytest.ExitCode.OK, pytest.ExitCode.NO_TESTS_COLLECTED):
        status = RunStatus.COMPLETE
    elif exitstatus == pytest.ExitCode.TESTS_FAILED:
        status = RunStatus.FAILED
    else:
        status = RunStatus.INCOMPLETE
    if not recorder.finish(status) and controller:
        _finish_workers_run(recorder, status)


def _is_xdist_controller(config: pytest.Config) -> bool:
    return config.pluginmanager.hasplugin("dsession")


def _finish_workers_run(recorder: RunRecorder, status) -> None:
    """The controller measured nothing itself; close the run its workers wrote, if any."""
    from harness.store import Store, StoreError

    try:
        store = Store.open(recorder.store_target, create=False)
    except StoreError:
        return
    try:
        if store.finish_run(recorder.run_id, status):
            recorder.written = len(store.measurements(recorder.run_id))
    finally:
        store.close()


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    """Say what was recorded and where."""
    recorder = config.stash[RECORDER_KEY]
    if recorder.written:
        from harness.store.locate import redact

        terminalreporter.write_line(
            f"harness: recorded {recorder.written} measurement"
            f"{'' if recorder.written == 1 else 's'} in run {recorder.run_id[:8]} "
            f"into {redact(recorder.store.url)}"
        )
    recorder.close()


@pytest.fixture(scope="session")
def device(pytestconfig: pytest.Config):
    """The torch.device tests run on: CUDA when present, else CPU (--harness-device or
    $HARNESS_DEVICE override)."""
    from harness.plugin.fixtures import resolve_device

    return resolve_device(str(pytestconfig.stash[SETTINGS_KEY].device))


@pytest.fixture
def harness_seed(request: pytest.FixtureRequest) -> int:
    """This test's seed (already applied to random, numpy and torch when loaded)."""
    return seed_for(request.node.nodeid, _base_seed(request.config))


@pytest.fixture
def metrics(request: pytest.FixtureRequest):
    """Record accuracy-type values: `metrics.record(name, value, unit, higher_is_better)`, and
    what the test ran with: `metrics.config(args)`."""
    from harness.plugin.fixtures import MetricRecorder

    recorder = request.config.stash[RECORDER_KEY]
    metric_recorder = MetricRecorder(
        request.node.nodeid, recorder.run_id, recorder.write, recorder.write_config
    )
    yield metric_recorder
    metric_recorder.flush()


@pytest.fixture
def speed(
    request: pytest.FixtureRequest, metrics, device
):  # pylint: disable=redefined-outer-name
    """Time a workload: `speed.measure(fn, items=batch_size, name="train")`."""
    from harness.plugin.fixtures import SpeedMeter

    return SpeedMeter(lambda: request.getfixturevalue("benchmark"), device, metrics,
                      int(request.config.stash[SETTINGS_KEY].threads))
