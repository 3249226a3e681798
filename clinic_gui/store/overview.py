"""The clinic overview from stored rows: only patients whose record changed are assessed.

Assessing every patient of a 50,000-patient clinic takes minutes of CPU; the overview of
one patient changes only when their record changes, the day changes or the engine
(``engine_stamp``: the app's version, its rules in ``resources/`` and its clinical code)
changes. So ``patient_overview`` (schema v4) keeps each patient's flags and worklist entries
as worked out for one date by one engine, and ``current_overview`` assesses only the
patients without a current row:

1. read every current patient's stored row (one query);
2. note the audit trail's last row id (the *mark*), then assess the stale patients from a
   read of their records (``clinic.assessed_chunks``; in several processes when there are
   many);
3. store each patient's result unless the audit trail has a row about them after the mark.

Steps 2 and 3 go ``CHUNK`` patients at a time, so the worklist can show its progress and a
first assessment of the day that is stopped (the app closes) keeps what it has done.

Why the mark: every change to what the overview is built from writes an audit row naming
the patient, in the change's own transaction (the schema v2 triggers, or an import's one
event). A save committed after the mark, so perhaps after the read, leaves such a row; that
patient's result, perhaps worked out from the older record, is not stored, and they are
assessed again next time. The triggers of schema v4 also delete a patient's stored row when
their record changes. A stored row therefore never describes an older record than the one in
the database. Nothing is written before the read, so the assessment can start while saves
are still held back (the database check after start-up); results that cannot be stored yet
are stored with a later chunk, once saves go ahead. On a read-only database nothing is
stored; stale patients are assessed every time.

The stored rows are derived data, not the record: they are not audited, and a row may be
replaced or deleted at any time (it is worked out again).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import threading
from collections.abc import Callable
from dataclasses import astuple, dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlite_utils import Database

import clinic_gui
from clinic_gui.domain.worklist import ClinicOverview, PatientFlags, WorklistItem, merge_overviews
from clinic_gui.resources import resources_dir
from clinic_gui.store.clinic import assessed_chunks
from clinic_gui.store.connection import (
    WriteFailed,
    is_read_only,
    open_database,
    write_transaction,
)

# Stale patients from which the assessment is split over two processes: below, starting
# them costs more than it saves.
PARALLEL_FROM = 2_000
# Stale patients assessed and stored together: the unit of progress and of stopping (about
# three seconds of one core).
CHUNK = 1_000
FORMAT = 1  # of the stored ``data``; a change makes every stored row stale


@cache
def engine_stamp() -> str:
    """What the overview is worked out by: the app's version, every file of its rules under
    ``resources/`` and, where the sources ship, its clinical code (a frozen app has only
    bytecode; its version changes with every release)."""
    digest = hashlib.sha256(f"{clinic_gui.__version__}/{FORMAT}".encode())
    domain = Path(__file__).resolve().parent.parent / "domain"
    files = sorted(resources_dir().rglob("*.json")) + sorted(domain.glob("*.py"))
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class StoredOverview:
    """The stored part of the overview, and the patients it lacks."""

    overview: ClinicOverview  # the patients whose row is current
    stale: tuple[int, ...]  # patient ids without a current row


def stored_overview(db: Database, as_of: dt.date) -> StoredOverview:
    """Every current patient's stored overview for ``as_of`` by this engine, or their id."""
    items: list[WorklistItem] = []
    flags: dict[str, PatientFlags] = {}
    stale: list[int] = []
    rows = db.execute(
        "SELECT p.id, p.mrn, p.name, p.indication, o.as_of, o.engine, o.data "
        "FROM patient p LEFT JOIN patient_overview o ON o.patient_id = p.id "
        "WHERE p.voided_at IS NULL",
    )
    day, engine = as_of.isoformat(), engine_stamp()
    for pid, mrn, name, indication, stored_day, stored_engine, data in rows:
        if data is None or stored_day != day or stored_engine != engine:
            stale.append(pid)
            continue
        patient_flags, patient_items = json.loads(data)
        flags[mrn] = PatientFlags(*patient_flags)
        items += (
            WorklistItem(category, mrn, name, indication, _date(when), detail)
            for category, when, detail in patient_items
        )
    return StoredOverview(
        merge_overviews(as_of, [ClinicOverview(as_of, tuple(items), flags)]), tuple(stale)
    )


