"""Engine benchmarks: demo-clinic generation, and one patient's assessment.

Measures on this machine:
- writing a demo clinic of ``--clinic`` patients into a new database (patients and rows per
  second, whole call, once);
- for the longest history in a ``--patients`` demo clinic, the median and spread of
  ``--repeat`` runs of ``read_case`` (loading the record from SQLite), ``assess``
  (wearing-off, decision table, dose options, scores) and ``assessment_json``.

Writes ``docs/benchmarks-engine.md`` (or ``--out``). Not part of the test suite;
``tests/test_benchmarks_smoke.py`` only checks that it runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import statistics
import sys
import tempfile
from pathlib import Path

from clinic_gui.domain.assessment import assess, assessment_json
from clinic_gui.domain.demo import generate_clinic
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.store.connection import open_database
from clinic_gui.store.users import create_user

sys.path.insert(0, str(Path(__file__).resolve().parent))  # measure.py, shared by the benchmarks
from measure import headline, machine, row, timed, write_doc

AS_OF = dt.date(2026, 11, 1)


def demo_generation(patients: int) -> str:
    from clinic_gui.store.demo_clinic import write_demo_clinic

    with tempfile.TemporaryDirectory() as folder:
        summary = write_demo_clinic(
            Path(folder) / "demo.sqlite", patients=patients, seed=1, as_of=AS_OF
        )
    return "\n".join(
        ["## Demo clinic generation", "", summary.replace(f" to {folder}/demo.sqlite", ""), ""]
    )


def run(patients: int, repeat: int) -> str:
    cases = list(generate_clinic(patients, seed=1, as_of=AS_OF))
    case = max(cases, key=lambda c: len(c.diary) + len(c.infusions) + len(c.labs))
    first = min(i.date for i in case.infusions)
    years = (AS_OF - first).days / 365.25
    with tempfile.TemporaryDirectory() as folder:
        db = open_database(Path(folder) / "bench.sqlite")
        actor = create_user(
            db, None, username="bench", full_name="Benchmark", roles=["admin", "physician"],
            password="benchmark only",
        )  # fmt: skip
        insert_case(db, case, actor=actor)
        read = timed(lambda: read_case(db, case.patient.mrn), repeat)
        db.close()
    domain = timed(lambda: assess(case, AS_OF, proposals=["7 mg/kg q6w"]), repeat)
    result = assess(case, AS_OF)
    to_json = timed(lambda: assessment_json(result), repeat)
    headline(
        f"Assessment of one patient ({years:.1f}-year history), per call",
        f"{statistics.median(domain):.1f} ms median (`assess`, one dose proposal)",
        "(no target)",
        None,
        "benchmarks-engine.md",
    )
    lines = [
        "## One patient's assessment",
        "",
        f"Patient {case.patient.mrn}: {years:.1f} years of treatment, {len(case.infusions)} "
        f"infusions, {len(case.diary)} diary entries, {len(case.labs)} lab results "
        f"(the longest history among {patients} demo patients, seed 1, as of {AS_OF}).",
        f"{repeat} runs each after one warm-up; milliseconds.",
        "",
        "| step | median | min | p10 | p90 | max |",
        "|---|---|---|---|---|---|",
        row("read_case (SQLite)", read),
        row("assess (domain)", domain),
        row("assessment_json", to_json),
        "",
        f"Machine: {machine()}.",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clinic", type=int, default=2000, help="demo clinic size to write")
    parser.add_argument("--patients", type=int, default=300, help="clinic to pick the history from")
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--out", type=Path, default=Path("docs/benchmarks-engine.md"))
    args = parser.parse_args(argv)
    text = demo_generation(args.clinic) + "\n" + run(args.patients, args.repeat)
    write_doc(args.out, "Engine benchmarks", "engine.py", text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
