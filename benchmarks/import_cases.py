"""Case import benchmark: many case files through ``clinic-gui import-case`` in one call, and
demo clinic generation.

Measures on this machine:
- ``--cases`` demo patients (``generate_clinic``, seed 1) are written as ``clinic-case/1``
  files (``case_to_json``) into a temporary folder;
- one ``clinic-gui import-case FILE ...`` process imports them all into a new database:
  whole-process wall time (starting Python, signing in once, every file checked and
  written in its own transaction), files per second and records per second;
- the in-process cost of one file, ``load_case_file`` (decoding and every check) and
  ``insert_case`` (one transaction, one audit event), median and spread over the files;
- writing a demo clinic of ``--demo-patients`` patients (``write_demo_clinic``): patients
  and rows per second, and the size of the database file.

Records are the rows a patient's history creates: weights, regimens, infusions, vital
signs, diary entries and lab results. Writes ``docs/benchmarks-import.md`` (or ``--out``).
Not part of the test suite; ``tests/test_benchmarks_smoke.py`` only checks that it runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.access import User
from clinic_gui.domain.case_file import case_to_json, load_case_file
from clinic_gui.domain.demo import generate_clinic
from clinic_gui.store.cases import insert_case
from clinic_gui.store.connection import open_database
from clinic_gui.store.demo_clinic import write_demo_clinic
from clinic_gui.store.users import create_user

sys.path.insert(0, str(Path(__file__).resolve().parent))  # measure.py, shared by the benchmarks
from measure import headline, machine, row, write_doc

AS_OF = dt.date(2026, 11, 1)
SEED = 1
USER = "bench.import"
PASSWORD = "benchmark only"
# The tables a patient's history fills: its records (the patient row is counted apart).
RECORD_TABLES = ("weight", "regimen", "infusion", "vital_sign", "diary", "lab")


@dataclass(frozen=True)
class Stored:
    """What a database holds after a run: the check that the run did what it was timed for."""

    patients: int
    records: int
    megabytes: float


def records_of(case: r.Case) -> int:
    """The rows the case's history creates besides the patient row."""
    lists = (case.weights, case.regimens, case.infusions, case.diary, case.labs)
    return sum(len(items) for items in lists) + sum(len(i.vitals) for i in case.infusions)


def stored(path: Path) -> Stored:
    """The patients and records in the closed database at ``path``, and its size."""
    db = open_database(path, create=False, read_only=True, health_check=False)
    try:
        patients = db.execute("SELECT count(*) FROM patient").fetchone()[0]
        records = sum(db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in RECORD_TABLES)
    finally:
        db.close()
    return Stored(patients, records, path.stat().st_size / 2**20)


def write_case_files(cases: list[r.Case], folder: Path) -> list[Path]:
    """One file per case, named after the patient, as ``export-case`` would write it."""
    files = []
    for case in cases:
        path = folder / f"{case.patient.mrn}.json"
        text = json.dumps(case_to_json(case), indent=1, ensure_ascii=False)
        path.write_text(text + "\n", encoding="utf-8")
        files.append(path)
    return files


def staffed_database(path: Path) -> tuple[Any, User]:
    """A new database with the one user the import acts as (an administrator and nurse)."""
    db = open_database(path)
    actor = create_user(
        db, None, username=USER, full_name="Benchmark", roles=["admin", "nurse"],
        password=PASSWORD,
    )  # fmt: skip
    return db, actor


def import_process(files: list[Path], path: Path) -> float:
    """Wall seconds of one ``clinic-gui import-case`` process importing every file."""
    db, _actor = staffed_database(path)
    db.close()
    command = [sys.executable, "-m", "clinic_gui", "import-case", *map(str, files)]
    command += ["--db", str(path), "--user", USER]
    env = {**os.environ, "CLINIC_GUI_PASSWORD": PASSWORD}
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"import-case failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return seconds


def per_file(files: list[Path], path: Path) -> tuple[list[float], list[float]]:
    """Milliseconds of ``load_case_file`` and of ``insert_case`` for each file, in-process
    (the file's bytes are read before the clock starts)."""
    db, actor = staffed_database(path)
    loads, inserts = [], []
    try:
        for file in files:
            data = file.read_bytes()
            started = time.perf_counter()
            case = load_case_file(data, file.name)
            loaded = time.perf_counter()
            insert_case(db, case, actor=actor)
            loads.append((loaded - started) * 1000)
            inserts.append((time.perf_counter() - loaded) * 1000)
    finally:
        db.close()
    return loads, inserts


