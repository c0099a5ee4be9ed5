"""Noise benchmark: how repeatable one commit's step time is, by way of measuring it.

    python benchmarks/noise.py [--repeats 10] [--batch 32] [--load-procs N] [--budget 2]
                               [--methods harness,harness-20,benchmark,timer] [--skip-load]
                               [--device cuda] [--same-model]

The same ResNet training step and eval step (the CPU integration profile's model, a synthetic
Fashion-MNIST-shaped batch) are measured `--repeats` times each, each time on a fresh model
with the same seed, as each night starts one (`--same-model` trains one on through the
repeats: its weights, and with them the step time, drift), first as the machine is, then
under a competing CPU load this script starts (`--load-procs` busy-looping processes, default
one per core) and stops, with
- harness: the `speed` fixture's code path (SpeedMeter, rounds="auto", one torch thread);
  `harness cpu` is the CPU time it records beside the wall time, `harness min` the fastest
  round of the same measurements;
- harness-20: the same with the old fixed 20 rounds;
- benchmark: pytest-benchmark alone (its default calibration; one torch thread, like the
  others, unless --benchmark-threads says otherwise), in a pytest subprocess, one test per
  repeat;
- timer: torch.utils.benchmark.Timer.blocked_autorange (its defaults: one thread, 0.2 s).
and, the harness's way, two fixed workloads without a model (`ref matmul`, `ref python`):
their CV is the machine's own noise during the run, the floor under every method.
Prints one table: per step, load and method the coefficient of variation of the median
across the repeats, the spread (max/min - 1) and the minimum detectable change between two
such measurements (95 % confidence, 80 % power). Issue 13's targets on a 2-core machine:
harness CV <= 2 % idle and <= 5 % loaded, below benchmark and timer in the same run.
The notes under it give the rounds taken, the warnings, and the work of each step as the
speed fixture counts it (FLOPs and ATen operators: the same in every repeat).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from statistics import NormalDist

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

# pylint: disable=wrong-import-position  # the repository root first, for a script run
from harness.measure.load import LoadMonitor, NoiseWarning
from harness.measure.rounds import minimum_detectable_change
from harness.measure.work import count_work

METHODS = ("harness", "harness-20", "benchmark", "timer")
STEPS = ("train", "eval")
# Fixed work with no model, measured the harness's way beside the steps: its CV is the
# machine's own noise in the same minutes, a floor that no way of timing can go below.
REFERENCES = ("ref matmul", "ref python")

BENCHMARK_TEST = textwrap.dedent("""
    import os, sys
    import pytest
    sys.path.insert(0, os.environ["NOISE_ROOT"])
    from benchmarks.noise import workload

    import torch
    if int(os.environ["NOISE_THREADS"]):
        torch.set_num_threads(int(os.environ["NOISE_THREADS"]))
    def make_step():
        return workload(os.environ["NOISE_STEP"], int(os.environ["NOISE_BATCH"]),
                        os.environ["NOISE_DEVICE"], synchronise=True)

    STEP = None if int(os.environ["NOISE_FRESH"]) else make_step()

    @pytest.mark.parametrize("repeat", range(int(os.environ["NOISE_REPEATS"])))
    def test_step(benchmark, repeat):
        benchmark(STEP or make_step())
""")


def workload(step: str, batch: int, device: str = "cpu",
             synchronise: bool = False) -> Callable[[], object]:
    """The integration suite's CPU ResNet: one training step or one eval step on a batch on
    `device` (`synchronise`: wait for the GPU after each call, for timers that do not)."""
    import torch  # pylint: disable=import-outside-toplevel  # only when measuring

    work = resnet_step(step, batch, torch.device(device))
    if not (synchronise and device.startswith("cuda")):
        return work

    def synchronised() -> None:
        work()
        torch.cuda.synchronize()

    return synchronised


def reference(name: str) -> Callable[[], object]:
    """A fixed workload without a model: 20 products of 192x192 matrices (vector units), or
    a pure-Python loop of 20,000 additions (the interpreter: scalar code, branches)."""
    import torch  # pylint: disable=import-outside-toplevel  # only when measuring

    if name == "ref matmul":
        generator = torch.Generator().manual_seed(0)
        left, right = (torch.randn(192, 192, generator=generator) for _ in range(2))
        return lambda: [torch.mm(left, right) for _ in range(20)]
    return lambda: sum(range(20_000))


def resnet_step(step: str, batch: int, device) -> Callable[[], object]:
    """A training step ("train") or an eval step of the CPU profile's ResNet on `device`."""
    # pylint: disable=import-outside-toplevel  # torch and backbone only when measuring
    import torch

    from backbone.models import create_model
    from backbone.training import eval_step, prepare_training
    from suites.integration.profiles import CPU

    profile = CPU.archs["resnet"]
    torch.manual_seed(0)  # the same initial weights on every call
    generator = torch.Generator().manual_seed(0)
    images = torch.randn(batch, 1, 28, 28, generator=generator).to(device)
    labels = torch.randint(0, 10, (batch,), generator=generator).to(device)
    setup = prepare_training(create_model("resnet", in_channels=1, num_classes=10,
                                          **profile.model), profile.args, device, 10_000)
    if step == "train":
        return lambda: setup.step((images, labels))
    setup.model.eval()
    return lambda: eval_step(setup.model, images, setup.precision)


