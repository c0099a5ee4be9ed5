"""IDX parsing, Fashion-MNIST and digits loading, and batching."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest
import torch

from backbone.data import (
    DatasetNotFoundError,
    IdxFormatError,
    ImageSet,
    iterate_batches,
    load_digits,
    load_fashion_mnist,
    read_idx,
    write_idx,
)
from backbone.data import fashion_mnist


@pytest.mark.parametrize("dtype", [np.uint8, np.int8, np.int16, np.int32, np.float32, np.float64])
@pytest.mark.parametrize("suffix", ["", ".gz"])
def test_idx_round_trip(tmp_path: Path, dtype: type, suffix: str) -> None:
    """Every IDX type code reads back exactly, plain or gzipped."""
    array = (np.arange(2 * 3 * 4) - 7).astype(dtype).reshape(2, 3, 4)
    path = write_idx(tmp_path / f"a.idx{suffix}", array)
    back = read_idx(path)
    assert back.dtype == np.dtype(dtype) and back.shape == (2, 3, 4)
    np.testing.assert_array_equal(back, array)


def test_idx_header_is_big_endian(tmp_path: Path) -> None:
    """The file layout is the published one: magic, type, ndim, big-endian sizes, data."""
    path = write_idx(tmp_path / "labels.idx", np.array([1, 2, 3], dtype=np.uint8))
    assert path.read_bytes() == bytes([0, 0, 8, 1, 0, 0, 0, 3, 1, 2, 3])


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\x01\x00\x08\x01\x00\x00\x00\x01\x05", "bad magic"),
        (b"\x00\x00\x07\x01\x00\x00\x00\x01\x05", "unknown IDX type code 0x07"),
        (b"\x00\x00\x08\x02\x00\x00", "truncated header"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x04\x05\x06", "truncated or corrupt"),
        (b"\x00\x00\x08\x01\x00\x00\x00\x01\x05\x06", "truncated or corrupt"),
        (b"\x1f\x8bnot really gzip", "corrupt gzip"),
    ],
)
def test_corrupt_idx_is_rejected(tmp_path: Path, content: bytes, message: str) -> None:
    """Bad magic, unknown type, short header, wrong size and broken gzip all fail clearly."""
    path = tmp_path / "bad.idx"
    path.write_bytes(content)
    with pytest.raises(IdxFormatError, match=message):
        read_idx(path)


def test_truncated_gzip_is_rejected(tmp_path: Path) -> None:
    """A gzip stream cut short is reported, not read as a shorter array."""
    full = gzip.compress(bytes([0, 0, 8, 1, 0, 0, 0, 200]) + bytes(range(200)))
    path = tmp_path / "cut.idx.gz"
    path.write_bytes(full[: len(full) // 2])
    with pytest.raises(IdxFormatError, match="corrupt gzip"):
        read_idx(path)


def _write_fake_fashion(folder: Path, count: int = 20, labels_count: int | None = None) -> None:
    """Write small, well-formed Fashion-MNIST IDX files (same format, fewer images)."""
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        images = rng.integers(0, 256, size=(count, 28, 28), dtype=np.uint8)
        images[:, 0, 0] = np.arange(count)  # pixel (0, 0) holds the image's index
        labels = (np.arange(labels_count or count) % 10).astype(np.uint8)
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", labels)


def test_fashion_loader_reads_idx_folder(tmp_path: Path, monkeypatch) -> None:
    """FASHION_MNIST_DIR is honoured; images are normalised (N, 1, 28, 28), labels int64."""
    _write_fake_fashion(tmp_path)
    monkeypatch.setenv(fashion_mnist.ENV_VAR, str(tmp_path))
    data = load_fashion_mnist("test", normalize=False)
    assert data.images.shape == (20, 1, 28, 28) and data.images.dtype == torch.float32
    assert 0.0 <= float(data.images.min()) and float(data.images.max()) <= 1.0
    assert data.labels.dtype == torch.int64 and data.labels.tolist() == [i % 10 for i in range(20)]
    normalised = load_fashion_mnist("test")
    expected = (data.images - fashion_mnist.MEAN) / fashion_mnist.STD
    assert torch.allclose(normalised.images, expected)


def test_fashion_subsets(tmp_path: Path) -> None:
    """``limit`` takes the first N, or a seeded random N that is repeatable."""
    _write_fake_fashion(tmp_path)
    first = load_fashion_mnist("train", limit=5, root=tmp_path)
    assert first.labels.tolist() == [0, 1, 2, 3, 4]
    picked = load_fashion_mnist("train", limit=5, seed=1, root=tmp_path, normalize=False)
    again = load_fashion_mnist("train", limit=5, seed=1, root=tmp_path, normalize=False)
    assert torch.equal(picked.images, again.images)
    indices = (picked.images[:, 0, 0, 0] * 255).round().long().tolist()
    assert len(set(indices)) == 5 and indices != [0, 1, 2, 3, 4]
    assert picked.labels.tolist() == [i % 10 for i in indices]
    with pytest.raises(ValueError, match="exceeds the 20 images"):
        load_fashion_mnist("train", limit=21, root=tmp_path)


def test_fashion_label_count_mismatch(tmp_path: Path) -> None:
    """Images and labels of different lengths are reported as a format error."""
    _write_fake_fashion(tmp_path, count=20, labels_count=19)
    with pytest.raises(IdxFormatError, match="19 labels for 20 images"):
        load_fashion_mnist("train", root=tmp_path)


def test_fashion_missing_says_how_to_install(tmp_path: Path) -> None:
    """Missing files name the searched folder and the install command."""
    with pytest.raises(DatasetNotFoundError) as caught:
        load_fashion_mnist("train", root=tmp_path / "nowhere")
    message = str(caught.value)
    assert "apt-get install dataset-fashion-mnist" in message
    assert "FASHION_MNIST_DIR" in message and "nowhere" in message


def test_fashion_default_search_order(monkeypatch) -> None:
    """Without root or env var: Debian's folder first, then the per-user cache."""
    monkeypatch.delenv(fashion_mnist.ENV_VAR, raising=False)
    assert fashion_mnist.candidate_dirs() == [fashion_mnist.DEBIAN_DIR, fashion_mnist.cache_dir()]


