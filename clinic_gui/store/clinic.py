"""Whole-clinic reads: every current patient's record, for the worklist.

``iter_cases`` reads each patient's whole record. ``iter_recent_cases`` reads, in a few
queries for all patients at once, only the part of each record the clinic overview
(``clinic_gui.domain.worklist.build_overview``) depends on on one date; see its docstring
for the windows and why each is enough. ``clinic_overview`` builds the overview from it, in
one process or split over several (``assess_clinic``).
"""

from __future__ import annotations

import datetime as dt
import json
import multiprocessing
from collections import Counter, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from clinic_gui.domain import records as r
from clinic_gui.domain.decision import table as decision_table
from clinic_gui.domain.wearing_off import WearingOffSettings, assess_wearing_off, load_settings
from clinic_gui.domain.worklist import REVIEW_DAYS, ClinicOverview, build_overview, merge_overviews
from clinic_gui.store.cases import CASE_TABLES, case_from_rows, read_case, select_rows
from clinic_gui.store.connection import open_database
from clinic_gui.store.rows import columns

# Distinct infusion dates read per patient beyond the ones that open the cycles the
# wearing-off rule considers. On the 2,000-patient demo clinic, 1 read 17% more diary rows
# to spare 4 of 36 patients a whole-record read: slower, so none.
EXTRA_CYCLES = 0
T = TypeVar("T")


def iter_cases(db: Database) -> Iterator[r.Case]:
    """Each patient's current record, in MRN order (one read per patient)."""
    mrns = [
        row[0] for row in db.execute("SELECT mrn FROM patient WHERE voided_at IS NULL ORDER BY mrn")
    ]
    for mrn in mrns:
        yield read_case(db, mrn)


def reviewed_results(
    db: Database, ids: Sequence[int] | None = None
) -> dict[str, frozenset[tuple[dt.date | dt.datetime, str]]]:
    """Per MRN, the (sampled at, test) of current lab results a physician marked reviewed
    (``ids``: of those patients only)."""
    found: dict[str, set[tuple[dt.date | dt.datetime, str]]] = {}
    among, params = _among(ids, "l.patient_id")
    rows = db.execute(
        "SELECT p.mrn, l.sampled_at, l.test FROM lab l JOIN patient p ON p.id = l.patient_id "
        "WHERE l.reviewed_at IS NOT NULL AND l.voided_at IS NULL" + among,
        params,
    )
    for mrn, sampled_at, test in rows:
        when = (
            dt.datetime.fromisoformat(sampled_at)
            if len(sampled_at) > 10
            else dt.date.fromisoformat(sampled_at)
        )
        found.setdefault(mrn, set()).add((when, test))
    return {mrn: frozenset(keys) for mrn, keys in found.items()}


def _among(ids: Sequence[int] | None, column: str) -> tuple[str, list[Any]]:
    """A WHERE clause part keeping ``column`` to ``ids`` (none: every patient), and its
    parameter: the ids as one JSON array, so any number of them is one parameter."""
    if ids is None:
        return "", []
    return f" AND {column} IN (SELECT value FROM json_each(?))", [json.dumps(list(ids))]


def lab_lookback_days() -> int:
    """How far back a lab result can still change the overview on the assessment date.

    The longest of: a current trough (``current_trough.max_age_days``) plus the antibody
    result paired with it (``antibody_pairing_days`` either side), antibodies without a
    trough (``max_age_days``), the inflammation markers (``inflammation.window_days``; all
    in ``resources/tdm_decision_table.json``) and the worklist's results to review
    (``REVIEW_DAYS``). An older drug level only ever makes the trough "none", as no level.
    """
    spec = decision_table()
    trough = spec["current_trough"]
    return max(
        int(trough["max_age_days"]) + int(trough["antibody_pairing_days"]),
        int(spec["inflammation"]["window_days"]),
        REVIEW_DAYS,
    )


def infusion_dates_needed(settings: WearingOffSettings | None = None) -> int:
    """Distinct infusion dates read per patient (the latest ones on or before the date).

    ``evaluable_cycles_considered`` cycles need one date more; the nurse flag needs the last
    ``nurse_reports_considered`` infusions (``resources/wearing_off.json``); the next due
    date needs the last one. ``EXTRA_CYCLES`` more give slack for a cycle that is not
    evaluable.
    """
    s = settings or load_settings()
    return max(s.evaluable_cycles_considered + 1 + EXTRA_CYCLES, s.nurse_reports_considered)