def harness_figures(fn: Callable[[], object], args: argparse.Namespace,
                    rounds: int | str) -> dict[str, float]:
    """Median wall and CPU seconds per call and the fastest call, through the `speed`
    fixture's SpeedMeter; `oversubscribed` is 1 when it warned so."""
    # pylint: disable=import-outside-toplevel  # the plugin's fixtures import pytest
    import torch

    from harness.plugin.fixtures import MetricRecorder, SpeedMeter

    recorder = MetricRecorder("noise", "noise", len)
    meter = SpeedMeter(None, torch.device(args.device), recorder, threads=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NoiseWarning)
        result = meter.measure(fn, items=args.batch, name="step", rounds=rounds, warmup=3,
                               budget_s=args.budget)
    return {"wall": result.p50, "cpu": statistics.median(result.cpu_times),
            "min": min(result.times), "rounds": len(result.times),
            "oversubscribed": float(bool(caught))}


def timer_median(fn: Callable[[], object]) -> float:
    """Median seconds per call from torch.utils.benchmark's blocked_autorange."""
    from torch.utils.benchmark import Timer  # pylint: disable=import-outside-toplevel

    return float(Timer(stmt="fn()", globals={"fn": fn}).blocked_autorange().median)


def benchmark_medians(step: str, args: argparse.Namespace) -> list[float]:
    """pytest-benchmark alone, in a pytest subprocess: one test (one median) per repeat."""
    with tempfile.TemporaryDirectory() as folder:
        test = Path(folder) / "test_noise_step.py"
        test.write_text(BENCHMARK_TEST, encoding="utf-8")
        report = Path(folder) / "benchmark.json"
        env = {**os.environ, "NOISE_ROOT": str(ROOT), "NOISE_STEP": step,
               "NOISE_BATCH": str(args.batch), "NOISE_REPEATS": str(args.repeats),
               "NOISE_DEVICE": args.device, "NOISE_THREADS": str(args.benchmark_threads),
               "NOISE_FRESH": str(int(not args.same_model))}
        subprocess.run(
            [sys.executable, "-m", "pytest", str(test), "-q", "-p", "no:cacheprovider",
             "-p", "no:harness", "--rootdir", folder, f"--benchmark-json={report}"],
            cwd=folder, env=env, check=True, capture_output=True, text=True)
        data = json.loads(report.read_text(encoding="utf-8"))
    return [float(item["stats"]["median"]) for item in data["benchmarks"]]


@contextmanager
def competing_load(processes: int) -> Iterator[None]:
    """`processes` busy-looping Python processes for the length of the block."""
    workers = [subprocess.Popen([sys.executable, "-c", "while True: pass"])
               for _ in range(processes)]
    time.sleep(0.5)  # let the scheduler see them
    try:
        yield
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait()


def measure_phase(args: argparse.Namespace) -> dict[tuple[str, str], list[float]]:
    """Medians per (step, method) for `args.repeats` repeats; harness and timer interleaved.
    Each repeat times a fresh model (the same seed), as each night does, unless
    `--same-model`: then one model trains on through the repeats and its step time drifts."""
    medians: dict[tuple[str, str], list[float]] = {}
    for step in STEPS:
        kept = workload(step, args.batch, args.device) if args.same_model else None

        def model(step: str = step, kept=kept) -> Callable[[], object]:
            return kept or workload(step, args.batch, args.device)

        for _ in range(args.repeats):
            if "harness" in args.methods:
                figures = harness_figures(model(), args, "auto")
                for key, method in (("wall", "harness"), ("cpu", "harness cpu"),
                                    ("min", "harness min")):
                    medians.setdefault((step, method), []).append(figures[key])
                counts = medians.setdefault((step, "harness rounds"), [0.0, 0.0])
                counts[0] += figures["rounds"] / args.repeats
                counts[1] += figures["oversubscribed"]
            if "harness-20" in args.methods:
                figures = harness_figures(model(), args, 20)
                medians.setdefault((step, "harness-20"), []).append(figures["wall"])
            if "timer" in args.methods:
                medians.setdefault((step, "timer"), []).append(timer_median(model()))
        if "benchmark" in args.methods:
            medians[(step, "benchmark")] = benchmark_medians(step, args)
        if "harness" in args.methods:
            work = {count_work(model()) for _ in range(args.repeats)}
            medians[(step, "counted work")] = [float(len(work)), *(
                value for count in work if count for value in (count.gflop, count.aten_ops))]
    if args.device == "cpu" and "harness" in args.methods:
        for name in REFERENCES:
            medians[(name, "harness")] = [harness_figures(reference(name), args, "auto")["wall"]
                                          for _ in range(args.repeats)]
    return medians


