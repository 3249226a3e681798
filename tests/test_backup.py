"""Backups and restore: verified copies, audited, rotated, and restored all or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, PASSWORD, load_case_json, snapshot

from clinic_gui.__main__ import main
from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.store import backup
from clinic_gui.store.audit import verify_chain
from clinic_gui.store.backup import (
    AUTOMATIC_ACTOR,
    BackupFailed,
    BackupRefused,
    backup_chain_head,
    backup_now,
    daily_backup_if_due,
    latest_good_backup,
    list_backups,
    restore,
    rotate_backups,
    rotation,
)
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.store.connection import SCHEMA_VERSION, open_database, schema_version
from clinic_gui.store.entries import record_infusion
from clinic_gui.store.users import PermissionRefused, SignInRefused

TODAY = dt.date(2026, 11, 22)
MRN = "AS-0001"
NOON = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
INFUSION = r.Infusion(
    date=dt.date(2026, 11, 20),
    product="Renflexis",
    dose_mg=400,
    start_time=dt.time(9, 30),
    end_time=dt.time(11, 30),
    vials=4,
    nurse="RN Example",
    vitals=(r.VitalSigns(phase="before", time=dt.time(9, 25), pulse_bpm=70),),
)


def _import(db: Any, staff: Any) -> None:
    insert_case(
        db, parse_case(load_case_json("seed-as-wearing-off.json"), today=TODAY), actor=staff.nurse
    )


def _infusions(path: Path) -> int:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return int(conn.execute("SELECT count(*) FROM infusion").fetchone()[0])
    finally:
        conn.close()


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _folder(path: Path) -> dict[str, str]:
    """Every file in a folder tree with its content hash: 'the files exactly as they were'."""
    return {
        str(p.relative_to(path)): _sha(p)
        for p in sorted(path.rglob("*"))
        if p.is_file() and not p.name.endswith("-shm")  # readers' marks live there
    }


def _last_event(db: Any) -> tuple[str, str, str]:
    return db.execute("SELECT actor, action, detail FROM audit ORDER BY id DESC LIMIT 1").fetchone()


# ---------------------------------------------------------------------------------------------
# Backing up


def test_backup_restore_round_trip(db: Any, staff: Any, db_path: Path) -> None:
    _import(db, staff)
    copy = backup_now(db, db_path, actor=staff.admin, now=NOON)
    assert copy == db_path.parent / "backups" / "clinic-20261122T120000Z-manual.sqlite"
    head_id, head_hash = backup_chain_head(copy)
    assert head_id > 0 and len(head_hash) == 64
    actor, action, detail = _last_event(db)
    assert (actor, action) == ("admin", "backup")
    assert str(copy) in detail and f"row {head_id}, hash {head_hash}" in detail

    before = _infusions(db_path)
    record_infusion(db, MRN, INFUSION, actor=staff.nurse, today=TODAY)
    assert _infusions(db_path) == before + 1

    kept = restore(copy, db_path, username="admin", password=PASSWORD, now=NOON)

    assert kept == db_path.parent / "backups" / "clinic-20261122T120000Z-before-restore.sqlite"
    assert _infusions(db_path) == before  # the infusion is gone from the current file
    assert _infusions(kept) == before + 1  # and kept in the replaced copy
    assert len(read_case(db, MRN).infusions) == before  # the open connection sees it too
    restored = open_database(db_path)
    try:
        assert verify_chain(restored).ok
        actor, action, detail = _last_event(restored)
        assert (actor, action) == ("admin", "restore")
        assert str(copy) in detail and str(kept) in detail and head_hash in detail
        # The restored trail continues the backup's chain: its rows up to the head are there.
        assert restored.execute("SELECT hash FROM audit WHERE id = ?", [head_id]).fetchone() == (
            head_hash,
        )
    finally:
        restored.close()


def test_a_backup_is_a_single_checked_file(db: Any, staff: Any, db_path: Path) -> None:
    _import(db, staff)
    copy = backup_now(db, db_path, actor=staff.admin)
    assert sorted(p.name for p in copy.parent.iterdir()) == [copy.name]  # no -wal, no .partial
    conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        assert conn.execute("PRAGMA journal_mode").fetchone() == ("delete",)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert conn.execute("PRAGMA user_version").fetchone() == (SCHEMA_VERSION,)
        assert conn.execute("SELECT count(*) FROM patient").fetchone() == (1,)
    finally:
        conn.close()


def test_a_copy_that_fails_its_check_is_not_kept(db: Any, staff: Any, db_path: Path) -> None:
    _import(db, staff)
    db.execute("PRAGMA foreign_keys = OFF")
    db.execute("UPDATE weight SET patient_id = 999, row_version = row_version + 1 WHERE id = 1")
    before = snapshot(db_path)
    with pytest.raises(BackupFailed, match=r"foreign_key_check: weight row 1 .* missing patient"):
        backup_now(db, db_path, actor=staff.admin)
    assert list((db_path.parent / "backups").iterdir()) == []  # not even the .partial
    assert snapshot(db_path) == before  # no backup event either


@pytest.mark.parametrize("who", ["nurse", "physician"])
def test_only_an_administrator_backs_up_or_restores(
    db: Any, staff: Any, db_path: Path, who: str
) -> None:
    _import(db, staff)
    user = getattr(staff, who)
    with pytest.raises(PermissionRefused, match=r"may not back up the database: .*administrator"):
        backup_now(db, db_path, actor=user)
    assert not (db_path.parent / "backups").exists()
    with pytest.raises(PermissionRefused, match="signed-in administrator"):
        backup_now(db, db_path, actor=None, kind="manual")

    copy = backup_now(db, db_path, actor=staff.admin)
    before, files = snapshot(db_path), _folder(db_path.parent)
    with pytest.raises(PermissionRefused, match=r"may not restore a backup: .*administrator"):
        restore(copy, db_path, username=user.username, password=PASSWORD)
    with pytest.raises(SignInRefused, match="Wrong user name or password"):
        restore(copy, db_path, username="admin", password="not the password")
    with pytest.raises(SignInRefused, match="give --user NAME"):
        restore(copy, db_path, username="", password="")
    assert snapshot(db_path) == before
    assert _folder(db_path.parent) == files


def test_backup_to_a_chosen_file_never_overwrites(
    db: Any, staff: Any, db_path: Path, tmp_path: Path
) -> None:
    target = tmp_path / "usb" / "clinic-copy.sqlite"
    assert backup_now(db, db_path, actor=staff.admin, target=target) == target
    kept = target.read_bytes()
    with pytest.raises(BackupRefused, match=r"already exists\. Choose a new file name"):
        backup_now(db, db_path, actor=staff.admin, target=target)
    assert target.read_bytes() == kept


def test_two_backups_in_the_same_second_get_two_names(db: Any, staff: Any, db_path: Path) -> None:
    first = backup_now(db, db_path, actor=staff.admin, now=NOON)
    second = backup_now(db, db_path, actor=staff.admin, now=NOON)
    assert (first.name, second.name) == (
        "clinic-20261122T120000Z-manual.sqlite",
        "clinic-20261122T120000Z-manual-2.sqlite",
    )
    assert [b.path for b in list_backups(db_path)] == [second, first]


def test_daily_backup_is_made_once_per_day(db: Any, staff: Any, db_path: Path) -> None:
    morning = dt.datetime(2026, 11, 22, 7, 5, tzinfo=dt.UTC)
    made = daily_backup_if_due(db, db_path, now=morning)
    assert made is not None and made.name == "clinic-20261122T070500Z-daily.sqlite"
    assert daily_backup_if_due(db, db_path, now=morning.replace(hour=23)) is None
    backup_now(db, db_path, actor=staff.admin, now=morning + dt.timedelta(days=1))  # manual
    tomorrow = daily_backup_if_due(db, db_path, now=morning + dt.timedelta(days=1, hours=1))
    assert tomorrow is not None and tomorrow.name == "clinic-20261123T080500Z-daily.sqlite"
    events = db.execute(
        "SELECT actor, detail FROM audit WHERE action = 'backup' ORDER BY id"
    ).fetchall()
    assert [(a, d.split(" ")[0]) for a, d in events] == [
        (AUTOMATIC_ACTOR, "daily"),
        ("admin", "manual"),
        (AUTOMATIC_ACTOR, "daily"),
    ]


def test_daily_backup_applies_rotation(db: Any, db_path: Path) -> None:
    folder = db_path.parent / "backups"
    folder.mkdir()
    old = [folder / f"clinic-202609{day:02d}T020000Z-daily.sqlite" for day in range(1, 31)]
    keepers = [
        folder / "clinic-20250101T020000Z-manual.sqlite",
        folder / "clinic-schema-v1-20250101T020000Z.sqlite",
        folder / "clinic-20250101T020000Z-before-restore.sqlite",
        folder / "other-20250101T020000Z-daily.sqlite",
    ]
    for file in old + keepers:
        file.write_bytes(b"")
    made = daily_backup_if_due(db, db_path, now=NOON)
    left = {p.name for p in folder.iterdir()}
    # Today's, then: the 6 newest September days (7 days with today), September's newest of
    # ISO weeks 40, 39 and 38 (4 weeks with today's) and of its month (30 September).
    expected_old = {f"clinic-202609{d:02d}T020000Z-daily.sqlite" for d in (20, 27, *range(25, 31))}
    assert made is not None
    assert left == {made.name, *(k.name for k in keepers), *expected_old}


def _dailies(days: int, last: dt.date) -> list[str]:
    names = []
    for back in range(days):
        day = last - dt.timedelta(days=back)
        for hour in ("0130", "1330"):
            names.append(f"clinic-{day:%Y%m%d}T{hour}00Z-daily.sqlite")
    return names


def test_rotation_of_400_days_keeps_days_weeks_and_months() -> None:
    last = dt.date(2026, 11, 22)  # a Sunday: ISO week 47 runs from 16 to 22 November
    names = _dailies(400, last)
    others = [
        "clinic-20251001T090000Z-manual.sqlite",
        "clinic-schema-v1-20251001T090000Z.sqlite",
        "clinic-20251001T090000Z-before-restore.sqlite",
        "other-20251001T090000Z-daily.sqlite",
        "clinic-20251001T090000Z-daily.sqlite.partial",
        "notes.txt",
    ]
    removed = rotation([*names, *others], "clinic")
    kept = set(names) - removed
    days = [f"2026-11-{d}" for d in range(16, 23)]  # the last 7 days
    weeks = ["2026-11-15", "2026-11-08", "2026-11-01"]  # with 22 Nov: 4 ISO weeks
    months = [  # with 22 Nov: 12 months, each by its last day
        "2026-10-31", "2026-09-30", "2026-08-31", "2026-07-31", "2026-06-30", "2026-05-31",
        "2026-04-30", "2026-03-31", "2026-02-28", "2026-01-31", "2025-12-31",
    ]  # fmt: skip
    expected = {f"clinic-{d.replace('-', '')}T133000Z-daily.sqlite" for d in days + weeks + months}
    assert kept == expected
    assert len(kept) == 21
    assert removed == set(names) - expected
    assert not removed & set(others)


def test_rotation_counts_days_that_have_backups() -> None:
    # A backup every third day: the 7 days kept span 19 days; weeks and months as before.
    names = [
        f"clinic-{dt.date(2026, 11, 22) - dt.timedelta(days=3 * n):%Y%m%d}T020000Z-daily.sqlite"
        for n in range(20)
    ]
    removed = rotation(names, "clinic", keep_daily=7, keep_weekly=0, keep_monthly=0)
    assert sorted(set(names) - removed) == sorted(names[:7])
    assert rotation(names, "clinic", keep_daily=0, keep_weekly=0, keep_monthly=0) == set(names)


def test_rotate_backups_removes_only_what_rotation_names(db_path: Path) -> None:
    folder = db_path.parent / "backups"
    folder.mkdir()
    names = _dailies(40, dt.date(2026, 11, 22))
    for name in names:
        (folder / name).write_bytes(b"")
    removed = rotate_backups(db_path)
    assert {p.name for p in removed} == rotation(names, "clinic")
    assert {p.name for p in folder.iterdir()} == set(names) - rotation(names, "clinic")


def test_list_backups_and_the_latest_good_one(db: Any, staff: Any, db_path: Path) -> None:
    older = backup_now(db, db_path, actor=staff.admin, now=NOON)
    daily = daily_backup_if_due(db, db_path, now=NOON + dt.timedelta(hours=1))
    newest = backup_now(db, db_path, actor=staff.admin, now=NOON + dt.timedelta(hours=2))
    listed = list_backups(db_path)
    assert [(b.path, b.kind, b.taken_at) for b in listed] == [
        (newest, "manual", NOON + dt.timedelta(hours=2)),
        (daily, "daily", NOON + dt.timedelta(hours=1)),
        (older, "manual", NOON),
    ]
    assert all(b.size == b.path.stat().st_size > 0 for b in listed)
    assert latest_good_backup(db_path) == newest
    newest.write_bytes(b"not a database" * 100)
    assert latest_good_backup(db_path) == daily


# ---------------------------------------------------------------------------------------------
# Restore refusals: nothing touched


def _damaged_copy(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    page = 4096
    pages = target.stat().st_size // page
    with target.open("r+b") as handle:
        handle.seek(page * (pages // 2))
        handle.write(bytes((i * 37 + 11) % 256 for i in range(page)))
    return target


def _foreign(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (x)")
    conn.execute("INSERT INTO notes VALUES ('hello')")
    conn.commit()
    conn.close()
    return path


def _newer(source: Path, target: Path) -> Path:
    shutil.copyfile(source, target)
    conn = sqlite3.connect(target)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    return target


BAD_BACKUPS = {
    "not SQLite": (lambda good, t: (t.write_bytes(b"junk" * 2000), t)[1], "not an SQLite database"),
    "another program's": (lambda good, t: _foreign(t), "not a clinic_gui backup"),
    "damaged": (_damaged_copy, "is damaged and cannot be restored"),
    "from a newer version": (_newer, "newer version of clinic_gui"),
    "missing": (lambda good, t: t, "No backup file at"),
}


@pytest.mark.parametrize("kind", list(BAD_BACKUPS))
def test_a_bad_backup_is_refused_and_nothing_is_touched(
    db: Any, staff: Any, db_path: Path, tmp_path: Path, kind: str
) -> None:
    _import(db, staff)
    # Enough rows that the middle page of the copy is a page of the record.
    for day in range(1, 28):
        record_infusion(
            db, MRN, r.Infusion(date=dt.date(2026, 10, day), product="Remicade", dose_mg=400),
            actor=staff.nurse, today=TODAY,
        )  # fmt: skip
    good = backup_now(db, db_path, actor=staff.admin)
    make, message = BAD_BACKUPS[kind]
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    bad = make(good, outside / "bad.sqlite")
    before, files = snapshot(db_path), _folder(tmp_path)
    with pytest.raises(BackupRefused, match=message):
        restore(bad, db_path, username="admin", password=PASSWORD)
    assert snapshot(db_path) == before
    assert _folder(tmp_path) == files  # the backup file, the backups folder: all as they were


def test_a_demo_backup_is_never_restored_over_a_real_clinic(
    db: Any, staff: Any, db_path: Path, tmp_path: Path
) -> None:
    from clinic_gui.store.demo_clinic import write_demo_clinic
    from clinic_gui.store.users import demo_user

    demo_path = tmp_path / "demo" / "demo.sqlite"
    write_demo_clinic(demo_path, patients=2, seed=1, as_of=TODAY)
    demo = open_database(demo_path)
    try:
        demo_copy = backup_now(demo, demo_path, actor=demo_user(demo))
    finally:
        demo.close()
    _import(db, staff)
    before = snapshot(db_path)
    with pytest.raises(BackupRefused, match="backup of the demo clinic"):
        restore(demo_copy, db_path, username="", password="")
    assert snapshot(db_path) == before
    # Over the demo clinic itself, the demo user restores it without a password.
    assert restore(demo_copy, demo_path, username="", password="") is not None


def test_a_backup_from_before_user_accounts_needs_a_current_administrator(
    db: Any, staff: Any, db_path: Path
) -> None:
    v1 = db_path.parent / "backups" / "clinic-schema-v1-20250101T000000Z.sqlite"
    v1.parent.mkdir()
    shutil.copyfile(FIXTURES / "schema-v1.sqlite", v1)
    with pytest.raises(PermissionRefused, match="may not restore"):
        restore(v1, db_path, username="rn.kim", password=PASSWORD)
    kept = restore(v1, db_path, username="admin", password=PASSWORD)
    assert kept is not None
    restored = open_database(db_path)
    try:
        assert schema_version(restored) == SCHEMA_VERSION
        assert restored.execute("SELECT count(*) FROM patient").fetchone()[0] == 3
        assert _last_event(restored)[:2] == ("admin", "restore")
    finally:
        restored.close()
    assert {p.name for p in v1.parent.iterdir()} == {v1.name, kept.name}  # no upgrade copy


def test_restore_to_where_no_database_is(
    db: Any, staff: Any, db_path: Path, tmp_path: Path
) -> None:
    _import(db, staff)
    copy = backup_now(db, db_path, actor=staff.admin)
    target = tmp_path / "new-pc" / "clinic.sqlite"
    target.parent.mkdir()
    assert restore(copy, target, username="admin", password=PASSWORD) is None
    assert _infusions(target) == _infusions(db_path)


# ---------------------------------------------------------------------------------------------
# The command line


def test_cli_backup_and_restore(
    db: Any, staff: Any, db_path: Path, tmp_path: Path, capsys: Any
) -> None:
    _import(db, staff)
    target = tmp_path / "usb" / "copy.sqlite"
    assert main(["backup", "--db", str(db_path), "--to", str(target), "--user", "admin"]) == 0
    out = capsys.readouterr().out.splitlines()
    head_id, head_hash = backup_chain_head(target)
    assert out == [str(target), f"audit chain head: row {head_id}, hash {head_hash}"]
    assert main(["backup", "--db", str(db_path), "--to", str(target), "--user", "admin"]) == 1
    assert "already exists" in capsys.readouterr().err

    record_infusion(db, MRN, INFUSION, actor=staff.nurse, today=TODAY)
    assert main(["restore", str(target), "--db", str(db_path), "--user", "admin"]) == 0
    out = capsys.readouterr().out.splitlines()
    kept = Path(out[1].removeprefix("The database it replaced was kept as "))
    assert out[0] == f"Restored {target} into {db_path}."
    assert kept.parent == db_path.parent / "backups"
    assert kept.name.endswith("-before-restore.sqlite")
    assert _infusions(kept) == _infusions(db_path) + 1


@pytest.mark.parametrize(
    ("argv", "code", "message"),
    [
        (["backup", "--user", "rn.kim"], 4, "rn.kim may not back up the database"),
        (["backup"], 4, "give --user NAME"),
        (["restore", "{copy}", "--user", "rn.kim"], 4, "rn.kim may not restore a backup"),
        (["restore", "{junk}", "--user", "admin"], 1, "not a clinic_gui backup"),
        (["backup", "--user", "admin", "--db", "{missing}"], 3, "No clinic database"),
    ],
)
def test_cli_refusals(
    db: Any,
    staff: Any,
    db_path: Path,
    tmp_path: Path,
    capsys: Any,
    argv: list[str],
    code: int,
    message: str,
) -> None:
    copy = backup_now(db, db_path, actor=staff.admin)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"junk" * 100)
    names = {"copy": copy, "junk": junk, "missing": tmp_path / "missing.sqlite"}
    args = [a.format(**names) for a in argv]
    if "--db" not in args:
        args += ["--db", str(db_path)]
    before = snapshot(db_path)
    assert main(args) == code
    assert message in capsys.readouterr().err
    assert snapshot(db_path) == before


def test_the_module_names_its_rotation_settings() -> None:
    assert (backup.KEEP_DAILY, backup.KEEP_WEEKLY, backup.KEEP_MONTHLY) == (7, 4, 12)
