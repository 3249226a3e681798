"""The audit trail: who did what and when, append-only and hash chained.

Changes to clinical, user and setting rows are written by triggers (schema v2), in the
same transaction as the change. The app adds its own events here (``log_event``):
sign-in, lock, export, import, backup, restore. Every row's ``hash`` is the SHA-256 of a
canonical JSON array of its content and the previous row's hash, so editing, removing or
reordering a row breaks the chain at that row; ``verify_chain`` finds the first break.

Limits, stated plainly: a chain shows tampering only up to its last row; cutting rows off
the end is caught by comparing the head with a backup (``chain_head`` is printed with
every backup), and someone with write access to the file could rebuild the whole chain.
The trail is evidence for review, not a lock.

Bulk imports (schema v4): rows created inside ``bulk_created`` write no ``create`` row each;
one ``import`` event names them instead, by table and id range (``after_json``), next to the
human-readable ``detail``. Their later changes and voids are audited row by row.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlite_utils import Database

from clinic_gui.domain.access import User

AUDIT_COLUMNS = (
    "prev_hash",
    "at",
    "actor",
    "workstation",
    "action",
    "table_name",
    "row_id",
    "patient_id",
    "before_json",
    "after_json",
    "detail",
)

_WORKSTATION = socket.gethostname() or "unknown"

# The tables whose created rows ``bulk_created`` audits by id range (the v4 trigger list).
BULK_TABLES = ("patient", "weight", "regimen", "infusion", "vital_sign", "diary", "lab")
# The connection inside ``bulk_created`` in this thread (or context), if any.
_BULK_CONNECTION: ContextVar[sqlite3.Connection | None] = ContextVar("bulk", default=None)


def audit_hash(*values: Any) -> str:
    """SHA-256 of the values (in ``AUDIT_COLUMNS`` order) as one canonical JSON array."""
    text = json.dumps(list(values), ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def register_functions(conn: sqlite3.Connection) -> None:
    """The SQL functions the audit triggers call; every connection of the app has them."""
    conn.create_function("clinic_audit_hash", len(AUDIT_COLUMNS), audit_hash, deterministic=True)
    conn.create_function("clinic_workstation", 0, lambda: _WORKSTATION)
    # Not deterministic: its value depends on whether this connection is in a bulk import.
    conn.create_function("clinic_row_audit", 0, lambda: int(_BULK_CONNECTION.get() is not conn))


@dataclass
class BulkEvent:
    """The ``import`` event ``bulk_created`` writes; set ``patient_id`` once it is known."""

    patient_id: int | None = None


@contextmanager
def bulk_created(db: Database, actor: User | str, detail: str) -> Iterator[BulkEvent]:
    """Rows created inside are audited by one ``import`` event, not one row each.

    The caller holds the write transaction (``BEGIN IMMEDIATE``), so no other connection
    inserts meanwhile and each table's new ids run from its previous largest id + 1 up: the
    event's ``after_json`` names, per table, the first and last id created (``created``).
    The event is written only when the block ends without an error.
    """
    before = {table: _largest_id(db, table) for table in BULK_TABLES}
    event = BulkEvent()
    token = _BULK_CONNECTION.set(db.conn)
    try:
        yield event
    finally:
        _BULK_CONNECTION.reset(token)
    created = {}
    for table in BULK_TABLES:
        last = _largest_id(db, table)
        if last > before[table]:
            created[table] = [before[table] + 1, last]
    log_event(db, actor, "import", detail, patient_id=event.patient_id, after={"created": created})


def _largest_id(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0])


def log_event(
    db: Database,
    actor: User | str,
    action: str,
    detail: str,
    *,
    table: str | None = None,
    row_id: int | None = None,
    patient_id: int | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Append one event row (the caller's transaction, or its own); ``after``: facts about
    the event for programs (kept as JSON in ``after_json``)."""
    who = actor.username if isinstance(actor, User) else actor
    after_json = None if after is None else json.dumps(after, separators=(",", ":"))
    db.execute(
        """
        INSERT INTO audit (at, actor, workstation, action, table_name, row_id, patient_id,
                           before_json, after_json, detail, prev_hash, hash)
        SELECT a.at, a.actor, a.ws, a.action, a.tbl, a.row_id, a.patient, NULL, a.after,
               a.detail, a.prev,
               clinic_audit_hash(a.prev, a.at, a.actor, a.ws, a.action, a.tbl, a.row_id,
                                 a.patient, NULL, a.after, a.detail)
        FROM (SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now') AS at, ? AS actor,
                     clinic_workstation() AS ws, ? AS action, ? AS tbl, ? AS row_id,
                     ? AS patient, ? AS after, ? AS detail,
                     coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '') AS prev) AS a
        """,
        [who, action, table, row_id, patient_id, after_json, detail],
    )


def record_event(db: Database, actor: User | str, action: str, detail: str, **where: Any) -> bool:
    """``log_event`` in a transaction of its own, for session events (sign-in, lock). On a
    database opened read-only nothing can be recorded: returns False and the app goes on,
    so the record can still be read."""
    from clinic_gui.store.connection import write_transaction  # connection imports this module

    if db.execute("PRAGMA query_only").fetchone()[0]:
        return False
    with write_transaction(db):
        log_event(db, actor, action, detail, **where)  # where: table, row_id, patient_id
    return True


