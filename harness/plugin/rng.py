"""Per-test RNG seeding and isolation for random, numpy and torch (when already imported)."""

from __future__ import annotations

import random
import sys
import zlib


def seed_for(nodeid: str, base_seed: int) -> int:
    """A seed that depends on the test and the base seed only, not on test order."""
    return (base_seed + zlib.crc32(nodeid.encode())) % (2**31)


def capture_states() -> dict:
    """The current states of every RNG that is loaded."""
    states: dict = {"random": random.getstate()}
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        states["numpy"] = numpy.random.get_state()
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "get_rng_state"):
        states["torch"] = torch.get_rng_state()
        if torch.cuda.is_initialized():
            states["torch_cuda"] = torch.cuda.get_rng_state_all()
    return states


def restore_states(states: dict) -> None:
    """Put back what `capture_states` saw."""
    random.setstate(states["random"])
    numpy = sys.modules.get("numpy")
    if numpy is not None and "numpy" in states:
        numpy.random.set_state(states["numpy"])
    torch = sys.modules.get("torch")
    if torch is not None and "torch" in states:
        torch.set_rng_state(states["torch"])
        if "torch_cuda" in states:
            torch.cuda.set_rng_state_all(states["torch_cuda"])


def seed_loaded(seed: int) -> None:
    """Seed random, and numpy and torch if they are loaded (importing them costs seconds)."""
    random.seed(seed)
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        numpy.random.seed(seed)
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "manual_seed"):
        torch.manual_seed(seed)
