"""A damaged, read-only, misplaced or full database: refused or read-only, never changed."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import (
    FIXTURES,
    Staff,
    copy_with_backup,
    damage_a_page,
    file_sha,
    load_case_json,
    snapshot,
)

from clinic_gui.__main__ import main
from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.store import connection
from clinic_gui.store.audit import verify_chain
from clinic_gui.store.backup import restore
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.store.connection import (
    DamagedDatabase,
    DatabaseRefused,
    WriteFailed,
    is_read_only,
    open_database,
)
from clinic_gui.store.demo_clinic import write_demo_clinic
from clinic_gui.store.entries import add_patient, add_weight, record_infusion

TODAY = dt.date(2026, 11, 22)
NOON = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def demo_clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    write_demo_clinic(path, patients=12, seed=1, as_of=TODAY)
    return path


@pytest.fixture
def clinic(demo_clinic: Path, tmp_path: Path) -> Path:
    """A copy of the demo clinic with one good backup of it (taken at noon)."""
    return copy_with_backup(demo_clinic, tmp_path, now=NOON)


# ---------------------------------------------------------------------------------------------
# Damaged


def test_a_damaged_database_is_refused_untouched_naming_the_latest_good_backup(
    clinic: Path,
) -> None:
    good = clinic.parent / "backups" / "clinic-20261122T120000Z-manual.sqlite"
    newer_but_bad = clinic.parent / "backups" / "clinic-20261122T130000Z-daily.sqlite"
    shutil.copyfile(good, newer_but_bad)
    damage_a_page(newer_but_bad)
    damage_a_page(clinic)
    before = file_sha(clinic)

    with pytest.raises(DamagedDatabase) as refused:
        open_database(clinic)

    assert file_sha(clinic) == before
    assert refused.value.latest_backup == good
    assert refused.value.findings  # what the check found
    message = str(refused.value)
    assert message.startswith(f"{clinic} is damaged: SQLite's check of the file found:\n  ")
    assert "Nothing was written to it." in message
    assert f"The latest good backup is {good}." in message
    assert f"clinic-gui restore {good} --db {clinic} --user NAME" in message
    with pytest.raises(DamagedDatabase):
        open_database(clinic, read_only=True)
    assert file_sha(clinic) == before


def test_without_a_good_backup_the_message_says_so(clinic: Path) -> None:
    shutil.rmtree(clinic.parent / "backups")
    damage_a_page(clinic)
    with pytest.raises(DamagedDatabase, match="No good backup was found in") as refused:
        open_database(clinic)
    assert refused.value.latest_backup is None


def test_the_command_line_exits_3_on_a_damaged_database(clinic: Path, capsys: Any) -> None:
    damage_a_page(clinic)
    before = file_sha(clinic)
    assert main(["audit", "verify", "--db", str(clinic)]) == 3
    assert main(["backup", "--db", str(clinic)]) == 3
    err = capsys.readouterr().err
    assert err.count(f"clinic-gui: {clinic} is damaged") == 2
    assert "clinic-gui restore " in err
    assert file_sha(clinic) == before


def test_restoring_over_a_damaged_database_keeps_it_byte_for_byte(clinic: Path) -> None:
    good = clinic.parent / "backups" / "clinic-20261122T120000Z-manual.sqlite"
    wal = clinic.with_name(clinic.name + "-wal")
    damage_a_page(clinic)
    wal.write_bytes(b"")  # a leftover -wal of the damaged file is kept with it
    damaged = file_sha(clinic)

    kept = restore(good, clinic, username="", password="", now=NOON)  # the demo clinic

    assert kept is not None and file_sha(kept) == damaged
    assert kept.with_name(kept.name + "-wal").exists()
    db = open_database(clinic)
    try:
        assert db.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        assert db.execute("SELECT count(*) FROM patient").fetchone() == (12,)
        assert verify_chain(db).ok
        assert db.execute("SELECT action FROM audit ORDER BY id DESC LIMIT 1").fetchone() == (
            "restore",
        )
    finally:
        db.close()


# ---------------------------------------------------------------------------------------------
# Read-only


@pytest.fixture
def staffed(tmp_path: Path) -> Path:
    path = tmp_path / "ro" / "clinic.sqlite"
    db = open_database(path)
    try:
        staff = Staff(db)
        insert_case(
            db, parse_case(load_case_json("cd-low-trough.json"), today=TODAY), actor=staff.nurse
        )
    finally:
        db.close()
    return path


def _nurse(db: Any) -> Any:
    from clinic_gui.domain.access import User

    row = db.execute("SELECT id, full_name FROM app_user WHERE username = 'rn.kim'").fetchone()
    return User(id=row[0], username="rn.kim", full_name=row[1], roles=frozenset({"nurse"}))


def test_a_file_and_folder_that_cannot_be_written_open_read_only(staffed: Path) -> None:
    before = snapshot(staffed)
    folder = staffed.parent
    staffed.chmod(0o444)
    folder.chmod(0o555)
    try:
        if connection.writable(staffed):  # run as root: permissions do not bind
            db = open_database(staffed, read_only=True)
        else:
            db = open_database(staffed)
        try:
            assert is_read_only(db)
            assert read_case(db, "CD-0101").patient.mrn == "CD-0101"
            with pytest.raises(WriteFailed, match=r"open read-only.*Nothing was saved"):
                add_weight(db, "CD-0101", r.Weight(date=TODAY, kg=64.2), actor=_nurse(db))
        finally:
            db.close()
    finally:
        folder.chmod(0o755)
        staffed.chmod(0o644)
    assert snapshot(staffed) == before


def test_an_unwritable_file_is_opened_read_only_by_itself(staffed: Path, monkeypatch: Any) -> None:
    # As the permission check sees it when the file and folder cannot be written (even when
    # the tests run as root): no -wal/-shm can be made there, so it is opened immutable.
    real_access = os.access

    def no_writing(path: Any, mode: int, **kwargs: Any) -> bool:
        return False if mode & os.W_OK else real_access(path, mode, **kwargs)

    monkeypatch.setattr(connection.os, "access", no_writing)
    before = file_sha(staffed)
    assert sorted(p.name for p in staffed.parent.iterdir()) == ["clinic.sqlite"]
    assert connection.read_only_uri(staffed).endswith("?mode=ro&immutable=1")
    db = open_database(staffed)
    try:
        assert is_read_only(db)
        assert len(read_case(db, "CD-0101").infusions) > 0
        with pytest.raises(WriteFailed, match="read-only"):
            add_weight(db, "CD-0101", r.Weight(date=TODAY, kg=64.2), actor=_nurse(db))
    finally:
        db.close()
    assert file_sha(staffed) == before
    assert sorted(p.name for p in staffed.parent.iterdir()) == ["clinic.sqlite"]  # no -shm


def test_read_only_beside_a_connection_that_is_writing(staffed: Path) -> None:
    writer = open_database(staffed)
    reader = None
    try:
        writer.execute("PRAGMA wal_autocheckpoint = 0")  # keep the new rows in the -wal
        nurse = _nurse(writer)
        add_weight(writer, "CD-0101", r.Weight(date=TODAY, kg=64.5), actor=nurse)
        assert staffed.with_name("clinic.sqlite-wal").stat().st_size > 0
        reader = open_database(staffed, read_only=True)
        assert is_read_only(reader) and not is_read_only(writer)
        assert read_case(reader, "CD-0101").weights[-1].kg == 64.5
        add_weight(writer, "CD-0101", r.Weight(date=TODAY, kg=65.0), actor=nurse)
        assert read_case(reader, "CD-0101").weights[-1].kg == 65.0  # the next read sees it
        with pytest.raises(WriteFailed, match="read-only"):
            add_weight(reader, "CD-0101", r.Weight(date=TODAY, kg=65.5), actor=nurse)
    finally:
        if reader is not None:
            reader.close()
        writer.close()


def test_an_older_database_is_not_opened_read_only(tmp_path: Path) -> None:
    old = tmp_path / "clinic.sqlite"
    shutil.copyfile(FIXTURES / "schema-v1.sqlite", old)
    before = file_sha(old)
    with pytest.raises(DatabaseRefused, match=r"older version .* must be upgraded"):
        open_database(old, read_only=True)
    assert file_sha(old) == before
    assert not (tmp_path / "backups").exists()


# ---------------------------------------------------------------------------------------------
# Misplaced


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    with pytest.raises(DatabaseRefused, match="is a folder, not a database file"):
        open_database(tmp_path)


def test_a_folder_that_cannot_be_made(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(DatabaseRefused, match="does not exist and could not be created"):
        open_database(blocker / "clinic" / "clinic.sqlite")
    assert blocker.read_text() == "a file where a folder should be"


def test_no_database_is_created_read_only(tmp_path: Path) -> None:
    with pytest.raises(DatabaseRefused, match="No clinic database at"):
        open_database(tmp_path / "new.sqlite", read_only=True)
    assert list(tmp_path.iterdir()) == []


def test_a_database_locked_by_another_program(db_path: Path, monkeypatch: Any) -> None:
    open_database(db_path).close()
    holder = sqlite3.connect(db_path, isolation_level=None)
    try:
        holder.execute("PRAGMA locking_mode = EXCLUSIVE")
        holder.execute("BEGIN EXCLUSIVE")
        holder.execute("CREATE TABLE held (x)")
        monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 0)  # do not wait for it
        with pytest.raises(DatabaseRefused, match=r"is locked by another program.*Try again"):
            open_database(db_path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


# ---------------------------------------------------------------------------------------------
# Disk full


def test_a_full_disk_saves_nothing_and_the_record_can_still_be_read(
    db: Any, staff: Any, db_path: Path
) -> None:
    case = parse_case(load_case_json("seed-as-wearing-off.json"), today=TODAY)
    insert_case(db, case, actor=staff.nurse)
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages + 1}")  # the disk is full one page from now
    before = snapshot(db_path)
    infusion = r.Infusion(
        date=dt.date(2026, 11, 20),
        product="Remicade",
        dose_mg=400,
        notes="Long note. " * 360,  # about 4,000 characters: more than one page to store
        vitals=(r.VitalSigns(phase="before", pulse_bpm=70),),
    )
    with pytest.raises(WriteFailed, match=r"The disk holding the database is full\. Nothing"):
        record_infusion(db, "AS-0001", infusion, actor=staff.nurse, today=TODAY)
    assert snapshot(db_path) == before
    assert read_case(db, "AS-0001") == case
    db.execute(f"PRAGMA max_page_count = {pages + 1000}")  # space freed: the save goes through
    record_infusion(db, "AS-0001", infusion, actor=staff.nurse, today=TODAY)
    assert read_case(db, "AS-0001").infusions[-1].notes == infusion.notes


def test_registering_a_patient_on_a_full_disk(db: Any, staff: Any, db_path: Path) -> None:
    pages = db.execute("PRAGMA page_count").fetchone()[0]
    db.execute(f"PRAGMA max_page_count = {pages}")
    before = snapshot(db_path)
    patient = r.Patient(
        mrn="CD-0300",
        name="Full Disk",
        birth_date=dt.date(1980, 1, 1),
        sex="male",
        indication="crohns_disease",
        notes="x" * 4000,
    )
    with pytest.raises(WriteFailed, match="disk holding the database is full"):
        add_patient(db, patient, actor=staff.nurse, today=TODAY)
    assert snapshot(db_path) == before
