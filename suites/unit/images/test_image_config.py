"""Image settings and budgets: parsing and validation of [tool.harness.images]."""

from pathlib import Path

import pytest

from harness.images.budgets import Measured, check
from harness.images.config import Budgets, format_size, load_config, parse_config, parse_size
from harness.images.errors import ImagesError


@pytest.mark.parametrize(("text", "expected"), [
    ("250 MB", 250_000_000), ("5MB", 5_000_000), ("1.2 GB", 1_200_000_000),
    ("512 KiB", 524_288), ("10", 10), (1234, 1234), ("3 gib", 3 * 2**30),
])
def test_sizes_parse_in_decimal_and_binary_units(text, expected):
    """Sizes parse in decimal and binary units."""
    assert parse_size(text) == expected


@pytest.mark.parametrize("bad", ["", "MB", "12 parsecs", "-5 MB", -1, True, 1.5, None, "1,5 GB"])
def test_bad_sizes_are_rejected_with_the_key_named(bad):
    """Bad sizes are rejected with the key named."""
    with pytest.raises(ImagesError, match="budgets.cpu.base"):
        parse_size(bad, "budgets.cpu.base")


def test_format_size_is_decimal():
    """Format size is decimal."""
    assert format_size(1_292_712_629) == "1.29 GB"
    assert format_size(173_100_000) == "173.1 MB"
    assert format_size(999) == "999 B"


def test_full_table_parses():
    """Full table parses."""
    config = parse_config({
        "os-base": "debian:bookworm-slim", "extras": ["ml"], "torch": "torch==2.13.0",
        "budgets": {"cpu": {"base": "1350 MB", "debug-added": "250 MB", "wasted": "5 MB",
                            "floor-ratio": 1.05}},
    })
    assert config.extras == ("ml",)
    assert config.budgets_for("cpu") == Budgets(base=1_350_000_000, debug_added=250_000_000,
                                                wasted=5_000_000, floor_ratio=1.05)
    assert config.budgets_for("cuda") == Budgets()


@pytest.mark.parametrize(("table", "message"), [
    ({"os_base": "x"}, "unknown key"),
    ({"extras": "ml"}, "extras: expected a list of strings"),
    ({"torch": ""}, "torch: expected a non-empty string"),
    ({"cuda-torch": ""}, "cuda-torch: expected a non-empty string"),
    ({"cuda-trim": ["/usr/lib"]}, "cuda-trim: '/usr/lib' is not a path under site-packages"),
    ({"cuda-trim": ["../x"]}, r"cuda-trim: '\.\./x' is not a path"),
    ({"cuda-trim": ["a b"]}, "cuda-trim: 'a b' is not a path"),
    ({"cuda-index-url": 1}, r"cuda-index-url: expected a string \(\'\' for none\)"),
    ({"budgets": {"gpu": {}}}, "tables named after torch flavours"),
    ({"budgets": {"cpu": {"size": "1 GB"}}}, "unknown budget"),
    ({"budgets": {"cpu": {"floor-ratio": 0.9}}}, "floor-ratio: expected a number >= 1"),
    ({"budgets": {"cpu": {"wasted": "lots"}}}, r"budgets.cpu.wasted: expected a size"),
])
def test_mistakes_are_named(table, message):
    """Mistakes are named."""
    with pytest.raises(ImagesError, match=message):
        parse_config(table)


def test_each_flavour_has_its_torch_and_the_cuda_index_is_optional():
    """CPU and CUDA torch come from their own keys; an empty cuda-index-url means none."""
    config = parse_config({"torch": "torch==2.13.0", "cuda-torch": "torch==2.14.1",
                           "cuda-index-url": ""})
    assert (config.torch_for("cpu"), config.torch_for("cuda")) == ("torch==2.13.0",
                                                                   "torch==2.14.1")
    assert config.cuda_index_url == ""
    trimmed = parse_config({"cuda-trim": ["triton", "nvidia/*/lib/*.a"]})
    assert trimmed.trim_for("cuda") == ("triton", "nvidia/*/lib/*.a")
    assert not trimmed.trim_for("cpu")
    assert parse_config({"cuda-index-url": " https://example.org/whl "}).cuda_index_url == (
        "https://example.org/whl")


def test_the_repository_config_is_valid():
    """The repository config is valid."""
    root = Path(__file__).resolve().parents[3]
    config = load_config(root)
    assert config.budgets_for("cpu").debug_added == 250_000_000
    assert config.budgets_for("cpu").floor_ratio == 1.05


def test_broken_pyproject_is_a_clear_error(tmp_path):
    """Broken pyproject is a clear error."""
    (tmp_path / "pyproject.toml").write_text("[tool.harness.images\n", "utf-8")
    with pytest.raises(ImagesError, match="not valid TOML"):
        load_config(tmp_path)
    with pytest.raises(ImagesError, match="no pyproject.toml"):
        load_config(tmp_path / "missing")


def test_budgets_judge_each_limit_and_skip_unset_ones():
    """Budgets judge each limit and skip unset ones."""
    budgets = Budgets(base=1000, debug_added=100, wasted=10, floor_ratio=1.05)
    verdicts = {v.name: v for v in check(Measured(base=1000, debug=1150, wasted=3, floor=990),
                                         budgets)}
    assert "debug image size" not in verdicts
    assert verdicts["base image size"].ok
    assert not verdicts["debug adds"].ok
    assert verdicts["debug adds"].measured == "150 B"
    assert verdicts["wasted bytes (worst image)"].ok
    assert verdicts["base / floor (OS + Python env)"].ok
    assert verdicts["base / floor (OS + Python env)"].measured == "1.010x"
    over = check(Measured(base=1100, debug=None, wasted=11, floor=1000), budgets)
    assert [v.name for v in over if not v.ok] == [
        "base image size", "wasted bytes (worst image)", "base / floor (OS + Python env)"]
