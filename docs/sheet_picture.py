"""Render the README picture of the regression sheet (docs/regression-sheet.png).

Records a few demo runs in a temporary store, publishes them to a workbook with the real
publisher, reopens the workbook and draws its Summary tab (values and fills as written) with
matplotlib. Needs matplotlib: `pip install matplotlib`.

    python docs/sheet_picture.py
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

from harness.stages.publish import publish_runs
from harness.publish.workbook import WorkbookTarget
from harness.records import Environment, GitInfo, Measurement, Run, RunStatus
from harness.store import Store
from harness.testing.fixtures import T0

OUTPUT = Path(__file__).resolve().parent / "regression-sheet.png"
SHOWN = ("date", "commit", "subject")
DEMO = (  # subject, resnet accuracy, vit accuracy, resnet step ms, vit peak MB
    ("Pin torch 2.13.0", 0.912, 0.884, 41.8, 2210),
    ("Fuse BN into conv for eval", 0.911, 0.885, 37.1, 2208),
    ("Cosine LR warm-up", 0.931, 0.886, 37.4, 2213),
    ("Refactor data loader", 0.930, 0.884, 45.9, 2209),
    ("Gradient checkpointing in ViT", 0.929, 0.885, 45.2, 1630),
)
METRICS = (
    ("suites/integration/test_accuracy.py::test_top1[resnet]", "top1_accuracy", "", True),
    ("suites/integration/test_accuracy.py::test_top1[vit]", "top1_accuracy", "", True),
    ("suites/integration/test_speed.py::test_train_step[resnet]", "step_ms", "ms", False),
    ("suites/integration/test_memory.py::test_peak[vit]", "peak_mb", "MB", False),
)


def record_demo(store: Store) -> list[Run]:
    """Five runs on one machine; colours come from the 5 % change tolerance."""
    runs = []
    for index, (subject, *values) in enumerate(DEMO):
        run = Run(f"demo{index:028d}", T0 + timedelta(days=index),
                  GitInfo(f"{0x3fa9c21 + index * 0x1111:07x}e0", "main", subject),
                  Environment(gpu_name="NVIDIA H100", gpu_count=1), RunStatus.COMPLETE)
        store.begin_run(run)
        store.record(Measurement.checked(run.run_id, test, metric, value, unit, higher)
                     for (test, metric, unit, higher), value in zip(METRICS, values))
        runs.append(run)
    return runs


def summary_table(workbook: Path) -> tuple[list[str], list[list[str]], list[list[str]]]:
    """The Summary tab's chosen columns: labels, texts and fill colours, as written."""
    from openpyxl import load_workbook  # pylint: disable=import-outside-toplevel

    sheet = load_workbook(workbook)["Summary"]
    header = [str(cell.value) for cell in sheet[1]]
    keep = [i for i, name in enumerate(header) if name in SHOWN or "·" in name]
    labels = [header[i].rsplit("::", maxsplit=1)[-1].replace(" · ", "\n") for i in keep]
    rows = list(sheet.iter_rows(min_row=2))
    texts = [[_text(row[i]) for i in keep] for row in rows]
    colours = [[_colour(row[i]) for i in keep] for row in rows]
    return labels, texts, colours


def draw(workbook: Path, output: Path) -> None:
    """Draw the Summary tab's chosen columns with their fills."""
    # pylint: disable=import-outside-toplevel  # optional, documentation-only dependency
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels, texts, colours = summary_table(workbook)
    figure, axes = plt.subplots(figsize=(11, 2.4), dpi=100)
    axes.axis("off")
    table = axes.table(cellText=texts, cellColours=colours, colLabels=labels,
                       colColours=["#E8EAED"] * len(labels), loc="center", cellLoc="left")
    table.auto_set_font_size(False)
    table.set_fontsize(8)
    table.scale(1, 1.5)
    subject = labels.index("subject")
    for (row, column), cell in table.get_celld().items():
        if column == subject:
            cell.set_width(cell.get_width() * 2.2)
        elif column < subject:
            cell.set_width(cell.get_width() * 0.8)
        if row == 0:
            cell.set_height(cell.get_height() * 1.6)
            cell.get_text().set_fontweight("bold")
    figure.tight_layout()
    figure.savefig(output)


def _text(cell) -> str:
    if cell.value is None:
        return ""
    if hasattr(cell.value, "strftime"):
        return cell.value.strftime("%Y-%m-%d")
    if isinstance(cell.value, float):
        return f"{cell.value:.4g}"
    return str(cell.value)


def _colour(cell) -> str:
    if cell.fill is not None and cell.fill.fill_type == "solid":
        return "#" + str(cell.fill.start_color.rgb)[-6:]
    return "#FFFFFF"


def main() -> None:
    """Build the demo workbook and save the picture."""
    with tempfile.TemporaryDirectory() as folder:
        store = Store.open(str(Path(folder) / "results.db"))
        runs = record_demo(store)
        workbook = WorkbookTarget(Path(folder) / "regression-sheet.xlsx")
        publish_runs(store, workbook, runs, print)
        draw(workbook.path, OUTPUT)
        store.close()
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
