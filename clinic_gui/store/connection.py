"""Opening the clinic database: identity checks, durable settings, and the migration ladder.

- ``application_id`` marks the file as ours; any other SQLite file is refused.
- ``user_version`` is the schema version. A file from a newer app is refused, never opened
  for writing; an older one is copied to ``backups/`` beside it and then upgraded one
  step at a time, each step in its own transaction together with its version stamp.
- Every connection runs in WAL mode with ``synchronous=FULL`` (a committed save survives
  power loss), ``foreign_keys=ON`` and a busy timeout for a second workstation's writes.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from clinic_gui.store.audit import register_functions
from clinic_gui.store.migrations import LADDER, SCHEMA_VERSION

# The handle the rest of the app holds; callers outside the store never import sqlite_utils.
ClinicDatabase = Database

APPLICATION_ID = 0x494E4658  # "INFX"
BUSY_TIMEOUT_MS = 5000
# After the busy timeout, BEGIN IMMEDIATE is tried this many more times (a second
# workstation's long import) before the user is told; see ``write_transaction``.
BUSY_RETRIES = 5


class DatabaseRefused(Exception):
    """The file cannot be used as a clinic database; the message says why and what to do."""


class NewerDatabaseError(DatabaseRefused):
    pass


class WriteFailed(Exception):
    """A save the database could not make (disk full, read-only file, another workstation
    holding the lock too long, an I/O error). Nothing of it was written; the message says
    what happened and what to do."""


def open_database(path: Path | str, *, create: bool = True) -> Database:
    """Open (creating or upgrading as needed) the clinic database at ``path``."""
    path = Path(path)
    exists = path.exists() and path.stat().st_size > 0
    if not exists and not create:
        raise DatabaseRefused(f"No clinic database at {path}.")
    if not exists:
        path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        version, app_id, tables = _identity(conn)
    except sqlite3.DatabaseError as exc:
        raise DatabaseRefused(f"{path} is not a readable SQLite database ({exc}).") from exc
    try:
        _check_identity(path, version, app_id, tables)
        _configure(conn)
        register_functions(conn)
        db = Database(conn)
        if version < SCHEMA_VERSION:
            if version > 0:
                backup_database(db, backup_path(path, version))
            _upgrade(db, version)
    except BaseException:
        conn.close()
        raise
    return db


def _identity(conn: sqlite3.Connection) -> tuple[int, int, int]:
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    tables = conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0]
    return version, app_id, tables


def _check_identity(path: Path, version: int, app_id: int, tables: int) -> None:
    if app_id != APPLICATION_ID and (app_id != 0 or tables > 0):
        raise DatabaseRefused(
            f"{path} is an SQLite file but not a clinic_gui database; it was not opened."
        )
    if version > SCHEMA_VERSION:
        raise NewerDatabaseError(
            f"{path} was written by a newer version of clinic_gui (schema v{version}; this "
            f"version understands up to v{SCHEMA_VERSION}). Install the newer version to open "
            "it. The file was not opened or changed."
        )


def _configure(conn: sqlite3.Connection) -> None:
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode.lower() != "wal":
        raise DatabaseRefused(f"Could not switch the database to WAL mode (got {mode}).")
    conn.execute("PRAGMA synchronous = FULL")


def _upgrade(db: Database, current: int) -> None:
    for step in LADDER:
        if step.version <= current:
            continue
        with write_transaction(db):
            if current == 0:
                db.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            for statement in step.statements(db):
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {step.version}")
        current = step.version


def schema_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One user action = one transaction, taken with BEGIN IMMEDIATE.

    Taking the write lock at the start means a second workstation waits (busy timeout,
    then ``BUSY_RETRIES`` more tries) instead of failing half-way; nested calls become
    savepoints via ``db.atomic()``. SQLite's own failures (locked, full, read-only, I/O)
    roll the whole action back and become ``WriteFailed`` with a plain message: this is
    the one place where that happens.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    _begin(db.conn)
    try:
        yield db
        db.conn.execute("COMMIT")
    except BaseException as exc:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError) and _plain(exc):
            raise WriteFailed(_plain(exc)) from exc
        raise


def _begin(conn: sqlite3.Connection) -> None:
    for attempt in range(BUSY_RETRIES + 1):
        try:
            conn.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc):
                raise WriteFailed(_plain(exc) or f"The database refused the save ({exc}).") from exc
            if attempt == BUSY_RETRIES:
                raise WriteFailed(_plain(exc)) from exc
            time.sleep(0.05 * (attempt + 1))


def _plain(exc: sqlite3.OperationalError) -> str | None:
    """What a nurse is told when SQLite refuses a write; None for a programming error."""
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return (
            "Another workstation is saving to this database and did not finish in time. "
            "Nothing was saved; try again in a moment."
        )
    if "full" in text:
        return (
            "The disk holding the database is full. Nothing was saved. Free some space (or "
            "ask IT) and save again; the record can still be read."
        )
    if "readonly" in text or "read-only" in text:
        return (
            "The database is open read-only (the file or its folder cannot be written). "
            "Nothing was saved; ask IT to check the file's permissions."
        )
    if "disk i/o" in text or "unable to open" in text:
        return (
            "The database file could not be written (an I/O error: a removed drive or a "
            "lost network connection?). Nothing was saved."
        )
    return None


def backup_path(path: Path, version: int) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return path.parent / "backups" / f"{path.stem}-schema-v{version}-{stamp}.sqlite"


def backup_database(db: Database, target: Path) -> Path:
    """A consistent copy through SQLite's online backup API, checked before it is trusted."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(".partial")
    dest = sqlite3.connect(str(partial))
    try:
        db.conn.backup(dest)
        result = dest.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        dest.close()
    if result != "ok":
        partial.unlink(missing_ok=True)
        raise DatabaseRefused(f"The backup copy failed its integrity check ({result}).")
    partial.replace(target)
    return target


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
