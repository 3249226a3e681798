"""One function per data-entry action: checked first, then written in one transaction.

Every action checks its record with the domain's own checks (``domain.validation``) in the
context of the patient it belongs to, together with what only the database knows (an MRN
already taken, a row already voided). Any problem raises ``EntryRefused`` with every
problem as ``"field: message"`` before anything is written; otherwise the whole action is
one ``write_transaction``. Every action takes the signed-in ``actor`` and first checks, in
that transaction, that the actor's stored roles allow it (``users.authorize``); rows are
stamped with who and when, and the audit triggers record the change in the same
transaction.

Clinical entries are never changed or deleted: a correction is a new entry, and a wrong
entry is voided with a reason, which keeps the row with who voided it, when and why. A
regimen change is always a new regimen row that says why. An unknown MRN raises
``PatientNotFound``.

A weight, infusion or lab result that passes every check can still be suspicious
(``domain.plausibility``: a weight 15% off the previous one, 12 mg/kg, a 1-hour infusion, a
trough of 150 mcg/mL). Its action then raises ``NeedsConfirmation`` with the warnings and
writes nothing; called again with those exact warnings as ``confirmed``, it saves the entry
and keeps the confirmation with it: one audit event per warning on the new row (action
"confirm", detail "Confirmed at entry: <warning>"), in the same transaction, and for an
infusion or lab result also a line "Confirmed at entry: <warning>" at the end of its notes,
so the chart shows it (a weight has no notes). A warning that was not passed back, such as
a new one because someone else recorded a weight meanwhile, is not confirmed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from sqlite_utils import Database

from clinic_gui.domain import records as r
from clinic_gui.domain.access import Permission, User
from clinic_gui.domain.case_file import check_entries
from clinic_gui.domain.plausibility import plausibility_warnings
from clinic_gui.domain.validation import (
    check_diary_entry,
    check_infusion,
    check_lab_result,
    check_patient,
    check_regimen,
    check_void_reason,
    check_weight,
)
from clinic_gui.store.audit import log_event
from clinic_gui.store.cases import (
    ChangedMeanwhile,
    PatientNotFound,
    creation_stamp,
    insert_infusion,
    insert_record,
    patient_id,
    patient_row,
    read_stored_case,
    update_row,
    void_rows,
)
from clinic_gui.store.connection import WriteFailed, utc_now, write_transaction
from clinic_gui.store.rows import from_row, to_row
from clinic_gui.store.users import PermissionRefused, authorize

__all__ = [
    "SAVE_REFUSED",
    "VOIDABLE_TABLES",
    "ChangedMeanwhile",
    "EntryRefused",
    "NeedsConfirmation",
    "PatientNotFound",
    "PermissionRefused",
    "add_diary_entry",
    "add_lab_result",
    "add_patient",
    "add_regimen",
    "add_weight",
    "record_export",
    "record_infusion",
    "review_results",
    "sign_off",
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


class NeedsConfirmation(EntryRefused):
    """An entry with plausibility warnings to confirm before it is saved; nothing was written.

    ``warnings`` are the exact texts to pass back as ``confirmed``. A caller that does not
    ask for confirmation treats it as any other refusal (it is an ``EntryRefused``, so it is
    one of ``SAVE_REFUSED``), with each warning shown on its field.
    """

    def __init__(self, warnings: list[str]):
        self.warnings = tuple(warnings)
        super().__init__(list(warnings))
        count = f"{len(warnings)} warning{'s' if len(warnings) != 1 else ''}"
        self.args = (f"not saved until confirmed ({count}):\n  " + "\n  ".join(warnings),)


CONFIRMED_AT_ENTRY = "Confirmed at entry: "

# Every way a save can be refused with a message for the user (nothing was written).
SAVE_REFUSED: tuple[type[Exception], ...] = (
    ValueError,  # EntryRefused (NeedsConfirmation too), DuplicatePatient, UserRefused
    PermissionRefused,
    ChangedMeanwhile,
    WriteFailed,
)


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
    db: Database, patient: r.Patient, *, actor: User, today: dt.date | None = None
) -> int:
    """Register a new patient; returns their id."""
    problems = check_patient(patient, today=_today(today))
    stamp = creation_stamp(actor)
    with write_transaction(db):
        authorize(db, actor, Permission.REGISTER_PATIENT)
        if patient_id(db, patient.mrn) is not None:
            problems.append(_taken(patient.mrn))
        _refuse_if(problems)
        return insert_record(db, "patient", patient, {}, stamp)


def update_patient(
    db: Database,
    mrn: str,
    patient: r.Patient,
    *,
    actor: User,
    today: dt.date | None = None,
    expected_version: int | None = None,
) -> None:
    """Correct the details of the patient now filed under ``mrn`` (the MRN itself included).

    The patient's current entries are checked again against the new details (an earlier
    birth date must still precede every entry), and a new MRN must not be taken. With
    ``expected_version`` (the ``row_version`` the editor read, ``patient_version``), a
    change saved by someone else meanwhile raises ``ChangedMeanwhile`` instead of being
    overwritten.
    """
    day = _today(today)
    problems = check_patient(patient, today=day)
    with write_transaction(db):
        authorize(db, actor, Permission.EDIT_PATIENT)
        stored = read_stored_case(db, mrn)
        if patient.mrn != mrn and patient_id(db, patient.mrn) is not None:
            problems.append(_taken(patient.mrn))
        if not problems:
            problems = check_entries(replace(stored.case, patient=patient), today=day)
        _refuse_if(problems)
        update_row(
            db,
            "patient",
            stored.patient_id,
            to_row(patient),
            actor.username,
            expected_version=expected_version,
        )


def patient_version(db: Database, mrn: str) -> int:
    """The patient row's ``row_version`` now: what an editor passes back as expected."""
    return int(patient_row(db, mrn)["row_version"])


