"""scikit-learn's 8x8 handwritten digits (1,797 images, shipped in the wheel) for tiny tests."""

from __future__ import annotations

import numpy as np
import torch

from backbone.data.imageset import ImageSet

SPLITS = ("train", "test")


def load_digits(split: str = "train", test_fraction: float = 0.25, seed: int = 0) -> ImageSet:
    """Load one split of the digits, images (N, 1, 8, 8) scaled to [0, 1], labels int64.

    The split is stratified and deterministic for a given ``seed`` and ``test_fraction``.
    """
    # Imported here: scikit-learn is only needed by callers of this loader.
    from sklearn.datasets import load_digits as sklearn_digits  # pylint: disable=import-outside-toplevel
    from sklearn.model_selection import train_test_split  # pylint: disable=import-outside-toplevel

    if split not in SPLITS:
        raise ValueError(f"split must be one of {SPLITS}, got {split!r}")
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction!r}")
    features, targets = sklearn_digits(return_X_y=True)
    parts = train_test_split(
        features, targets, test_size=test_fraction, random_state=seed, stratify=targets
    )
    chosen_x, chosen_y = (parts[0], parts[2]) if split == "train" else (parts[1], parts[3])
    images = torch.from_numpy((chosen_x / 16.0).astype(np.float32)).reshape(-1, 1, 8, 8)
    labels = torch.from_numpy(chosen_y.astype(np.int64))
    return ImageSet(images, labels, num_classes=10, name=f"digits-{split}")
