"""What a publish target is: the Google spreadsheet and the local workbook both are one."""

from __future__ import annotations

from typing import Protocol

from harness.publish.layout import SheetContent


class PublishTarget(Protocol):
    """Where the regression sheet is written. `write` adds what is missing and restyles what
    changed, exactly once under faults, or raises PublishError."""

    max_cells_per_write: int

    @property
    def name(self) -> str:
        """The publication target recorded in the store."""

    @property
    def location(self) -> str:
        """Where a reader finds the sheet."""

    def write(self, content: SheetContent) -> None:
        """Bring the target to `content`."""
