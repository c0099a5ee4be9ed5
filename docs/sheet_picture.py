"""Render the README picture of the regression sheet (docs/regression-sheet.png).

Records three demo nightlies in a temporary store, publishes them one night at a time to a
workbook with the real publisher (as the rendering test does), and renders the workbook's
Summary tab with LibreOffice headless to PDF, then PNG (poppler's pdftoppm). Needs
`soffice` and `pdftoppm` (Debian: libreoffice-calc poppler-utils).

    python docs/sheet_picture.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness.testing.render import demo_workbook, summary_png

OUTPUT = Path(__file__).resolve().parent / "regression-sheet.png"


def main() -> None:
    """Build the demo workbook, render its Summary tab and save the picture."""
    with tempfile.TemporaryDirectory() as folder:
        workbook = demo_workbook(Path(folder))
        shutil.copyfile(summary_png(workbook, Path(folder), resolution=160), OUTPUT)
    print(OUTPUT)


if __name__ == "__main__":
    main()
