"""Opening the clinic database: identity checks, a health check, durable settings, and the
migration ladder.

- ``application_id`` marks the file as ours; any other SQLite file is refused.
- ``PRAGMA quick_check`` runs on a read-only connection before anything is written. A
  damaged file raises ``DamagedDatabase``, which names the latest good backup and the
  command that restores it; the damaged file is left exactly as it was.
- The check reads the whole file (seconds on a large clinic, about a second per 400 MB
  here), so the window may take it off its start: ``open_database(defer_check=True)`` on a
  file of at least ``DEFER_CHECK_FROM_BYTES`` that needs no upgrade runs only the identity
  checks and registers a pending ``HealthGate`` for the file; the caller then runs
  ``run_deferred_check`` on a thread of its own. Until the check has passed,
  ``write_transaction`` refuses every save on *any* connection of this process to that file
  (``CheckPending``, a ``WriteFailed``); after damage is found it refuses them for good
  (``DamageFound``). It refuses rather than waits because saves are made on the window's
  thread: waiting would freeze the window for as long as the check takes, while a refused
  form keeps what was typed. A smaller file, or one that must be upgraded first (an upgrade
  writes), is checked at once as before; the command line always checks at once.
- ``user_version`` is the schema version. A file from a newer app is refused, never opened
  for writing; an older one is copied to ``backups/`` beside it and then upgraded one
  step at a time, each step in its own transaction together with its version stamp.
- Every connection runs in WAL mode with ``synchronous=FULL`` (a committed save survives
  power loss), ``foreign_keys=ON`` and a busy timeout for a second workstation's writes.
- A file that cannot be written (its permissions or its folder's) is opened read-only
  instead of refused, so the record can still be read; every save then fails with a plain
  ``WriteFailed``. ``read_only=True`` asks for that mode explicitly; ``is_read_only`` tells.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import sqlite3
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path


def _import_sqlite_utils_without_numpy() -> None:
    """Import sqlite_utils while numpy is hidden from it.

    sqlite_utils imports numpy when it is installed, only to store numpy values, which this
    app never does; numpy is there for the charts, and importing it costs about 0.1 s of
    every start. Importing sqlite_utils here first, before any other store module, keeps
    numpy out until a chart needs it (``import numpy`` then works as usual).
    """
    if "sqlite_utils" in sys.modules or "numpy" in sys.modules:
        return
    sys.modules["numpy"] = None  # type: ignore[assignment]  # makes "import numpy" fail
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["numpy"]


_import_sqlite_utils_without_numpy()

from sqlite_utils import Database  # noqa: E402

from clinic_gui.store.audit import register_functions  # noqa: E402
from clinic_gui.store.migrations import LADDER, SCHEMA_VERSION  # noqa: E402

# The handle the rest of the app holds; callers outside the store never import sqlite_utils.
ClinicDatabase = Database

APPLICATION_ID = 0x494E4658  # "INFX"
BUSY_TIMEOUT_MS = 5000
# After the busy timeout, BEGIN IMMEDIATE is tried this many more times (a second
# workstation's long import) before the user is told; see ``write_transaction``.
BUSY_RETRIES = 5
# How many lines of a failed check a message quotes.
CHECK_LINES_SHOWN = 3
SQLITE_HEADER = b"SQLite format 3\x00"
# ``open_database(defer_check=True)`` leaves the check of a file this size or larger to
# ``run_deferred_check``. Below it the check takes a few tens of milliseconds, so a small
# clinic is still checked before its window opens and a damaged one is refused at once.
DEFER_CHECK_FROM_BYTES = 8 * 2**20
CHECK_PENDING_MESSAGE = (
    "Nothing was saved: the database check started at start-up is still running; try "
    "again in a moment."
)


class DatabaseRefused(Exception):
    """The file cannot be used as a clinic database; the message says why and what to do."""


class NewerDatabaseError(DatabaseRefused):
    pass


class DamagedDatabase(DatabaseRefused):
    """The file failed SQLite's health check. Nothing was written to it; the message quotes
    what the check found and names the latest good backup (``latest_backup``, or None when
    there is none) with the command that restores it."""

    def __init__(self, message: str, *, findings: list[str], latest_backup: Path | None):
        super().__init__(message)
        self.findings = findings
        self.latest_backup = latest_backup


class BackupFailed(DatabaseRefused):
    """A backup copy that did not pass its checks; it was removed and the database was
    not changed."""


class WriteFailed(Exception):
    """A save the database could not make (disk full, read-only file, another workstation
    holding the lock too long, an I/O error). Nothing of it was written; the message says
    what happened and what to do."""


class CheckPending(WriteFailed):
    """A save refused because the check of the file started at start-up has not passed yet."""


class DamageFound(WriteFailed):
    """A save refused because the check run after start-up found the file damaged;
    ``damage`` quotes the findings and names the latest good backup."""

    def __init__(self, damage: DamagedDatabase):
        super().__init__(str(damage))
        self.damage = damage


class HealthGate:
    """Whether saves to one database file may go ahead while its ``quick_check`` runs after
    start-up: pending, then passed (saves go ahead) or refusing (damage was found, or the
    check could not run) for as long as the process runs.

    ``write_transaction`` consults the gate of the file its connection is on, so every
    connection of the process to that file is held back, the window's and the background
    workers' alike. Thread-safe: the check settles it on its own thread.
    """

    def __init__(self, path: Path):
        self.path = path
        self._lock = threading.Lock()
        self._passed = False
        self._damage: DamagedDatabase | None = None
        self._failure: str | None = None
        self._checking: sqlite3.Connection | None = None
        self._stopped = False

    @property
    def pending(self) -> bool:
        with self._lock:
            return not self._passed and self._damage is None and self._failure is None

    @property
    def damage(self) -> DamagedDatabase | None:
        return self._damage

    def admit_write(self) -> None:
        """Return when a save may go ahead; otherwise raise the ``WriteFailed`` saying why."""
        with self._lock:
            if self._passed:
                return
            if self._damage is not None:
                raise DamageFound(self._damage)
            if self._failure is not None:
                raise WriteFailed(
                    f"Nothing was saved: the database check started at start-up could not "
                    f"finish ({self._failure}). Close clinic_gui and open it again to check "
                    "the database again."
                )
            raise CheckPending(CHECK_PENDING_MESSAGE)

    @property
    def stopped(self) -> bool:
        return self._stopped

    def interrupt(self) -> None:
        """Stop a running check (the app is closing); saves stay refused."""
        with self._lock:
            self._stopped = True
            if self._checking is not None:
                self._checking.interrupt()

    def _start(self, conn: sqlite3.Connection | None) -> bool:
        """The connection ``interrupt`` stops (None: none); False when already stopped."""
        with self._lock:
            self._checking = conn
            return not self._stopped

    def _settle(self, damage: DamagedDatabase | None, failure: str | None = None) -> None:
        with self._lock:
            self._checking = None
            self._damage, self._failure = damage, failure
            self._passed = damage is None and failure is None
        if self._passed:
            _forget_gate(self.path)


_GATES: dict[str, HealthGate] = {}
_GATES_LOCK = threading.Lock()


def _gate_key(path: Path | str) -> str:
    return os.path.normcase(os.path.realpath(path))


def health_gate(path: Path | str) -> HealthGate | None:
    """The gate holding back saves to ``path`` in this process (its check is pending, or found
    damage), or None when saves need no gate."""
    with _GATES_LOCK:
        return _GATES.get(_gate_key(path))


def _register_gate(gate: HealthGate) -> None:
    with _GATES_LOCK:
        _GATES[_gate_key(gate.path)] = gate


def _forget_gate(path: Path) -> None:
    with _GATES_LOCK:
        _GATES.pop(_gate_key(path), None)


def _admit_write(conn: sqlite3.Connection) -> None:
    """Refuse a save to a file whose deferred check has not passed (see ``HealthGate``)."""
    if not _GATES:  # the usual case: one dictionary look-up, no query
        return
    for _seq, name, file in conn.execute("PRAGMA database_list").fetchall():
        gate = health_gate(file) if name == "main" and file else None
        if gate is not None:
            gate.admit_write()


def run_deferred_check(gate: HealthGate) -> DamagedDatabase | None:
    """Run the ``quick_check`` that ``open_database(defer_check=True)`` left for later, on a
    read-only connection of this thread's own, and settle ``gate``: saves go ahead once it
    passes. Returns the damage found (saves then stay refused for good), else None. A check
    stopped by ``gate.interrupt()`` (the app is closing) settles nothing: the gate stays
    pending. When the check cannot run at all, saves stay refused and ``DatabaseRefused``
    says why."""
    try:
        conn = _connect_read_only(gate.path)
        try:
            if gate._start(conn):
                _quick_check(conn, gate.path)
        finally:
            gate._start(None)  # interrupt() must not reach a closed connection
            conn.close()
    except DamagedDatabase as damage:
        gate._settle(damage)
        return damage
    except DatabaseRefused as exc:
        if gate.stopped:
            return None
        gate._settle(None, str(exc))
        raise
    if not gate.stopped:
        gate._settle(None)
    return None


def open_database(
    path: Path | str,
    *,
    create: bool = True,
    read_only: bool = False,
    backup_before_upgrade: bool = True,
    health_check: bool = True,
    defer_check: bool = False,
) -> Database:
    """Open (creating or upgrading as needed) the clinic database at ``path``.

    With ``read_only`` (or when the file or its folder cannot be written) the database is
    opened read-only: never created, upgraded or switched to WAL, and every save fails with
    ``WriteFailed``. ``backup_before_upgrade=False`` skips the copy made before an upgrade
    (for a working copy that is itself made from a backup). ``health_check=False`` skips
    ``quick_check`` (seconds on a large clinic): only for a second connection of a process
    whose first open of the same file ran it or deferred it (its gate still applies).
    ``defer_check=True`` leaves the check of a large file that needs no upgrade to
    ``run_deferred_check``, behind a pending ``HealthGate`` (``health_gate(path)``).
    """
    path = Path(path)
    exists = _exists(path)
    if not exists and (read_only or not create):
        raise DatabaseRefused(
            f"No clinic database at {path}. Check the file name and folder; nothing was created."
        )
    if not exists:
        _make_folder(path)
    read_only = read_only or (exists and not writable(path))
    if exists:
        probe = _connect_read_only(path)
        try:
            version = _checked_identity(probe, path)
            if health_check:
                _check_health(probe, path, version, defer=defer_check)
            if read_only:
                return _read_only_database(probe, path, version)
        except BaseException:
            probe.close()
            raise
        probe.close()
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
        version, app_id, tables = _identity(conn)
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from exc
    try:
        _check_identity(path, version, app_id, tables)
        _configure(conn)
        register_functions(conn)
        db = Database(conn)
        if version < SCHEMA_VERSION:
            if version > 0 and backup_before_upgrade:
                backup_database(db, backup_path(path, version))
            _upgrade(db, version)
    except BaseException:
        conn.close()
        raise
    return db


def is_read_only(db: Database) -> bool:
    """True when the database was opened read-only (every save will fail)."""
    return bool(db.execute("PRAGMA query_only").fetchone()[0])


def writable(path: Path) -> bool:
    """Whether this process may write the database file and its folder (WAL mode keeps
    its -wal and -shm files beside the database, so the folder must be writable too)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _exists(path: Path) -> bool:
    try:
        if path.is_dir():
            raise DatabaseRefused(
                f"{path} is a folder, not a database file. Give the database file's own "
                f"name (for example {path / 'clinic.sqlite'})."
            )
        return path.exists() and path.stat().st_size > 0
    except OSError as exc:
        raise DatabaseRefused(
            f"{path} cannot be looked at ({exc.strerror or exc}). Check that the drive or "
            "network folder is there and that you may read it, or ask IT."
        ) from exc


