"""Writing the synthetic demo clinic into a database, fast, and never into a real clinic's.

The clinic comes from ``clinic_gui.domain.demo.generate_clinic``, one patient at a time;
patients are written in batches inside a single transaction, so a failure leaves the file
as it was. A database that already holds any patient or user is refused: synthetic
patients must never mix with a real record. The file is marked as the demo clinic and
gets the demo user, who is signed in without a password there and nowhere else.
"""

from __future__ import annotations

import datetime as dt
import itertools
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path

from sqlite_utils import Database

from clinic_gui.domain import records as r
from clinic_gui.domain.demo import generate_clinic
from clinic_gui.store.audit import bulk_created
from clinic_gui.store.cases import insert_rows
from clinic_gui.store.connection import DatabaseRefused, open_database, utc_now, write_transaction
from clinic_gui.store.rows import to_row
from clinic_gui.store.users import DEMO_USERNAME, add_demo_user

DEMO_ACTOR = DEMO_USERNAME
PATIENT_BATCH = 500  # patients generated and written together
ROW_BATCH = 20_000  # rows buffered per table before a bulk insert


def write_demo_clinic(
    path: Path | str, *, patients: int, seed: int, as_of: dt.date | None = None
) -> str:
    """Fill an empty clinic database with the demo clinic; returns a one-line summary."""
    started = time.perf_counter()
    as_of = as_of or dt.date.today()
    db = open_database(path)
    try:
        what = f"the demo clinic: {patients} synthetic patients (seed {seed}, as of {as_of})"
        counts = _write(db, Path(path), generate_clinic(patients, seed, as_of), what)
    finally:
        db.close()
    seconds = time.perf_counter() - started
    rows = sum(counts.values())
    return (
        f"Demo clinic written to {path}: {counts['patients']} patients, "
        f"{counts['infusions']} infusions, {counts['diary']} diary entries, "
        f"{counts['labs']} lab results, {counts['weights']} weights, "
        f"{counts['regimens']} regimens (seed {seed}, as of {as_of}) in {seconds:.1f} s "
        f"({counts['patients'] / seconds:.0f} patients/s, {rows / seconds:.0f} rows/s)."
    )


def _write(db: Database, path: Path, cases: Iterable[r.Case], what: str) -> Counter[str]:
    stamp = {"created_at": utc_now(), "created_by": DEMO_ACTOR}
    counts: Counter[str] = Counter()
    with write_transaction(db):
        existing = db.execute("SELECT count(*) FROM patient").fetchone()[0]
        if existing:
            raise DatabaseRefused(
                f"{path} already holds {existing} patient{'s' if existing != 1 else ''}; the "
                "demo clinic is only written into an empty database, so synthetic patients "
                "never mix with a real clinic's record. Choose a new file with --db."
            )
        if db.execute("SELECT count(*) FROM app_user").fetchone()[0]:
            raise DatabaseRefused(
                f"{path} already has user accounts; the demo clinic is only written into a "
                "new database. Choose a new file with --db."
            )
        add_demo_user(db)
        with bulk_created(db, DEMO_ACTOR, what):  # one audit event names every row
            _write_cases(db, cases, stamp, counts)
    return counts


def _write_cases(
    db: Database, cases: Iterable[r.Case], stamp: dict[str, str], counts: Counter[str]
) -> None:
    next_id = int(db.execute("SELECT coalesce(max(id), 0) FROM patient").fetchone()[0]) + 1
    for batch in _batches(cases, PATIENT_BATCH):
        ids = range(next_id, next_id + len(batch))
        next_id += len(batch)
        db.table("patient").insert_all(
            (
                {"id": pid, **to_row(case.patient), **stamp}
                for pid, case in zip(ids, batch, strict=True)
            ),
            batch_size=PATIENT_BATCH,
        )
        insert_rows(db, zip(ids, batch, strict=True), stamp, batch=ROW_BATCH)
        counts["patients"] += len(batch)
        for case in batch:
            for name in ("weights", "regimens", "infusions", "diary", "labs"):
                counts[name] += len(getattr(case, name))
            counts["vital_signs"] += sum(len(i.vitals) for i in case.infusions)


def _batches(cases: Iterable[r.Case], size: int) -> Iterator[list[r.Case]]:
    iterator = iter(cases)
    while batch := list(itertools.islice(iterator, size)):
        yield batch
