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
import getpass
import sqlite3
from collections.abc import Iterator
from pathlib import Path

from sqlite_utils import Database

from clinic_gui.store.migrations import LADDER, SCHEMA_VERSION

# The handle the rest of the app holds; callers outside the store never import sqlite_utils.
ClinicDatabase = Database

APPLICATION_ID = 0x494E4658  # "INFX"
BUSY_TIMEOUT_MS = 5000


class DatabaseRefused(Exception):
    """The file cannot be used as a clinic database; the message says why and what to do."""


class NewerDatabaseError(DatabaseRefused):
    pass


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
            for statement in step.statements():
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {step.version}")
        current = step.version


def schema_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


@contextlib.contextmanager
def write_transaction(db: Database) -> Iterator[Database]:
    """One user action = one transaction, taken with BEGIN IMMEDIATE.

    Taking the write lock at the start means a second workstation waits (busy timeout)
    instead of failing half-way; nested calls become savepoints via ``db.atomic()``.
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        if db.conn.in_transaction:
            db.conn.execute("ROLLBACK")
        raise
    db.conn.execute("COMMIT")


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


def current_actor() -> str:
    """Who is acting: the operating-system user until the app has its own sign-in."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
