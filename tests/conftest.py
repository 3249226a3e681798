"""Shared fixtures. Qt runs offscreen; no test ever reads or writes the user's own files."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import sys
from pathlib import Path
from typing import Any

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = ROOT / "tests" / "fixtures"
CASES = FIXTURES / "cases"
CASE_FILES = sorted(CASES.glob("*.json"))


@pytest.fixture(autouse=True)
def _isolated_user_dirs(tmp_path_factory: pytest.TempPathFactory, monkeypatch: Any) -> None:
    home = tmp_path_factory.mktemp("user")
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(var, str(home / var.lower()))


def load_case_json(name: str) -> dict[str, Any]:
    return json.loads((CASES / name).read_text(encoding="utf-8"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "clinic.sqlite"


@pytest.fixture
def db(db_path: Path) -> Any:
    from clinic_gui.store.connection import open_database

    database = open_database(db_path)
    yield database
    database.close()


SESSION_EVENTS = "('sign_in', 'sign_in_failed', 'sign_out', 'lock', 'unlock')"


def snapshot(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, plus the schema version: 'the database exactly as it was'.

    Sign-in and lock events in the audit trail are left out: signing in to make a change
    that is then refused is recorded, and is not a change to the record."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
            )
        ]
        state = {
            t: conn.execute(
                f'SELECT * FROM "{t}"'
                + (f" WHERE action NOT IN {SESSION_EVENTS}" if t == "audit" else "")
                + " ORDER BY rowid"
            ).fetchall()
            for t in tables
        }
        state["user_version"] = conn.execute("PRAGMA user_version").fetchall()
        return state
    finally:
        conn.close()


@pytest.fixture(autouse=True)
def _background_work_finishes() -> Any:
    """No background task (worklist, backup) outlives its test: a worker thread still running
    while the next test tears widgets down, or while the interpreter exits, can crash Qt."""
    yield
    if "PySide6.QtCore" in sys.modules:  # only tests that loaded Qt can have started any
        from PySide6.QtCore import QThreadPool

        QThreadPool.globalInstance().waitForDone(30_000)


@pytest.fixture(autouse=True)
def _widgets_collected_between_tests(request: pytest.FixtureRequest) -> Any:
    """After a test with widgets: Qt's deferred deletions run, then Python's cycle collector,
    here and not at some allocation inside the next test's paint (a collection there once
    crashed a full run, freeing wrappers of the previous test's plot items mid-paint)."""
    yield
    if "qtbot" not in request.fixturenames or "PySide6.QtCore" not in sys.modules:
        return
    import gc

    from PySide6.QtCore import QCoreApplication, QEvent

    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    gc.collect()


@pytest.fixture(autouse=True)
def _fast_password_hashing(monkeypatch: Any) -> None:
    """argon2id with tiny parameters in tests (the app's own are 64 MiB, 3 passes)."""
    from argon2 import PasswordHasher

    from clinic_gui.store import users

    monkeypatch.setattr(users, "HASHER", PasswordHasher(time_cost=1, memory_cost=64, parallelism=1))


PASSWORD = "correct horse 1"


class Staff:
    """One user per role in a test database: ``admin``, ``nurse``, ``physician``."""

    def __init__(self, database: Any) -> None:
        from clinic_gui.store.users import create_user

        self.admin = create_user(
            database, None, username="admin", full_name="Ada Admin", roles=["admin"],
            password=PASSWORD,
        )  # fmt: skip
        self.nurse = create_user(
            database, self.admin, username="rn.kim", full_name="Kim Nurse", roles=["nurse"],
            password=PASSWORD,
        )  # fmt: skip
        self.physician = create_user(
            database, self.admin, username="dr.lee", full_name="Dr Lee",
            roles=["physician"], password=PASSWORD,
        )  # fmt: skip


@pytest.fixture
def staff(db: Any) -> Staff:
    return Staff(db)


def write_row_by_row(database: Any, case: Any, actor: Any) -> int:
    """Write ``case`` as entries made one by one would be (one ``create`` audit row per row),
    not as an import (one ``import`` event for all): for tests of the per-row trail. Returns
    the patient's id."""
    from clinic_gui.store.cases import creation_stamp, insert_record, insert_rows
    from clinic_gui.store.connection import write_transaction

    stamp = creation_stamp(actor)
    with write_transaction(database):
        pid = insert_record(database, "patient", case.patient, {}, stamp)
        insert_rows(database, [(pid, case)], stamp)
    return pid


PAGE = 4096  # SQLite's default page size


def file_sha(path: Path) -> str:
    """The file's SHA-256: whether a file was left exactly as it was."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def damage_a_page(path: Path) -> None:
    """Garbage over one page in the middle of the file (as a failing disk sector would)."""
    pages = path.stat().st_size // PAGE
    with path.open("r+b") as handle:
        handle.seek(PAGE * (pages // 2))
        handle.write(bytes((i * 73 + 5) % 256 for i in range(PAGE)))


def copy_with_backup(source: Path, folder: Path, now: Any = None) -> Path:
    """A copy of the demo clinic ``source`` at ``folder/clinic/clinic.sqlite`` with one good
    backup of it (taken ``now``, when given), made by its demo user."""
    import shutil

    from clinic_gui.store.backup import backup_now
    from clinic_gui.store.connection import open_database
    from clinic_gui.store.users import demo_user

    path = folder / "clinic" / "clinic.sqlite"
    path.parent.mkdir()
    shutil.copyfile(source, path)
    db = open_database(path)
    try:
        backup_now(db, path, actor=demo_user(db), **({} if now is None else {"now": now}))
    finally:
        db.close()
    return path


def staffed_database(path: Path) -> Path:
    """A new clinic database at ``path`` with ``Staff`` (for the command line's --user)."""
    from clinic_gui.store.connection import open_database

    database = open_database(path)
    try:
        Staff(database)
    finally:
        database.close()
    return path


def run_cli(*args: str | Path, user: str = "dr.lee") -> int:
    """``clinic-gui ARGS``; commands that act as a user get ``--user`` (password from the
    environment), on a database given staff first if it does not exist yet."""
    from clinic_gui.__main__ import main

    argv = [str(a) for a in args]
    if argv[0] in ("import-case", "export-case") and "--db" in argv:
        path = Path(argv[argv.index("--db") + 1])
        source = Path(argv[1])
        if not path.exists() and argv[0] == "import-case" and _parses(source):
            staffed_database(path)
        argv += ["--user", user]
    return main(argv)


def _parses(path: Path) -> bool:
    try:
        return path.suffix == ".json" and isinstance(
            json.loads(path.read_text(encoding="utf-8")), dict
        )
    except (ValueError, OSError):
        return False


@pytest.fixture(autouse=True)
def _cli_password(monkeypatch: Any) -> None:
    monkeypatch.setenv("CLINIC_GUI_PASSWORD", PASSWORD)
