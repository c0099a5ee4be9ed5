"""Image settings and budgets from `[tool.harness.images]` in pyproject.toml, validated."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.images.errors import ImagesError

_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")
FLAVOURS = ("cpu", "cuda")


def parse_size(value: object, what: str = "size") -> int:
    """Bytes from an int or a string such as '1100 MB', '5MB', '1.2 GB', '512 KiB'."""
    if isinstance(value, bool):
        raise ImagesError(f"{what}: expected a size such as '250 MB', got {value!r}")
    if isinstance(value, int):
        if value < 0:
            raise ImagesError(f"{what}: a size cannot be negative ({value})")
        return value
    match = _SIZE.match(value) if isinstance(value, str) else None
    if not match or match.group(2).upper() not in _UNITS:
        raise ImagesError(
            f"{what}: expected a size such as '250 MB' (units B, KB, MB, GB, KiB, MiB, GiB), "
            f"got {value!r}"
        )
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def format_size(size: float) -> str:
    """Human-readable decimal size (MB = 10^6 bytes, as the budgets are written)."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if abs(size) >= scale:
            return f"{size / scale:,.{2 if unit == 'GB' else 1}f} {unit}"
    return f"{int(size)} B"


@dataclass(frozen=True)
class Budgets:
    """Upper limits checked after every build; None means not limited."""

    base: int | None = None
    debug: int | None = None
    debug_added: int | None = None
    wasted: int | None = None
    floor_ratio: float | None = None


@dataclass(frozen=True)
class ImagesConfig:
    """What to build and the limits it must stay within."""

    os_base: str = "debian:bookworm-slim"
    base_name: str = "harness-base"
    debug_name: str = "harness-debug"
    extras: tuple[str, ...] = ()
    torch: str = "torch==2.13.0"
    cuda_torch: str = "torch==2.14.1"
    # Empty: the CUDA torch comes from the normal package index (PyPI's torch is a CUDA build).
    cuda_index_url: str = ""
    # Paths under site-packages the CUDA environment carries but never loads (shell globs).
    cuda_trim: tuple[str, ...] = ()
    debug_packages: tuple[str, ...] = ("ipython", "matplotlib", "py-spy")
    allowed_certificates: tuple[str, ...] = ("*/certifi/cacert.pem",)
    budgets: dict[str, Budgets] = field(default_factory=dict)

    def torch_for(self, flavour: str) -> str:
        """The torch requirement of one flavour ('torch' for cpu, 'cuda-torch' for cuda)."""
        return self.cuda_torch if flavour == "cuda" else self.torch

    def trim_for(self, flavour: str) -> tuple[str, ...]:
        """What to remove from a flavour's environment (only the CUDA one has a list)."""
        return self.cuda_trim if flavour == "cuda" else ()

    def budgets_for(self, flavour: str) -> Budgets:
        """The budgets of one torch flavour (none configured: nothing limited)."""
        return self.budgets.get(flavour, Budgets())


_BUDGET_KEYS = {"base", "debug", "debug-added", "wasted", "floor-ratio"}
_STRING_KEYS = {"os-base", "base-name", "debug-name", "torch", "cuda-torch"}
# Strings that may be empty ('' switches the option off).
_OPTIONAL_KEYS = {"cuda-index-url"}
_LIST_KEYS = {"extras", "debug-packages", "allowed-certificates", "cuda-trim"}
_TRIM_PATTERN = re.compile(r"^[A-Za-z0-9_.*?\[\]-][A-Za-z0-9_.*?\[\]/-]*$")


def _parse_budgets(table: Any, where: str) -> Budgets:
    if not isinstance(table, dict):
        raise ImagesError(f"{where}: expected a table of budgets, got {table!r}")
    unknown = set(table) - _BUDGET_KEYS
    if unknown:
        raise ImagesError(
            f"{where}: unknown budget {sorted(unknown)}; known: {sorted(_BUDGET_KEYS)}"
        )
    ratio = table.get("floor-ratio")
    if ratio is not None and (isinstance(ratio, bool) or not isinstance(ratio, (int, float))
                              or ratio < 1):
        raise ImagesError(f"{where}.floor-ratio: expected a number >= 1, got {ratio!r}")

    def size(key: str) -> int | None:
        return None if key not in table else parse_size(table[key], f"{where}.{key}")

    return Budgets(base=size("base"), debug=size("debug"), debug_added=size("debug-added"),
                   wasted=size("wasted"), floor_ratio=None if ratio is None else float(ratio))


def parse_config(table: dict[str, Any], where: str = "[tool.harness.images]") -> ImagesConfig:
    """Validate a `[tool.harness.images]` table; every mistake is named with its key."""
    known = _STRING_KEYS | _OPTIONAL_KEYS | _LIST_KEYS | {"budgets"}
    unknown = set(table) - known
    if unknown:
        raise ImagesError(f"{where}: unknown key {sorted(unknown)}; known: {sorted(known)}")
    values: dict[str, Any] = {}
    for key in _STRING_KEYS & set(table):
        if not isinstance(table[key], str) or not table[key]:
            raise ImagesError(f"{where}.{key}: expected a non-empty string, got {table[key]!r}")
        values[key.replace("-", "_")] = table[key]
    for key in _OPTIONAL_KEYS & set(table):
        if not isinstance(table[key], str):
            raise ImagesError(f"{where}.{key}: expected a string ('' for none), "
                              f"got {table[key]!r}")
        values[key.replace("-", "_")] = table[key].strip()
    for key in _LIST_KEYS & set(table):
        items = table[key]
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            raise ImagesError(f"{where}.{key}: expected a list of strings, got {items!r}")
        values[key.replace("-", "_")] = tuple(items)
    for pattern in values.get("cuda_trim", ()):
        if not _TRIM_PATTERN.match(pattern) or ".." in pattern.split("/"):
            raise ImagesError(
                f"{where}.cuda-trim: {pattern!r} is not a path under site-packages (relative, "
                "no '..', no spaces; globs * ? [] allowed)")
    budgets = table.get("budgets", {})
    if not isinstance(budgets, dict) or not set(budgets) <= set(FLAVOURS):
        raise ImagesError(
            f"{where}.budgets: expected tables named after torch flavours {list(FLAVOURS)}, "
            f"got {budgets!r}"
        )
    values["budgets"] = {
        flavour: _parse_budgets(budgets[flavour], f"{where}.budgets.{flavour}")
        for flavour in budgets
    }
    return ImagesConfig(**values)


def load_config(project_root: Path) -> ImagesConfig:
    """The image settings of the project at `project_root` (defaults when the table is absent)."""
    path = project_root / "pyproject.toml"
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise ImagesError(f"no pyproject.toml in {project_root}") from error
    except tomllib.TOMLDecodeError as error:
        raise ImagesError(f"{path}: not valid TOML: {error}") from error
    table = data.get("tool", {}).get("harness", {}).get("images", {})
    return parse_config(table)
