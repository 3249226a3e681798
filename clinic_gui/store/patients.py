"""Patient-list queries: what the list on the left of the main window shows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True, slots=True)
class PatientListRow:
    id: int
    mrn: str
    name: str
    birth_date: dt.date
    sex: str
    indication: str
    last_infusion: dt.date | None


def search_patients(
    db: Database, text: str = "", *, indication: str | None = None, limit: int = 1000
) -> list[PatientListRow]:
    """Patients whose MRN starts with, or whose name contains, ``text`` (case-insensitive),
    optionally only those with one indication."""
    needle = text.strip()
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    rows = db.execute(
        """
        SELECT p.id, p.mrn, p.name, p.birth_date, p.sex, p.indication,
               (SELECT max(i.date) FROM infusion i
                 WHERE i.patient_id = p.id AND i.voided_at IS NULL) AS last_infusion
          FROM patient p
         WHERE p.voided_at IS NULL
           AND (? = '' OR p.mrn LIKE ? ESCAPE '\\' OR p.name LIKE ? ESCAPE '\\')
           AND (? IS NULL OR p.indication = ?)
         ORDER BY p.name COLLATE NOCASE, p.mrn
         LIMIT ?
        """,
        [needle, f"{escaped}%", f"%{escaped}%", indication, indication, limit],
    ).fetchall()
    return [
        PatientListRow(
            id=row[0],
            mrn=row[1],
            name=row[2],
            birth_date=dt.date.fromisoformat(row[3]),
            sex=row[4],
            indication=row[5],
            last_infusion=dt.date.fromisoformat(row[6]) if row[6] else None,
        )
        for row in rows
    ]


def count_patients(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM patient WHERE voided_at IS NULL").fetchone()[0])
