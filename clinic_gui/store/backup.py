"""Backups and restore: verified copies beside the database, kept grandfather-father-son.

- Every backup is made with SQLite's online backup API (``connection.backup_database``, the
  one implementation, also used before a schema upgrade), written as ``.partial``, checked
  (``integrity_check``, ``foreign_key_check``, ``application_id``), flushed to disk and only
  then renamed into place: a file with a backup's name is a verified backup.
- Backups go to ``backups/`` beside the database, named
  ``<stem>-<UTC stamp>-<kind>.sqlite``: ``manual`` (an administrator), ``daily`` (automatic,
  once per UTC day), ``before-restore`` (the database a restore replaced). The copy made
  before a schema upgrade is ``<stem>-schema-v<N>-<stamp>.sqlite`` (kind ``before-upgrade``).
- Each backup appends a ``backup`` event to the database's audit trail naming the file and
  the audit chain head (row id and hash) in the copy, so a trail cut short later can be
  compared with the backup.
- Rotation (``rotation``, a pure function) keeps the newest daily backup of each of the last
  ``KEEP_DAILY`` days that have one, of each of the last ``KEEP_WEEKLY`` ISO weeks and of the
  last ``KEEP_MONTHLY`` months; other daily backups are removed. Manual, before-restore and
  before-upgrade copies are never rotated away.
- ``restore`` checks the backup first (ours, sound, not from a newer version) and the user
  against the backup's own accounts (``Permission.RESTORE``), keeps a copy of the database
  it replaces, and writes the backup into place with the backup API, so other connections
  see one consistent change. If any check fails nothing is changed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import shutil
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlite_utils import Database

from clinic_gui.domain.access import Permission, User
from clinic_gui.store import users
from clinic_gui.store.audit import log_event
from clinic_gui.store.connection import (
    APPLICATION_ID,
    BUSY_TIMEOUT_MS,
    CHECK_LINES_SHOWN,
    SQLITE_HEADER,
    BackupFailed,
    DatabaseRefused,
    WriteFailed,
    backup_database,
    check_copy,
    fsync_file,
    fsync_folder,
    is_read_only,
    open_database,
    read_only_uri,
    write_transaction,
)
from clinic_gui.store.migrations import SCHEMA_VERSION

__all__ = [
    "AUTOMATIC_ACTOR",
    "KEEP_DAILY",
    "KEEP_MONTHLY",
    "KEEP_WEEKLY",
    "BackupFailed",
    "BackupInfo",
    "BackupRefused",
    "backup_chain_head",
    "backup_folder",
    "backup_now",
    "daily_backup_if_due",
    "latest_good_backup",
    "list_backups",
    "parse_backup_name",
    "restore",
    "rotate_backups",
    "rotation",
]

# Rotation: how many days, ISO weeks and months keep their newest daily backup. Constants
# here; a clinic setting can take them over (``rotate_backups`` takes them as arguments).
KEEP_DAILY = 7
KEEP_WEEKLY = 4
KEEP_MONTHLY = 12

BACKUP_FOLDER = "backups"
AUTOMATIC_ACTOR = "(automatic)"
MANUAL = "manual"
DAILY = "daily"
BEFORE_RESTORE = "before-restore"
BEFORE_UPGRADE = "before-upgrade"
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"
_KIND = r"[a-z]+(?:-[a-z]+)*"
_STAMP = r"\d{8}T\d{6}Z"


class BackupRefused(Exception):
    """A backup that cannot be made or restored as asked (not a clinic_gui backup, damaged,
    from a newer version, a name already taken). Nothing was changed; the message says
    what to do."""


@dataclass(frozen=True)
class BackupInfo:
    path: Path
    taken_at: dt.datetime  # UTC, from the file name
    kind: str  # manual, daily, before-restore, before-upgrade, ...
    size: int  # bytes


def backup_folder(db_path: Path | str) -> Path:
    return Path(db_path).parent / BACKUP_FOLDER


def _utc(now: dt.datetime | None) -> dt.datetime:
    return (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)


# ---------------------------------------------------------------------------------------------
# Names


def parse_backup_name(name: str, stem: str) -> tuple[dt.datetime, str, int] | None:
    """(time taken, kind, same-second counter) of a backup of the database named ``stem``,
    or None for any other file."""
    prefix = re.escape(stem)
    match = re.fullmatch(rf"{prefix}-({_STAMP})-({_KIND})(?:-(\d+))?\.sqlite", name)
    if match:
        stamp, kind, counter = match.groups()
    else:
        match = re.fullmatch(rf"{prefix}-schema-v\d+-({_STAMP})\.sqlite", name)
        if not match:
            return None
        stamp, kind, counter = match.group(1), BEFORE_UPGRADE, None
    when = dt.datetime.strptime(stamp, STAMP_FORMAT).replace(tzinfo=dt.UTC)
    return when, kind, int(counter or 1)


def _new_name(db_path: Path, kind: str, now: dt.datetime | None) -> Path:
    """A backup file name not yet taken (a counter is added within the same second)."""
    stamp = _utc(now).strftime(STAMP_FORMAT)
    folder = backup_folder(db_path)
    counter = 1
    while True:
        suffix = "" if counter == 1 else f"-{counter}"
        target = folder / f"{db_path.stem}-{stamp}-{kind}{suffix}.sqlite"
        if not target.exists():
            return target
        counter += 1


def list_backups(db_path: Path | str) -> list[BackupInfo]:
    """The backups of the database at ``db_path`` in its backups folder, newest first."""
    db_path = Path(db_path)
    folder = backup_folder(db_path)
    if not folder.is_dir():
        return []
    found = []
    for file in folder.iterdir():
        parsed = parse_backup_name(file.name, db_path.stem)
        if parsed is None or not file.is_file():
            continue
        when, kind, counter = parsed
        found.append((when, counter, BackupInfo(file, when, kind, file.stat().st_size)))
    found.sort(key=lambda item: (item[0], item[1], item[2].path.name), reverse=True)
    return [info for _, _, info in found]


def latest_good_backup(db_path: Path | str) -> Path | None:
    """The newest backup that is a clinic_gui database and passes ``quick_check``."""
    for info in list_backups(db_path):
        if _sound(info.path):
            return info.path
    return None


def _sound(path: Path, *, live: bool = False) -> bool:
    """A clinic_gui database that passes ``quick_check`` (``live``: the database in use,
    read the ordinary way; else a backup file, read without touching it)."""
    try:
        with contextlib.closing(_read_only(path) if live else _read_backup(path)) as conn:
            if conn.execute("PRAGMA application_id").fetchone()[0] != APPLICATION_ID:
                return False
            return [row[0] for row in conn.execute("PRAGMA quick_check")] == ["ok"]
    except (sqlite3.Error, OSError):
        return False


def _read_only(path: Path) -> sqlite3.Connection:
    return sqlite3.connect(
        read_only_uri(path), uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
    )


def _read_backup(path: Path) -> sqlite3.Connection:
    """A backup file, read without leaving anything beside it: ``immutable`` (no -shm, no
    locks) unless it has a -wal of its own, whose content then counts."""
    if path.with_name(path.name + "-wal").exists():
        return _read_only(path)
    uri = path.resolve().as_uri() + "?mode=ro&immutable=1"
    return sqlite3.connect(uri, uri=True, isolation_level=None)


def backup_chain_head(path: Path | str) -> tuple[int, str]:
    """The audit chain head (last row id and hash) stored in a backup file; (0, '') when it
    has no audit trail (a copy from before schema v2)."""
    with contextlib.closing(_read_backup(Path(path))) as conn:
        if not conn.execute(
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'audit'"
        ).fetchone():
            return 0, ""
        row = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return (0, "") if row is None else (int(row[0]), str(row[1]))


# ---------------------------------------------------------------------------------------------
# Making backups


def backup_now(
    db: Database,
    db_path: Path | str,
    *,
    actor: User | None,
    kind: str = MANUAL,
    target: Path | str | None = None,
    now: dt.datetime | None = None,
) -> Path:
    """Back up the open database ``db`` (the file at ``db_path``); returns the verified copy.

    A backup by a person (``actor``) needs ``Permission.BACKUP``; an automatic one has
    ``actor=None`` and is audited as ``(automatic)``. Without ``target`` the copy goes to
    the backups folder under a name saying when and what kind; an explicit ``target`` must
    not exist yet. The ``backup`` audit event goes into ``db`` (not when it is read-only).
    """
    db_path = Path(db_path)
    if not re.fullmatch(_KIND, kind) or kind == BEFORE_UPGRADE:
        raise ValueError(f"not a backup kind: {kind!r}")
    if actor is not None:
        users.authorize(db, actor, Permission.BACKUP)
    elif kind == MANUAL:
        raise users.PermissionRefused(
            "a manual backup is made by a signed-in administrator: sign in, then back up"
        )
    if target is None:
        target = _new_name(db_path, kind, now)
    else:
        target = Path(target)
        if target.exists():
            raise BackupRefused(
                f"{target} already exists. Choose a new file name for the backup; nothing "
                "was overwritten."
            )
    backup_database(db, target)
    head_id, head_hash = backup_chain_head(target)
    if not is_read_only(db):
        with write_transaction(db):
            log_event(
                db,
                actor or AUTOMATIC_ACTOR,
                "backup",
                f"{kind} backup written to {target}, verified (integrity_check ok, "
                f"foreign_key_check empty); audit chain head in the copy: row {head_id}, "
                f"hash {head_hash}",
            )
    return target


def daily_backup_if_due(
    db: Database, db_path: Path | str, *, now: dt.datetime | None = None
) -> Path | None:
    """Make today's automatic backup unless one exists (UTC day), then apply rotation.
    Returns the new backup, or None when none was due (or the database is read-only)."""
    db_path = Path(db_path)
    today = _utc(now).date()
    if is_read_only(db) or any(
        b.kind == DAILY and b.taken_at.date() == today for b in list_backups(db_path)
    ):
        return None
    made = backup_now(db, db_path, actor=None, kind=DAILY, now=now)
    rotate_backups(db_path)
    return made


def rotation(
    names: Iterable[str],
    stem: str,
    *,
    keep_daily: int = KEEP_DAILY,
    keep_weekly: int = KEEP_WEEKLY,
    keep_monthly: int = KEEP_MONTHLY,
) -> set[str]:
    """The daily backups (of the database named ``stem``) that rotation removes.

    Kept: the newest daily backup of each of the ``keep_daily`` most recent days that have
    one, of each of the ``keep_weekly`` most recent ISO weeks, and of each of the
    ``keep_monthly`` most recent months (UTC). Any other kind of file is never named.
    """
    dailies = []
    for name in names:
        parsed = parse_backup_name(name, stem)
        if parsed is not None and parsed[1] == DAILY:
            dailies.append((parsed[0], parsed[2], name))
    dailies.sort(reverse=True)  # newest first: the first of each period is its newest

    def day(when: dt.datetime) -> object:
        return when.date()

    def week(when: dt.datetime) -> object:
        return when.isocalendar()[:2]

    def month(when: dt.datetime) -> object:
        return (when.year, when.month)

    keep: set[str] = set()
    for period, count in ((day, keep_daily), (week, keep_weekly), (month, keep_monthly)):
        seen: set[object] = set()
        for when, _counter, name in dailies:
            key = period(when)
            if key in seen:
                continue
            if len(seen) >= count:
                break
            seen.add(key)
            keep.add(name)
    return {name for _, _, name in dailies} - keep


def rotate_backups(
    db_path: Path | str,
    *,
    keep_daily: int = KEEP_DAILY,
    keep_weekly: int = KEEP_WEEKLY,
    keep_monthly: int = KEEP_MONTHLY,
) -> list[Path]:
    """Remove the daily backups ``rotation`` names; returns the files removed."""
    db_path = Path(db_path)
    folder = backup_folder(db_path)
    names = [b.path.name for b in list_backups(db_path)]
    removed = []
    for name in sorted(
        rotation(
            names,
            db_path.stem,
            keep_daily=keep_daily,
            keep_weekly=keep_weekly,
            keep_monthly=keep_monthly,
        )
    ):
        with contextlib.suppress(OSError):  # still there: removed at the next rotation
            (folder / name).unlink()
            removed.append(folder / name)
    return removed


# ---------------------------------------------------------------------------------------------
# Restore


def restore(
    backup_file: Path | str,
    db_path: Path | str,
    *,
    username: str,
    password: str,
    now: dt.datetime | None = None,
) -> Path | None:
    """Replace the database at ``db_path`` with ``backup_file``; returns where the replaced
    database was kept (None when there was none).

    In order, and nothing is changed until every check has passed: the backup must be a
    clinic_gui database that passes ``integrity_check`` and ``foreign_key_check`` and is
    not from a newer version; it is copied to a working file (upgraded there if older) and
    the user signs in against the backup's own accounts and must hold
    ``Permission.RESTORE`` (the demo user on a demo clinic; an administrator of the current
    database for a backup from before user accounts). Then the current database is kept
    (``backups/<stem>-<stamp>-before-restore.sqlite``: a verified backup-API copy when it
    opens cleanly, else a plain copy of the file with its -wal and -shm), a ``restore``
    event is added to the working copy, and the working copy is written into place with the
    backup API (or, for a damaged or missing database, renamed into place).
    """
    backup_file, db_path = Path(backup_file), Path(db_path)
    head_id, head_hash = _check_backup(backup_file, db_path)
    _check_target(db_path)
    work = db_path.with_name(f".{db_path.stem}-restoring.sqlite")
    _remove_working_copy(work)
    try:
        with (
            contextlib.closing(_read_backup(backup_file)) as source,
            contextlib.closing(sqlite3.connect(str(work), isolation_level=None)) as copy,
        ):
            source.backup(copy)
        # Checked above with integrity_check, which covers quick_check.
        restored = open_database(work, backup_before_upgrade=False, health_check=False)
        try:
            actor = _restoring_user(restored, backup_file, db_path, username, password)
            kept, in_place = _keep_current(db_path, now)
            kept_text = (
                f"the database it replaced was kept as {kept}"
                if kept
                else f"there was no database at {db_path} to replace"
            )
            with write_transaction(restored):
                log_event(
                    restored,
                    actor,
                    "restore",
                    f"restored from {backup_file} (its audit chain head: row {head_id}, hash "
                    f"{head_hash}); {kept_text}",
                )
            if in_place:
                _write_into_place(restored, db_path)
        finally:
            restored.close()
        if not in_place:
            _rename_into_place(work, db_path)
    finally:
        _remove_working_copy(work)
    open_database(db_path).close()  # the result opens: identity, quick_check, settings
    return kept


def _check_backup(backup_file: Path, db_path: Path) -> tuple[int, str]:
    """Refuse a file that is not a sound clinic_gui backup this version can open; returns
    its audit chain head."""
    where = f"choose another backup (the backups are in {backup_folder(db_path)})"
    if not backup_file.is_file():
        raise BackupRefused(
            f"No backup file at {backup_file}. Check the name; nothing was changed."
        )
    if db_path.exists() and backup_file.resolve() == db_path.resolve():
        raise BackupRefused(
            f"{backup_file} is the database itself, not a backup of it; {where}. Nothing was "
            "changed."
        )
    try:
        with backup_file.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise BackupRefused(
            f"{backup_file} cannot be read ({exc.strerror or exc}); {where}. Nothing was changed."
        ) from exc
    if header != SQLITE_HEADER:
        raise BackupRefused(
            f"{backup_file} is not a clinic_gui backup (not an SQLite database); {where}. "
            "Nothing was changed."
        )
    try:
        with contextlib.closing(_read_backup(backup_file)) as conn:
            app_id = conn.execute("PRAGMA application_id").fetchone()[0]
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if app_id != APPLICATION_ID:
                raise BackupRefused(
                    f"{backup_file} is an SQLite file but not a clinic_gui backup; {where}. "
                    "Nothing was changed."
                )
            if version > SCHEMA_VERSION:
                raise BackupRefused(
                    f"{backup_file} was written by a newer version of clinic_gui (schema "
                    f"v{version}; this version understands up to v{SCHEMA_VERSION}). Install "
                    "the newer version to restore it. Nothing was changed."
                )
            problems = check_copy(conn)
    except sqlite3.DatabaseError as exc:
        problems = [str(exc)]
    if problems:
        shown = "\n  ".join(problems[:CHECK_LINES_SHOWN])
        raise BackupRefused(
            f"{backup_file} is damaged and cannot be restored; its check found:\n  {shown}\n"
            f"Nothing was changed; {where}."
        )
    return backup_chain_head(backup_file)


def _check_target(db_path: Path) -> None:
    """Refuse to restore over another program's database or into a folder we cannot write."""
    folder = db_path.parent
    if not folder.is_dir() or not os.access(folder, os.W_OK):
        raise DatabaseRefused(
            f"Cannot restore into {folder}: the folder is missing or cannot be written. Ask "
            "IT to check the folder's permissions; nothing was changed."
        )
    if not db_path.exists():
        return
    if not os.access(db_path, os.W_OK):
        raise DatabaseRefused(
            f"Cannot restore over {db_path}: the file cannot be written. Ask IT to check its "
            "permissions; nothing was changed."
        )
    app_id = None
    with (
        contextlib.suppress(sqlite3.Error, OSError),
        contextlib.closing(_read_only(db_path)) as conn,
    ):
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id not in (None, 0, APPLICATION_ID):
        raise BackupRefused(
            f"{db_path} is not a clinic_gui database; a backup is only restored over the "
            "clinic's own database. Check the database named; nothing was changed."
        )