def iter_recent_cases(
    db: Database,
    as_of: dt.date,
    *,
    ids: Sequence[int] | None = None,
    counts: Counter[str] | None = None,
) -> Iterator[r.Case]:
    """Each current patient's record cut to what ``build_overview(..., as_of)`` uses.

    Read in one query per table for all patients (``ids``: only those patients), in MRN
    order:

    - every regimen and weight (few; the regimen in effect and the latest weight);
    - infusions and diary entries on or after the patient's ``infusion_dates_needed()``-th
      latest distinct infusion date on or before ``as_of`` (all of them when there are fewer
      dates), up to ``as_of``: the next due date, the nurse reports and the wearing-off
      cycles starting there, each cycle with all its diary entries. Vital signs are not read;
    - lab results sampled in the ``lab_lookback_days()`` before ``as_of``, up to ``as_of``.

    Everything the overview takes from the assessment is then the same as from the whole
    record, except the wearing-off diary flag when the window holds fewer evaluable cycles
    than the rule considers and older ones could still change it: such a patient's whole
    record is read instead (``read_case``). So the cases are for the overview only: the
    chart's wearing-off evidence, scores and warnings may differ. ``counts``, when given,
    gets the rows read per table (``full_reads``: patients read whole).
    """
    settings = load_settings()
    needed = infusion_dates_needed(settings)
    counts = counts if counts is not None else Counter()
    day = as_of.isoformat()
    lab_since = (as_of - dt.timedelta(days=lab_lookback_days())).isoformat()
    in_range, params = _among(ids, "{p}")

    patients = select_rows(
        db,
        ("id", *columns(r.Patient)),
        "patient WHERE voided_at IS NULL" + in_range.format(p="id") + " ORDER BY mrn",
        params,
    )
    counts["patient"] += len(patients)
    # Per patient: the earliest of its ``needed`` latest infusion dates, and whether older
    # infusion dates exist (else the window holds the whole infusion history).
    windows_sql = (
        "WITH dates AS (SELECT patient_id, date, "
        "row_number() OVER (PARTITION BY patient_id ORDER BY date DESC) AS n "
        "FROM (SELECT DISTINCT patient_id, date FROM infusion "
        "WHERE voided_at IS NULL AND date <= ?" + in_range.format(p="patient_id") + ")) "
        "SELECT patient_id, min(CASE WHEN n <= ? THEN date END) AS since, max(n) > ? AS older "
        "FROM dates GROUP BY patient_id"
    )
    windows: dict[int, tuple[str, bool]] = {
        pid: (since, bool(older))
        for pid, since, older in db.execute(windows_sql, [day, *params, needed, needed])
    }
    rows: dict[str, dict[int, list[dict[str, Any]]]] = {}
    for table, cls, _attr, date_column in CASE_TABLES:
        names = ("id", "patient_id", *columns(cls))
        quoted = ", ".join(f't."{name}"' for name in names)
        where = "t.voided_at IS NULL" + in_range.format(p="t.patient_id")
        order = f" ORDER BY t.patient_id, t.{date_column}, t.id"
        if table in ("infusion", "diary"):
            sql = (
                f"WITH since AS ({windows_sql}) SELECT {quoted} FROM since s "
                f"JOIN {table} t ON t.patient_id = s.patient_id "
                f"WHERE {where} AND t.date >= s.since "
                f"AND t.date <= ?" + order
            )
            args: Sequence[Any] = [day, *params, needed, needed, *params, day]
        elif table == "lab":
            # Lab times are ISO text ("2026-11-22" or "2026-11-22T08:30"): compared as text.
            sql = f"SELECT {quoted} FROM lab t WHERE {where} AND t.sampled_at >= ? "
            sql += "AND t.sampled_at < ?" + order
            args = [*params, lab_since, (as_of + dt.timedelta(days=1)).isoformat()]
        else:
            sql = f"SELECT {quoted} FROM {table} t WHERE {where}" + order
            args = params
        cursor = db.conn.execute(sql, args)
        grouped: dict[int, list[dict[str, Any]]] = {}
        n = 0
        for values in cursor:
            row = dict(zip(names, values, strict=True))
            grouped.setdefault(row["patient_id"], []).append(row)
            n += 1
        counts[table] += n
        rows[table] = grouped

    for patient in patients:
        pid = patient["id"]
        mine = {table: rows[table].get(pid, []) for table, *_ in CASE_TABLES}
        case, _ = case_from_rows(patient, mine, {})
        window = windows.get(pid)
        if window is not None and window[1] and not _diary_flag_settled(case, as_of, settings):
            counts["full_reads"] += 1
            case = read_case(db, patient["mrn"])
        yield case


