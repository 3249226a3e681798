"""The stored clinic overview (schema v4): the same as assessing everyone, kept current.

Each test builds a small demo clinic and compares ``current_overview`` with the overview
worked out from every patient's whole record on the same date.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from clinic_gui.domain import records as r
from clinic_gui.domain.worklist import build_overview
from clinic_gui.store import connection
from clinic_gui.store import overview as stored
from clinic_gui.store.clinic import iter_cases, reviewed_results
from clinic_gui.store.connection import open_database
from clinic_gui.store.demo_clinic import write_demo_clinic
from clinic_gui.store.entries import add_lab_result
from clinic_gui.store.users import demo_user

AS_OF = dt.date(2026, 6, 30)


@pytest.fixture
def clinic(tmp_path: Path) -> Path:
    path = tmp_path / "demo.sqlite"
    write_demo_clinic(path, patients=40, seed=3, as_of=AS_OF)
    return path


def _whole(path: Path, as_of: dt.date) -> Any:
    db = open_database(path, create=False, health_check=False)
    try:
        return build_overview(iter_cases(db), as_of, reviewed_results(db))
    finally:
        db.close()


def _stale(path: Path, as_of: dt.date) -> tuple[int, ...]:
    db = open_database(path, create=False, health_check=False)
    try:
        return stored.stored_overview(db, as_of).stale
    finally:
        db.close()


def _a_trough_for(path: Path, mrn: str) -> None:
    db = open_database(path, create=False, health_check=False)
    try:
        user = demo_user(db)
        assert user is not None
        lab = r.LabResult(
            sampled_at=AS_OF, test="infliximab", value=1.5, unit="mcg/mL", timing="trough"
        )
        add_lab_result(db, mrn, lab, actor=user, today=AS_OF)
    finally:
        db.close()


def test_the_first_overview_is_stored_and_the_next_comes_from_the_stored_rows(
    clinic: Path,
) -> None:
    assert len(_stale(clinic, AS_OF)) == 40
    first = stored.current_overview(clinic, AS_OF)
    assert first == _whole(clinic, AS_OF)
    assert first.items  # the demo clinic has due infusions and results to review
    assert _stale(clinic, AS_OF) == ()
    assert stored.current_overview(clinic, AS_OF) == first


def test_a_save_makes_only_that_patient_stale_and_the_overview_shows_it(clinic: Path) -> None:
    stored.current_overview(clinic, AS_OF)
    db = open_database(clinic, create=False, health_check=False)
    mrn, pid = db.execute("SELECT mrn, id FROM patient ORDER BY id DESC LIMIT 1").fetchone()
    db.close()
    _a_trough_for(clinic, mrn)
    assert _stale(clinic, AS_OF) == (pid,)
    after = stored.current_overview(clinic, AS_OF)
    assert after == _whole(clinic, AS_OF)
    assert any(i.mrn == mrn and i.category == "results" for i in after.items)


def test_another_day_or_another_engine_makes_every_row_stale(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stored.current_overview(clinic, AS_OF)
    later = AS_OF + dt.timedelta(days=1)
    assert len(_stale(clinic, later)) == 40
    assert stored.current_overview(clinic, later) == _whole(clinic, later)
    monkeypatch.setattr(stored, "engine_stamp", lambda: "another engine")
    assert len(_stale(clinic, later)) == 40


def test_a_save_while_the_overview_is_worked_out_is_not_stored(clinic: Path) -> None:
    """A change after the audit mark: that patient's result (perhaps from the older record)
    is not stored, the others are."""
    db = open_database(clinic, create=False, health_check=False)
    try:
        ids = stored.stored_overview(db, AS_OF).stale
        mark = stored._mark(db)
        worked_out = _whole(clinic, AS_OF)  # read before the save below
        mrn, pid = db.execute("SELECT mrn, id FROM patient WHERE id = ?", [ids[0]]).fetchone()
        _a_trough_for(clinic, mrn)
        assert stored.store(db, worked_out, since=mark) == len(ids) - 1
        assert stored.stored_overview(db, AS_OF).stale == (pid,)
    finally:
        db.close()
    assert stored.current_overview(clinic, AS_OF) == _whole(clinic, AS_OF)


def test_results_wait_while_saves_are_held_back_and_are_stored_with_a_later_chunk(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Saves held back (the check after start-up): the first chunks cannot be stored yet;
    once saves go ahead, they are stored with the next one."""
    monkeypatch.setattr(stored, "CHUNK", 10)
    real_store, held_back = stored.store, [True, True]

    def store(db: Any, overview: Any, *, since: int) -> int:
        if held_back and held_back.pop():
            raise connection.CheckPending(connection.CHECK_PENDING_MESSAGE)
        return real_store(db, overview, since=since)

    monkeypatch.setattr(stored, "store", store)
    assert stored.current_overview(clinic, AS_OF) == _whole(clinic, AS_OF)
    assert _stale(clinic, AS_OF) == ()


def test_a_read_only_database_gets_the_overview_and_stores_nothing(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_access = os.access

    def no_writing(path: Any, mode: int, **kwargs: Any) -> bool:
        # As the permission check sees a file that cannot be written (even as root).
        return False if mode & os.W_OK else real_access(path, mode, **kwargs)

    whole = _whole(clinic, AS_OF)
    with monkeypatch.context() as patched:
        patched.setattr(connection.os, "access", no_writing)
        assert stored.current_overview(clinic, AS_OF) == whole
    assert len(_stale(clinic, AS_OF)) == 40


def test_parallel_assessment_of_many_stale_patients_stores_the_same(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stored, "PARALLEL_FROM", 10)
    monkeypatch.setattr(stored, "CHUNK", 7)  # six chunks, at most three under way
    assert stored.current_overview(clinic, AS_OF, workers=2) == _whole(clinic, AS_OF)
    assert _stale(clinic, AS_OF) == ()


def test_progress_comes_chunk_by_chunk_and_a_stop_keeps_what_was_done(
    clinic: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(stored, "CHUNK", 15)
    stop = threading.Event()
    seen: list[tuple[int, int]] = []

    def progress(done: int, stale: int) -> None:
        seen.append((done, stale))
        stop.set()  # asked to stop after the first chunk

    with pytest.raises(stored.OverviewStopped, match="after 15 of 40"):
        stored.current_overview(clinic, AS_OF, stop=stop, progress=progress)
    assert seen == [(15, 40)]
    assert len(_stale(clinic, AS_OF)) == 25
    seen.clear()
    overview = stored.current_overview(clinic, AS_OF, progress=lambda *p: seen.append(p))
    assert seen == [(15, 25), (25, 25)]
    assert overview == _whole(clinic, AS_OF)
