"""Bulk imports (schema v4): one audit event names the rows a case file created."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from conftest import Staff, load_case_json

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.store import audit
from clinic_gui.store.audit import BULK_TABLES
from clinic_gui.store.cases import insert_case, patient_id
from clinic_gui.store.entries import add_weight, void_entry

CASE_ROWS = {
    "weight": "weights",
    "regimen": "regimens",
    "infusion": "infusions",
    "diary": "diary",
    "lab": "labs",
}


def _case() -> r.Case:
    return parse_case(load_case_json("full-record.json"))


def _events(db: Any, action: str) -> list[tuple[Any, ...]]:
    return db.execute(
        "SELECT table_name, row_id, patient_id, after_json, detail FROM audit "
        "WHERE action = ? ORDER BY id",
        [action],
    ).fetchall()


def test_an_import_is_one_event_naming_every_created_row(db: Any, staff: Staff) -> None:
    case = _case()
    before = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in BULK_TABLES}
    creates = len(_events(db, "create"))
    insert_case(db, case, actor=staff.nurse)
    pid = patient_id(db, case.patient.mrn)
    assert len(_events(db, "create")) == creates  # no row-by-row creates
    ((_table, _row, event_patient, after, detail),) = _events(db, "import")
    assert event_patient == pid
    assert detail == f"case file for {case.patient.mrn}"
    created = json.loads(after)["created"]
    assert created["patient"] == [pid, pid]
    for table in BULK_TABLES:
        count = db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] - before[table]
        if count:
            first, last = created[table]
            assert last - first + 1 == count
            assert db.execute(
                f"SELECT min(id), max(id) FROM {table} WHERE id > ?", [first - 1]
            ).fetchone() == (first, last)
        else:
            assert table not in created
    for table, attr in CASE_ROWS.items():
        first, last = created[table]
        assert last - first + 1 == len(getattr(case, attr))
    assert audit.verify_chain(db).ok


def test_imported_rows_are_still_audited_row_by_row_when_they_change(db: Any, staff: Staff) -> None:
    case = _case()
    insert_case(db, case, actor=staff.nurse)
    (infusion_id,) = db.execute("SELECT min(id) FROM infusion").fetchone()
    void_entry(db, "infusion", infusion_id, reason="entered twice", actor=staff.nurse)
    voided = [(table, row_id) for table, row_id, *_rest in _events(db, "void")]
    assert ("infusion", infusion_id) in voided  # with its vital signs, each audited
    assert audit.verify_chain(db).ok


def test_entries_outside_a_bulk_import_keep_their_create_rows(db: Any, staff: Staff) -> None:
    case = _case()
    insert_case(db, case, actor=staff.nurse)
    creates = len(_events(db, "create"))
    last = case.weights[-1]
    add_weight(db, case.patient.mrn, replace(last, kg=last.kg + 1), actor=staff.nurse)
    assert len(_events(db, "create")) == creates + 1


def test_a_failed_import_leaves_no_event_and_row_audit_on(db: Any, staff: Staff) -> None:
    from clinic_gui.store.cases import DuplicatePatient

    insert_case(db, _case(), actor=staff.nurse)
    with pytest.raises(DuplicatePatient):
        insert_case(db, _case(), actor=staff.nurse)
    assert len(_events(db, "import")) == 1
    assert db.execute("SELECT clinic_row_audit()").fetchone() == (1,)
