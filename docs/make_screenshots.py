"""Render the README pictures from a real workbook and report (what the render tests make).

Records the demo nightlies of harness/testing/render.py in a temporary store, publishing each
night to a workbook with the real publisher, then renders:

- docs/regression-sheet.png: the Summary tab (LibreOffice headless to PDF, pdftoppm to PNG);
- docs/trends.png: the Trends tab's first page, the same way;
- docs/report.png: the HTML report of that history (`harness check --html`), in headless
  Chromium at 1400 px.

Needs `soffice`, `pdftoppm` and `chromium` (Debian: libreoffice-calc poppler-utils chromium
fonts-crosextra-carlito).

    python docs/make_screenshots.py
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from harness.testing.browser import screenshot
from harness.testing.render import demo_report, demo_workbook, summary_png, trends_png

DOCS = Path(__file__).resolve().parent


def main() -> None:
    """Build the demo workbook and report, render them and save the pictures."""
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        workbook = demo_workbook(folder)
        sheet = folder / "sheet"
        sheet.mkdir()
        shutil.copyfile(summary_png(workbook, sheet, resolution=160),
                        DOCS / "regression-sheet.png")
        charts = folder / "trends"
        charts.mkdir()
        shutil.copyfile(trends_png(workbook, charts, resolution=110), DOCS / "trends.png")
        messages = screenshot(demo_report(folder), DOCS / "report.png", width=1400, height=1800)
        if messages:
            raise SystemExit(f"the report wrote to the browser console: {messages}")
    for picture in ("regression-sheet.png", "trends.png", "report.png"):
        print(DOCS / picture)


if __name__ == "__main__":
    main()
