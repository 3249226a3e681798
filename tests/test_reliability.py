"""Crash safety and concurrent writers, by experiment (``benchmarks/reliability.py``).

The normal suite runs a short version: 8 workers SIGKILLed at random moments while saving,
and two writers saving 100 diary entries each into one file at once. The full version
(200 kills, 2 x 500 saves) is marked ``slow``; ``make reliability`` runs it through the
script and writes its figures into ``docs/reliability.md``. Every assertion is on what the
database holds, never on how long anything took.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
import os
import random
import subprocess
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from conftest import PASSWORD, ROOT, load_case_json, staffed_database

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.store import connection
from clinic_gui.store.cases import creation_stamp, insert_case, insert_record, read_case
from clinic_gui.store.connection import WriteFailed, open_database, write_transaction
from clinic_gui.store.entries import (
    ChangedMeanwhile,
    add_diary_entry,
    patient_version,
    update_patient,
)
from clinic_gui.store.users import sign_in

SCRIPT = ROOT / "benchmarks" / "reliability.py"
DOC = ROOT / "docs" / "reliability.md"


@pytest.fixture(scope="module")
def rel() -> ModuleType:
    spec = importlib.util.spec_from_file_location("reliability", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["reliability"] = module
    spec.loader.exec_module(module)
    return module


def _no_failures(failures: Counter[str]) -> dict[str, int]:
    return {kind: n for kind, n in failures.items() if n}


# ---------------------------------------------------------------------------------------------
# Short versions (normal suite)


def test_killed_workers_leave_every_save_whole_or_absent(rel: Any, tmp_path: Path) -> None:
    figures = rel.kill_trials(tmp_path, trials=8, per_block=4, seed=11)
    assert figures.problems == []
    assert _no_failures(figures.failures) == {}
    assert (figures.trials, figures.blocks) == (8, 2)
    assert sum(figures.acknowledged.values()) > 0
    assert figures.ack_checks >= sum(figures.acknowledged.values())
    # Every kill is accounted for: inside a save (found whole or absent), or between saves.
    cut = sum(figures.cut_off.values())
    assert figures.cut_off_committed + figures.cut_off_rolled_back == cut <= figures.trials


def test_two_writers_at_once_lose_nothing_and_keep_one_chain(rel: Any, tmp_path: Path) -> None:
    figures = rel.concurrent_writers(tmp_path, saves=100)
    assert figures.errors == []
    assert (figures.rows_found, figures.rows_expected, figures.duplicates) == (200, 200, 0)
    assert figures.shared_rows == 2 * (100 // 5)
    assert figures.integrity == ["ok"]
    assert figures.foreign_key_rows == 0
    assert (figures.chain_ok, figures.chain_problem) == (True, None)
    assert figures.audit_problems == []
    assert figures.ok


# ---------------------------------------------------------------------------------------------
# The checks themselves catch what they are there to catch


def test_the_checks_catch_lost_partial_and_phantom_saves(rel: Any, tmp_path: Path) -> None:
    path = rel.prepare(tmp_path / "clinic.sqlite")
    db = open_database(path)
    actor = sign_in(db, rel.WRITERS[0], rel.PASSWORD)
    rng = random.Random(1)
    rel.save(db, actor, "diary", "K0000-00001", rng)  # acknowledged and whole
    rel.save(db, actor, "case", "K0000-00004", rng)  # acknowledged and whole
    # An infusion without the vital signs its save carried: what a torn save would leave.
    pid = db.execute("SELECT id FROM patient WHERE mrn = ?", [rel.BASE_PATIENTS[0]]).fetchone()[0]
    bare = r.Infusion(date=rel.DAY, product="Avsola", dose_mg=350, notes="K0000-00002")
    with write_transaction(db):
        insert_record(db, "infusion", bare, {"patient_id": pid}, creation_stamp(actor))
    rel.save(db, actor, "lab", "K0000-00009", rng)  # never started: a phantom
    db.close()
    log = rel.AckLog(
        started={
            "K0000-00001": "diary",
            "K0000-00002": "infusion",
            "K0000-00003": "case",
            "K0000-00004": "case",
        },
        acked={"K0000-00001", "K0000-00002", "K0000-00003", "K0000-00004"},
        errors=[],
    )
    figures = rel.KillFigures()
    ledger = rel.Ledger(figures)
    ledger.record(0, log)
    ledger.check(0, rel.inspect(path))
    ledger.check(1, rel.inspect(path))  # seen again: each save's failure is counted once
    assert _no_failures(figures.failures) == {"lost": 1, "partial": 1, "phantom": 1}
    assert figures.ack_checks == 8
    assert any("K0000-00003 is missing" in p for p in figures.problems)
    assert any("infusion K0000-00002: found {'infusion': 1, 'vital_sign': 0}" in p for p in
               figures.problems)  # fmt: skip


def test_the_ack_log_ignores_a_line_cut_off_by_the_kill(rel: Any, tmp_path: Path) -> None:
    log = tmp_path / "acks.log"
    log.write_text(
        "start diary K0001-00001\nack diary K0001-00001\nstart case K0001-00002\nack ca",
        encoding="utf-8",
    )
    read = rel.read_ack_log(log)
    assert read.started == {"K0001-00001": "diary", "K0001-00002": "case"}
    assert read.acked == {"K0001-00001"}
    assert read.cut_off == ["K0001-00002"]


def test_the_figures_section_is_rewritten_and_the_rest_kept(rel: Any, tmp_path: Path) -> None:
    doc = tmp_path / "reliability.md"
    original = DOC.read_text(encoding="utf-8")
    doc.write_text(original, encoding="utf-8")
    text = rel.render(rel.KillFigures(trials=3), rel.ConcurrencyFigures(), when=dt.date(2026, 1, 2))
    rel.write_figures(doc, text)
    written = doc.read_text(encoding="utf-8")
    assert "Measured on 2026-01-02" in written
    assert "| lost acknowledged writes | 0 |" in written
    before, _, _ = original.partition(rel.FIGURES_START)
    _, _, after = original.partition(rel.FIGURES_END)
    assert written.startswith(before + rel.FIGURES_START)
    assert written.endswith(rel.FIGURES_END + after)


# ---------------------------------------------------------------------------------------------
# Two workstations editing the same patient; a lock held too long


def test_a_conflicting_edit_is_refused_and_the_first_change_kept(db_path: Path) -> None:
    staffed_database(db_path)
    first, second = open_database(db_path), open_database(db_path)
    try:
        nurse = sign_in(first, "rn.kim", PASSWORD)
        physician = sign_in(second, "dr.lee", PASSWORD)
        case = parse_case(load_case_json("full-record.json"))
        insert_case(first, case, actor=nurse)
        mrn = case.patient.mrn
        version = patient_version(first, mrn)
        assert patient_version(second, mrn) == version  # both editors opened the same row

        update_patient(
            first, mrn, replace(case.patient, height_cm=166.0), actor=nurse,
            expected_version=version,
        )  # fmt: skip
        with pytest.raises(ChangedMeanwhile) as raised:
            update_patient(
                second, mrn, replace(case.patient, notes="the second editor's note"),
                actor=physician, expected_version=version,
            )  # fmt: skip

        assert raised.value.by == "rn.kim"
        assert "changed by rn.kim" in str(raised.value)
        stored = read_case(second, mrn).patient
        assert (stored.height_cm, stored.notes) == (166.0, case.patient.notes)
        assert patient_version(second, mrn) == version + 1
        updates = second.execute(
            "SELECT actor FROM audit WHERE action = 'update' AND table_name = 'patient'"
        ).fetchall()
        assert updates == [("rn.kim",)]
    finally:
        first.close()
        second.close()


def test_a_save_kept_waiting_too_long_fails_whole_with_a_plain_message(
    db_path: Path, monkeypatch: Any
) -> None:
    staffed_database(db_path)
    holder, db = open_database(db_path), open_database(db_path)
    try:
        nurse = sign_in(db, "rn.kim", PASSWORD)
        case = parse_case(load_case_json("full-record.json"))
        insert_case(db, case, actor=nurse)
        monkeypatch.setattr(connection, "BUSY_RETRIES", 0)
        db.execute("PRAGMA busy_timeout = 20")
        entry = r.DiaryEntry(date=dt.date(2024, 6, 5), symptom_score=4, notes="while locked")
        holder.conn.execute("BEGIN IMMEDIATE")  # another workstation's long save
        with pytest.raises(WriteFailed) as raised:
            add_diary_entry(db, case.patient.mrn, entry, actor=nurse)
        holder.conn.execute("ROLLBACK")
        assert "Another workstation is saving" in str(raised.value)
        assert "Nothing was saved" in str(raised.value)
        assert not db.conn.in_transaction
        count = "SELECT count(*) FROM diary WHERE notes = 'while locked'"
        assert db.execute(count).fetchone()[0] == 0
        add_diary_entry(db, case.patient.mrn, entry, actor=nurse)  # once free, it saves
        assert db.execute(count).fetchone()[0] == 1
    finally:
        holder.close()
        db.close()


# ---------------------------------------------------------------------------------------------
# The full experiment (make reliability)


@pytest.mark.slow
@pytest.mark.timeout(3600)
def test_full_experiment_through_the_script(tmp_path: Path) -> None:
    """200 kills and 2 x 500 concurrent saves, run as ``make reliability`` runs them. With
    RELIABILITY_DOC set (the Makefile sets it) the figures go into that document."""
    doc = Path(os.environ.get("RELIABILITY_DOC") or tmp_path / "reliability.md")
    if not doc.is_absolute():
        doc = ROOT / doc
    if not doc.exists():
        doc.write_text(DOC.read_text(encoding="utf-8"), encoding="utf-8")
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "run", "--trials", "200", "--saves", "500",
         "--workdir", str(tmp_path / "work"), "--json", str(out), "--doc", str(doc)],
        capture_output=True, text=True, timeout=3500,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(out.read_text(encoding="utf-8"))
    kill, conc = figures["kill"], figures["concurrent"]
    assert kill["trials"] == 200
    assert kill["problems"] == []
    assert {k: n for k, n in kill["failures"].items() if n} == {}
    assert sum(kill["acknowledged"].values()) > 0
    assert sum(kill["cut_off"].values()) > 0
    assert conc["errors"] == []
    assert (conc["rows_found"], conc["duplicates"]) == (1000, 0)
    assert conc["chain_ok"] and conc["integrity"] == ["ok"] and conc["ok"]
    assert "| lost acknowledged writes | 0 |" in doc.read_text(encoding="utf-8")