def test_fashion_real_files() -> None:
    """The real Debian files parse with the published sizes and balanced classes."""
    try:
        fashion_mnist.find_files("test")
    except DatasetNotFoundError as error:
        pytest.skip(f"Fashion-MNIST not installed: {error}")
    data = load_fashion_mnist("test")
    assert data.images.shape == (10_000, 1, 28, 28)
    assert torch.bincount(data.labels).tolist() == [1000] * 10
    assert abs(float(data.images.mean())) < 0.1  # normalised with the train statistics


def test_digits_split() -> None:
    """Digits: (N, 1, 8, 8) in [0, 1], a deterministic stratified 75/25 split."""
    train, test = load_digits("train"), load_digits("test")
    assert len(train) + len(test) == 1797 and len(test) == 450
    assert train.images.shape[1:] == (1, 8, 8)
    assert float(train.images.min()) == 0.0 and float(train.images.max()) == 1.0
    assert torch.equal(load_digits("train").images, train.images)
    assert torch.bincount(test.labels).min() >= 43  # every class present in the test split
    with pytest.raises(ValueError, match="split must be one of"):
        load_digits("valid")


def test_image_set_validates_shapes() -> None:
    """An ImageSet refuses labels that do not match its images."""
    with pytest.raises(ValueError, match="does not match 2 images"):
        ImageSet(torch.zeros(2, 1, 4, 4), torch.zeros(3, dtype=torch.int64), 10)


@pytest.mark.parametrize("drop_last", [False, True])
def test_iterate_batches_covers_data(drop_last: bool) -> None:
    """Batches cover each sample once (except a dropped remainder); shuffling is seeded."""
    images = torch.arange(10.0).reshape(10, 1, 1, 1)
    labels = torch.arange(10)

    def seen(seed: int) -> list[int]:
        generator = torch.Generator().manual_seed(seed)
        batches = list(iterate_batches(images, labels, 4, True, generator, drop_last))
        for batch_images, batch_labels in batches:
            assert torch.equal(batch_images.flatten().long(), batch_labels)
        return [int(x) for _, batch_labels in batches for x in batch_labels]

    order = seen(0)
    assert len(order) == (8 if drop_last else 10) and len(set(order)) == len(order)
    assert order == seen(0) and order != seen(1)
    plain = [b.tolist() for _, b in iterate_batches(images, labels, 4)]
    assert plain == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
