"""How long opening a patient's chart takes, for the longest history in the demo clinic.

One "open" is what the window does when a nurse selects a patient: read the record from
SQLite, assess it, fill the header, history, recommendation panel and timeline (the diary
and labs tabs fill when first shown), and paint (Qt offscreen). Median and spread of
``--repeat`` opens after one warm-up (the first open also builds the plot widgets), and of
each stage of an open timed on its own: reading the record, assessing it, filling the chart
(``show_case``, which assesses again and draws the timeline), painting, and the events Qt
has left to handle. Writes ``docs/benchmarks-chart.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from clinic_gui.domain.assessment import assess
from clinic_gui.domain.demo import generate_clinic
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.store.connection import open_database
from clinic_gui.store.users import create_user
from clinic_gui.ui.chart.chart_view import ChartView

sys.path.insert(0, str(Path(__file__).resolve().parent))  # measure.py, shared by the benchmarks
from measure import machine, row, write_doc

AS_OF = dt.date(2026, 11, 1)


def run(patients: int, repeat: int) -> str:
    app = QApplication.instance() or QApplication([])
    cases = list(generate_clinic(patients, seed=1, as_of=AS_OF))
    case = max(cases, key=lambda c: len(c.diary) + len(c.infusions) + len(c.labs))
    years = (AS_OF - min(i.date for i in case.infusions)).days / 365.25
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "bench.sqlite")
        actor = create_user(
            db, None, username="bench", full_name="Benchmark", roles=["admin", "physician"],
            password="benchmark only",
        )  # fmt: skip
        insert_case(db, case, actor=actor)
        chart = ChartView(today=AS_OF)
        chart.resize(1366 - 390, 768 - 100)
        chart.show()

        def open_chart() -> None:
            chart.show_case(read_case(db, case.patient.mrn))
            chart.repaint()
            app.processEvents()

        first_start = time.perf_counter()
        open_chart()
        first = (time.perf_counter() - first_start) * 1000
        times, cpu_times = [], []
        for _ in range(repeat):
            start, cpu_start = time.perf_counter(), time.process_time()
            open_chart()
            times.append((time.perf_counter() - start) * 1000)
            cpu_times.append((time.process_time() - cpu_start) * 1000)
        stages: dict[str, list[float]] = {name: [] for name, _ in STAGES}
        for _ in range(repeat):
            marks = [time.perf_counter()]
            read = read_case(db, case.patient.mrn)
            marks.append(time.perf_counter())
            assess(read, AS_OF)
            marks.append(time.perf_counter())
            chart.show_case(read)
            marks.append(time.perf_counter())
            chart.repaint()
            marks.append(time.perf_counter())
            app.processEvents()
            marks.append(time.perf_counter())
            for (name, _), begin, end in zip(STAGES, marks, marks[1:], strict=False):
                stages[name].append((end - begin) * 1000)
        chart.close()
        db.close()
    return "\n".join(
        [
            "## Opening a chart",
            "",
            f"Patient {case.patient.mrn}: {years:.1f} years of treatment, {len(case.infusions)} "
            f"infusions, {len(case.diary)} diary entries, {len(case.labs)} lab results (the "
            f"longest history among {patients} demo patients, seed 1, as of {AS_OF}); Qt "
            f"offscreen, chart at 976x668.",
            "",
            "| open | median | min | p10 | p90 | max |",
            "|---|---|---|---|---|---|",
            f"| first (builds the plot widgets) | {first:.1f} | | | | |",
            row(f"next {repeat}", times, 1),
            row(f"next {repeat}, CPU time of this process", cpu_times, 1),
            "",
            "Elapsed time, and below it the CPU time this process used: elapsed time also "
            "counts any wait for a core (the machine's two cores are shared with other work).",
            "",
            f"Stages, timed on their own over {repeat} more opens (the assessment is timed "
            "alone as well as inside filling the chart, so the stages add up to a little more "
            "than one open):",
            "",
            "| stage | median | min | p10 | p90 | max |",
            "|---|---|---|---|---|---|",
            *(row(f"{name} ({what})", stages[name], 1) for name, what in STAGES),
            "",
            f"Milliseconds. Machine: {machine()}; no display (Qt's offscreen platform draws "
            "into memory).",
            "",
        ]
    )


STAGES = (
    ("read", "`read_case` from SQLite"),
    ("assess", "`assess` alone"),
    ("fill", "`ChartView.show_case`: assess, header, history, panel, timeline"),
    ("paint", "`repaint`"),
    ("events", "`processEvents` after the paint"),
)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks-chart.md"))
    args = parser.parse_args(argv)
    text = run(args.patients, args.repeat)
    write_doc(args.out, "Chart benchmark", "chart_open.py", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
