"""Backups from the window: back up now, restore (questions answered by the test)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, PASSWORD, Staff

from clinic_gui.domain.case_file import parse_case
from clinic_gui.store.backup import list_backups
from clinic_gui.store.cases import insert_case
from clinic_gui.store.patients import count_patients
from clinic_gui.ui.main_window import MainWindow

TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def admin_window(qtbot: Any, db: Any, db_path: Path, staff: Staff) -> MainWindow:
    doc = json.loads((CASES / "cd-low-trough.json").read_text())
    insert_case(db, parse_case(doc, today=TODAY), actor=staff.nurse)
    win = MainWindow(db, db_path, today=TODAY, user=staff.admin, assess_clinic_on_start=False)
    qtbot.addWidget(win)
    return win


def test_back_up_now_writes_a_verified_backup_and_says_where(
    qtbot: Any, admin_window: MainWindow, db_path: Path
) -> None:
    messages: list[str] = []
    admin_window.backups.message.connect(messages.append)
    with qtbot.waitSignal(
        admin_window.backups.message,
        timeout=30_000,
        check_params_cb=lambda t: t.startswith("Backup written"),
    ):
        admin_window.backup_action.trigger()
    (made,) = list_backups(db_path)
    assert made.kind == "manual"
    assert str(made.path) in messages[-1]


def test_restore_asks_then_replaces_the_record_and_closes(
    qtbot: Any, admin_window: MainWindow, db: Any, db_path: Path, staff: Staff, monkeypatch: Any
) -> None:
    backups = admin_window.backups
    with qtbot.waitSignal(
        backups.message, timeout=30_000, check_params_cb=lambda t: t.startswith("Backup written")
    ):
        backups.back_up_now()
    (made,) = list_backups(db_path)
    doc = json.loads((CASES / "seed-as-wearing-off.json").read_text())
    insert_case(db, parse_case(doc, today=TODAY), actor=staff.nurse)
    assert count_patients(db) == 2
    told: list[str] = []
    monkeypatch.setattr(backups, "ask_backup_file", lambda: made.path)
    monkeypatch.setattr(backups, "ask_password", lambda: "wrong password")
    monkeypatch.setattr(backups, "ask_confirmation", lambda chosen: True)
    monkeypatch.setattr(backups, "tell", lambda title, text: told.append(text))
    task = backups.restore_backup()
    qtbot.waitUntil(lambda: not task.running, timeout=30_000)
    assert "Not restored; nothing was changed" in told[-1]
    assert count_patients(db) == 2
    monkeypatch.setattr(backups, "ask_password", lambda: PASSWORD)
    with qtbot.waitSignal(backups.restored, timeout=30_000):
        backups.restore_backup()
    qtbot.waitUntil(lambda: not admin_window.isVisible(), timeout=10_000)
    assert "will now close" in told[-1]
    assert count_patients(db) == 1  # the open connection sees the restored record
    assert any(b.kind == "before-restore" for b in list_backups(db_path))


def test_a_nurse_has_no_backup_actions(qtbot: Any, db: Any, db_path: Path, staff: Staff) -> None:
    win = MainWindow(db, db_path, today=TODAY, user=staff.nurse, assess_clinic_on_start=False)
    qtbot.addWidget(win)
    assert not win.backup_action.isEnabled() and not win.restore_action.isEnabled()
    assert "needs the admin" in win.restore_action.toolTip().lower()
