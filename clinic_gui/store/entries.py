"""One function per data-entry action: checked first, then written in one transaction.

Every action checks its record with the domain's own checks (``domain.validation``) in the
context of the patient it belongs to, together with what only the database knows (an MRN
already taken, a row already voided). Any problem raises ``EntryRefused`` with every
problem as ``"field: message"`` before anything is written; otherwise the whole action is
one ``write_transaction``. Rows are stamped with who (``actor``, by default the operating-
system user) and when.

Clinical entries are never changed or deleted: a correction is a new entry, and a wrong
entry is voided with a reason, which keeps the row with who voided it, when and why. A
regimen change is always a new regimen row that says why. An unknown MRN raises
``PatientNotFound``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import check_entries
from clinic_gui.domain.validation import (
    check_diary_entry,
    check_infusion,
    check_lab_result,
    check_patient,
    check_regimen,
    check_void_reason,
    check_weight,
)
from clinic_gui.store.cases import (
    PatientNotFound,
    creation_stamp,
    insert_infusion,
    insert_record,
    patient_id,
    patient_row,
    read_stored_case,
    void_rows,
)
from clinic_gui.store.connection import current_actor, utc_now, write_transaction
from clinic_gui.store.rows import from_row, to_row

__all__ = [
    "VOIDABLE_TABLES",
    "EntryRefused",
    "PatientNotFound",
    "add_diary_entry",
    "add_lab_result",
    "add_patient",
    "add_regimen",
    "add_weight",
    "record_infusion",
    "update_patient",
    "void_entry",
]

VOIDABLE_TABLES = ("weight", "regimen", "infusion", "diary", "lab", "vital_sign")


class EntryRefused(ValueError):
    """An entry that cannot be saved; ``problems`` lists each as 'field: what is wrong'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"not saved ({count}):\n  " + "\n  ".join(problems))


def _refuse_if(problems: list[str]) -> None:
    if problems:
        raise EntryRefused(problems)


def _today(today: dt.date | None) -> dt.date:
    return today or dt.date.today()


def _taken(mrn: str) -> str:
    return f"mrn: a patient with MRN {mrn!r} is already in this database"


# ---------------------------------------------------------------------------------------------
# Patients


def add_patient(
    db: Database, patient: r.Patient, *, actor: str | None = None, today: dt.date | None = None
) -> int:
    """Register a new patient; returns their id."""
    problems = check_patient(patient, today=_today(today))
    stamp = creation_stamp(actor)
    with write_transaction(db):
        if patient_id(db, patient.mrn) is not None:
            problems.append(_taken(patient.mrn))
        _refuse_if(problems)
        return insert_record(db, "patient", patient, {}, stamp)


def update_patient(
    db: Database,
    mrn: str,
    patient: r.Patient,
    *,
    actor: str | None = None,
    today: dt.date | None = None,
) -> None:
    """Correct the details of the patient now filed under ``mrn`` (the MRN itself included).

    The patient's current entries are checked again against the new details (an earlier
    birth date must still precede every entry), and a new MRN must not be taken.
    """
    day = _today(today)
    problems = check_patient(patient, today=day)
    with write_transaction(db):
        stored = read_stored_case(db, mrn)
        if patient.mrn != mrn and patient_id(db, patient.mrn) is not None:
            problems.append(_taken(patient.mrn))
        if not problems:
            problems = check_entries(replace(stored.case, patient=patient), today=day)
        _refuse_if(problems)
        db.table("patient").update(
            stored.patient_id,
            {**to_row(patient), "updated_at": utc_now(), "updated_by": actor or current_actor()},
        )


# ---------------------------------------------------------------------------------------------
# Clinical entries


def add_weight(
    db: Database,
    mrn: str,
    weight: r.Weight,
    *,
    actor: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Record a weight; returns its row id."""
    return _add(db, mrn, "weight", weight, check_weight, actor, today)


def add_regimen(
    db: Database,
    mrn: str,
    regimen: r.Regimen,
    *,
    actor: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Record a regimen start or change (a new row, never an update); it must say why."""
    return _add(db, mrn, "regimen", regimen, check_regimen, actor, today, require_reason=True)


def record_infusion(
    db: Database,
    mrn: str,
    infusion: r.Infusion,
    *,
    actor: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Record an infusion with its vital signs; returns the infusion's row id."""
    return _add(db, mrn, "infusion", infusion, check_infusion, actor, today)


def add_diary_entry(
    db: Database,
    mrn: str,
    entry: r.DiaryEntry,
    *,
    actor: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Record a symptom-diary entry; returns its row id."""
    return _add(db, mrn, "diary", entry, check_diary_entry, actor, today)


def add_lab_result(
    db: Database,
    mrn: str,
    lab: r.LabResult,
    *,
    actor: str | None = None,
    today: dt.date | None = None,
) -> int:
    """Record a lab result; returns its row id."""
    return _add(db, mrn, "lab", lab, check_lab_result, actor, today)


def _add(
    db: Database,
    mrn: str,
    table: str,
    record: Any,
    check: Callable[..., list[str]],
    actor: str | None,
    today: dt.date | None,
    **options: Any,
) -> int:
    stamp = creation_stamp(actor)
    with write_transaction(db):
        row = patient_row(db, mrn)
        patient: r.Patient = from_row(r.Patient, row)
        _refuse_if(check(record, patient, today=_today(today), **options))
        if table == "infusion":
            return insert_infusion(db, row["id"], record, stamp)
        return insert_record(db, table, record, {"patient_id": row["id"]}, stamp)


# ---------------------------------------------------------------------------------------------
# Voiding


def void_entry(
    db: Database, table: str, row_id: int, *, reason: str, actor: str | None = None
) -> None:
    """Void one entry (its row is kept with who, when and why); an infusion's vital signs
    are voided with it. ``table`` is one of ``VOIDABLE_TABLES``; row ids come from
    ``chart.load_chart``."""
    if table not in VOIDABLE_TABLES:
        raise EntryRefused([f"table: {table!r} is not one of: {', '.join(VOIDABLE_TABLES)}"])
    problems = check_void_reason(reason)
    who = actor or current_actor()
    with write_transaction(db):
        row = db.execute(
            f"SELECT voided_at, voided_by, void_reason FROM {table} WHERE id = ?", [row_id]
        ).fetchone()
        if row is None:
            problems.append(f"row_id: there is no {table} entry with id {row_id}")
        elif row[0] is not None:
            problems.append(
                f"row_id: {table} entry {row_id} was already voided at {row[0]} "
                f"by {row[1]} ({row[2]})"
            )
        _refuse_if(problems)
        now = utc_now()
        void_rows(db, table, "id = ?", [row_id], reason=reason, actor=who, now=now)
        if table == "infusion":
            void_rows(
                db, "vital_sign", "infusion_id = ?", [row_id], reason=reason, actor=who, now=now
            )
