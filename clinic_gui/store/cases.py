"""Whole-patient reads and writes: a case in, a case out, each in one transaction.

The row-level helpers below (stamps, one record in, rows voided, a case read with its row
ids) are shared with ``entries`` and ``chart``; they expect the caller to hold the
transaction.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any, NamedTuple

from sqlite_utils import Database

from clinic_gui.domain import records as r
from clinic_gui.domain.access import Permission, User
from clinic_gui.store.audit import bulk_created
from clinic_gui.store.connection import utc_now, write_transaction
from clinic_gui.store.rows import columns, from_row, row_values, to_row
from clinic_gui.store.users import authorize

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


def patient_row(db: Database, mrn: str) -> dict[str, Any]:
    """The patient's row, or PatientNotFound."""
    rows = list(db.query("SELECT * FROM patient WHERE mrn = ?", [mrn]))
    if not rows:
        raise PatientNotFound(f"no patient with MRN {mrn!r} in this database")
    return rows[0]


def creation_stamp(actor: User | str) -> dict[str, str]:
    """``created_at``/``created_by`` for rows written now by ``actor``."""
    return {
        "created_at": utc_now(),
        "created_by": actor.username if isinstance(actor, User) else actor,
    }


def insert_case(db: Database, case: r.Case, *, actor: User, replace: bool = False) -> int:
    """Write a whole case in one transaction and return the patient's id.

    With ``replace``, an existing patient with the same MRN keeps their row (updated) and
    every current clinical row of theirs is voided with the reason "replaced by case
    import" before the case's rows are added: nothing is deleted.
    """
    stamp = creation_stamp(actor)
    with write_transaction(db):
        # A case file transfers a documented record (regimens say who ordered them), so a
        # nurse may import one; changing a regimen in the app needs a physician.
        authorize(db, actor, Permission.IMPORT_CASE)
        existing = patient_id(db, case.patient.mrn)
        if existing is not None and not replace:
            raise DuplicatePatient(
                f"patient.mrn: a patient with MRN {case.patient.mrn!r} is already in this "
                "database (use --replace to supersede their record)"
            )
        what = f"case file for {case.patient.mrn}" + (" (replacing the record)" if replace else "")
        if existing is not None:
            void_patient_rows(db, existing, reason="replaced by case import", actor=actor.username)
            update_row(db, "patient", existing, to_row(case.patient), actor.username)
        # One audit event names every row the file created (schema v4), not one row each.
        with bulk_created(db, actor, what) as event:
            pid = existing or insert_record(db, "patient", case.patient, {}, stamp)
            insert_rows(db, [(pid, case)], stamp)
            event.patient_id = pid
    return pid


def update_row(
    db: Database,
    table: str,
    row_id: int,
    values: dict[str, Any],
    actor: str,
    *,
    expected_version: int | None = None,
) -> None:
    """Change one row, stamping who and when and raising its ``row_version`` by one.

    With ``expected_version``, the change is made only if the row is still at that version
    (nobody saved it meanwhile); otherwise ``ChangedMeanwhile`` says who changed it and when.
    """
    current = db.execute(
        f"SELECT row_version, coalesce(updated_by, created_by), coalesce(updated_at, created_at) "
        f"FROM {table} WHERE id = ?",
        [row_id],
    ).fetchone()
    if current is None:
        raise LookupError(f"no {table} row {row_id}")
    if expected_version is not None and current[0] != expected_version:
        raise ChangedMeanwhile(table, current[1], current[2])
    assignments = ", ".join(f'"{name}" = ?' for name in values)
    db.execute(
        f"UPDATE {table} SET {assignments}, updated_at = ?, updated_by = ?, "
        "row_version = row_version + 1 WHERE id = ?",
        [*values.values(), utc_now(), actor, row_id],
    )


class ChangedMeanwhile(Exception):
    """Someone else saved the row after it was read for editing; nothing was overwritten."""

    def __init__(self, table: str, by: str, at: str):
        self.by, self.at = by, at
        super().__init__(
            f"{table}: changed by {by} at {at} while you were editing; your changes were not "
            "saved, so nothing of theirs was overwritten. Reopen the record to see the current "
            "details and make your change again."
        )


def insert_rows(
    db: Database, cases: Iterable[tuple[int, r.Case]], stamp: dict[str, str], batch: int = 2000
) -> None:
    """Insert the clinical rows of already-created patients (caller holds the transaction).

    Rows go in through one prepared INSERT per table (``executemany``), in list order, so
    entries of one day read back in the order given. An infusion with vital signs is written
    on its own (its vital signs need its id), after the infusions buffered before it, so the
    order still holds.
    """
    extra = ("patient_id", *stamp)
    buffers: dict[str, list[tuple[Any, ...]]] = {name: [] for name, *_ in CASE_TABLES}
    for pid, case in cases:
        tail = (pid, *stamp.values())
        for table, _cls, attr, _date in CASE_TABLES:
            rows = buffers[table]
            for record in getattr(case, attr):
                if table == "infusion" and record.vitals:
                    if rows:
                        _insert_many(db, table, columns(_cls) + extra, rows)
                        rows.clear()
                    insert_infusion(db, pid, record, stamp)
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


def insert_record(
    db: Database, table: str, record: Any, links: dict[str, int], stamp: dict[str, str]
) -> int:
    """Insert one record's row (``links``: its parent ids, e.g. ``patient_id``); its new id."""
    inserted = db.table(table).insert({**to_row(record), **links, **stamp})
    return int(typing.cast(int, inserted.last_pk))


