"""Signing in, the first administrator, the idle and manual lock, roles in the menus, the
administrator's windows and the one-window-per-database guard."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, PASSWORD
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QApplication, QLabel, QLineEdit

from clinic_gui.domain.case_file import parse_case
from clinic_gui.store.audit import entries
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.store.connection import open_database
from clinic_gui.store.settings import IDLE_LOCK_MINUTES, get_setting, set_setting
from clinic_gui.store.users import list_users, needs_first_admin
from clinic_gui.ui import app as app_module
from clinic_gui.ui.admin.audit_view import AuditView
from clinic_gui.ui.admin.users_dialog import UsersDialog
from clinic_gui.ui.app import acquire_instance_lock
from clinic_gui.ui.main_window import MainWindow
from clinic_gui.ui.sign_in import FirstAdminDialog, SignInDialog
from clinic_gui.ui.text import plain_tooltip

TODAY = dt.date(2026, 11, 22)
PATIENT_NAME = "Seed Case"
PATIENT_MRN = "AS-0001"


def _insert_cases(db: Any, actor: Any) -> None:
    for name in ("seed-as-wearing-off.json", "cd-low-trough.json"):
        doc = json.loads((CASES / name).read_text())
        insert_case(db, parse_case(doc, today=TODAY), actor=actor)


def _window(qtbot: Any, db: Any, db_path: Path, user: Any) -> MainWindow:
    from PySide6.QtCore import QSettings

    win = MainWindow(
        db,
        db_path,
        today=TODAY,
        settings=QSettings(str(db_path.with_suffix(".ini")), QSettings.Format.IniFormat),
        assess_clinic_on_start=False,
        user=user,
    )
    qtbot.addWidget(win)
    win.show()
    return win


@pytest.fixture
def window(qtbot: Any, db: Any, db_path: Path, staff: Any) -> MainWindow:
    _insert_cases(db, staff.nurse)
    return _window(qtbot, db, db_path, staff.nurse)


def _visible_texts() -> list[str]:
    """Every text a person could read now: visible labels, fields, buttons, window titles."""
    texts = []
    for widget in QApplication.allWidgets():
        if not widget.isVisible():
            continue
        if isinstance(widget, QLabel | QLineEdit | QAbstractButton):
            texts.append(widget.text())
        if widget.isWindow():
            texts.append(widget.windowTitle())
    return texts


def _actions_of(db: Any, actor: str) -> list[str]:
    return [e.action for e in entries(db, actor=actor)]


# -- signing in ------------------------------------------------------------------------------
def test_sign_in_wrong_then_right_password(qtbot: Any, db: Any, db_path: Path, staff: Any) -> None:
    dialog = SignInDialog(db, db_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert any(label.toolTip() == str(db_path) for label in dialog.findChildren(QLabel))
    qtbot.keyClicks(dialog.username, "rn.kim")
    qtbot.keyClicks(dialog.password, "not my password")
    qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.user is None
    assert dialog.isVisible()
    assert dialog.message.text() == "Wrong user name or password."
    assert dialog.message.isVisible()
    assert dialog.password.text() == ""
    assert dialog.focusWidget() is dialog.password
    qtbot.keyClicks(dialog.password, PASSWORD)
    with qtbot.waitSignal(dialog.accepted, timeout=2000):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.user is not None
    assert (dialog.user.username, dialog.user.roles) == ("rn.kim", frozenset({"nurse"}))
    assert _actions_of(db, "rn.kim")[:2] == ["sign_in", "sign_in_failed"]


def test_sign_in_asks_for_what_is_missing(qtbot: Any, db: Any, db_path: Path, staff: Any) -> None:
    dialog = SignInDialog(db, db_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.try_sign_in()
    assert dialog.message.text() == "Type your user name."
    dialog.username.setText("rn.kim")
    assert not dialog.try_sign_in()
    assert dialog.message.text() == "Type your password."
    assert _actions_of(db, "rn.kim") == []  # nothing was tried, so nothing is audited


def test_first_admin_dialog_creates_the_admin(qtbot: Any, db: Any, db_path: Path) -> None:
    assert needs_first_admin(db)
    dialog = FirstAdminDialog(db, db_path)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.roles.boxes["admin"].isChecked()
    assert not dialog.roles.boxes["admin"].isEnabled()
    dialog.widgets["username"].setText("9lives")
    dialog.widgets["full_name"].setText("Ada Admin")
    dialog.widgets["password"].setText("short")
    dialog.widgets["password_again"].setText("shorter")
    assert not dialog.try_save()
    assert dialog.errors["password"].text() == "at least 10 characters"
    assert dialog.errors["password_again"].text() == "the two passwords differ"
    dialog.widgets["password"].setText(PASSWORD)
    dialog.widgets["password_again"].setText(PASSWORD)
    assert not dialog.try_save()  # the store refuses the user name: shown beside it
    assert dialog.errors["username"].text() == "2 to 40 characters, starting with a letter"
    assert needs_first_admin(db)
    dialog.widgets["username"].setText("Ada.Admin")
    dialog.roles.boxes["physician"].setChecked(True)
    assert dialog.try_save()
    assert dialog.user is not None
    assert dialog.user.username == "ada.admin"
    assert dialog.user.roles == frozenset({"admin", "physician"})
    assert not needs_first_admin(db)
    assert [(u.username, u.full_name) for u, _ in list_users(db)] == [("ada.admin", "Ada Admin")]
    assert _actions_of(db, "ada.admin")[0] == "sign_in"


# -- locking ---------------------------------------------------------------------------------
def test_idle_lock_hides_patient_data_and_keeps_the_work(
    qtbot: Any, window: MainWindow, db: Any
) -> None:
    window.show_patient(PATIENT_MRN)
    window.search.setText("seed")
    form = window.open_entry_dialog("weight")
    assert form is not None and form.isVisible()
    form.widgets["kg"].setText("81.5")
    assert any(PATIENT_NAME in text for text in _visible_texts())

    window.session.watcher.timer.setInterval(50)
    window.session.watcher.timer.start()
    qtbot.waitUntil(lambda: window.session.locked, timeout=5000)

    assert window.stack.currentWidget() is window.session.lock_screen
    assert not window.chart.isVisible()
    assert not window.table.isVisible()
    assert not window.worklist.isVisible()
    assert not window.search.isVisible()
    assert not form.isVisible()
    texts = _visible_texts()
    assert not [t for t in texts if PATIENT_NAME in t or PATIENT_MRN in t]
    assert window.windowTitle() == "Locked — clinic.sqlite"
    assert window.session.lock_screen.who.text() == "Kim Nurse (rn.kim) · Nurse"
    assert [a for a in window.menuBar().actions() if a.isEnabled() and a.isVisible()] == [
        window.file_menu.menuAction()
    ]
    menu_actions = [a for m in window._menus for a in m.actions() if not a.isSeparator()]
    enabled = [a for a in [*menu_actions, *window.actions()] if a.isEnabled()]
    assert enabled == [window.quit_action]
    assert _actions_of(db, "rn.kim")[0] == "lock"

    # A wrong password: still locked, the field is cleared, the reason is shown.
    screen = window.session.lock_screen
    qtbot.keyClicks(screen.password, "not my password")
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert window.session.locked
    assert screen.password.text() == ""
    assert screen.message.text().startswith("That is not rn.kim's password")
    assert not form.isVisible()

    qtbot.keyClicks(screen.password, PASSWORD)
    qtbot.keyClick(screen.password, Qt.Key.Key_Return)
    assert not window.session.locked
    assert window.chart.isVisible() and window.table.isVisible()
    assert form.isVisible()
    assert form.widgets["kg"].text() == "81.5"  # the typed weight is still there
    assert window.search.text() == "seed"
    assert window.current_mrn() == PATIENT_MRN
    assert window.windowTitle() == "clinic.sqlite"
    assert window.record_actions["infusion"].isEnabled()
    assert _actions_of(db, "rn.kim")[:3] == ["unlock", "sign_in_failed", "lock"]
    assert form.try_save()  # the form saves as before
    assert read_case(db, PATIENT_MRN).weights[-1].kg == 81.5


def test_activity_restarts_the_idle_timer(qtbot: Any, window: MainWindow) -> None:
    timer = window.session.watcher.timer
    assert timer.isActive() and timer.interval() == 10 * 60_000
    timer.setInterval(60_000)
    timer.start()
    qtbot.waitUntil(lambda: timer.remainingTime() < 59_700, timeout=5000)
    before = timer.remainingTime()
    qtbot.keyClick(window.table, Qt.Key.Key_Shift)  # a key that does nothing else
    assert timer.remainingTime() > before + 200  # started again from a full minute
    assert not window.session.locked


def test_ctrl_l_locks(qtbot: Any, window: MainWindow, db: Any) -> None:
    window.show_patient(PATIENT_MRN)
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert window.session.locked
    assert not window.chart.isVisible()
    assert [e.detail for e in entries(db, action="lock")] == ["screen locked by hand (Ctrl+L)"]
    qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)  # no effect
    assert len(entries(db, action="lock")) == 1


def test_lock_hides_other_windows_and_cancels_prompts(qtbot: Any, window: MainWindow) -> None:
    from PySide6.QtWidgets import QMessageBox, QWidget

    box = QMessageBox(QMessageBox.Icon.Question, "Question", "Proceed?", parent=window)
    box.setWindowModality(Qt.WindowModality.ApplicationModal)
    box.show()
    other = QWidget(window, Qt.WindowType.Window)  # e.g. a plot's export window
    other.setWindowTitle(f"Export — {PATIENT_NAME}")
    other.show()
    window.lock()
    assert not box.isVisible()
    assert box.result() == QMessageBox.DialogCode.Rejected
    assert not other.isVisible()
    assert window.session.hidden_windows == [other]
    qtbot.keyClick(window, Qt.Key.Key_A)  # typing on the lock screen starts no countdown
    assert not window.session.watcher.timer.isActive()
    assert window.session.try_unlock(PASSWORD)
    assert other.isVisible()
    assert not box.isVisible()
    assert window.session.watcher.timer.isActive()


def test_too_many_wrong_passwords_end_the_guessing(qtbot: Any, window: MainWindow) -> None:
    from clinic_gui.store.users import MAX_FAILURES

    window.lock()
    screen = window.session.lock_screen
    for _ in range(MAX_FAILURES):
        assert not window.session.try_unlock("a wrong guess")
    assert not screen.password.isVisible()
    assert screen.message.text() == (
        f"{MAX_FAILURES} wrong passwords. Sign in again (your open forms are kept when you "
        "sign in as yourself)."
    )
    assert screen.switch_button.text() == "&Sign in…"
    assert not window.session.try_unlock(PASSWORD)  # no more tries here
    assert window.session.locked
    screen.switch_button.click()
    dialog = window.session.sign_in_dialog
    assert dialog is not None
    dialog.username.setText("rn.kim")
    dialog.password.setText(PASSWORD)
    assert not dialog.try_sign_in()  # the store makes them wait
    assert dialog.message.text().startswith("Too many failed attempts for 'rn.kim'")
    assert window.session.locked


def test_someone_else_signs_in_at_the_lock_screen(qtbot: Any, window: MainWindow, db: Any) -> None:
    window.show_patient(PATIENT_MRN)
    form = window.open_entry_dialog("weight")
    assert form is not None
    assert not window.record_actions["regimen"].isEnabled()
    window.lock()
    dialog = window.session.ask_other_user()
    assert dialog.isVisible()
    dialog.username.setText("dr.lee")
    dialog.password.setText(PASSWORD)
    with qtbot.waitSignal(window.user_changed, timeout=2000):
        assert dialog.try_sign_in()
    assert not window.session.locked
    assert window.user.username == "dr.lee"
    assert window.user_label.text() == "User: Dr Lee (Physician)"
    assert not form.isVisible()  # opened in the nurse's name: closed unsaved
    assert window.record_actions["regimen"].isEnabled()
    assert _actions_of(db, "rn.kim")[0] == "sign_out"
    assert entries(db, actor="rn.kim", action="sign_out")[0].detail == (
        "dr.lee signed in at this workstation"
    )
    assert _actions_of(db, "dr.lee")[0] == "sign_in"


def test_sign_out_then_sign_in(qtbot: Any, window: MainWindow, db: Any) -> None:
    window.show_patient(PATIENT_MRN)
    window.sign_out_action.trigger()
    assert window.session.locked and window.session.signed_out
    assert window.session.lock_screen.title.text() == "Signed out"
    assert not [t for t in _visible_texts() if PATIENT_NAME in t]
    dialog = window.session.sign_in_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.username.setText("rn.kim")
    dialog.password.setText(PASSWORD)
    assert dialog.try_sign_in()
    assert not window.session.locked
    assert window.chart.isVisible()
    assert _actions_of(db, "rn.kim")[:2] == ["sign_in", "sign_out"]


def test_the_demo_user_unlocks_without_a_password(qtbot: Any, tmp_path: Path) -> None:
    from clinic_gui.store.demo_clinic import write_demo_clinic
    from clinic_gui.store.users import demo_user

    path = tmp_path / "demo.sqlite"
    write_demo_clinic(path, patients=2, seed=1, as_of=TODAY)
    demo_db = open_database(path)
    try:
        user = demo_user(demo_db)
        assert user is not None
        win = _window(qtbot, demo_db, path, user)
        assert win.windowTitle() == "demo.sqlite — DEMO (synthetic patients)"
        assert not win.sign_out_action.isEnabled()
        win.lock()
        screen = win.session.lock_screen
        assert screen.demo_note.isVisible()
        assert "DEMO CLINIC" in screen.demo_note.text()
        assert not screen.password.isVisible()
        assert not screen.switch_button.isVisible()
        assert screen.focusWidget() is screen.unlock_button
        qtbot.keyClick(screen.unlock_button, Qt.Key.Key_Return)
        assert not win.session.locked
        assert entries(demo_db, action="unlock")[0].detail == (
            "demo clinic: unlocked without a password"
        )
        win.close()
    finally:
        demo_db.close()


# -- roles in the menus ----------------------------------------------------------------------
def _menu_titles(win: MainWindow) -> list[str]:
    return [a.text() for a in win.menuBar().actions() if a.isVisible()]


def test_the_admin_menu_is_for_admins_only(
    qtbot: Any, window: MainWindow, db: Any, db_path: Path, staff: Any
) -> None:
    assert _menu_titles(window) == ["&File", "&Record", "&View"]
    admin = _window(qtbot, db, db_path, staff.admin)
    assert _menu_titles(admin) == ["&File", "&Record", "&View", "&Admin"]
    assert [a.text() for a in admin.admin_menu.actions() if not a.isSeparator()] == [
        "&Users…",
        "&Audit trail…",
        "&Settings…",
        "&Back up now",
        "&Restore a backup…",
        "&Verify audit trail",
    ]
    assert all(a.isEnabled() for a in admin.admin_menu.actions())
    # The admin role alone records nothing clinical: those actions say which role they need.
    admin.show_patient(PATIENT_MRN)
    infusion = admin.record_actions["infusion"]
    assert not infusion.isEnabled()
    assert infusion.toolTip() == "Record infusion… needs the nurse or physician role"
    assert not admin.new_patient_action.isEnabled()
    assert admin.export_action.isEnabled()


def test_a_nurse_cannot_change_a_regimen(window: MainWindow) -> None:
    window.show_patient(PATIENT_MRN)
    regimen = window.record_actions["regimen"]
    assert not regimen.isEnabled()
    assert regimen.toolTip() == "Change regimen… needs the physician role"
    assert window.record_actions["infusion"].isEnabled()
    assert "needs" not in window.record_actions["infusion"].toolTip()
    assert window.new_patient_action.isEnabled()


def test_verify_audit_trail_shows_the_result(
    qtbot: Any, db: Any, db_path: Path, staff: Any
) -> None:
    admin = _window(qtbot, db, db_path, staff.admin)
    text = admin.verify_audit_trail()
    assert text.startswith("Audit trail verified:")
    assert admin.verify_box.text() == text


def test_the_settings_dialog_changes_the_idle_time(
    qtbot: Any, db: Any, db_path: Path, staff: Any
) -> None:
    admin = _window(qtbot, db, db_path, staff.admin)
    dialog = admin.open_settings_dialog()
    assert dialog.widgets[IDLE_LOCK_MINUTES].text() == "10"
    dialog.widgets[IDLE_LOCK_MINUTES].setText("0")
    assert not dialog.try_save()
    assert dialog.errors[IDLE_LOCK_MINUTES].text() == "1 to 60 minutes of no activity (got 0)"
    dialog.widgets[IDLE_LOCK_MINUTES].setText("5")
    assert dialog.try_save()
    assert get_setting(db, IDLE_LOCK_MINUTES) == 5
    assert admin.session.watcher.timer.interval() == 5 * 60_000


def test_an_idle_time_changed_elsewhere_applies_at_the_next_unlock(
    qtbot: Any, window: MainWindow, db: Any, staff: Any
) -> None:
    set_setting(db, staff.admin, IDLE_LOCK_MINUTES, 3)
    window.lock()
    assert window.session.try_unlock(PASSWORD)
    assert window.session.watcher.timer.interval() == 3 * 60_000


# -- the administrator's windows -------------------------------------------------------------
def test_the_audit_view_filters_by_user_and_patient(qtbot: Any, db: Any, staff: Any) -> None:
    _insert_cases(db, staff.nurse)
    set_setting(db, staff.admin, IDLE_LOCK_MINUTES, 5)
    set_setting(db, staff.admin, IDLE_LOCK_MINUTES, 7)
    view = AuditView(db)
    qtbot.addWidget(view)
    view.show()
    total = view.model.rowCount()
    assert total == len(entries(db))
    assert view.note.text() == f"{total} matching entries, newest first."

    view.user_filter.setCurrentIndex(view.user_filter.findData("admin"))
    shown = view.model.rows()
    assert shown and {e.actor for e in shown} == {"admin"}
    assert len(shown) == len(entries(db, actor="admin"))
    view.action_filter.setCurrentIndex(view.action_filter.findData("update"))
    assert [view.model.data(view.model.index(0, c)) for c in (1, 3, 4, 7)] == [
        "admin",
        "update",
        "setting",
        "value: 5 → 7",
    ]

    view.user_filter.setCurrentIndex(0)
    view.action_filter.setCurrentIndex(0)
    view.mrn_filter.setText(PATIENT_MRN)
    view.refresh()
    shown = view.model.rows()
    assert shown and {e.patient_mrn for e in shown} == {PATIENT_MRN}
    assert len(shown) == len(entries(db, patient_mrn=PATIENT_MRN))
    assert {e.actor for e in shown} == {"rn.kim"}
    mrn_column = 6
    assert view.model.data(view.model.index(0, mrn_column)) == PATIENT_MRN


def test_the_audit_view_filters_by_local_dates(qtbot: Any, db: Any, staff: Any) -> None:
    _insert_cases(db, staff.nurse)
    view = AuditView(db)
    qtbot.addWidget(view)
    today = dt.date.today()
    view.since_filter.setText((today + dt.timedelta(days=1)).isoformat())
    view.refresh()
    assert view.model.rowCount() == 0
    view.since_filter.setText(today.isoformat())
    view.until_filter.setText(today.isoformat())
    view.refresh()
    assert view.model.rowCount() == len(entries(db))
    view.until_filter.setText("22.11.2026")
    view.refresh()
    assert view.problem.text() == "To: '22.11.2026' is not a date (YYYY-MM-DD)"
    assert view.model.rowCount() == len(entries(db))  # the last good result stays


def test_the_audit_view_shows_typed_text_as_text(qtbot: Any, db: Any, staff: Any) -> None:
    from clinic_gui.store.users import create_user

    create_user(
        db, staff.admin, username="rn.tag", full_name="<b>Bold</b> & <i>co</i>",
        roles=["nurse"], password=PASSWORD,
    )  # fmt: skip
    view = AuditView(db)
    qtbot.addWidget(view)
    changed = view.model.data(view.model.index(0, 7))
    assert "full_name: <b>Bold</b> & <i>co</i>" in changed
    tip = view.model.data(view.model.index(0, 7), Qt.ItemDataRole.ToolTipRole)
    assert "full_name: <b>Bold</b> & <i>co</i>" in tip
    assert not QtGui.Qt.mightBeRichText(tip)  # so Qt shows the tooltip as text
    # Text that would be read as HTML is escaped.
    assert plain_tooltip("<b>Bold</b> & co\nline 2") == (
        '<p style="white-space: pre-wrap">&lt;b&gt;Bold&lt;/b&gt; &amp; co<br>line 2</p>'
    )


def test_the_audit_view_verifies_the_chain(qtbot: Any, db: Any, staff: Any) -> None:
    view = AuditView(db)
    qtbot.addWidget(view)
    view.verify_button.click()
    assert view.verify_result.text().startswith("Audit trail verified:")


def test_the_audit_view_shows_the_newest_500(
    qtbot: Any, db: Any, staff: Any, monkeypatch: Any
) -> None:
    from clinic_gui.ui.admin import audit_view

    _insert_cases(db, staff.nurse)
    monkeypatch.setattr(audit_view, "LIMIT", 3)
    assert len(entries(db)) > 3
    view = AuditView(db)
    qtbot.addWidget(view)
    assert view.model.rowCount() == 3
    assert [e.id for e in view.model.rows()] == [e.id for e in entries(db, limit=3)]
    assert view.note.text().startswith("Showing the newest 3 matching entries")


def test_the_users_dialog_adds_a_user(qtbot: Any, db: Any, staff: Any) -> None:
    dialog = UsersDialog(db, staff.admin)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.model.rowCount() == 3
    form = dialog.add_user()
    form.widgets["username"].setText("rn.kim")
    form.widgets["full_name"].setText("Kim Again")
    form.widgets["password"].setText(PASSWORD)
    form.widgets["password_again"].setText(PASSWORD)
    form.roles.boxes["nurse"].setChecked(True)
    assert not form.try_save()
    assert "already taken" in form.errors["username"].text()
    form.widgets["username"].setText("rn.park")
    form.widgets["full_name"].setText("Pat Park")
    assert form.try_save()
    assert dialog.status.text() == "Added rn.park (nurse)."
    assert [dialog.model.data(dialog.model.index(r, 0)) for r in range(4)] == [
        "admin",
        "dr.lee",
        "rn.kim",
        "rn.park",
    ]
    assert dialog.selected() is not None and dialog.selected()[0].username == "rn.park"
    assert dialog.model.data(dialog.model.index(3, 2)) == "Nurse"
    assert dialog.model.data(dialog.model.index(3, 3)) == "active"


def test_the_users_dialog_shows_refusals_and_disables(qtbot: Any, db: Any, staff: Any) -> None:
    dialog = UsersDialog(db, staff.admin)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.refresh("admin")
    roles = dialog.change_roles()
    assert roles is not None
    roles.roles.boxes["admin"].setChecked(False)
    roles.roles.boxes["nurse"].setChecked(True)
    assert not roles.try_save()
    assert roles.errors["roles"].text() == "you cannot take the admin role from yourself"
    roles.reject()

    dialog.refresh("rn.kim")
    disable = dialog.disable()
    assert disable is not None
    assert not disable.try_save()
    assert disable.errors["reason"].text() == "required"
    disable.widgets["reason"].setText("left the clinic")
    assert disable.try_save()
    status = dialog.model.data(dialog.model.index(2, 3))
    assert status.startswith("disabled since ")
    assert not dialog.disable_button.isEnabled()

    dialog.refresh("dr.lee")
    reset = dialog.reset_password()
    assert reset is not None
    reset.widgets["password"].setText("a new password 2")
    reset.widgets["password_again"].setText("a new password 3")
    assert not reset.try_save()
    assert reset.errors["password_again"].text() == "the two passwords differ"
    reset.widgets["password_again"].setText("a new password 2")
    assert reset.try_save()
    assert dialog.status.text() == "New password set for dr.lee."


def test_a_nurse_is_refused_in_the_users_dialog(qtbot: Any, db: Any, staff: Any) -> None:
    dialog = UsersDialog(db, staff.nurse)
    qtbot.addWidget(dialog)
    form = dialog.add_user()
    form.widgets["username"].setText("rn.park")
    form.widgets["full_name"].setText("Pat Park")
    form.widgets["password"].setText(PASSWORD)
    form.widgets["password_again"].setText(PASSWORD)
    form.roles.boxes["nurse"].setChecked(True)
    assert not form.try_save()
    assert form.summary.text() == (
        "Not saved: rn.kim may not manage users: that needs the administrator role"
    )
    assert [u.username for u, _ in list_users(db)] == ["admin", "dr.lee", "rn.kim"]


# -- one window per database -----------------------------------------------------------------
def test_a_second_instance_on_the_same_database_is_refused(tmp_path: Path) -> None:
    folder = tmp_path / "locks"
    first = acquire_instance_lock(tmp_path / "clinic.sqlite", folder)
    assert first.acquired
    second = acquire_instance_lock(tmp_path / "clinic.sqlite", folder)
    assert not second.acquired
    assert second.owner_pid == os.getpid()
    other = acquire_instance_lock(tmp_path / "other.sqlite", folder)
    assert other.acquired
    assert other.path != first.path
    first.release()
    third = acquire_instance_lock(tmp_path / "clinic.sqlite", folder)
    assert third.acquired
    third.release()
    other.release()


def test_a_lock_left_by_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    folder = tmp_path / "locks"
    database = tmp_path / "clinic.sqlite"
    path = app_module.instance_lock_path(database, folder)
    folder.mkdir()
    script = (
        "import os, sys\n"
        "from PySide6.QtCore import QLockFile\n"
        "lock = QLockFile(sys.argv[1])\n"
        "assert lock.tryLock(0)\n"
        "os._exit(0)  # a crash: the lock file is left behind\n"
    )
    subprocess.run([sys.executable, "-c", script, str(path)], check=True, timeout=60)
    assert path.exists()
    taken = acquire_instance_lock(database, folder)
    assert taken.acquired
    taken.release()


def test_run_says_the_app_is_already_open_and_exits(
    qapp: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    told: list[tuple[Path, int | None]] = []
    monkeypatch.setattr(app_module, "already_open", lambda path, pid: told.append((path, pid)))
    monkeypatch.setattr(app_module, "MainWindow", None)  # a window would fail the test
    database = tmp_path / "clinic.sqlite"
    held = acquire_instance_lock(database)
    try:
        assert app_module.run(database) == 0
    finally:
        held.release()
    assert told == [(database, os.getpid())]
    assert not database.exists()  # not even opened