def _restoring_user(
    restored: Database, backup_file: Path, db_path: Path, username: str, password: str
) -> User:
    demo = users.demo_user(restored) if users.is_demo_clinic(restored) else None
    if demo is not None:
        if db_path.exists() and _is_demo_clinic_file(db_path) is False:
            raise BackupRefused(
                f"{backup_file} is a backup of the demo clinic (synthetic patients); it is "
                f"never restored over a clinic's own record ({db_path}). Choose the clinic's "
                "own backup, or restore the demo backup to a new file. Nothing was changed."
            )
        return demo
    if users.user_count(restored) == 0:
        return _current_administrator(backup_file, db_path, username, password)
    if not username.strip():
        raise users.SignInRefused(
            "restoring a backup needs the user name and password of an administrator in "
            "that backup: give --user NAME"
        )
    user = users.sign_in(restored, username, password)
    users.authorize(restored, user, Permission.RESTORE)
    return user


def _current_administrator(backup_file: Path, db_path: Path, username: str, password: str) -> User:
    """A backup from before user accounts: an administrator of the current database."""
    if not db_path.exists():
        raise BackupRefused(
            f"{backup_file} has no user accounts (it was made before accounts existed), so an "
            f"administrator of the current database must restore it, and there is none at "
            f"{db_path}. Nothing was changed."
        )
    if not username.strip():
        raise users.SignInRefused(
            f"{backup_file} has no user accounts (it was made before accounts existed): give "
            "--user NAME of an administrator of the current database"
        )
    current = open_database(db_path, create=False)
    try:
        user = users.sign_in(current, username, password)
        users.authorize(current, user, Permission.RESTORE)
    finally:
        current.close()
    return user