def _make_folder(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseRefused(
            f"The folder {path.parent} does not exist and could not be created "
            f"({exc.strerror or exc}). Choose a folder you may write to, or ask IT to "
            "create it; nothing was created."
        ) from exc
    if not os.access(path.parent, os.W_OK):
        raise DatabaseRefused(
            f"A new database cannot be created in {path.parent}: the folder cannot be "
            "written. Choose a folder you may write to, or ask IT; nothing was created."
        )


def read_only_uri(path: Path) -> str:
    """A ``file:`` URI that opens ``path`` read-only. When its folder cannot be written and
    no -wal/-shm files are there, the file cannot be changing under us (a writer in WAL
    mode needs those files), so it is opened ``immutable``: SQLite then needs no -shm."""
    uri = path.resolve().as_uri() + "?mode=ro"
    sides = [path.with_name(path.name + suffix) for suffix in ("-wal", "-shm")]
    if not os.access(path.parent, os.W_OK) and not any(side.exists() for side in sides):
        uri += "&immutable=1"
    return uri


def _connect_read_only(path: Path) -> sqlite3.Connection:
    try:
        return sqlite3.connect(
            read_only_uri(path), uri=True, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000
        )
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from exc


def _checked_identity(conn: sqlite3.Connection, path: Path) -> int:
    """The identity checks; nothing is written. Returns the schema version."""
    try:
        version, app_id, tables = _identity(conn)
    except sqlite3.DatabaseError as exc:
        raise _unreadable(path, exc) from exc
    _check_identity(path, version, app_id, tables)
    return version


def _check_health(conn: sqlite3.Connection, path: Path, version: int, *, defer: bool) -> None:
    """``quick_check`` now; or, with ``defer``, a pending gate for a large file that needs no
    upgrade (an upgrade writes, so it is only made to a file checked first)."""
    if defer and version == SCHEMA_VERSION and path.stat().st_size >= DEFER_CHECK_FROM_BYTES:
        _register_gate(HealthGate(path))
        return
    _quick_check(conn, path)
    _forget_gate(path)  # sound now (restored meanwhile): an earlier refusal no longer holds


def _quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """Raise ``DamagedDatabase`` unless SQLite's ``quick_check`` of the file says "ok"."""
    try:
        findings = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
    except sqlite3.DatabaseError as exc:
        if not _is_damage(exc):
            raise _unreadable(path, exc) from exc
        findings = [str(exc)]
    if findings != ["ok"]:
        raise damaged(path, findings)


def _is_damage(exc: sqlite3.DatabaseError) -> bool:
    return "malformed" in str(exc).lower() or "corrupt" in str(exc).lower()


def _unreadable(path: Path, exc: sqlite3.DatabaseError) -> DatabaseRefused:
    if _is_damage(exc):
        return damaged(path, [str(exc)])
    if "locked" in str(exc).lower() or "busy" in str(exc).lower():
        return DatabaseRefused(
            f"{path} is locked by another program or workstation that did not let go in "
            "time. Try again in a moment; it was not changed."
        )
    return DatabaseRefused(
        f"{path} is not a readable SQLite database ({exc}). Check that this is the clinic's "
        "database file and that you may read it; it was not changed."
    )


def damaged(path: Path, findings: list[str]) -> DamagedDatabase:
    """The refusal of a damaged file, naming the latest good backup and how to restore it."""
    from clinic_gui.store.backup import backup_folder, latest_good_backup

    lines = [line for finding in findings for line in finding.splitlines() if line.strip()]
    shown = lines[:CHECK_LINES_SHOWN]
    more = len(lines) - len(shown)
    found = "\n  ".join(shown + ([f"... and {more} more"] if more > 0 else []))
    latest = latest_good_backup(path)
    if latest is None:
        advice = (
            f"No good backup was found in {backup_folder(path)}. Do not use, move or "
            "overwrite the damaged file; ask IT to recover the database from the computer's "
            "own backups."
        )
    else:
        advice = (
            f"The latest good backup is {latest}. An administrator can restore it when "
            "clinic_gui starts (it offers the backup), or with:\n"
            f"  clinic-gui restore {_quoted(latest)} --db {_quoted(path)} --user NAME\n"
            "The restore keeps a copy of the damaged file in the backups folder."
        )
    return DamagedDatabase(
        f"{path} is damaged: SQLite's check of the file found:\n  {found}\n"
        f"Nothing was written to it.\n{advice}",
        findings=lines,
        latest_backup=latest,
    )


def _quoted(path: Path) -> str:
    text = str(path)
    return f'"{text}"' if any(c.isspace() or c in "'\"&;$" for c in text) else text


def _read_only_database(conn: sqlite3.Connection, path: Path, version: int) -> Database:
    if version < SCHEMA_VERSION:
        raise DatabaseRefused(
            f"{path} can only be opened read-only (the file or its folder cannot be "
            f"written), but it is from an older version of clinic_gui (schema v{version}) "
            "and must be upgraded before it can be read. Ask IT to make the file and its "
            "folder writable, then open it again; it was not changed."
        )
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA query_only = ON")
    register_functions(conn)
    return Database(conn)


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
    the one place where that happens. A file whose deferred check has not passed refuses
    the save before it begins (``HealthGate``).
    """
    if db.conn.in_transaction:
        with db.atomic():
            yield db
        return
    _admit_write(db.conn)
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


def backup_database(db: Database | sqlite3.Connection, target: Path) -> Path:
    """A consistent copy through SQLite's online backup API, trusted only once checked.

    The copy is written as ``<target>.partial``, made a self-contained file (rollback
    journal, no -wal), checked with ``integrity_check`` and ``foreign_key_check`` and its
    ``application_id``, flushed to disk, and only then renamed to ``target``. A copy that
    fails is removed and ``BackupFailed`` says why; the database itself is never changed.
    """
    source = db.conn if isinstance(db, Database) else db
    partial = target.with_name(target.name + ".partial")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)  # left by an interrupted backup
        dest = sqlite3.connect(str(partial), isolation_level=None)
        try:
            source.backup(dest)
            dest.execute("PRAGMA journal_mode = DELETE").fetchone()
            problems = check_copy(dest)
        finally:
            dest.close()
        if not problems:
            fsync_file(partial)
            partial.replace(target)
            fsync_folder(target.parent)
    except (OSError, sqlite3.Error) as exc:
        _remove_partial(partial)
        reason = _plain(exc) if isinstance(exc, sqlite3.OperationalError) else None
        raise BackupFailed(
            f"The backup to {target} could not be written ({reason or exc}). The database "
            "was not changed. Free some space or choose another folder, then back up again."
        ) from exc
    if problems:
        _remove_partial(partial)
        shown = "\n  ".join(problems[:CHECK_LINES_SHOWN])
        raise BackupFailed(
            f"The backup copy failed its check, so it was not kept:\n  {shown}\n"
            "The database was not changed, but it may be damaged: run 'clinic-gui audit "
            "verify' and ask IT or the clinic's administrator before making further changes."
        )
    return target


def check_copy(conn: sqlite3.Connection) -> list[str]:
    """What is wrong with a copy of a clinic database ([] when it is sound): its identity,
    ``integrity_check`` (every line but 'ok') and ``foreign_key_check`` (every row)."""
    problems: list[str] = []
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    if app_id != APPLICATION_ID:
        problems.append(f"application_id is {app_id}, not clinic_gui's {APPLICATION_ID}")
    integrity = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    if integrity != ["ok"]:
        problems += [f"integrity_check: {line}" for line in integrity]
    for table, rowid, parent, _fk in conn.execute("PRAGMA foreign_key_check"):
        problems.append(f"foreign_key_check: {table} row {rowid} refers to a missing {parent}")
    return problems


def _remove_partial(partial: Path) -> None:
    """Remove an unfinished copy (never the database or a finished backup)."""
    for suffix in ("", "-journal"):
        with contextlib.suppress(OSError):
            partial.with_name(partial.name + suffix).unlink(missing_ok=True)


def fsync_file(path: Path) -> None:
    with path.open("rb+") as handle:
        os.fsync(handle.fileno())


def fsync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX; Windows has no directory handles here)."""
    if os.name == "nt":
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def utc_now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
