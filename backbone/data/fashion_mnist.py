"""Fashion-MNIST (60k train / 10k test, 28x28 grey) read from Debian's dataset-fashion-mnist."""

from __future__ import annotations

import functools
import os
from pathlib import Path

import numpy as np
import torch

from backbone.data.idx import IdxFormatError, read_idx
from backbone.data.imageset import ImageSet

ENV_VAR = "FASHION_MNIST_DIR"
DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)
# Mean and standard deviation of the training images' pixels (scaled to [0, 1]).
MEAN, STD = 0.2860, 0.3530
_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_SIZES = {"train": 60_000, "test": 10_000}


class DatasetNotFoundError(FileNotFoundError):
    """Raised when the Fashion-MNIST files cannot be found."""


def cache_dir() -> Path:
    """The per-user cache folder searched last (``$XDG_CACHE_HOME/backbone/fashion-mnist``)."""
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "backbone" / "fashion-mnist"


def candidate_dirs(root: str | Path | None = None) -> list[Path]:
    """Folders searched, in order: ``root``, else ``$FASHION_MNIST_DIR``, else Debian's and
    the user cache. An explicit ``root`` or environment variable is the only candidate."""
    if root is not None:
        return [Path(root)]
    if os.environ.get(ENV_VAR):
        return [Path(os.environ[ENV_VAR])]
    return [DEBIAN_DIR, cache_dir()]


def find_files(split: str, root: str | Path | None = None) -> tuple[Path, Path]:
    """Paths of the (images, labels) IDX files of ``split``, gzipped or not."""
    if split not in _FILES:
        raise ValueError(f"split must be one of {tuple(_FILES)}, got {split!r}")
    searched = candidate_dirs(root)
    for folder in searched:
        found = [_existing(folder / stem) for stem in _FILES[split]]
        if all(found):
            return found[0], found[1]  # type: ignore[return-value]
    raise DatasetNotFoundError(
        f"Fashion-MNIST {split} files ({', '.join(_FILES[split])}, optionally .gz) not found "
        f"in: {', '.join(str(p) for p in searched)}. Install them with "
        f"`apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or set {ENV_VAR} to a "
        "folder holding the four IDX files."
    )


def load_fashion_mnist(
    split: str = "train",
    limit: int | None = None,
    seed: int | None = None,
    root: str | Path | None = None,
    normalize: bool = True,
) -> ImageSet:
    """Load a Fashion-MNIST split as images (N, 1, 28, 28) float32 and labels int64.

    Args:
        split: "train" or "test".
        limit: keep only this many images: the first ones, or a random choice when ``seed``
            is given.
        seed: seed of the random subset (ignored without ``limit``).
        root: folder with the IDX files; default ``$FASHION_MNIST_DIR``, Debian's folder,
            then the user cache.
        normalize: standardise with the training set's mean and std (else scale to [0, 1]).
    """
    image_path, label_path = find_files(split, root)
    images, labels = _read_pair(str(image_path), str(label_path))
    index = _subset_index(len(labels), limit, seed)
    if index is not None:
        images, labels = images[index], labels[index]
    pixels = torch.from_numpy(images.astype(np.float32)).div_(255.0).unsqueeze(1)
    if normalize:
        pixels.sub_(MEAN).div_(STD)
    return ImageSet(
        pixels, torch.from_numpy(labels.astype(np.int64)), num_classes=10,
        name=f"fashion-mnist-{split}",
    )


@functools.lru_cache(maxsize=4)
def _read_pair(image_path: str, label_path: str) -> tuple[np.ndarray, np.ndarray]:
    """Read and check an images/labels pair (cached: the train split takes ~0.5 s to read)."""
    images, labels = read_idx(image_path), read_idx(label_path)
    if images.ndim != 3 or images.shape[1:] != (28, 28) or images.dtype != np.uint8:
        raise IdxFormatError(f"{image_path}: expected uint8 (N, 28, 28), got "
                             f"{images.dtype} {images.shape}")
    if labels.shape != (images.shape[0],):
        raise IdxFormatError(f"{label_path}: {labels.shape[0] if labels.ndim else 0} labels "
                             f"for {images.shape[0]} images")
    if labels.size and int(labels.max()) >= len(CLASSES):
        raise IdxFormatError(f"{label_path}: label {int(labels.max())} out of range 0-9")
    images.setflags(write=False)
    labels.setflags(write=False)
    return images, labels


def _subset_index(count: int, limit: int | None, seed: int | None) -> np.ndarray | None:
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
        raise ValueError(f"limit must be a positive int, got {limit!r}")
    if limit > count:
        raise ValueError(f"limit {limit} exceeds the {count} images available")
    if seed is None:
        return np.arange(limit)
    return np.random.default_rng(seed).choice(count, size=limit, replace=False)


def _existing(stem: Path) -> Path | None:
    for candidate in (stem.with_name(stem.name + ".gz"), stem):
        if candidate.is_file():
            return candidate
    return None