def _is_demo_clinic_file(path: Path) -> bool | None:
    """Whether the file is the demo clinic; None when that cannot be read (it is damaged:
    whatever replaces it, it is kept)."""
    try:
        with contextlib.closing(_read_only(path)) as conn:
            row = conn.execute("SELECT value FROM setting WHERE key = 'demo_clinic'").fetchone()
    except (sqlite3.Error, OSError):
        return None
    return row is not None and row[0] == "true"


def _keep_current(db_path: Path, now: dt.datetime | None) -> tuple[Path | None, bool]:
    """Keep the database about to be replaced. Returns the copy (None when there is no
    database) and whether the restore can be written into place with the backup API (the
    current file opens cleanly)."""
    if not db_path.exists():
        return None, False
    kept = _new_name(db_path, BEFORE_RESTORE, now)
    healthy = _sound(db_path, live=True)
    if healthy:
        try:
            with contextlib.closing(_read_only(db_path)) as conn:
                backup_database(conn, kept)
            return kept, True
        except BackupFailed:
            pass  # a plain copy then keeps it exactly as it is
    kept.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm", "-journal"):
        source = db_path.with_name(db_path.name + suffix)
        if source.exists():
            copy = kept.with_name(kept.name + suffix)
            partial = copy.with_name(copy.name + ".partial")
            shutil.copyfile(source, partial)
            fsync_file(partial)
            partial.replace(copy)
    fsync_folder(kept.parent)
    return kept, healthy


