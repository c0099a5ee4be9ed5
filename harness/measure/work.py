"""What one call of a torch workload computes, counted: floating-point operations and ATen
operator calls.

For fixed shapes, code and torch version the counts are the same on every run, so unlike
a time they carry no noise: a change in the work a step does (a layer added, a redundant
convolution, an extra copy) shows exactly, also on a shared runner whose speed wanders by
tens of percent. A count does not see a slower kernel doing the same work; the times do.
FLOPs come from torch's own `torch.utils.flop_counter.FlopCounterMode` (matmuls,
convolutions and attention, forward and backward); every other operator counts as a call.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

# What a failed count raises: an operator the counting modes cannot pass through.
COUNT_ERRORS = (RuntimeError, TypeError, NotImplementedError, ValueError)


@dataclass(frozen=True)
class WorkCount:
    """The work of one call: floating-point operations and ATen operator calls."""

    flops: int
    aten_ops: int

    @property
    def gflop(self) -> float:
        """Floating-point operations per call, in units of 10^9."""
        return self.flops / 1e9


def count_work(fn: Callable[[], object]) -> WorkCount | None:
    """Run `fn` once under torch's FLOP counter and an operator counter; its counts. None
    when torch is not loaded or the call ran no ATen operator (plain Python work)."""
    torch = sys.modules.get("torch")
    if torch is None:
        return None
    # pylint: disable=import-outside-toplevel  # torch only when a torch workload is counted
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils.flop_counter import FlopCounterMode

    class OperatorCounter(TorchDispatchMode):
        """Counts the ATen operators dispatched inside it and runs each unchanged."""

        def __init__(self) -> None:
            super().__init__()
            self.calls = 0

        def __torch_dispatch__(self, func: Any, types: Any, args: Any = (),
                               kwargs: Any = None) -> Any:
            self.calls += 1
            return func(*args, **(kwargs or {}))

    with FlopCounterMode(display=False) as flops, OperatorCounter() as operators:
        fn()
    if not operators.calls:
        return None
    return WorkCount(int(flops.get_total_flops()), operators.calls)