def insert_infusion(db: Database, pid: int, infusion: r.Infusion, stamp: dict[str, str]) -> int:
    """Insert an infusion and its vital-sign rows; the infusion's new id."""
    infusion_id = insert_record(db, "infusion", infusion, {"patient_id": pid}, stamp)
    if infusion.vitals:
        db.table("vital_sign").insert_all(
            {**to_row(v), "infusion_id": infusion_id, **stamp} for v in infusion.vitals
        )
    return infusion_id


def void_rows(
    db: Database,
    table: str,
    where: str,
    params: Sequence[Any],
    *,
    reason: str,
    actor: str,
    now: str,
) -> None:
    """Void the current rows of ``table`` matching ``where``: kept, with who, when and why."""
    db.execute(
        f"UPDATE {table} SET voided_at = ?, voided_by = ?, void_reason = ?, "
        "row_version = row_version + 1 "
        f"WHERE voided_at IS NULL AND ({where})",
        [now, actor, reason, *params],
    )


def void_patient_rows(db: Database, pid: int, *, reason: str, actor: str) -> None:
    now = utc_now()
    for table, *_ in CASE_TABLES:
        void_rows(db, table, "patient_id = ?", [pid], reason=reason, actor=actor, now=now)
    void_rows(
        db,
        "vital_sign",
        "infusion_id IN (SELECT id FROM infusion WHERE patient_id = ?)",
        [pid],
        reason=reason,
        actor=actor,
        now=now,
    )


class StoredCase(NamedTuple):
    """A patient's current record and the row id of every entry in it (``chart`` shows it)."""

    patient_id: int
    case: r.Case
    # Case list field -> row ids, in the order of the case's list.
    ids: dict[str, tuple[int, ...]]
    # Per infusion, the row ids of its vital signs in the order of ``Infusion.vitals``.
    vital_ids: tuple[tuple[int, ...], ...]


def read_case(db: Database, mrn: str) -> r.Case:
    """The patient's current (non-voided) record, lists in date order."""
    return read_stored_case(db, mrn).case


def read_stored_case(db: Database, mrn: str) -> StoredCase:
    """``read_case`` together with the patient's id and every entry's row id.

    One query per table and one for all the vital signs (not one per infusion), each
    selecting only the columns the records are built from.
    """
    patient = patient_row(db, mrn)
    pid = patient["id"]
    rows = {
        table: select_rows(
            db,
            ("id", *columns(cls)),
            f"{table} WHERE patient_id = ? AND voided_at IS NULL ORDER BY {date_column}, id",
            [pid],
        )
        for table, cls, _attr, date_column in CASE_TABLES
    }
    case, vital_ids = case_from_rows(patient, rows, _vitals_by_infusion(db, pid))
    ids = {attr: tuple(row["id"] for row in rows[table]) for table, _cls, attr, _ in CASE_TABLES}
    return StoredCase(pid, case, ids, vital_ids)


def case_from_rows(
    patient: dict[str, Any],
    rows: Mapping[str, Sequence[dict[str, Any]]],
    vitals: Mapping[int, Sequence[dict[str, Any]]],
) -> tuple[r.Case, tuple[tuple[int, ...], ...]]:
    """A case built from its rows (the same reading as ``read_stored_case``).

    ``patient``: its ``patient`` row; ``rows``: per table of ``CASE_TABLES``, the rows (with
    ``id`` and the record's columns) in list order; ``vitals``: vital-sign rows by infusion
    id. Also returns, per infusion, the row ids of its vital signs.
    """
    lists: dict[str, tuple[Any, ...]] = {}
    vital_ids: tuple[tuple[int, ...], ...] = ()
    for table, cls, attr, _date_column in CASE_TABLES:
        if table == "infusion":
            read = [_infusion_from_row(row, vitals.get(row["id"], ())) for row in rows[table]]
            lists[attr] = tuple(infusion for infusion, _ in read)
            vital_ids = tuple(row_ids for _, row_ids in read)
        else:
            lists[attr] = tuple(from_row(cls, row) for row in rows[table])
    return r.Case(patient=from_row(r.Patient, patient), **lists), vital_ids


def select_rows(
    db: Database, names: tuple[str, ...], rest: str, params: Sequence[Any]
) -> list[dict[str, Any]]:
    """``SELECT names FROM rest`` as column -> value dicts."""
    quoted = ", ".join(f'"{name}"' for name in names)
    cursor = db.conn.execute(f"SELECT {quoted} FROM {rest}", params)
    return [dict(zip(names, values, strict=True)) for values in cursor]


def _vitals_by_infusion(db: Database, pid: int) -> dict[int, list[dict[str, Any]]]:
    """The patient's current vital-sign rows, by infusion id, each infusion's in id order."""
    rows = select_rows(
        db,
        ("id", "infusion_id", *columns(r.VitalSigns)),
        "vital_sign WHERE voided_at IS NULL AND infusion_id IN "
        "(SELECT id FROM infusion WHERE patient_id = ?) ORDER BY infusion_id, id",
        [pid],
    )
    grouped: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["infusion_id"], []).append(row)
    return grouped


def _infusion_from_row(
    row: dict[str, Any], vital_rows: Sequence[dict[str, Any]]
) -> tuple[r.Infusion, tuple[int, ...]]:
    infusion: r.Infusion = from_row(r.Infusion, row)
    if not vital_rows:
        return infusion, ()
    vitals = tuple(from_row(r.VitalSigns, v) for v in vital_rows)
    return replace(infusion, vitals=vitals), tuple(v["id"] for v in vital_rows)
