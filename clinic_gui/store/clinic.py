"""Whole-clinic reads: every current patient's record, for the worklist."""

from __future__ import annotations

import datetime as dt
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


def reviewed_results(db: Database) -> dict[str, frozenset[tuple[dt.date | dt.datetime, str]]]:
    """Per MRN, the (sampled at, test) of current lab results a physician marked reviewed."""
    found: dict[str, set[tuple[dt.date | dt.datetime, str]]] = {}
    rows = db.execute(
        "SELECT p.mrn, l.sampled_at, l.test FROM lab l JOIN patient p ON p.id = l.patient_id "
        "WHERE l.reviewed_at IS NOT NULL AND l.voided_at IS NULL"
    )
    for mrn, sampled_at, test in rows:
        when = (
            dt.datetime.fromisoformat(sampled_at)
            if len(sampled_at) > 10
            else dt.date.fromisoformat(sampled_at)
        )
        found.setdefault(mrn, set()).add((when, test))
    return {mrn: frozenset(keys) for mrn, keys in found.items()}