def _write_into_place(restored: Database, db_path: Path) -> None:
    """One write transaction on the live database: other connections see all or nothing."""
    dest = sqlite3.connect(str(db_path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        restored.conn.backup(dest)
    except sqlite3.OperationalError as exc:
        raise WriteFailed(
            f"The backup could not be written into {db_path} ({exc}). The database was not "
            "changed; close clinic_gui on the other workstations and restore again."
        ) from exc
    finally:
        dest.close()


def _rename_into_place(work: Path, db_path: Path) -> None:
    """For a damaged or missing database (already kept, with its -wal and -shm): the
    working copy replaces the file, and the old -wal/-shm go so SQLite cannot apply them to
    the restored database."""
    fsync_file(work)
    try:
        for suffix in ("-wal", "-shm", "-journal"):
            db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
        work.replace(db_path)
    except OSError as exc:
        raise DatabaseRefused(
            f"The restored database could not be put in place of {db_path} "
            f"({exc.strerror or exc}). Close clinic_gui on every workstation and restore "
            "again; the replaced database was kept in the backups folder."
        ) from exc
    fsync_folder(db_path.parent)


def _remove_working_copy(work: Path) -> None:
    """The restore's working copy (made from a backup that is still there)."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        work.with_name(work.name + suffix).unlink(missing_ok=True)