def _diary_flag_settled(case: r.Case, as_of: dt.date, s: WearingOffSettings) -> bool:
    """Whether cycles before the window could not change the wearing-off diary flag.

    Every cycle of the window is exactly as in the whole record (it starts at an infusion
    date of the window and holds all its diary entries), so when the window has
    ``evaluable_cycles_considered`` evaluable cycles they are the ones the rule considers;
    with fewer, older evaluable cycles would join them, and the flag is settled only when
    it holds already or cannot be reached even if every one of them were positive.
    """
    result = assess_wearing_off(case, as_of, s)
    considered = len(result.last_evaluable_considered)
    positive = result.diary_positive_considered
    missing = s.evaluable_cycles_considered - considered
    return (
        missing == 0
        or positive >= s.positive_cycles_needed
        or positive + missing < s.positive_cycles_needed
    )


def assess_clinic(
    path: Path | str, as_of: dt.date, *, ids: Sequence[int] | None = None, workers: int = 1
) -> ClinicOverview:
    """The clinic overview on ``as_of``, worked out from the windowed read
    (``iter_recent_cases``) of every patient, or of ``ids`` only.

    With ``workers`` > 1 the patients are split into that many groups, each read and
    assessed in its own process (``assessed_chunks``), and the parts merged
    (``merge_overviews``: the same overview as built at once). Worth it only for many
    patients: starting a process costs about as much as assessing a few hundred.
    """
    if workers <= 1:
        return _overview_part(str(path), as_of, ids)
    if ids is None:
        db = open_database(path, create=False, read_only=True, health_check=False)
        try:
            ids = [row[0] for row in db.execute("SELECT id FROM patient ORDER BY id")]
        finally:
            db.close()
    ordered = sorted(ids)
    groups = [
        ordered[len(ordered) * k // workers : len(ordered) * (k + 1) // workers]
        for k in range(workers)
    ]
    parts = assessed_chunks(path, as_of, [g for g in groups if g], workers, lambda: None)
    return merge_overviews(as_of, [overview for _, overview in parts])


def assessed_chunks(
    path: Path | str,
    as_of: dt.date,
    chunks: Sequence[Sequence[int]],
    workers: int,
    before: Callable[[], T],
) -> Iterator[tuple[T, ClinicOverview]]:
    """Each chunk of patient ids assessed (``assess_clinic``), in order, with what
    ``before()`` returned just before the chunk's records were read: in this process, or
    with ``workers`` > 1 in that many processes, at most ``workers`` + 1 chunks under way at
    once (so ``before`` is never much older than its read). Stopped early, chunks not
    started are dropped."""
    if workers <= 1:
        for chunk in chunks:
            noted = before()
            yield noted, _overview_part(str(path), as_of, chunk)
        return
    context = multiprocessing.get_context("spawn")  # safe from a GUI thread
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        running: deque[tuple[T, Future[ClinicOverview]]] = deque()
        try:
            for chunk in chunks:
                noted = before()
                running.append((noted, pool.submit(_overview_part, str(path), as_of, chunk)))
                if len(running) > workers:
                    noted, future = running.popleft()
                    yield noted, future.result()
            while running:
                noted, future = running.popleft()
                yield noted, future.result()
        finally:
            for _, future in running:
                future.cancel()


def _overview_part(path: str, as_of: dt.date, ids: Sequence[int] | None) -> ClinicOverview:
    db = open_database(path, create=False, read_only=True, health_check=False)
    try:
        reviewed = reviewed_results(db, ids)
        return build_overview(iter_recent_cases(db, as_of, ids=ids), as_of, reviewed)
    finally:
        db.close()