class OverviewStopped(Exception):
    """``current_overview`` was asked to stop; what was worked out so far is stored."""


def current_overview(
    path: Path | str,
    as_of: dt.date,
    *,
    workers: int = 2,
    stop: threading.Event | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> ClinicOverview:
    """The whole clinic's overview on ``as_of``: stored rows, and the stale patients assessed
    and stored, ``CHUNK`` patients at a time (in up to ``workers`` processes when there are
    many). ``progress(done, stale)`` is called after each chunk; once ``stop`` is set,
    ``OverviewStopped`` is raised after the chunks under way (the app is closing)."""
    db = open_database(path, create=False, health_check=False)
    try:
        stored = stored_overview(db, as_of)
        if not stored.stale:
            return stored.overview
        storing = not is_read_only(db)
        chunks = [stored.stale[i : i + CHUNK] for i in range(0, len(stored.stale), CHUNK)]
        parallel = workers if len(stored.stale) >= PARALLEL_FROM else 1
        parts, done = [stored.overview], 0
        unstored: list[tuple[int, ClinicOverview]] = []
        for mark, fresh in assessed_chunks(path, as_of, chunks, parallel, lambda: _mark(db)):
            parts.append(fresh)
            if storing:
                unstored = _stored_where_possible(db, [*unstored, (mark, fresh)])
            done += len(fresh.flags)
            if progress is not None:
                progress(done, len(stored.stale))
            if stop is not None and stop.is_set():
                raise OverviewStopped(f"stopped after {done} of {len(stored.stale)} patients")
        return merge_overviews(as_of, parts)
    finally:
        db.close()


def _mark(db: Database) -> int:
    """The audit trail's last row id: any change made after it has a larger one."""
    return int(db.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0])


def _stored_where_possible(
    db: Database, results: list[tuple[int, ClinicOverview]]
) -> list[tuple[int, ClinicOverview]]:
    """Store each (mark, overview); those the database cannot take yet are returned."""
    for n, (mark, overview) in enumerate(results):
        try:
            store(db, overview, since=mark)
        except WriteFailed:  # e.g. saves held back until the check after start-up passes
            return results[n:]
    return []


def store(db: Database, overview: ClinicOverview, *, since: int) -> int:
    """Store each patient's part of ``overview`` (worked out from records read after audit
    row ``since``) unless the audit trail has a row about them after it; returns how many
    rows were stored."""
    by_mrn: dict[str, list[list[Any]]] = {mrn: [] for mrn in overview.flags}
    for item in overview.items:
        by_mrn[item.mrn].append([item.category, _iso(item.day), item.detail])
    day, engine = overview.as_of.isoformat(), engine_stamp()
    with write_transaction(db):
        changed = {
            mrn
            for (mrn,) in db.execute(
                "SELECT DISTINCT p.mrn FROM audit a JOIN patient p ON p.id = a.patient_id "
                "WHERE a.id > ? AND a.patient_id IS NOT NULL",
                [since],
            )
        }
        ids = dict(
            db.execute(
                "SELECT mrn, id FROM patient WHERE mrn IN (SELECT value FROM json_each(?))",
                [json.dumps([mrn for mrn in overview.flags if mrn not in changed])],
            ).fetchall()
        )
        rows = [
            (ids[mrn], day, engine, json.dumps([astuple(flags), by_mrn[mrn]]))
            for mrn, flags in overview.flags.items()
            if mrn in ids
        ]
        db.conn.executemany(
            "INSERT OR REPLACE INTO patient_overview (patient_id, as_of, engine, data) "
            "VALUES (?, ?, ?, ?)",
            rows,
        )
        return len(rows)


def _iso(day: dt.date | None) -> str | None:
    return None if day is None else day.isoformat()


def _date(text: str | None) -> dt.date | None:
    return None if text is None else dt.date.fromisoformat(text)
