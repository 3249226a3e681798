"""The SQLite record: lossless case storage, never-delete, identity and durability settings."""

from __future__ import annotations

import datetime as dt
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

import pytest
from conftest import CASE_FILES, Staff, load_case_json, snapshot
from hypothesis import HealthCheck, given, settings
from strategies import case_documents

from clinic_gui.domain.case_file import case_to_json, parse_case
from clinic_gui.store.cases import DuplicatePatient, insert_case, read_case
from clinic_gui.store.connection import (
    APPLICATION_ID,
    DatabaseRefused,
    NewerDatabaseError,
    open_database,
    schema_version,
)
from clinic_gui.store.migrations import SCHEMA_VERSION

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_case_survives_the_database_exactly(db: Any, staff: Any, path: Path) -> None:
    import json

    original = json.loads(path.read_text(encoding="utf-8"))
    case = parse_case(original, today=TODAY)
    insert_case(db, case, actor=staff.nurse)
    assert read_case(db, case.patient.mrn) == case
    assert case_to_json(read_case(db, case.patient.mrn)) == original


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_documents())
def test_any_valid_case_survives_import_export_import(document: dict[str, Any]) -> None:
    case = parse_case(document, today=TODAY)
    with tempfile.TemporaryDirectory() as folder:
        first = open_database(Path(folder) / "a.sqlite")
        second = open_database(Path(folder) / "b.sqlite")
        try:
            insert_case(first, case, actor=Staff(first).nurse)
            exported = case_to_json(read_case(first, case.patient.mrn))
            insert_case(second, parse_case(exported, today=TODAY), actor=Staff(second).nurse)
            assert read_case(second, case.patient.mrn) == case
            assert case_to_json(read_case(second, case.patient.mrn)) == exported
        finally:
            first.close()
            second.close()


def test_rows_record_who_and_when(db: Any, staff: Any) -> None:
    insert_case(
        db, parse_case(load_case_json("cd-low-trough.json"), today=TODAY), actor=staff.nurse
    )
    for table in ("patient", "weight", "regimen", "infusion", "diary", "lab"):
        stamps = db.execute(
            f"SELECT DISTINCT created_by, length(created_at) FROM {table}"
        ).fetchall()
        assert stamps == [("rn.kim", 20)], table


def test_duplicate_mrn_is_refused_and_nothing_changes(db: Any, staff: Any, db_path: Path) -> None:
    case = parse_case(load_case_json("cd-low-trough.json"), today=TODAY)
    insert_case(db, case, actor=staff.nurse)
    before = snapshot(db_path)
    with pytest.raises(DuplicatePatient, match="CD-0101"):
        insert_case(db, case, actor=staff.nurse)
    assert snapshot(db_path) == before


def test_replace_voids_the_old_rows_and_keeps_them(db: Any, staff: Any) -> None:
    doc = load_case_json("seed-as-wearing-off.json")
    insert_case(db, parse_case(doc, today=TODAY), actor=staff.nurse)
    doc["weights"][1]["kg"] = 80.1
    insert_case(db, parse_case(doc, today=TODAY), actor=staff.physician, replace=True)
    assert [w.kg for w in read_case(db, "AS-0001").weights] == [82.4, 80.1]
    kept = db.execute(
        "SELECT kg, voided_by, void_reason FROM weight WHERE voided_at IS NOT NULL ORDER BY id"
    ).fetchall()
    assert kept == [(82.4, "dr.lee", "replaced by case import")] * 2
    assert db.execute("SELECT count(*) FROM patient").fetchone() == (1,)


def test_clinical_rows_cannot_be_deleted(db: Any, staff: Any) -> None:
    insert_case(db, parse_case(load_case_json("full-record.json"), today=TODAY), actor=staff.nurse)
    for table in ("patient", "weight", "regimen", "infusion", "vital_sign", "diary", "lab"):
        with pytest.raises(sqlite3.IntegrityError, match="never deleted"):
            db.execute(f"DELETE FROM {table}")
    assert db.execute("SELECT count(*) FROM vital_sign").fetchone() == (2,)


def test_void_needs_a_reason(db: Any, staff: Any) -> None:
    insert_case(
        db, parse_case(load_case_json("cd-low-trough.json"), today=TODAY), actor=staff.nurse
    )
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute(
            "UPDATE weight SET voided_at = '2026-11-22T10:00:00Z', voided_by = 'rn.kim', "
            "row_version = row_version + 1"
        )
    with pytest.raises(sqlite3.IntegrityError, match="must say who"):
        db.execute(
            "UPDATE weight SET voided_at = '2026-11-22T10:00:00Z', void_reason = 'typo', "
            "row_version = row_version + 1"
        )


def test_connection_settings(db: Any, staff: Any, db_path: Path) -> None:
    assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert db.execute("PRAGMA synchronous").fetchone() == (2,)  # FULL
    assert db.execute("PRAGMA foreign_keys").fetchone() == (1,)
    assert db.execute("PRAGMA busy_timeout").fetchone()[0] >= 1000
    assert db.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
    assert schema_version(db) == SCHEMA_VERSION


def test_database_from_a_newer_app_is_refused_untouched(db_path: Path) -> None:
    open_database(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    before = db_path.read_bytes()
    with pytest.raises(NewerDatabaseError, match="newer version of clinic_gui"):
        open_database(db_path)
    assert db_path.read_bytes() == before
    assert not (db_path.parent / "backups").exists()


def test_foreign_sqlite_file_and_non_database_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.sqlite"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE notes (x)")
    conn.close()
    with pytest.raises(DatabaseRefused, match="not a clinic_gui database"):
        open_database(other)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(DatabaseRefused, match="not a readable SQLite database"):
        open_database(junk)
    with pytest.raises(DatabaseRefused, match="No clinic database"):
        open_database(tmp_path / "missing.sqlite", create=False)


def test_same_day_entries_keep_their_order_with_vital_signs(db: Any, staff: Any) -> None:
    # Found by hypothesis: an infusion with vital signs was written before the one it follows.
    doc = load_case_json("cd-low-trough.json")
    first = {"date": "2025-09-29", "product": "Inflectra", "dose_mg": 320, "lot": "A"}
    second = {**first, "lot": "B", "vitals": [{"phase": "before", "pulse_bpm": 70}]}
    doc["infusions"] = [*doc["infusions"][:-1], first, second]
    case = parse_case(doc, today=TODAY)
    insert_case(db, case, actor=staff.nurse)
    assert [i.lot for i in read_case(db, "CD-0101").infusions][-2:] == ["A", "B"]
    assert read_case(db, "CD-0101") == case