def import_section(count: int, folder: Path) -> str:
    cases = list(generate_clinic(count, SEED, AS_OF))
    records = sum(records_of(case) for case in cases)
    files = write_case_files(cases, folder / "cases")
    kilobytes = sorted(f.stat().st_size / 1024 for f in files)
    seconds = import_process(files, folder / "imported.sqlite")
    result = stored(folder / "imported.sqlite")
    loads, inserts = per_file(files, folder / "in-process.sqlite")
    totals = [load + insert for load, insert in zip(loads, inserts, strict=True)]
    complete = (result.patients, result.records) == (count, records)
    headline(
        f"Import of {count:,} case files (one `import-case` process)",
        f"{seconds:.0f} s: {count / seconds:.1f} files/s, {records / seconds:,.0f} records/s"
        + ("" if complete else " (NOT all stored)"),
        "records per second (no target)",
        None,
        "benchmarks-import.md",
    )
    return "\n".join(
        [
            f"## `clinic-gui import-case` of {count} files",
            "",
            f"{count} demo patients (seed {SEED}, as of {AS_OF}) written as case files: "
            f"{records} records, {sum(kilobytes) / 1024:.1f} MB in all (median file "
            f"{statistics.median(kilobytes):.0f} KB, largest {kilobytes[-1]:.0f} KB).",
            "",
            "| run | files | records | seconds | files/s | records/s | database |",
            "|---|---|---|---|---|---|---|",
            f"| one `clinic-gui import-case` process, new database | {count} | {records} | "
            f"{seconds:.1f} | {count / seconds:.1f} | {records / seconds:.0f} | "
            f"{result.megabytes:.1f} MB |",
            "",
            f"Every file imported, every record stored: {'yes' if complete else 'NO'} "
            f"({result.patients} patients, {result.records} records in the database).",
            "",
            "### One file, in-process",
            "",
            f"Each of the {count} files once, into a new database; milliseconds.",
            "",
            "| step | median | min | p10 | p90 | max |",
            "|---|---|---|---|---|---|",
            row("load_case_file (decode, check)", loads),
            row("insert_case (one transaction)", inserts),
            row("both", totals),
            "",
            f"In all {sum(totals) / 1000:.1f} s for the {count} files in-process, against "
            f"{seconds:.1f} s for the whole `import-case` process.",
            "",
        ]
    )


def demo_section(patients: int, folder: Path) -> str:
    path = folder / "demo.sqlite"
    started = time.perf_counter()
    write_demo_clinic(path, patients=patients, seed=SEED, as_of=AS_OF)
    seconds = time.perf_counter() - started
    result = stored(path)
    rows = result.patients + result.records
    headline(
        f"Demo clinic generation ({patients:,} patients)",
        f"{result.patients / seconds:.0f} patients/s, {rows / seconds:,.0f} rows/s",
        "records per second (no target)",
        None,
        "benchmarks-import.md",
    )
    return "\n".join(
        [
            f"## Demo clinic of {patients} patients",
            "",
            f"`write_demo_clinic` (seed {SEED}, as of {AS_OF}) into a new database, once.",
            "",
            "| run | patients | rows | seconds | patients/s | rows/s | database |",
            "|---|---|---|---|---|---|---|",
            f"| demo clinic, {patients} patients | {result.patients} | {rows} | {seconds:.1f} | "
            f"{result.patients / seconds:.1f} | {rows / seconds:.0f} | "
            f"{result.megabytes:.1f} MB |",
            "",
            "Rows: the patients and their records (as above).",
            "",
        ]
    )


METHOD = """## Method

- The case files are what `clinic-gui export-case` prints for each demo patient
  (`case_to_json`, indented), one file per patient, in a temporary folder.
- The import is one `python -m clinic_gui import-case FILE ... --db NEW --user NAME` process
  on a new database that holds only that user; its wall time includes starting Python,
  opening the database, one sign-in (argon2id at the app's own cost) and, for every file,
  reading, checking and writing it in its own transaction with one audit event. Each
  figure is one run: every run needs a new database, as a clinic's first import does.
- The in-process rows time `load_case_file` and `insert_case` for each file with
  `time.perf_counter`, the file's bytes already read.
- The demo clinic is `write_demo_clinic`, the code behind `clinic-gui demo`.
- Database sizes are of the file after it was closed.
"""


def load_average() -> float | None:
    """The system's one-minute load average (None where it does not say): other work on the
    machine slows every figure, so the page gives it at the start and the end of the run."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def load_text(start: float | None, end: float | None) -> str:
    if start is None or end is None:
        return ""
    return f"; load average {start:.1f} at the start of the run, {end:.1f} at its end"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000, help="case files to import")
    parser.add_argument("--demo-patients", type=int, default=2000, help="demo clinic size")
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks-import.md"))
    args = parser.parse_args(argv)
    load_at_start = load_average()
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "cases").mkdir()
        text = "\n".join(
            [
                import_section(args.cases, folder),
                demo_section(args.demo_patients, folder),
                METHOD,
                f"Machine: {machine()}{load_text(load_at_start, load_average())}.",
                "",
            ]
        )
    write_doc(args.out, "Case import benchmark", "import_cases.py", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