# ---------------------------------------------------------------------------------------------
# Clinical entries


def add_weight(
    db: Database,
    mrn: str,
    weight: r.Weight,
    *,
    actor: User,
    today: dt.date | None = None,
    confirmed: tuple[str, ...] = (),
) -> int:
    """Record a weight; returns its row id. ``NeedsConfirmation`` until its plausibility
    warnings are passed back as ``confirmed``."""
    return _add(
        db, mrn, "weight", weight, check_weight, actor, today, Permission.RECORD_ENTRY,
        confirmed=confirmed,
    )  # fmt: skip


def add_regimen(
    db: Database,
    mrn: str,
    regimen: r.Regimen,
    *,
    actor: User,
    today: dt.date | None = None,
) -> int:
    """Record a regimen start or change (a new row, never an update); it must say why."""
    return _add(
        db,
        mrn,
        "regimen",
        regimen,
        check_regimen,
        actor,
        today,
        Permission.CHANGE_REGIMEN,
        require_reason=True,
    )


def record_infusion(
    db: Database,
    mrn: str,
    infusion: r.Infusion,
    *,
    actor: User,
    today: dt.date | None = None,
    confirmed: tuple[str, ...] = (),
) -> int:
    """Record an infusion with its vital signs; returns the infusion's row id.
    ``NeedsConfirmation`` until its plausibility warnings are passed back as ``confirmed``."""
    return _add(
        db, mrn, "infusion", infusion, check_infusion, actor, today, Permission.RECORD_ENTRY,
        confirmed=confirmed,
    )  # fmt: skip


def add_diary_entry(
    db: Database,
    mrn: str,
    entry: r.DiaryEntry,
    *,
    actor: User,
    today: dt.date | None = None,
) -> int:
    """Record a symptom-diary entry; returns its row id."""
    return _add(db, mrn, "diary", entry, check_diary_entry, actor, today, Permission.RECORD_ENTRY)


def add_lab_result(
    db: Database,
    mrn: str,
    lab: r.LabResult,
    *,
    actor: User,
    today: dt.date | None = None,
    confirmed: tuple[str, ...] = (),
) -> int:
    """Record a lab result; returns its row id. ``NeedsConfirmation`` until its plausibility
    warnings are passed back as ``confirmed``."""
    return _add(
        db, mrn, "lab", lab, check_lab_result, actor, today, Permission.RECORD_ENTRY,
        confirmed=confirmed,
    )  # fmt: skip


