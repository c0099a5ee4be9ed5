"""The workbook as a person sees it: a demo history published by the real publisher, rendered
by LibreOffice headless to PDF (and PNG), its text read back with poppler's `pdftotext`; and
the HTML report of the same history (`demo_report`, opened by harness.testing.browser).

Used by the rendering tests (suites/unit/publish/test_render.py,
suites/unit/report/test_browser.py) and docs/make_screenshots.py.
"""

from __future__ import annotations

import random
import shutil
import subprocess
from datetime import timedelta
from pathlib import Path

from harness.publish.layout import HEADER_ROWS, SUMMARY_TAB, TRENDS_HEADER
from harness.publish.workbook import WorkbookTarget
from harness.records import Environment, GitInfo, Measurement, Run, RunStatus
from harness.settings import resolve
from harness.stages.check import check_store
from harness.stages.publish import publish_runs
from harness.store import Store
from harness.testing.fixtures import T0

MODELS = "suites/integration/test_models.py::test_train"
METRICS = (  # test, metric, unit, higher is better, level, relative step from STEP_NIGHT
    (f"{MODELS}[resnet]", "top1", "%", True, 71.2345, 0.0),
    (f"{MODELS}[resnet]", "throughput", "samples/s", True, 3594.453433, -0.16),
    (f"{MODELS}[resnet]", "loss", "", False, 0.0123456, 0.0),
    (f"{MODELS}[vit]", "top1", "%", True, 64.5123, 0.0),
    (f"{MODELS}[vit]", "step_time", "ms", False, 412.3456, 0.0),
    (f"{MODELS}[vit]", "peak_memory", "MB", False, 22103.4, -0.26),
)
NIGHTS, STEP_NIGHT = 10, 7
SUBJECTS = ("Pin torch 2.13.0", "Cosine LR warm-up", "Refactor data loader",
            "Fuse BN into conv for eval", "Bump timm", "Label smoothing 0.1",
            "Faster collate", "Gradient checkpointing in ViT", "Channels-last ResNet",
            "Log the learning rate")
COMMIT_URL = "https://github.com/example/models/commit/{sha}"


def record_night(store: Store, night: int) -> Run:
    """Night `night` of two architectures on one machine: steady with a little noise, and
    two steps from STEP_NIGHT on (ResNet's throughput down, ViT's peak memory down)."""
    noise = random.Random(night)
    run = Run(f"night{night:027d}", T0 + timedelta(days=night),
              GitInfo(f"{0x3fa9c21 + night * 0x1111:07x}e{night:032d}", "main",
                      SUBJECTS[night % len(SUBJECTS)]),
              Environment(gpu_name="NVIDIA H100", gpu_count=1), RunStatus.COMPLETE)
    store.begin_run(run)
    for test in sorted({item[0] for item in METRICS}):
        vit = test.endswith("[vit]")
        store.record_config(run.run_id, test, {
            "arch": "vit" if vit else "resnet",
            "train": {"lr": 3e-4 if vit else 0.1, "batch_size": 256, "epochs": 10,
                      "grad_checkpointing": vit and night >= STEP_NIGHT}})
    store.record(
        Measurement.checked(run.run_id, test, metric,
                            level * (1 + (step if night >= STEP_NIGHT else 0.0))
                            * (1 + noise.gauss(0, 0.002)), unit, higher)
        for test, metric, unit, higher, level, step in METRICS)
    return run


def demo_workbook(folder: Path, nights: int = NIGHTS) -> Path:
    """A workbook in `folder` after `nights` nightlies, each recorded, checked (stored
    verdicts) and published, as the nightly does."""
    settings = resolve({}, environ={}, table={})
    store = Store.open(str(folder / "results.db"))
    try:
        target = WorkbookTarget(folder / "regression-sheet.xlsx")
        for night in range(nights):
            run = record_night(store, night)
            check_store(store, settings)
            publish_runs(store, target, [run], commit_url=COMMIT_URL)
        return target.path
    finally:
        store.close()


