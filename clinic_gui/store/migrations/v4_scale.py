"""Schema v4: bulk imports audited as one event, and the stored clinic overview.
Frozen once released: later schemas change it through new steps.

- **Bulk imports.** A case-file import or the demo clinic creates thousands of rows at once.
  Under v2 each of them wrote a ``create`` audit row holding the whole row again, which made
  imports about three times slower and the file about four times larger than the record
  itself. From v4 the ``*_audit_insert`` triggers fire only while the SQL function
  ``clinic_row_audit()`` returns 1, which it always does except inside
  ``store.audit.bulk_created``: there the rows are audited by one ``import`` event that
  names, per table, the first and last id of the rows created (ids of one transaction are
  consecutive). Changes and voids are audited row by row as before, imported rows included.
  A connection without the app's functions still cannot write clinical rows.
- **Stored overview.** ``patient_overview`` keeps, per patient, the clinic overview's flags
  and worklist entries as worked out for one date (``as_of``) by one version of the engine
  (``engine``), so the worklist of a large clinic opens from stored rows and only patients
  whose record changed are assessed again (``store.overview``). It is derived data, not
  part of the record: rows are replaced freely and not audited. Triggers on the tables the
  overview is built from delete the patient's row in the same transaction as any change,
  so a stored row is never older than the record it was worked out from (``store.overview``
  also checks the audit trail for changes made while it was being worked out). ``data``
  may be NULL: a row without an overview, as if there were none.
"""

from __future__ import annotations

from typing import Any

# The tables the overview is built from, and the expression naming the row's patient.
# Vital signs are not among them: the overview never reads them.
OVERVIEW_SOURCES = {
    "patient": "NEW.id",
    "weight": "NEW.patient_id",
    "regimen": "NEW.patient_id",
    "infusion": "NEW.patient_id",
    "diary": "NEW.patient_id",
    "lab": "NEW.patient_id",
}
ROW_AUDITED = ("patient", "weight", "regimen", "infusion", "vital_sign", "diary", "lab")

OVERVIEW_TABLE = """
CREATE TABLE patient_overview (
    patient_id  INTEGER PRIMARY KEY REFERENCES patient(id),
    as_of       TEXT NOT NULL,
    engine      TEXT NOT NULL,
    data        TEXT CHECK (data IS NULL OR json_valid(data))
) STRICT"""


def _invalidation(table: str, event: str, patient: str) -> str:
    return (
        f"CREATE TRIGGER {table}_overview_stale_{event.lower()} AFTER {event} ON {table}\n"
        f"BEGIN\n    DELETE FROM patient_overview WHERE patient_id = {patient};\nEND"
    )


def _conditional(create_trigger: str) -> str:
    """The v2 insert trigger with ``WHEN clinic_row_audit()`` before its body."""
    head, body = create_trigger.split("\nBEGIN", 1)
    return f"{head}\nWHEN clinic_row_audit()\nBEGIN{body}"


def statements(db: Any) -> list[str]:
    out = [OVERVIEW_TABLE]
    for table in ROW_AUDITED:
        name = f"{table}_audit_insert"
        (sql,) = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?", [name]
        ).fetchone()
        out += [f"DROP TRIGGER {name}", _conditional(sql)]
    for table, patient in OVERVIEW_SOURCES.items():
        out += [_invalidation(table, event, patient) for event in ("INSERT", "UPDATE")]
    return out
