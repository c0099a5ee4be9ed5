"""A fixed torch thread count for the length of a measurement.

One intra-op thread is the default (the `threads` setting): on a shared or loaded machine
several threads wait on each other at every parallel region, so a step's time depends on how
many cores happen to be free (37 ms with one thread, 760 ms with two, measured on a loaded
2-core runner); with one the figure depends on the code, not on the neighbours.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def fixed_threads(count: int) -> Iterator[int | None]:
    """torch runs with `count` intra-op threads inside the block (0: torch's own default),
    and the previous count is restored after it. Yields the count in force, or None when
    torch is not loaded (plain Python work needs no threads fixed)."""
    if count < 0:
        raise ValueError(f"the thread count cannot be negative, got {count}")
    torch = sys.modules.get("torch")
    if torch is None:
        yield None
        return
    before = torch.get_num_threads()
    if count:
        torch.set_num_threads(count)
    try:
        yield torch.get_num_threads()
    finally:
        torch.set_num_threads(before)
