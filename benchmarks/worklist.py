"""The whole-clinic overview behind the worklist and the patient-list flags: old read vs new.

On a demo clinic (``--db``, opened read-only; by default one of ``--patients`` patients is
built in a temporary folder), times ``--repeat`` runs (median) of:

- **old**: ``build_overview(iter_cases(db), ...)``: every patient's whole record, read per
  patient;
- **new**: ``build_overview(iter_recent_cases(db, as_of), ...)``: a few queries for all
  patients, only the history the overview depends on (``clinic_gui.store.clinic``);
- **new, 2 processes**: ``assess_clinic(path, as_of, workers=2)`` (includes starting them).

Each path's read and assessment are timed apart, and the rows each one reads are counted.
The figures for 50,000 patients are an extrapolation (linear in patients, from this clinic),
not a measurement. Writes ``docs/benchmarks-worklist.md`` (or ``--out``). Not part of the
test suite; ``tests/test_benchmarks_smoke.py`` only checks that it runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.worklist import ClinicOverview, build_overview
from clinic_gui.store.cases import CASE_TABLES
from clinic_gui.store.clinic import (
    assess_clinic,
    infusion_dates_needed,
    iter_cases,
    iter_recent_cases,
    lab_lookback_days,
    reviewed_results,
)
from clinic_gui.store.connection import open_database
from clinic_gui.store.demo_clinic import write_demo_clinic

sys.path.insert(0, str(Path(__file__).resolve().parent))  # measure.py, shared by the benchmarks
from measure import machine

TARGET_PATIENTS = 50_000
TARGET_SECONDS = 3.0
DEMO_AS_OF = dt.date(2026, 11, 1)
TABLES = ("patient", "regimen", "weight", "infusion", "diary", "lab", "vital_sign")


def _timed(run: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def _measure(db: Any, as_of: dt.date, windowed: bool) -> dict[str, Any]:
    counts: Counter[str] = Counter()
    reviewed = reviewed_results(db)

    def read() -> list[r.Case]:
        if windowed:
            return list(iter_recent_cases(db, as_of, counts=counts))
        return list(iter_cases(db))

    read_s, cases = _timed(read)
    assess_s, overview = _timed(lambda: build_overview(cases, as_of, reviewed))
    if not windowed:
        for case in cases:
            counts["patient"] += 1
            for table, _cls, attr, _date in CASE_TABLES:
                counts[table] += len(getattr(case, attr))
            counts["vital_sign"] += sum(len(i.vitals) for i in case.infusions)
    return {"read": read_s, "assess": assess_s, "overview": overview, "counts": counts}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="a demo clinic database (read only)")
    parser.add_argument("--patients", type=int, default=300, help="without --db: demo size")
    parser.add_argument("--as-of", type=dt.date.fromisoformat, help="default: the demo's date")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks-worklist.md"))
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        if args.db is None:
            path = Path(scratch) / "demo.sqlite"
            write_demo_clinic(path, patients=args.patients, seed=1, as_of=DEMO_AS_OF)
            source = f"a demo clinic of {args.patients} patients built for the run (seed 1)"
            as_of = args.as_of or DEMO_AS_OF
        else:
            path = args.db
            source = f"the demo clinic given by `--db` ({path.name})"
            as_of = args.as_of or dt.date.today()
        text = _run(path, as_of, args.repeat, args.workers, source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


def _run(path: Path, as_of: dt.date, repeat: int, workers: int, source: str) -> str:
    db = open_database(path, create=False, read_only=True, health_check=False)
    try:
        patients = db.execute("SELECT count(*) FROM patient WHERE voided_at IS NULL").fetchone()[0]
        stored = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
        runs: dict[str, list[dict[str, Any]]] = {"old": [], "new": []}
        for _ in range(repeat):
            for name in runs:
                runs[name].append(_measure(db, as_of, windowed=name == "new"))
    finally:
        db.close()
    parallel: list[float] = []
    parallel_overview: ClinicOverview | None = None
    for _ in range(repeat):
        seconds, parallel_overview = _timed(lambda: assess_clinic(path, as_of, workers=workers))
        parallel.append(seconds)
    same = (
        all(run["overview"] == runs["old"][0]["overview"] for run in runs["old"] + runs["new"])
        and parallel_overview == runs["old"][0]["overview"]
    )

    def median(name: str, part: str) -> float:
        return statistics.median(run[part] for run in runs[name])

    rows = []
    totals: dict[str, float] = {}
    for name, label in (
        ("old", "old: `iter_cases` (whole records)"),
        ("new", "new: `iter_recent_cases`"),
    ):
        read, assess = median(name, "read"), median(name, "assess")
        total = statistics.median(run["read"] + run["assess"] for run in runs[name])
        totals[name] = total
        rows.append(
            f"| {label} | {read:.2f} | {assess:.2f} | {total:.2f} | "
            f"{total / patients * 1000:.2f} | {total / patients * TARGET_PATIENTS:.0f} |"
        )
    par = statistics.median(parallel)
    totals["parallel"] = par
    rows.append(
        f"| new, {workers} processes: `assess_clinic(workers={workers})` | | | {par:.2f} | "
        f"{par / patients * 1000:.2f} | {par / patients * TARGET_PATIENTS:.0f} |"
    )
    best = min(totals.values())
    projected = best / patients * TARGET_PATIENTS
    met = projected <= TARGET_SECONDS
    old_counts, new_counts = runs["old"][0]["counts"], runs["new"][0]["counts"]
    count_rows = [f"| {t} | {stored[t]} | {old_counts[t]} | {new_counts[t]} |" for t in TABLES]
    count_rows.append(f"| (patients read whole, as a fallback) | | | {new_counts['full_reads']} |")
    overview = runs["old"][0]["overview"]
    return "\n".join(
        [
            "# Worklist benchmark",
            "",
            "Written by `benchmarks/worklist.py`; figures from one machine.",
            "",
            f"Machine: {machine()} (shared with other work while measuring).",
            "",
            f"Clinic: {source}; {patients} current patients. Assessed as of "
            f"{as_of.isoformat()}: {len(overview.items)} worklist entries. Median of "
            f"{repeat} runs. Every path gave the same overview: {'yes' if same else 'NO'}.",
            "",
            "## Whole-clinic overview",
            "",
            "| path | read (s) | assess (s) | total (s) | per patient (ms) | "
            f"{TARGET_PATIENTS:,} patients (s, extrapolated) |",
            "|---|---|---|---|---|---|",
            *rows,
            "",
            f"Target: the whole overview for {TARGET_PATIENTS:,} patients in {TARGET_SECONDS:g} s. "
            f"Extrapolated from this clinic (linear in patients; an extrapolation, not a "
            f"measurement): {projected:.0f} s with the fastest path: "
            + ("**met**." if met else f"**not met** ({projected / TARGET_SECONDS:.0f}x over)."),
            "",
            f"Speed-up of the new read over the old, single process: "
            f"{totals['old'] / totals['new']:.1f}x; with {workers} processes: "
            f"{totals['old'] / par:.1f}x.",
            "",
            "## Rows read",
            "",
            "| table | stored | old path | new path |",
            "|---|---|---|---|",
            *count_rows,
            "",
            "The new path reads every regimen and weight; infusions and diary entries from the "
            f"{infusion_dates_needed()}th latest infusion date on or before the assessment date "
            f"(the cycles the wearing-off rule considers, the nurse reports, the next due date); "
            f"lab results from the last {lab_lookback_days()} days; no vital signs. A patient "
            "whose window holds too few evaluable cycles to settle the wearing-off flag is "
            "read whole (see `clinic_gui/store/clinic.py`).",
            "",
        ]
    )


if __name__ == "__main__":
    raise SystemExit(main())
