"""A patient's chart: the current record with the row id of every entry in it, and the
physician's review marks and sign-offs that go with it.

The record is exactly what ``cases.read_case`` returns (the same queries); the ids let a
data-entry screen act on one entry, e.g. ``entries.void_entry(db, "weight",
chart.id_of("weights", 0), reason=...)``. ``lab_row_ids``, ``lab_reviews`` and
``sign_offs`` are small reads the chart makes only when it shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlite_utils import Database

from clinic_gui.domain import records as r
from clinic_gui.store.cases import CASE_TABLES, patient_id, read_stored_case
from clinic_gui.store.rows import from_row

# Case list field -> the table its entries are rows of ("weights" -> "weight").
TABLE_OF: dict[str, str] = {attr: table for table, _cls, attr, _date in CASE_TABLES}


@dataclass(frozen=True, slots=True)
class Chart:
    patient_id: int
    case: r.Case
    # "weights", "regimens", "infusions", "diary", "labs" -> the row ids of
    # ``case.<kind>``, in the same order.
    ids: dict[str, tuple[int, ...]]
    # Per infusion (in ``case.infusions`` order), the row ids of its vital signs.
    vital_ids: tuple[tuple[int, ...], ...] = ()

    def id_of(self, kind: str, index: int) -> int:
        """The row id of ``case.<kind>[index]``."""
        if kind not in self.ids:
            raise KeyError(f"{kind!r} is not one of: {', '.join(self.ids)}")
        return self.ids[kind][index]

    def vital_id_of(self, infusion_index: int, vital_index: int) -> int:
        """The row id of ``case.infusions[infusion_index].vitals[vital_index]``."""
        return self.vital_ids[infusion_index][vital_index]


def load_chart(db: Database, mrn: str) -> Chart:
    """The patient's current record and entry ids; PatientNotFound for an unknown MRN."""
    stored = read_stored_case(db, mrn)
    return Chart(
        patient_id=stored.patient_id,
        case=stored.case,
        ids=stored.ids,
        vital_ids=stored.vital_ids,
    )


# ---------------------------------------------------------------------------------------------
# A physician's review of results and sign-off of recommendations


def lab_reviews(db: Database, mrn: str) -> dict[int, tuple[str, str]]:
    """The patient's current lab results marked as reviewed: row id -> (reviewed_by,
    reviewed_at as stored, UTC). Results not reviewed are left out; an unknown MRN has none."""
    rows = db.execute(
        "SELECT l.id, l.reviewed_by, l.reviewed_at FROM lab l JOIN patient p "
        "ON p.id = l.patient_id WHERE p.mrn = ? AND l.voided_at IS NULL "
        "AND l.reviewed_at IS NOT NULL",
        [mrn],
    ).fetchall()
    return {int(row_id): (str(by or ""), str(at)) for row_id, by, at in rows}


def lab_row_ids(db: Database, mrn: str, labs: Sequence[r.LabResult]) -> list[int | None]:
    """The row id of each of ``labs`` (results as ``read_case`` gave them), matched by
    content with the patient's current rows, so a list read a moment ago still finds its
    rows; None for a result that is no longer current (voided or changed meanwhile)."""
    pid = patient_id(db, mrn)
    if pid is None:
        return [None] * len(labs)
    pool: dict[r.LabResult, list[int]] = {}
    for row in db.query(
        "SELECT * FROM lab WHERE patient_id = ? AND voided_at IS NULL ORDER BY sampled_at, id",
        [pid],
    ):
        pool.setdefault(from_row(r.LabResult, row), []).append(int(row["id"]))
    return [pool[lab].pop(0) if pool.get(lab) else None for lab in labs]


@dataclass(frozen=True, slots=True)
class SignOff:
    """A physician's sign-off of a recommendation: their decision record, not the app's."""

    id: int
    by: str  # user name
    by_name: str  # the user's full name (the user name when unknown)
    at: str  # when, as stored (UTC, ISO 8601 with "Z")
    decision_row: str  # the id of the TDM decision-table row shown when signing
    note: str | None  # what the physician decided, in their words
    assessment_json: str  # the assessment as shown


def sign_offs(db: Database, mrn: str, *, limit: int | None = None) -> list[SignOff]:
    """The patient's sign-offs that are not voided, newest first (an unknown MRN has none)."""
    sql = (
        "SELECT s.id, s.created_by, coalesce(u.full_name, s.created_by), s.created_at, "
        "s.decision_row, s.note, s.assessment_json FROM sign_off s "
        "JOIN patient p ON p.id = s.patient_id "
        "LEFT JOIN app_user u ON u.username = s.created_by "
        "WHERE p.mrn = ? AND s.voided_at IS NULL ORDER BY s.created_at DESC, s.id DESC"
    )
    params: list[object] = [mrn]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [
        SignOff(int(i), str(by), str(name), str(at), str(row), note, str(data))
        for i, by, name, at, row, note, data in db.execute(sql, params).fetchall()
    ]
