"""The audit trail: every change audited in its own transaction, append-only, hash chained."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import Staff, load_case_json, run_cli, write_row_by_row

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.store import audit, entries
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.store.chart import load_chart
from clinic_gui.store.connection import open_database

TODAY = dt.date(2026, 11, 22)
MRN = "AS-0001"
WEIGHT = r.Weight(date=dt.date(2026, 11, 20), kg=80.5)


@pytest.fixture
def seeded(db: Any, staff: Staff) -> Any:
    case = parse_case(load_case_json("seed-as-wearing-off.json"), today=TODAY)
    insert_case(db, case, actor=staff.nurse)
    return db


@pytest.fixture
def row_audited(db: Any, staff: Staff) -> Any:
    """The seed case written row by row outside a bulk import: one audit row per row."""
    case = parse_case(load_case_json("seed-as-wearing-off.json"), today=TODAY)
    write_row_by_row(db, case, staff.nurse)
    return db


def _rows(db: Any, where: str = "1", params: list[Any] | None = None) -> list[dict[str, Any]]:
    return list(db.query(f"SELECT * FROM audit WHERE {where} ORDER BY id", params or []))


def test_an_import_is_one_event_by_the_importing_user_naming_the_rows(seeded: Any) -> None:
    """Schema v4: no row-by-row creates for an import (tests/test_bulk_audit.py has more)."""
    case = read_case(seeded, MRN)
    assert _rows(seeded, "action = 'create' AND patient_id IS NOT NULL") == []
    (event,) = _rows(seeded, "action = 'import'")
    assert (event["actor"], event["detail"]) == ("rn.kim", f"case file for {MRN}")
    created = json.loads(event["after_json"])["created"]
    for table, records in (("weight", case.weights), ("lab", case.labs)):
        first, last = created[table]
        assert last - first + 1 == len(records)


def test_an_entry_is_audited_with_its_values_and_its_void_with_before_and_after(
    seeded: Any, staff: Staff
) -> None:
    row_id = entries.add_weight(seeded, MRN, WEIGHT, actor=staff.nurse, today=TODAY)
    (created,) = _rows(seeded, "table_name = 'weight' AND row_id = ?", [row_id])
    assert (created["action"], created["actor"], created["before_json"]) == (
        "create",
        "rn.kim",
        None,
    )
    assert json.loads(created["after_json"])["kg"] == 80.5
    entries.void_entry(seeded, "weight", row_id, reason="wrong patient", actor=staff.physician)
    voided = _rows(seeded, "table_name = 'weight' AND row_id = ?", [row_id])[-1]
    assert (voided["action"], voided["actor"]) == ("void", "dr.lee")
    before, after = json.loads(voided["before_json"]), json.loads(voided["after_json"])
    assert ("voided_at" in before, after["void_reason"], after["row_version"]) == (
        False,
        "wrong patient",
        2,
    )
    history = audit.entries(seeded, patient_mrn=MRN, table="weight", limit=2)
    assert [e.action for e in history] == ["void", "create"]
    assert ("void_reason", None, "wrong patient") in history[0].changes


def test_a_patient_correction_is_audited_field_by_field(seeded: Any, staff: Staff) -> None:
    patient = read_case(seeded, MRN).patient
    entries.update_patient(
        seeded, MRN, replace(patient, nyha_class=2), actor=staff.nurse, today=TODAY
    )
    (latest,) = audit.entries(seeded, patient_mrn=MRN, table="patient", action="update")
    assert latest.changes == (("nyha_class", None, 2),)
    assert latest.actor == "rn.kim"


def test_a_refused_entry_leaves_no_audit_row(seeded: Any, staff: Staff) -> None:
    count = len(_rows(seeded))
    with pytest.raises(entries.EntryRefused):
        entries.add_weight(seeded, MRN, replace(WEIGHT, kg=0), actor=staff.nurse, today=TODAY)
    assert len(_rows(seeded)) == count


def test_the_audit_row_shares_the_transaction_of_its_change(seeded: Any, staff: Staff) -> None:
    """A change rolled back takes its audit row with it; there is no audit without change."""
    count = len(_rows(seeded))
    seeded.conn.execute("BEGIN IMMEDIATE")
    seeded.execute(
        "UPDATE weight SET kg = 81, updated_at = 'x', updated_by = 'rn.kim', "
        "row_version = row_version + 1 WHERE id = 1"
    )
    assert len(_rows(seeded)) == count + 1
    seeded.conn.execute("ROLLBACK")
    assert len(_rows(seeded)) == count


def test_audit_rows_cannot_be_changed_or_deleted(seeded: Any) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        seeded.execute("UPDATE audit SET actor = 'someone else' WHERE id = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        seeded.execute("DELETE FROM audit WHERE id = 1")


def test_a_change_that_skips_the_row_version_or_touches_a_voided_row_is_refused(
    seeded: Any, staff: Staff
) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="row_version"):
        seeded.execute("UPDATE weight SET kg = 81 WHERE id = 1")
    entries.void_entry(seeded, "weight", 1, reason="typo", actor=staff.nurse)
    with pytest.raises(sqlite3.IntegrityError, match="voided entry cannot be changed"):
        seeded.execute("UPDATE weight SET kg = 81, row_version = row_version + 1 WHERE id = 1")


def test_a_password_hash_never_reaches_the_audit_trail(db: Any, staff: Staff) -> None:
    rows = _rows(db, "table_name = 'app_user'")
    assert len(rows) == 3
    assert all("argon2" not in (row["after_json"] or "") for row in rows)
    assert "password_changed_at" in rows[0]["after_json"]


def test_the_chain_verifies_and_names_the_first_edited_row(row_audited: Any, db_path: Path) -> None:
    report = audit.verify_chain(row_audited)
    assert report.ok and report.rows == len(_rows(row_audited)) > 50
    assert report.head == audit.chain_head(row_audited)[1]
    target = _rows(row_audited, "table_name = 'lab'")[0]["id"]
    _tamper(
        db_path, f"UPDATE audit SET after_json = replace(after_json, '0', '1') WHERE id = {target}"
    )
    broken = audit.verify_chain(row_audited)
    assert (broken.ok, broken.broken_at) == (False, target)
    assert "edited" in broken.problem
    assert f"BROKEN at row {target}" in broken.text()


def test_a_removed_row_breaks_the_link_of_the_next(row_audited: Any, db_path: Path) -> None:
    ids = [row["id"] for row in _rows(row_audited)]
    _tamper(db_path, f"DELETE FROM audit WHERE id = {ids[10]}")
    broken = audit.verify_chain(row_audited)
    assert broken.broken_at == ids[11]
    assert "link to the previous row" in broken.problem


def test_a_rewritten_hash_still_breaks_the_chain_at_the_next_row(
    row_audited: Any, db_path: Path
) -> None:
    """Re-hashing an edited row is not enough: the next row's link no longer matches."""
    row = _rows(row_audited)[5]
    values = [row[c] for c in audit.AUDIT_COLUMNS]
    values[audit.AUDIT_COLUMNS.index("actor")] = "mallory"
    forged = audit.audit_hash(*values)
    _tamper(
        db_path, f"UPDATE audit SET actor = 'mallory', hash = '{forged}' WHERE id = {row['id']}"
    )
    assert audit.verify_chain(row_audited).broken_at == _rows(row_audited)[6]["id"]


