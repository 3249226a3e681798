"""Whole-clinic reads: every current patient's record, for the worklist."""

from __future__ import annotations

from collections.abc import Iterator

from sqlite_utils import Database

from clinic_gui.domain import records as r
from clinic_gui.store.cases import read_case


def iter_cases(db: Database) -> Iterator[r.Case]:
    """Each patient's current record, in MRN order (one read per patient)."""
    mrns = [
        row[0] for row in db.execute("SELECT mrn FROM patient WHERE voided_at IS NULL ORDER BY mrn")
    ]
    for mrn in mrns:
        yield read_case(db, mrn)
