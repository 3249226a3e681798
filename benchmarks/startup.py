"""Start-up of the app on a large clinic database, against a bare PySide6 main window.

    .venv/bin/python benchmarks/startup.py --db CLINIC.sqlite [--runs N] [--out PAGE.md]

Each run launches, one after the other, (a) a minimal PySide6 script (QApplication,
QMainWindow, QLabel: ``measure.HELLO_SCRIPT``) and (b) ``python -m clinic_gui --db CLINIC``,
both with ``QT_QPA_PLATFORM=offscreen`` and ``CLINIC_GUI_EXIT_AFTER_FIRST_PAINT=1`` (print a
line and quit once the first window is painted), after one untimed warm-up launch of each
(a warm start: the files are in the OS cache). It also launches the app with
``CLINIC_GUI_EXIT_AFTER=worklist`` (quit once the clinic overview is built) and
``=check`` (quit once the database check deferred at start-up has ended, when saves become
possible). The database should be the demo clinic (its demo user signs in without a
password); every launch records a sign-in in its audit trail, so use a copy.

The page (``--out``) gives median and spread of each, the ratio of the medians against the
target, and peak resident memory (see ``measure.launch`` for how it is read).
"""

from __future__ import annotations

import argparse
import contextlib
import sqlite3
import statistics
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # measure.py, shared by the benchmarks
from measure import (
    EXIT_ENV,
    HELLO_MARKER,
    Launch,
    headline,
    launch,
    machine,
    write_doc,
    write_hello,
)

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.3
# The app's exit hooks and the lines they print (clinic_gui.ui.app).
EXIT_AFTER = "CLINIC_GUI_EXIT_AFTER"
FIRST_PAINT = "clinic-gui: first window painted"
WORKLIST = "clinic-gui: worklist built"
CHECK = "clinic-gui: database check ended"
BARE = "bare PySide6 QMainWindow"
APP = "clinic_gui"


@dataclass
class Series:
    """The launches of one kind: what is launched, the line awaited, extra environment."""

    label: str
    command: list[str]
    marker: str
    env: dict[str, str] = field(default_factory=dict)
    runs: list[Launch] = field(default_factory=list)

    def seconds(self) -> list[float]:
        return [run.marker_s for run in self.runs]

    def median_mb(self, which: str) -> float | None:
        """Median over the launches of ``Launch.<which>`` (a peak-memory field), in MB."""
        values = [getattr(run, which) for run in self.runs]
        known = [v for v in values if v is not None]
        return statistics.median(known) if known else None


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a large demo clinic (a copy)")
    parser.add_argument("--runs", type=int, default=5, help="timed launches of each kind")
    parser.add_argument(
        "--out", type=Path, default=ROOT / "docs" / "benchmarks-startup.md", help="the page"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="startup-bench-") as folder:
        work = Path(folder)
        series = _series(args.db, write_hello(work / "hello"))
        _measure(series, args.runs, work / "home")
    text = report(series, args.db, args.runs)
    write_doc(args.out, "Start-up on a large clinic", "startup.py", text)
    print(f"written: {args.out}")
    return 0


def _series(db: Path, hello: Path) -> list[Series]:
    app = [sys.executable, "-m", APP, "--db", str(db)]
    return [
        Series(BARE, [sys.executable, str(hello)], HELLO_MARKER),
        Series(APP, app, FIRST_PAINT),
        Series(
            f"{APP}, until the worklist is built",
            app,
            WORKLIST,
            {EXIT_ENV: "0", EXIT_AFTER: "worklist"},
        ),
        Series(
            f"{APP}, until the database check ends",
            app,
            CHECK,
            {EXIT_ENV: "0", EXIT_AFTER: "check"},
        ),
    ]


def _measure(series: list[Series], runs: int, home: Path) -> None:
    """One untimed warm-up launch of the first two, then ``runs`` rounds of all, interleaved
    (so a slower moment of the machine falls on every kind alike)."""
    for one in series[:2]:
        launch(one.command, one.marker, home, env=one.env)
    for number in range(1, runs + 1):
        for one in series:
            run = launch(one.command, one.marker, home, env=one.env)
            one.runs.append(run)
            print(f"  run {number}: {one.label}: {run.marker_s:.2f} s, {_mb(run.peak_mb)} MB")


def describe(db: Path) -> str:
    """The database's name, size, patients and schema version (read-only)."""
    size = db.stat().st_size / 1_000_000
    uri = db.resolve().as_uri() + "?mode=ro"
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as conn:
        patients = conn.execute("SELECT count(*) FROM patient").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
    return f"`{db.name}`: {patients:,} patients, {size:,.0f} MB, schema v{version}"