def _tamper(db_path: Path, statement: str) -> None:
    """Edit the audit table from outside the app: drop its guard trigger first."""
    conn = sqlite3.connect(db_path)
    try:
        conn.execute("DROP TRIGGER audit_append_only_update")
        conn.execute("DROP TRIGGER audit_append_only_delete")
        conn.execute(statement)
        conn.commit()
    finally:
        conn.close()


def test_a_tool_without_the_app_cannot_write_clinical_rows_unaudited(
    seeded: Any, db_path: Path
) -> None:
    conn = sqlite3.connect(db_path)
    try:
        with pytest.raises(sqlite3.OperationalError, match="no such function: clinic_"):
            conn.execute(
                "INSERT INTO weight (patient_id, date, kg, created_at, created_by) "
                "VALUES (1, '2026-11-21', 80, 'x', 'tool')"
            )
    finally:
        conn.close()


def test_audit_verify_command(seeded: Any, db_path: Path, capsys: Any) -> None:
    assert run_cli("audit", "verify", "--db", db_path) == 0
    assert "chain intact" in capsys.readouterr().out
    target = _rows(seeded)[3]["id"]
    _tamper(db_path, f"UPDATE audit SET detail = 'x' WHERE id = {target}")
    assert run_cli("audit", "verify", "--db", db_path) == 5
    assert f"BROKEN at row {target}" in capsys.readouterr().out


def test_two_connections_keep_one_linear_chain(seeded: Any, db_path: Path, staff: Staff) -> None:
    other = open_database(db_path)
    try:
        for day in range(1, 11):
            db = seeded if day % 2 else other
            entries.add_diary_entry(
                db,
                MRN,
                r.DiaryEntry(date=dt.date(2026, 11, day), symptom_score=3, source="patient"),
                actor=staff.nurse,
                today=TODAY,
            )
    finally:
        other.close()
    assert audit.verify_chain(seeded).ok


def test_the_chart_ids_and_audit_row_ids_agree(row_audited: Any) -> None:
    chart = load_chart(row_audited, MRN)
    infusion_id = chart.id_of("infusions", 0)
    rows = _rows(row_audited, "table_name = 'infusion' AND row_id = ?", [infusion_id])
    assert rows[0]["action"] == "create"
    assert json.loads(rows[0]["after_json"])["date"] == chart.case.infusions[0].date.isoformat()
