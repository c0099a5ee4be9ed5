"""An in-memory labelled image set, and batching over it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class ImageSet:
    """Images (N, C, H, W) float32 and labels (N,) int64, with the number of classes."""

    images: torch.Tensor
    labels: torch.Tensor
    num_classes: int
    name: str = ""

    def __post_init__(self) -> None:
        if self.images.ndim != 4:
            raise ValueError(f"images must be (N, C, H, W), got shape {tuple(self.images.shape)}")
        if self.labels.shape != (self.images.shape[0],):
            raise ValueError(
                f"labels shape {tuple(self.labels.shape)} does not match "
                f"{self.images.shape[0]} images"
            )
        if self.labels.dtype != torch.int64:
            raise ValueError(f"labels must be int64, got {self.labels.dtype}")

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """(C, H, W) of one image."""
        channels, height, width = self.images.shape[1:]
        return int(channels), int(height), int(width)

    def to(self, device: torch.device | str) -> ImageSet:
        """A copy with images and labels on ``device``."""
        return ImageSet(
            self.images.to(device), self.labels.to(device), self.num_classes, self.name
        )


def iterate_batches(
    images: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int,
    shuffle: bool = False,
    generator: torch.Generator | None = None,
    drop_last: bool = False,
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Yield (images, labels) batches; shuffled with ``generator`` (a CPU generator) if asked."""
    if batch_size <= 0:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    count = int(labels.shape[0])
    if shuffle:
        order = torch.randperm(count, generator=generator).to(images.device)
    else:
        order = None
    stop = count - count % batch_size if drop_last else count
    for start in range(0, stop, batch_size):
        if order is None:
            yield images[start:start + batch_size], labels[start:start + batch_size]
        else:
            index = order[start:start + batch_size]
            yield images[index], labels[index]