def report(series: list[Series], db: Path, runs: int) -> str:
    bare, app = series[0], series[1]
    ratio = statistics.median(app.seconds()) / statistics.median(bare.seconds())
    verdict = "met" if ratio <= TARGET_RATIO else "not met"
    headline(
        "Start-up to the first painted window",
        f"{ratio:.2f}× a bare PySide6 window ({describe(db).split(':', 1)[1].strip()})",
        f"≤ {TARGET_RATIO}×",
        ratio <= TARGET_RATIO,
        "benchmarks-startup.md",
    )
    worklist = series[2]
    memory = worklist.median_mb("peak_at_marker_mb")
    baseline = bare.median_mb("peak_at_marker_mb")
    if memory is not None and baseline is not None:
        headline(
            "Peak memory with the clinic open and the worklist built",
            f"{memory:.0f} MB against {baseline:.0f} MB for a bare PySide6 window "
            f"({memory / baseline:.1f}×); {worklist.median_mb('tree_peak_mb') or 0:.0f} MB "
            "counting the worklist's worker processes",
            "measured against the bare window (no target)",
            None,
            "benchmarks-startup.md",
        )
    lines = [
        f"Database: {describe(db)}. Machine: {machine()}.",
        "",
        "## Time",
        "",
        f"From launch to the line each prints once the state is reached, {runs} launches "
        "of each kind, interleaved, after one untimed warm-up launch of the bare window and "
        "of the app (a warm start: the files are in the OS cache). Every launch has "
        "`QT_QPA_PLATFORM=offscreen` and an empty home folder (settings as on first use). "
        f"First paint: `{EXIT_ENV}=1`; the others `{EXIT_AFTER}=worklist` (the clinic "
        "overview built in the background) and `=check` (the database check deferred at "
        "start-up has ended: from then on saves are possible).",
        "",
        "| launch, until | median (s) | min (s) | max (s) | spread (max − min, s) |",
        "|---|---:|---:|---:|---:|",
        *(_time_row(one) for one in series),
        f"| ratio {APP} / bare, first paint (medians) | {ratio:.2f}× | | | |",
        "",
        f"Target: first paint within {TARGET_RATIO}× the bare window: **{verdict}** "
        f"({ratio:.2f}×).",
        "",
        "## Peak memory (resident set)",
        "",
        "At the line: `VmHWM` of `/proc/<pid>/status` read when the line arrives (the "
        "peak so far). Whole run: `ru_maxrss` of that one process from `os.wait4` when it "
        "exits (after the line the app closes, waiting for background work). The parent's "
        "`RUSAGE_CHILDREN` is not used: its `ru_maxrss` is the largest child so far, not a "
        "sum, so differences between readings do not isolate one launch. With workers: the "
        "largest sum of the resident memory of the process and every process it started "
        "(the clinic overview's worker processes), polled from `/proc` every 50 ms for the "
        "whole run. Medians of the launches, MB.",
        "",
        "| launch, until | at the line (MB) | at the line / bare | whole run (MB) | "
        "whole run with workers (MB) |",
        "|---|---:|---:|---:|---:|",
        *(_memory_row(one, bare) for one in series),
        "",
        "## What the time goes to, and what would meet the target",
        "",
        "The bare window imports Qt and paints. The app also imports its own modules and "
        "sqlite-utils (with its command-line and plug-in libraries), opens the database "
        "(identity checks only; the full `quick_check` runs after the window is shown), "
        "signs in, builds the main window with the patient list, worklist tab and chart, "
        "reads the first 200 patients and counts them. On this machine Python's imports are "
        "most of the difference (`python -X importtime -m clinic_gui --help` lists them). "
        "What would meet 1.3×: paint the main window's frame first and build the tabs, "
        "chart and dialogs after the first paint (importing their modules then), and read "
        "the record through the standard `sqlite3` module instead of sqlite-utils, whose "
        "import alone is about a third of a second.",
        "",
    ]
    return "\n".join(lines)


def _time_row(one: Series) -> str:
    t = one.seconds()
    return (
        f"| {one.label} | {statistics.median(t):.2f} | {min(t):.2f} | {max(t):.2f} | "
        f"{max(t) - min(t):.2f} |"
    )


def _memory_row(one: Series, bare: Series) -> str:
    at_line, base = one.median_mb("peak_at_marker_mb"), bare.median_mb("peak_at_marker_mb")
    ratio = f"{at_line / base:.2f}×" if at_line is not None and base else "n/a"
    whole, tree = one.median_mb("peak_mb"), one.median_mb("tree_peak_mb")
    return f"| {one.label} | {_mb(at_line)} | {ratio} | {_mb(whole)} | {_mb(tree)} |"


def _mb(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f}"


if __name__ == "__main__":
    sys.exit(main())
