"""The migration ladder: every released schema's database opens, upgrades and loses nothing."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import CASE_FILES, FIXTURES

from clinic_gui.domain.case_file import case_to_json
from clinic_gui.store import connection
from clinic_gui.store.cases import read_case
from clinic_gui.store.connection import open_database, schema_version
from clinic_gui.store.migrations import LADDER, SCHEMA_VERSION, Step


@pytest.fixture
def v1_copy(tmp_path: Path) -> Path:
    target = tmp_path / "clinic.sqlite"
    shutil.copyfile(FIXTURES / "schema-v1.sqlite", target)
    return target


def _exports(db: Any) -> dict[str, Any]:
    mrns = [row[0] for row in db.execute("SELECT mrn FROM patient ORDER BY mrn")]
    return {mrn: case_to_json(read_case(db, mrn)) for mrn in mrns}


def _fixture_cases() -> dict[str, Any]:
    docs = [json.loads(p.read_text()) for p in CASE_FILES]
    return {d["patient"]["mrn"]: d for d in docs}


def test_the_v1_fixture_opens_with_every_case_intact(v1_copy: Path) -> None:
    db = open_database(v1_copy)
    try:
        assert schema_version(db) == SCHEMA_VERSION
        assert _exports(db) == _fixture_cases()
    finally:
        db.close()


def test_ladder_versions_are_consecutive_from_one() -> None:
    assert [step.version for step in LADDER] == list(range(1, len(LADDER) + 1))


def _with_step(monkeypatch: Any, *statements: str) -> None:
    extra = Step(SCHEMA_VERSION + 1, "test step", lambda db: list(statements))
    monkeypatch.setattr(connection, "LADDER", (*LADDER, extra))
    monkeypatch.setattr(connection, "SCHEMA_VERSION", extra.version)


def test_upgrade_backs_up_first_then_migrates_without_loss(v1_copy: Path, monkeypatch: Any) -> None:
    before = {k: v for k, v in _fixture_cases().items()}
    _with_step(monkeypatch, "ALTER TABLE patient ADD COLUMN preferred_name TEXT")
    db = open_database(v1_copy)
    try:
        assert schema_version(db) == SCHEMA_VERSION + 1
        assert "preferred_name" in db.table("patient").columns_dict
        assert _exports(db) == before
    finally:
        db.close()
    backups = list((v1_copy.parent / "backups").glob("clinic-schema-v1-*.sqlite"))
    assert len(backups) == 1
    saved = sqlite3.connect(backups[0])
    assert saved.execute("PRAGMA user_version").fetchone() == (1,)
    assert saved.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert saved.execute("SELECT count(*) FROM diary").fetchone()[0] > 300
    saved.close()


def test_a_failing_step_rolls_back_whole_and_keeps_the_old_version(
    v1_copy: Path, monkeypatch: Any
) -> None:
    _with_step(
        monkeypatch,
        "ALTER TABLE patient ADD COLUMN preferred_name TEXT",
        "UPDATE no_such_table SET x = 1",
    )
    with pytest.raises(sqlite3.OperationalError, match="no_such_table"):
        open_database(v1_copy)
    monkeypatch.undo()
    db = open_database(v1_copy)
    try:
        assert schema_version(db) == SCHEMA_VERSION
        assert "preferred_name" not in db.table("patient").columns_dict
        assert _exports(db) == _fixture_cases()
    finally:
        db.close()
    assert len(list((v1_copy.parent / "backups").iterdir())) == 1


def test_a_new_database_needs_no_backup(tmp_path: Path) -> None:
    open_database(tmp_path / "new.sqlite").close()
    assert not (tmp_path / "backups").exists()


def test_backup_names_say_which_schema_and_when() -> None:
    path = connection.backup_path(Path("/data/clinic.sqlite"), 1)
    assert path.parent == Path("/data/backups")
    stamp = path.name.removeprefix("clinic-schema-v1-").removesuffix("Z.sqlite")
    assert dt.datetime.strptime(stamp, "%Y%m%dT%H%M%S")


def test_v1_to_v2_adds_users_audit_and_row_versions_without_touching_the_record(
    v1_copy: Path,
) -> None:
    from clinic_gui.store import audit, users

    db = open_database(v1_copy)
    try:
        assert users.needs_first_admin(db)  # a v1 clinic gets its first administrator next
        assert db.execute("SELECT count(*) FROM audit").fetchone() == (0,)
        versions = db.execute("SELECT DISTINCT row_version FROM infusion").fetchall()
        assert versions == [(1,)]
        assert db.execute("SELECT count(*) FROM lab WHERE reviewed_at IS NOT NULL").fetchone() == (
            0,
        )
        admin = users.create_user(
            db, None, username="admin", full_name="A", roles=["admin", "nurse"], password="x" * 12
        )
        from clinic_gui.store.entries import void_entry

        void_entry(db, "infusion", 1, reason="migrated row voided", actor=admin)
        assert audit.verify_chain(db).rows == 2  # the user, then the void
    finally:
        db.close()


def test_the_v2_fixture_opens_with_users_audit_and_record_intact(tmp_path: Path) -> None:
    """Frozen: made by tests/fixtures/make_schema_v2_fixture.py with the schema-v2 app."""
    from clinic_gui.store import audit, users
    from clinic_gui.store.chart import sign_offs

    target = tmp_path / "clinic.sqlite"
    shutil.copyfile(FIXTURES / "schema-v2.sqlite", target)
    db = open_database(target)
    try:
        assert schema_version(db) == SCHEMA_VERSION
        report = audit.verify_chain(db)
        assert report.ok and report.rows > 300
        assert users.sign_in(db, "dr.fixture", "fixture password").roles == {"physician"}
        exports = _exports(db)
        expected = _fixture_cases()
        first_infusion = expected["CD-0101"]["infusions"][0]
        assert exports["CD-0101"]["infusions"] == expected["CD-0101"]["infusions"][1:]
        assert first_infusion not in exports["CD-0101"]["infusions"]
        assert {k: v for k, v in exports.items() if k != "CD-0101"} == {
            k: v for k, v in expected.items() if k != "CD-0101"
        }
        (signed,) = sign_offs(db, "CD-0101")
        assert signed.note == "fixture sign-off"
        reviewed = db.execute("SELECT count(*) FROM lab WHERE reviewed_by = 'dr.fixture'")
        assert reviewed.fetchone() == (1,)
    finally:
        db.close()


def test_the_v3_fixture_opens_and_finds_old_and_new_names(tmp_path: Path) -> None:
    """Frozen: made by tests/fixtures/make_schema_v3_fixture.py with the schema-v3 app."""
    from clinic_gui.store import audit
    from clinic_gui.store.patients import search_patients

    target = tmp_path / "clinic.sqlite"
    shutil.copyfile(FIXTURES / "schema-v3.sqlite", target)
    db = open_database(target)
    try:
        assert schema_version(db) == SCHEMA_VERSION
        assert audit.verify_chain(db).ok
        assert [p.mrn for p in search_patients(db, "three")] == ["PSA-0300"]
        assert [p.mrn for p in search_patients(db, "cd-01")] == ["CD-0101"]
        assert _exports(db)["AS-0001"] == _fixture_cases()["AS-0001"]
    finally:
        db.close()


def test_the_v4_fixture_opens_with_its_bulk_import_and_stored_overview(tmp_path: Path) -> None:
    """Frozen: made by tests/fixtures/make_schema_v4_fixture.py with the schema-v4 app."""
    from clinic_gui.store import audit
    from clinic_gui.store.overview import current_overview

    target = tmp_path / "clinic.sqlite"
    shutil.copyfile(FIXTURES / "schema-v4.sqlite", target)
    db = open_database(target)
    try:
        assert schema_version(db) == SCHEMA_VERSION
        assert audit.verify_chain(db).ok
        (after,) = db.execute(
            "SELECT after_json FROM audit WHERE action = 'import' AND detail LIKE '%CD-0400'"
        ).fetchone()
        first, last = json.loads(after)["created"]["diary"]
        assert last - first + 1 == len(read_case(db, "CD-0400").diary)
        assert db.execute("SELECT count(*) FROM patient_overview").fetchone() == (5,)
    finally:
        db.close()
    overview = current_overview(target, dt.date(2026, 11, 22), workers=1)
    assert set(overview.flags) == {"AS-0001", "CD-0101", "CD-0400", "PSA-0300", "RA-7001"}
