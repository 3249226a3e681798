"""How long opening a patient's chart takes, for the longest history in the demo clinic.

One "open" is what the window does when a nurse selects a patient: read the record from
SQLite, assess it, fill the header, history, recommendation panel, timeline, diary and labs,
and paint (Qt offscreen). Median and spread of ``--repeat`` opens after one warm-up (the first
open also builds the plot widgets). Writes ``docs/benchmarks-chart.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from clinic_gui.domain.demo import generate_clinic
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.store.connection import open_database
from clinic_gui.store.users import create_user
from clinic_gui.ui.chart.chart_view import ChartView

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
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            open_chart()
            times.append((time.perf_counter() - start) * 1000)
        chart.close()
        db.close()
    deciles = statistics.quantiles(times, n=10) if len(times) >= 10 else [min(times)] * 9
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
            f"| next {repeat} | {statistics.median(times):.1f} | {min(times):.1f} | "
            f"{deciles[0]:.1f} | {deciles[-1]:.1f} | {max(times):.1f} |",
            "",
            "Milliseconds. Machine: "
            f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}.",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks-chart.md"))
    args = parser.parse_args(argv)
    text = run(args.patients, args.repeat)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    header = (
        "# Chart benchmark\n\nWritten by `benchmarks/chart_open.py`; figures from one machine.\n\n"
    )
    args.out.write_text(header + text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
