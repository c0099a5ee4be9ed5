"""Score the detector's change-point part on the Turing Change Point Dataset (TCPD).

Reads `../shared/data/tcpd/` (relative to the repository root): univariate series, five
annotators' change points per series, and TCPDBench's published per-series F1 of each method
with default settings. Scores F1 and cover with a 5-point margin as TCPDBench defines them
(van den Burg & Williams, 2020):

- F1: location 0 counts as a change point for everyone. Precision is the share of predicted
  points within the margin of some annotator's point (each prediction matched at most once),
  recall the mean over annotators of the share of their points matched, F1 their harmonic mean.
- cover: each annotator's segmentation covered by the predicted one (segment-length-weighted
  best Jaccard overlap), averaged over annotators.

    python benchmarks/tcpd.py [--data ../shared/data/tcpd]
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import replace
from pathlib import Path

from harness.detect import DetectorConfig
from harness.detect.classify import shift_indices

MARGIN = 5
REPO = Path(__file__).resolve().parent.parent


def matched(truth: set[int], predicted: set[int], margin: int = MARGIN) -> int:
    """How many points of `truth` have a distinct prediction within `margin`."""
    free = set(predicted)
    count = 0
    for point in sorted(truth):
        close = sorted((abs(point - guess), guess) for guess in free
                       if abs(point - guess) <= margin)
        if close:
            free.discard(close[0][1])
            count += 1
    return count


def f1_score(annotations: list[list[int]], predicted: list[int], margin: int = MARGIN) -> float:
    """TCPDBench's F1 over several annotators (location 0 always included)."""
    users = [set(points) | {0} for points in annotations]
    guesses = set(predicted) | {0}
    union = set().union(*users)
    precision = matched(union, guesses, margin) / len(guesses)
    recall = sum(matched(user, guesses, margin) / len(user) for user in users) / len(users)
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def _segments(points: list[int], length: int) -> list[range]:
    starts = sorted({0, *(p for p in points if 0 < p < length)})
    return [range(start, end) for start, end in zip(starts, starts[1:] + [length])]


def _jaccard(one: range, other: range) -> float:
    overlap = max(0, min(one.stop, other.stop) - max(one.start, other.start))
    return overlap / (len(one) + len(other) - overlap)


def cover_score(annotations: list[list[int]], predicted: list[int], length: int) -> float:
    """TCPDBench's covering metric, averaged over annotators."""
    guess = _segments(predicted, length)
    scores = []
    for user in annotations:
        truth = _segments(user, length)
        scores.append(sum(len(seg) * max(_jaccard(seg, g) for g in guess) for seg in truth)
                      / length)
    return sum(scores) / len(scores)


def load(data: Path) -> list[tuple[str, list[float | None], list[list[int]]]]:
    """The univariate series: name, values (None where missing), annotations."""
    annotations = json.loads((data / "annotations.json").read_text())
    found = []
    for path in sorted((data / "series").glob("*.json")):
        item = json.loads(path.read_text())
        if item["n_dim"] != 1:
            continue
        values = item["series"][0]["raw"]
        found.append((item["name"], values, list(annotations[item["name"]].values())))
    return found


def predict(values: list[float | None], config: DetectorConfig) -> list[int]:
    """Change points of a series with missing values skipped (indices of the full series)."""
    present = [index for index, value in enumerate(values)
               if value is not None and math.isfinite(value)]
    shifts = shift_indices([float(values[index]) for index in present], config)
    return [present[index] for index in shifts]


def main() -> int:  # pylint: disable=too-many-locals  # a report script, read top to bottom
    """Score each setting and print the table beside TCPDBench's published numbers."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO / ".." / "shared" / "data" / "tcpd")
    parser.add_argument("--per-series", action="store_true", help="print every series' F1")
    args = parser.parse_args()
    if not (args.data / "annotations.json").exists():
        print(f"TCPD not found at {args.data}", file=sys.stderr)
        return 2
    dataset = load(args.data)
    published = json.loads((args.data / "tcpdbench_default_f1_scores.json").read_text())
    base = DetectorConfig()
    settings = {
        "ours, binseg (built in, default)": base,
        "ours, pelt (ruptures)": replace(base, method="pelt"),
    }
    print(f"{len(dataset)} univariate series, margin {MARGIN}\n")
    print("| method | F1 | cover |")
    print("|---|---|---|")
    for name, config in settings.items():
        f1s, covers = [], []
        for series, values, annotations in dataset:
            guess = predict(values, config)
            f1s.append(f1_score(annotations, guess))
            covers.append(cover_score(annotations, guess, len(values)))
            if args.per_series:
                print(f"|   {series} | {f1s[-1]:.3f} | {covers[-1]:.3f} |")
        print(f"| {name} | {sum(f1s) / len(f1s):.3f} | {sum(covers) / len(covers):.3f} |")
    zero = [f1_score(a, []) for _, _, a in dataset]
    print(f"| no change (computed here) | {sum(zero) / len(zero):.3f} | "
          f"{sum(cover_score(a, [], len(v)) for _, v, a in dataset) / len(dataset):.3f} |")
    for method in ("binseg", "pelt", "bocpd", "zero"):
        scores = [published[name][method] for name, _, _ in dataset]
        failed_as_zero = sum(s or 0.0 for s in scores) / len(scores)
        print(f"| {method} (TCPDBench published, same series, failures as 0) | "
              f"{failed_as_zero:.3f} | - |")
    print("| binseg / pelt / bocpd / zero (paper, all univariate series) | "
          "0.698 / 0.674 / 0.662 / 0.645 | 0.672 / 0.652 / 0.594 / 0.566 |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
