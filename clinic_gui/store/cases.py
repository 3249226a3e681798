"""Whole-patient reads and writes: a case in, a case out, each in one transaction."""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Any

from sqlite_utils import Database

from clinic_gui.domain import records as r
from clinic_gui.store.connection import current_actor, utc_now, write_transaction
from clinic_gui.store.rows import columns, from_row, row_values, to_row

# table name, record type, the field of Case that holds the list, the date column
CASE_TABLES: tuple[tuple[str, type, str, str], ...] = (
    ("weight", r.Weight, "weights", "date"),
    ("regimen", r.Regimen, "regimens", "start_date"),
    ("infusion", r.Infusion, "infusions", "date"),
    ("diary", r.DiaryEntry, "diary", "date"),
    ("lab", r.LabResult, "labs", "sampled_at"),
)


class DuplicatePatient(ValueError):
    pass


class PatientNotFound(LookupError):
    pass


def patient_id(db: Database, mrn: str) -> int | None:
    row = db.execute("SELECT id FROM patient WHERE mrn = ?", [mrn]).fetchone()
    return None if row is None else int(row[0])


def insert_case(
    db: Database, case: r.Case, *, actor: str | None = None, replace: bool = False
) -> int:
    """Write a whole case in one transaction and return the patient's id.

    With ``replace``, an existing patient with the same MRN keeps their row (updated) and
    every current clinical row of theirs is voided with the reason "replaced by case
    import" before the case's rows are added: nothing is deleted.
    """
    stamp = {"created_at": utc_now(), "created_by": actor or current_actor()}
    with write_transaction(db):
        existing = patient_id(db, case.patient.mrn)
        if existing is not None and not replace:
            raise DuplicatePatient(
                f"patient.mrn: a patient with MRN {case.patient.mrn!r} is already in this "
                "database (use --replace to supersede their record)"
            )
        if existing is None:
            inserted = db.table("patient").insert({**to_row(case.patient), **stamp})
            pid = int(typing.cast(int, inserted.last_pk))
        else:
            pid = existing
            void_patient_rows(db, pid, reason="replaced by case import", actor=stamp["created_by"])
            db.table("patient").update(
                pid,
                {
                    **to_row(case.patient),
                    "updated_at": stamp["created_at"],
                    "updated_by": stamp["created_by"],
                },
            )
        insert_rows(db, [(pid, case)], stamp)
    return pid


def insert_rows(
    db: Database, cases: Iterable[tuple[int, r.Case]], stamp: dict[str, str], batch: int = 2000
) -> None:
    """Insert the clinical rows of already-created patients (caller holds the transaction).

    Rows go in through one prepared INSERT per table (``executemany``), in list order, so
    entries of one day read back in the order given. Infusions with vital signs are written
    one by one, since their vital signs need the infusion's id.
    """
    extra = ("patient_id", *stamp)
    buffers: dict[str, list[tuple[Any, ...]]] = {name: [] for name, *_ in CASE_TABLES}
    for pid, case in cases:
        tail = (pid, *stamp.values())
        for table, _cls, attr, _date in CASE_TABLES:
            rows = buffers[table]
            for record in getattr(case, attr):
                if table == "infusion" and record.vitals:
                    _insert_infusion_with_vitals(db, pid, record, stamp)
                else:
                    rows.append((*row_values(record), *tail))
            if len(rows) >= batch:
                _insert_many(db, table, columns(_cls) + extra, rows)
                rows.clear()
    for table, cls, *_ in CASE_TABLES:
        if buffers[table]:
            _insert_many(db, table, columns(cls) + extra, buffers[table])


def _insert_many(
    db: Database, table: str, names: tuple[str, ...], rows: list[tuple[Any, ...]]
) -> None:
    """Bulk INSERT through ``executemany``: several times faster than ``insert_all``, which
    fits only about 30 diary rows in one statement's parameters."""
    quoted = ", ".join(f'"{c}"' for c in names)
    marks = ", ".join("?" * len(names))
    db.conn.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', rows)


def _insert_infusion_with_vitals(
    db: Database, pid: int, infusion: r.Infusion, stamp: dict[str, str]
) -> None:
    infusion_id = (
        db.table("infusion").insert({**to_row(infusion), "patient_id": pid, **stamp}).last_pk
    )
    db.table("vital_sign").insert_all(
        {**to_row(v), "infusion_id": infusion_id, **stamp} for v in infusion.vitals
    )


def void_patient_rows(db: Database, pid: int, *, reason: str, actor: str) -> None:
    now = utc_now()
    for table, *_ in CASE_TABLES:
        db.execute(
            f"UPDATE {table} SET voided_at = ?, voided_by = ?, void_reason = ? "
            "WHERE patient_id = ? AND voided_at IS NULL",
            [now, actor, reason, pid],
        )
    db.execute(
        "UPDATE vital_sign SET voided_at = ?, voided_by = ?, void_reason = ? "
        "WHERE voided_at IS NULL AND infusion_id IN (SELECT id FROM infusion WHERE patient_id = ?)",
        [now, actor, reason, pid],
    )


def read_case(db: Database, mrn: str) -> r.Case:
    """The patient's current (non-voided) record, lists in date order."""
    rows = list(db.query("SELECT * FROM patient WHERE mrn = ?", [mrn]))
    if not rows:
        raise PatientNotFound(f"no patient with MRN {mrn!r} in this database")
    pid = rows[0]["id"]
    lists: dict[str, tuple[Any, ...]] = {}
    for table, cls, attr, date_column in CASE_TABLES:
        records = db.query(
            f"SELECT * FROM {table} WHERE patient_id = ? AND voided_at IS NULL "
            f"ORDER BY {date_column}, id",
            [pid],
        )
        if table == "infusion":
            lists[attr] = tuple(_infusion_from_row(db, row) for row in records)
        else:
            lists[attr] = tuple(from_row(cls, row) for row in records)
    return r.Case(patient=from_row(r.Patient, rows[0]), **lists)


def _infusion_from_row(db: Database, row: dict[str, Any]) -> r.Infusion:
    infusion: r.Infusion = from_row(r.Infusion, row)
    vitals = tuple(
        from_row(r.VitalSigns, v)
        for v in db.query(
            "SELECT * FROM vital_sign WHERE infusion_id = ? AND voided_at IS NULL ORDER BY id",
            [row["id"]],
        )
    )
    if not vitals:
        return infusion
    from dataclasses import replace

    return replace(infusion, vitals=vitals)