def spread_row(values: list[float]) -> tuple[str, str, str, str]:
    """Mean (ms), CV, spread and minimum detectable change of repeated medians."""
    mean = statistics.fmean(values)
    cv = statistics.stdev(values) / mean if len(values) > 1 else 0.0
    mdc = minimum_detectable_change(NormalDist().inv_cdf(0.975) * cv)
    return (f"{mean * 1e3:.2f}", f"{cv:.1%}", f"{max(values) / min(values) - 1:.1%}",
            f"{mdc:.1%}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The script's options, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--budget", type=float, default=2.0,
                        help="harness: time budget per measurement (s)")
    parser.add_argument("--load-procs", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--same-model", action="store_true",
                        help="one model trained on through all repeats (its step time drifts "
                        "as the weights change), instead of a fresh seeded one per repeat")
    parser.add_argument("--device", default="cpu", help="cpu, or cuda on a GPU runner")
    parser.add_argument("--benchmark-threads", type=int, default=1,
                        help="torch threads of the pytest-benchmark runs (0: torch's default, "
                        "as a user's suite has it; slow on a loaded machine)")
    args = parser.parse_args(argv)
    args.methods = [method.strip() for method in args.methods.split(",")]
    unknown = set(args.methods) - set(METHODS)
    if unknown or args.repeats < 2:
        parser.error(f"unknown methods {sorted(unknown)}" if unknown else "need >= 2 repeats")
    return args


def run_phase(args: argparse.Namespace, loaded: bool,
              ) -> tuple[dict[tuple[str, str], list[float]], str]:
    """One phase's medians, and the machine's busy share and load average during it."""
    monitor = LoadMonitor()
    monitor.start()
    if loaded:
        with competing_load(args.load_procs):
            medians = measure_phase(args)
    else:
        medians = measure_phase(args)
    machine = monitor.stop()
    busy = f"{machine.busy:.0%}, load {machine.loadavg_1m}" if machine.busy is not None else "?"
    return medians, busy


def main(argv: list[str] | None = None) -> int:
    """Measure, print the table."""
    args = parse_args(argv)
    phases = [("as is", False)] + ([] if args.skip_load else [(f"+{args.load_procs} busy", True)])
    table = Table(title=f"Noise of one commit's step time ({args.repeats} repeats, batch "
                  f"{args.batch}, {args.device}, {os.cpu_count()} cores, pytest-benchmark with "
                  f"{args.benchmark_threads or 'default'} thread(s))")
    for column in ("step", "load", "machine busy", "method", "mean ms", "CV", "spread",
                   "min. detectable change"):
        table.add_column(column, justify="left" if column in ("step", "load", "method")
                         else "right")
    began = time.perf_counter()
    notes: list[str] = []
    for label, loaded in phases:
        medians, busy = run_phase(args, loaded)
        for (step, method), values in sorted(medians.items()):
            if method == "counted work":
                notes.append(f"{step}, {label}: counted work per call "
                             f"({values[0]:.0f} distinct value(s) in {args.repeats} fresh "
                             "models): " + ", ".join(
                                 f"{gflop:.6g} GFLOP, {ops:.0f} ATen ops"
                                 for gflop, ops in zip(values[1::2], values[2::2])))
                continue
            if method == "harness rounds":
                notes.append(f"{step}, {label}: harness took {values[0]:.0f} rounds on average; "
                             f"{values[1]:.0f} of {args.repeats} measurements warned "
                             "'oversubscribed'")
                continue
            table.add_row(step, label, busy, method, *spread_row(values))
    Console(width=160).print(table)
    print("\n".join(notes))
    print(f"{time.perf_counter() - began:.0f} s in all; 'machine busy' is the whole machine's "
          "CPU busy share during the phase, this script included")
    return 0


if __name__ == "__main__":
    sys.exit(main())
