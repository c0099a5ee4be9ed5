"""Integration profiles: how long and how big to train, chosen by device (overridable).

The CPU profile fits the nightly suite into a few minutes on 2 cores with meaningful accuracy;
the GPU profile trains on the full training set long enough for >= 0.90 top-1 (CNN) and for
stable speed figures.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace

from backbone.training import TrainArgs

PROFILE_ENV = "HARNESS_PROFILE"


@dataclass(frozen=True)
class ArchProfile:
    """One architecture's settings within a profile."""

    model: dict
    args: TrainArgs
    accuracy_floor: float
    speed_batch: int


@dataclass(frozen=True)
class Profile:  # pylint: disable=too-many-instance-attributes  # one knob each, documented
    """Data sizes, speed rounds and per-architecture settings.

    Speed is measured with adaptive rounds: each measurement times until its median's 95 %
    CI is within +-`speed_target_ci` or `speed_budget_s` seconds are spent, so every speed
    metric carries its own measured noise (detection's floor for that series)."""

    name: str
    train_images: int | None
    test_images: int | None
    speed_warmup: int
    speed_budget_s: float
    speed_target_ci: float = 0.01
    archs: dict[str, ArchProfile] = field(default_factory=dict)


CPU = Profile(
    name="cpu",
    train_images=20_000,
    test_images=None,
    speed_warmup=3,
    speed_budget_s=6.0,
    archs={
        "resnet": ArchProfile(
            model={"width": 16, "depth": 1, "stem_stride": 2},
            args=TrainArgs(
                epochs=2,
                batch_size=128,
                lr=3e-3,
                optimizer="adamw",
                schedule="cosine",
                warmup_steps=20,
            ),
            accuracy_floor=0.84,
            speed_batch=128,
        ),
        "vit": ArchProfile(
            model={"dim": 64, "depth": 2, "heads": 4, "patch_size": 7},
            args=TrainArgs(
                epochs=2,
                batch_size=128,
                lr=2e-3,
                optimizer="adamw",
                schedule="cosine",
                warmup_steps=20,
            ),
            accuracy_floor=0.75,
            speed_batch=128,
        ),
    },
)

GPU = Profile(
    name="gpu",
    train_images=None,
    test_images=None,
    speed_warmup=20,
    speed_budget_s=10.0,
    speed_target_ci=0.005,
    archs={
        "resnet": ArchProfile(
            model={"width": 32, "depth": 2},
            args=TrainArgs(
                epochs=10,
                batch_size=256,
                lr=3e-3,
                optimizer="adamw",
                weight_decay=0.05,
                schedule="cosine",
                warmup_steps=200,
                label_smoothing=0.1,
            ),
            accuracy_floor=0.90,
            speed_batch=256,
        ),
        "vit": ArchProfile(
            model={"dim": 128, "depth": 6, "heads": 4, "patch_size": 4},
            args=TrainArgs(
                epochs=15,
                batch_size=256,
                lr=1e-3,
                optimizer="adamw",
                weight_decay=0.05,
                schedule="cosine",
                warmup_steps=200,
                label_smoothing=0.1,
            ),
            accuracy_floor=0.85,
            speed_batch=256,
        ),
    },
)

# A short nightly (about a minute on 2 cores) for replays of the whole pipeline: the same
# models as the CPU profile, one epoch on a fifth of the data. benchmarks/nightly_replay.py
# edits the marked learning rate to make a commit that changes accuracy.
SMOKE = Profile(
    name="smoke",
    train_images=4_000,
    test_images=2_000,
    speed_warmup=2,
    speed_budget_s=2.0,
    archs={
        "resnet": ArchProfile(
            model=CPU.archs["resnet"].model,
            args=replace(
                CPU.archs["resnet"].args,
                epochs=1,
                warmup_steps=5,
                lr=3e-3,  # replay: learning rate
            ),
            accuracy_floor=0.5,
            speed_batch=128,
        ),
        "vit": ArchProfile(
            model=CPU.archs["vit"].model,
            args=replace(CPU.archs["vit"].args, epochs=1, warmup_steps=5),
            accuracy_floor=0.4,
            speed_batch=128,
        ),
    },
)

PROFILES = {"cpu": CPU, "gpu": GPU, "smoke": SMOKE}


def choose_profile(requested: str | None, device_type: str) -> Profile:
    """The requested profile, or the one that fits the device ('auto')."""
    name = (requested or os.environ.get(PROFILE_ENV) or "auto").strip().lower()
    if name == "auto":
        name = "gpu" if device_type == "cuda" else "cpu"
    if name not in PROFILES:
        raise ValueError(f"unknown profile '{name}': choose one of auto, {', '.join(PROFILES)}")
    return PROFILES[name]
