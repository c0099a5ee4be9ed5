"""Datasets as in-memory tensors: Fashion-MNIST (real, nightly) and digits (tiny, unit tests)."""

from backbone.data.digits import load_digits
from backbone.data.fashion_mnist import DatasetNotFoundError, load_fashion_mnist
from backbone.data.idx import IdxFormatError, read_idx, write_idx
from backbone.data.imageset import ImageSet, iterate_batches

__all__ = [
    "DatasetNotFoundError",
    "IdxFormatError",
    "ImageSet",
    "iterate_batches",
    "load_digits",
    "load_fashion_mnist",
    "read_idx",
    "write_idx",
]
