"""Backups from the window: the daily backup at start, "Back up now" and "Restore a backup".

Backups and restores run in the background on a connection of their own (a copy of a large
clinic takes seconds), so the window stays usable; their result appears in the status bar
or in a message. A restore replaces the whole database, so afterwards the app closes and is
started again on the restored file (users, ids and the open chart may all differ).

Questions to the person (which file, their password, "are you sure") go through
``BackupActions.ask_*`` methods, so tests answer them without a modal dialog.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFileDialog, QInputDialog, QLineEdit, QMessageBox, QWidget

from clinic_gui.domain.access import User
from clinic_gui.store.backup import (
    BackupRefused,
    backup_folder,
    backup_now,
    daily_backup_if_due,
    restore,
)
from clinic_gui.store.connection import DatabaseRefused, WriteFailed, open_database
from clinic_gui.store.users import PermissionRefused, SignInRefused
from clinic_gui.ui.background import BackgroundTask

REFUSED = (BackupRefused, DatabaseRefused, WriteFailed, PermissionRefused, SignInRefused)


def _with_connection(db_path: Path, work: Callable[[Any], Any]) -> Any:
    """Run ``work(db)`` on a connection of this thread's own (sqlite3 connections stay in
    the thread that made them)."""
    db = open_database(db_path, create=False, health_check=False)
    try:
        return work(db)
    finally:
        db.close()


class BackupActions(QObject):
    """The window's backup and restore actions; ``message`` carries status-bar text."""

    message = Signal(str)
    restored = Signal(str)  # what to tell the person before the app closes

    def __init__(self, db_path: Path, user: User, parent: QWidget) -> None:
        super().__init__(parent)
        self.db_path = db_path
        self.user = user
        self.window = parent
        self.task: BackgroundTask | None = None

    @property
    def busy(self) -> bool:
        return self.task is not None and self.task.running

    def _start(self, work: Callable[[], Any], done: Callable[[Any], None]) -> BackgroundTask:
        self.task = BackgroundTask(work, self)
        self.task.done.connect(done)
        self.task.failed.connect(lambda text: self.message.emit(f"Backup failed: {text}"))
        self.task.start()
        return self.task

    # -- automatic ---------------------------------------------------------------------------
    def daily_backup(self) -> BackgroundTask:
        """Today's automatic backup, if none was made yet today (then rotation)."""
        path = self.db_path

        def work() -> str:
            try:
                made = _with_connection(path, lambda db: daily_backup_if_due(db, path))
            except REFUSED as exc:
                return f"The daily backup was not made: {exc}"
            return "Daily backup written." if made else ""

        return self._start(work, lambda text: text and self.message.emit(text))

    # -- by hand -----------------------------------------------------------------------------
    def back_up_now(self) -> BackgroundTask | None:
        if self.busy:
            self.message.emit("A backup or restore is already running.")
            return None
        path, user = self.db_path, self.user
        self.message.emit("Backing up…")

        def work() -> str:
            try:
                made = _with_connection(path, lambda db: backup_now(db, path, actor=user))
            except REFUSED as exc:
                return f"Not backed up: {exc}"
            return f"Backup written and verified: {made}"

        return self._start(work, self.message.emit)

    def restore_backup(self) -> BackgroundTask | None:
        """Choose a backup, re-enter the password, confirm; then restore in the background."""
        if self.busy:
            self.message.emit("A backup or restore is already running.")
            return None
        chosen = self.ask_backup_file()
        if chosen is None:
            return None
        password = self.ask_password()
        if password is None:
            return None
        if not self.ask_confirmation(chosen):
            return None
        path, username = self.db_path, self.user.username
        self.message.emit(f"Restoring {chosen.name}…")

        def work() -> tuple[bool, str]:
            try:
                kept = restore(chosen, path, username=username, password=password)
            except REFUSED as exc:
                return False, f"Not restored; nothing was changed.\n\n{exc}"
            where = f"\n\nThe database it replaced was kept as {kept}." if kept else ""
            return True, (
                f"Restored {chosen.name}.{where}\n\nclinic_gui will now close; start it again "
                "to work on the restored record."
            )

        def done(result: tuple[bool, str]) -> None:
            ok, text = result
            if ok:
                self.restored.emit(text)
            else:
                self.tell("Restore a backup", text)

        return self._start(work, done)

    # -- questions (tests replace these) -----------------------------------------------------
    def ask_backup_file(self) -> Path | None:
        name, _ = QFileDialog.getOpenFileName(
            self.window,
            "Restore a backup",
            str(backup_folder(self.db_path)),
            "Backups (*.sqlite);;All files (*)",
        )
        return Path(name) if name else None

    def ask_password(self) -> str | None:
        text, ok = QInputDialog.getText(
            self.window,
            "Restore a backup",
            f"Restoring replaces the whole record. Password of {self.user.username}:",
            QLineEdit.EchoMode.Password,
        )
        return text if ok else None

    def ask_confirmation(self, chosen: Path) -> bool:
        answer = QMessageBox.question(
            self.window,
            "Restore a backup",
            f"Replace the current record with {chosen.name}?\n\nEverything saved since that "
            "backup will no longer be in the record (the current database is kept as a copy "
            "in the backups folder).",
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def tell(self, title: str, text: str) -> None:
        QMessageBox.information(self.window, title, text)