def _add(
    db: Database,
    mrn: str,
    table: str,
    record: Any,
    check: Callable[..., list[str]],
    actor: User,
    today: dt.date | None,
    permission: Permission,
    *,
    confirmed: tuple[str, ...] | None = None,
    **options: Any,
) -> int:
    """``confirmed`` None: no plausibility warnings for this kind of entry."""
    stamp = creation_stamp(actor)
    day = _today(today)
    with write_transaction(db):
        authorize(db, actor, permission)
        row = patient_row(db, mrn)
        patient: r.Patient = from_row(r.Patient, row)
        _refuse_if(check(record, patient, today=day, **options))
        warnings: list[str] = []
        if confirmed is not None:
            warnings = plausibility_warnings(record, read_stored_case(db, mrn).case)
            if any(warning not in confirmed for warning in warnings):
                raise NeedsConfirmation(warnings)
            if warnings and table != "weight":
                record = _with_confirmations(record, warnings)
                _refuse_if(_confirmation_fits(check(record, patient, today=day, **options)))
        if table == "infusion":
            row_id = insert_infusion(db, row["id"], record, stamp)
        else:
            row_id = insert_record(db, table, record, {"patient_id": row["id"]}, stamp)
        for warning in warnings:
            log_event(
                db, actor, "confirm", CONFIRMED_AT_ENTRY + warning, table=table,
                row_id=row_id, patient_id=row["id"],
            )  # fmt: skip
        return row_id


def _with_confirmations(record: Any, warnings: list[str]) -> Any:
    """The record with one line "Confirmed at entry: <warning>" per warning after its notes."""
    lines = [CONFIRMED_AT_ENTRY + warning for warning in warnings]
    notes = "\n".join([record.notes, *lines] if record.notes else lines)
    return replace(record, notes=notes)


def _confirmation_fits(problems: list[str]) -> list[str]:
    """Problems of the record with its confirmations added: only its notes can be too long."""
    return [
        f"{problem}; the confirmed warnings are added to the notes, so shorten the notes"
        if problem.startswith("notes:")
        else problem
        for problem in problems
    ]


# ---------------------------------------------------------------------------------------------
# Voiding


def void_entry(db: Database, table: str, row_id: int, *, reason: str, actor: User) -> None:
    """Void one entry (its row is kept with who, when and why); an infusion's vital signs
    are voided with it. ``table`` is one of ``VOIDABLE_TABLES``; row ids come from
    ``chart.load_chart``."""
    if table not in VOIDABLE_TABLES:
        raise EntryRefused([f"table: {table!r} is not one of: {', '.join(VOIDABLE_TABLES)}"])
    problems = check_void_reason(reason)
    who = actor.username
    with write_transaction(db):
        authorize(
            db, actor, Permission.VOID_REGIMEN if table == "regimen" else Permission.VOID_ENTRY
        )
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


# ---------------------------------------------------------------------------------------------
# A physician's review and sign-off


def review_results(db: Database, lab_ids: list[int], *, actor: User) -> int:
    """Mark lab results as reviewed by ``actor`` (a physician); returns how many were marked
    (results already reviewed or voided are left as they are)."""
    with write_transaction(db):
        authorize(db, actor, Permission.REVIEW_RESULTS)
        now = utc_now()
        marked = 0
        for lab_id in lab_ids:
            cursor = db.execute(
                "UPDATE lab SET reviewed_at = ?, reviewed_by = ?, updated_at = ?, updated_by = ?, "
                "row_version = row_version + 1 "
                "WHERE id = ? AND reviewed_at IS NULL AND voided_at IS NULL",
                [now, actor.username, now, actor.username, lab_id],
            )
            marked += cursor.rowcount
        return marked


def sign_off(
    db: Database,
    mrn: str,
    *,
    decision_row: str,
    assessment_json: str,
    note: str | None,
    actor: User,
) -> int:
    """Record a physician's sign-off of the recommendation as shown (the assessment JSON is
    kept with it); returns its row id. The sign-off is the physician's decision record, not
    the app's: the note says what was decided."""
    with write_transaction(db):
        authorize(db, actor, Permission.SIGN_OFF)
        row = patient_row(db, mrn)
        inserted = db.table("sign_off").insert(
            {
                "patient_id": row["id"],
                "decision_row": decision_row,
                "assessment_json": assessment_json,
                "note": (note or "").strip() or None,
                **creation_stamp(actor),
            }
        )
        return int(inserted.last_pk or 0)


def record_export(db: Database, mrn: str, *, actor: User, where: str) -> None:
    """Audit that ``actor`` took the patient's record out of the app (a case-file export)."""
    with write_transaction(db):
        authorize(db, actor, Permission.EXPORT_CASE)
        pid = patient_row(db, mrn)["id"]
        log_event(
            db, actor, "export", f"case file for {mrn} to {where}", table="patient",
            row_id=pid, patient_id=pid,
        )  # fmt: skip
