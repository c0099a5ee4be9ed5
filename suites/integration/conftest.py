"""Fixtures of the nightly integration suite: profile and Fashion-MNIST splits."""

from __future__ import annotations

import pytest

from backbone.data import DatasetNotFoundError, ImageSet, load_fashion_mnist
from suites.integration.profiles import Profile, choose_profile


def pytest_addoption(parser: pytest.Parser) -> None:
    """`--profile auto|cpu|gpu|smoke` (default: $HARNESS_PROFILE or auto, chosen by device)."""
    parser.addoption("--profile", default=None, help="integration profile: auto, cpu, gpu or smoke")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Everything in this folder is an integration test."""
    for item in items:
        item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def profile(pytestconfig: pytest.Config, device) -> Profile:
    """The profile for this run."""
    try:
        return choose_profile(pytestconfig.getoption("profile"), device.type)
    except ValueError as error:
        raise pytest.UsageError(str(error)) from error


def _load(split: str, limit: int | None) -> ImageSet:
    try:
        images = load_fashion_mnist(split, limit=limit, seed=0 if limit else None)
    except DatasetNotFoundError as error:
        pytest.fail(str(error), pytrace=False)
    return images


@pytest.fixture(scope="session")
def train_set(profile: Profile) -> ImageSet:  # pylint: disable=redefined-outer-name
    """The Fashion-MNIST training images of this profile."""
    return _load("train", profile.train_images)


@pytest.fixture(scope="session")
def test_set(profile: Profile) -> ImageSet:  # pylint: disable=redefined-outer-name
    """The Fashion-MNIST test images of this profile."""
    return _load("test", profile.test_images)