@dataclass(frozen=True)
class ChainReport:
    rows: int
    broken_at: int | None  # the id of the first row that does not verify
    problem: str | None
    head: str  # the last row's hash ('' for an empty trail)

    @property
    def ok(self) -> bool:
        return self.broken_at is None

    def text(self) -> str:
        if self.ok:
            return f"Audit trail verified: {self.rows} rows, chain intact (head {self.head[:16]})."
        return (
            f"Audit trail BROKEN at row {self.broken_at} (of {self.rows} rows): {self.problem}. "
            "Rows from there on cannot be trusted as recorded; compare with a backup."
        )


def verify_chain(db: Database) -> ChainReport:
    """Recompute every row's hash in id order; the first row that does not match is reported."""
    previous = ""
    count = 0
    cursor = db.execute(f"SELECT id, hash, {', '.join(AUDIT_COLUMNS)} FROM audit ORDER BY id")
    for row in cursor:
        count += 1
        row_id, stored, prev, *rest = row
        if prev != previous:
            return ChainReport(
                _count(db),
                row_id,
                "its link to the previous row does not match (a row before it was removed, "
                "inserted or changed)",
                previous,
            )
        if audit_hash(prev, *rest) != stored:
            return ChainReport(
                _count(db), row_id, "its content does not match its hash (it was edited)", previous
            )
        previous = stored
    return ChainReport(count, None, None, previous)


def _count(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM audit").fetchone()[0])


def chain_head(db: Database) -> tuple[int, str]:
    row = db.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return (0, "") if row is None else (int(row[0]), str(row[1]))


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: str
    actor: str
    workstation: str | None
    action: str
    table_name: str | None
    row_id: int | None
    patient_id: int | None
    patient_mrn: str | None
    changes: tuple[tuple[str, Any, Any], ...]  # (field, before, after) for what changed
    detail: str | None
    # The row's values after the change (before it, for a row-level event without an
    # after): which entry it was, also for a row created by an import, whose creation is
    # one ``import`` event rather than a ``create`` row of its own. For an app event, its
    # facts (an import's ``{"created": {table: [first id, last id]}}``).
    values: dict[str, Any] = field(default_factory=dict)


def entries(
    db: Database,
    *,
    patient_mrn: str | None = None,
    actor: str | None = None,
    action: str | None = None,
    table: str | None = None,
    since: str | None = None,
    until: str | None = None,
    limit: int = 500,
) -> list[AuditEntry]:
    """Audit rows, newest first, filtered; ``since``/``until`` are ISO dates (inclusive)."""
    where: list[str] = []
    params: list[Any] = []
    if patient_mrn:
        where.append("a.patient_id = (SELECT id FROM patient WHERE mrn = ?)")
        params.append(patient_mrn)
    for column, value in (("a.actor", actor), ("a.action", action), ("a.table_name", table)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    if since:
        where.append("a.at >= ?")
        params.append(since)
    if until:
        where.append("a.at < date(?, '+1 day')")
        params.append(until)
    sql = (
        "SELECT a.id, a.at, a.actor, a.workstation, a.action, a.table_name, a.row_id, "
        "a.patient_id, p.mrn, a.before_json, a.after_json, a.detail FROM audit a "
        "LEFT JOIN patient p ON p.id = a.patient_id"
        + (" WHERE " + " AND ".join(where) if where else "")
        + " ORDER BY a.id DESC LIMIT ?"
    )
    params.append(limit)
    out = []
    for row in db.execute(sql, params).fetchall():
        id_, at, who, ws, action_, table_, row_id, pid, mrn, before, after, detail = row
        # An event's after_json holds facts for programs, not a row's values: no changes.
        row_level = action_ in ROW_ACTIONS
        changes = _changes(before, after) if row_level else ()
        if row_level:
            values = json.loads(after or before or "{}")
        else:  # an event's facts, e.g. the id ranges an import created ("created")
            values = json.loads(after) if after else {}
        out.append(
            AuditEntry(id_, at, who, ws, action_, table_, row_id, pid, mrn, changes, detail, values)
        )
    return out


ROW_ACTIONS = frozenset({"create", "update", "void", "review"})  # written by the triggers
_BOOKKEEPING = {"row_version", "updated_at", "updated_by", "created_at", "created_by"}


def _changes(before: str | None, after: str | None) -> tuple[tuple[str, Any, Any], ...]:
    """What a row gained (a creation: its filled fields) or what changed (before, after)."""
    new = json.loads(after) if after else {}
    if not before:
        return tuple(
            (k, None, v) for k, v in new.items() if v is not None and k not in _BOOKKEEPING
        )
    old = json.loads(before)  # empty columns are left out of both: missing means NULL
    keys = [*new, *(k for k in old if k not in new)]
    return tuple(
        (k, old.get(k), new.get(k))
        for k in keys
        if k not in _BOOKKEEPING and old.get(k) != new.get(k)
    )


def actors(db: Database) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT actor FROM audit ORDER BY actor")]