def demo_report(folder: Path) -> Path:
    """The HTML report of the demo history in `folder` (after `demo_workbook`), as the
    nightly's `harness check --html` writes it: verdicts, plots, and the diff of each flagged
    range's last good and first bad run."""
    # pylint: disable=import-outside-toplevel  # the report needs matplotlib
    from harness.report.html import write_html
    from harness.stages.diff import range_diffs

    store = Store.open(str(folder / "results.db"), create=False)
    try:
        result = check_store(store, resolve({}, environ={}, table={}))
        verdicts = [item.verdict for item in result.open]
        return write_html(folder / "report.html", list(result.series), verdicts,
                          diffs=range_diffs(store, result.series, verdicts))
    finally:
        store.close()


def soffice() -> str | None:
    """The LibreOffice binary, or None when it is not installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def only_tab(workbook: Path, tab: str, output: Path, hide: tuple[str, ...] = ()) -> Path:
    """A copy of `workbook` holding only `tab` on one landscape A3 page wide, the `hide`
    columns hidden (for a picture)."""
    from openpyxl import load_workbook  # pylint: disable=import-outside-toplevel

    book = load_workbook(workbook)
    for name in book.sheetnames:
        if name != tab:
            book.remove(book[name])
    sheet = book[tab]
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A3
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    for cell in sheet[HEADER_ROWS[tab]]:  # the names of the columns: the last header row
        if cell.value in hide:
            sheet.column_dimensions[cell.column_letter].hidden = True
    book.save(output)
    return output


def to_pdf(workbook: Path, folder: Path) -> Path:
    """Render `workbook` with LibreOffice headless into `folder`; the PDF's path."""
    binary = soffice()
    if binary is None:
        raise FileNotFoundError("soffice (LibreOffice) is not installed")
    profile = (folder / "lo-profile").resolve().as_uri()
    subprocess.run([binary, f"-env:UserInstallation={profile}", "--headless",
                    "--convert-to", "pdf", "--outdir", str(folder), str(workbook)],
                   check=True, capture_output=True, timeout=180)
    return folder / (workbook.stem + ".pdf")


def pdf_text(pdf: Path) -> str:
    """The PDF's text (poppler's pdftotext, physical layout)."""
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True,
                          capture_output=True, text=True, timeout=60)
    return done.stdout


def summary_png(workbook: Path, folder: Path, resolution: int = 60) -> Path:
    """The Summary tab's first page rendered as a PNG (via PDF and pdftoppm), cropped to
    what is printed (branch, device and run id hidden to leave room for the metrics)."""
    summary = only_tab(workbook, SUMMARY_TAB, folder / "summary.xlsx",
                       hide=("branch", "device", "run"))
    pdf = to_pdf(summary, folder)
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), "-f", "1", "-l", "1",
                    "-singlefile", str(pdf), str(folder / "summary")], check=True, timeout=60)
    picture = folder / "summary.png"
    _crop(picture)
    return picture


def page_of(pdf: Path, text: str) -> int:
    """The first page (1-based) of `pdf` whose text holds `text`."""
    pages = pdf_text(pdf).split("\f")
    return next(number for number, page in enumerate(pages, start=1) if text in page)


def trends_png(workbook: Path, folder: Path, resolution: int = 60) -> Path:
    """The Trends tab's first page as a PNG: the whole workbook is rendered (its charts read
    the Summary tab, and openpyxl would drop them on a copy), the Trends page picked."""
    pdf = to_pdf(workbook, folder)
    page = str(page_of(pdf, TRENDS_HEADER[-1]))
    subprocess.run(["pdftoppm", "-png", "-r", str(resolution), "-f", page, "-l", page,
                    "-singlefile", str(pdf), str(folder / "trends")], check=True, timeout=60)
    picture = folder / "trends.png"
    _crop(picture)
    return picture


def _crop(picture: Path, margin: int = 12) -> None:
    """Crop a PNG to its non-white content (needs Pillow; left as it is without)."""
    try:
        from PIL import Image, ImageOps  # pylint: disable=import-outside-toplevel
    except ImportError:
        return
    with Image.open(picture) as image:
        rgb = image.convert("RGB")
    box = ImageOps.invert(rgb).getbbox()
    if box:
        left, top, right, bottom = box
        rgb.crop((max(0, left - margin), max(0, top - margin), min(rgb.width, right + margin),
                  min(rgb.height, bottom + margin))).save(picture)
