"""Locking the screen: after a spell without activity (the clinic's ``idle_lock_minutes``),
by hand (Ctrl+L), and signing out.

- ``IdleWatcher``: one event filter on the application restarts a single-shot timer on
  every key press, mouse press or move, wheel turn and touch, in any of the app's windows;
  when the timer runs out, the window locks.
- ``LockScreen``: what the window shows while locked. It names who is signed in and asks
  for their password; "Sign in as someone else…" opens the sign-in dialog. On the demo
  clinic the demo user unlocks without a password, and the screen says so.
- ``SessionLock``: locking and unlocking a window. While locked, the window's content is
  replaced by the lock screen (a page of its ``QStackedWidget``), the app's other windows
  (entry forms, the administrator's windows) are hidden (and shown again, with what was
  typed, when the same person unlocks; discarded when someone else signs in, since they
  were opened in the first person's name), prompts waiting for an answer are cancelled,
  menus and tooltips are closed. Lock, unlock, failed attempts and sign-out are in the
  audit trail.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain.access import User
from clinic_gui.store.connection import ClinicDatabase, WriteFailed
from clinic_gui.store.session import (
    record_lock,
    record_sign_out,
    unlock_demo,
    unlocks_without_password,
)
from clinic_gui.store.users import MAX_FAILURES, check_own_password
from clinic_gui.ui.dialogs.form import ERROR_STYLE
from clinic_gui.ui.sign_in import SignInDialog

ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
    }
)


class IdleWatcher(QObject):
    """Emits ``idle`` after ``minutes`` without keyboard, mouse or touch activity."""

    idle = Signal()

    def __init__(self, minutes: int, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        # Precise: a coarse timer may round a restarted countdown to a whole second.
        self.timer.setTimerType(Qt.TimerType.PreciseTimer)
        self.timer.timeout.connect(self.idle)
        self.watching = False
        self.paused = False  # while the screen is locked
        self.set_minutes(minutes)

    def set_minutes(self, minutes: int) -> None:
        self.minutes = minutes
        self.timer.setInterval(minutes * 60_000)
        if self.watching and not self.paused:
            self.timer.start()

    def start(self) -> None:
        """Watch (again), counting from now."""
        self.paused = False
        if not self.watching:
            app = QApplication.instance()
            if app is not None:
                app.installEventFilter(self)
            self.watching = True
        self.timer.start()

    def pause(self) -> None:
        self.paused = True
        self.timer.stop()

    def stop(self) -> None:
        self.timer.stop()
        if self.watching:
            app = QApplication.instance()
            if app is not None:
                app.removeEventFilter(self)
            self.watching = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if self.watching and not self.paused and event.type() in ACTIVITY:
            self.timer.start()
        return False


def _font(base: QFont, factor: float, *, bold: bool = False) -> QFont:
    font = QFont(base)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    font.setBold(bold)
    return font


def _plain(text: str = "", *, wrap: bool = True) -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    return label


class LockScreen(QWidget):
    """The locked window: who is signed in, their password, or someone else."""

    unlock_requested = Signal(str)  # the password typed ('' in demo mode)
    switch_user_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName("Screen locked")
        self.setAutoFillBackground(True)
        card = QFrame()
        card.setObjectName("lockCard")
        card.setFrameShape(QFrame.Shape.StyledPanel)
        card.setMaximumWidth(520)
        card.setMinimumWidth(420)
        column = QVBoxLayout(card)
        column.setContentsMargins(28, 24, 28, 24)
        column.setSpacing(10)
        self.title = _plain("Locked", wrap=False)
        self.title.setFont(_font(self.title.font(), 1.6, bold=True))
        self.who = _plain()
        self.who.setFont(_font(self.who.font(), 1.15, bold=True))
        self.who.setAccessibleName("Signed in")
        self.explain = _plain()
        self.demo_note = _plain(
            "DEMO CLINIC: synthetic patients only. The demo user unlocks without a password."
        )
        self.demo_note.setStyleSheet(
            "background-color: #8a4b00; color: white; font-weight: 600; padding: 4px 8px;"
            "border-radius: 4px;"
        )
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.password.setPlaceholderText("Password")
        self.password.returnPressed.connect(self._unlock_clicked)
        self.unlock_button = QPushButton("&Unlock")
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self._unlock_clicked)
        password_row = QHBoxLayout()
        password_row.addWidget(self.password, 1)
        password_row.addWidget(self.unlock_button)
        self.message = _plain()
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setAccessibleName("Unlock problem")
        self.switch_button = QPushButton("Sign in as &someone else…")
        self.switch_button.clicked.connect(self.switch_user_requested)
        switch_row = QHBoxLayout()
        switch_row.addStretch(1)
        switch_row.addWidget(self.switch_button)
        for widget in (self.title, self.who, self.explain, self.demo_note):
            column.addWidget(widget)
        column.addSpacing(6)
        column.addLayout(password_row)
        column.addWidget(self.message)
        column.addSpacing(6)
        column.addLayout(switch_row)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        middle = QHBoxLayout()
        middle.addStretch(1)
        middle.addWidget(card, 3)
        middle.addStretch(1)
        outer.addLayout(middle)
        outer.addStretch(2)
        self.demo = False

    def show_locked(self, user: User, *, demo: bool) -> None:
        self.demo = demo
        self.title.setText("Locked")
        name = user.full_name if user.demo else f"{user.full_name} ({user.username})"
        self.who.setText(f"{name} · {user.role_text}")
        self.explain.setText(
            "Patient details are hidden while the screen is locked. Open forms and your search "
            "are kept: type your password to carry on where you left off."
            if not demo
            else "Patient details are hidden while the screen is locked. Open forms are kept."
        )
        self.demo_note.setVisible(demo)
        self.password.setVisible(not demo)
        self.password.setEnabled(True)
        self.unlock_button.setText("&Unlock" if not demo else "&Unlock (demo: no password)")
        self.unlock_button.setVisible(True)
        self.switch_button.setVisible(not demo)
        self.switch_button.setText("Sign in as &someone else…")
        self.password.clear()
        self.message.clear()
        self.message.hide()

    def show_signed_out(self) -> None:
        self.title.setText("Signed out")
        self.who.setText("Nobody is signed in at this workstation.")
        self.explain.setText("Sign in to see the clinic's patients.")
        self.demo_note.hide()
        self.password.hide()
        self.unlock_button.hide()
        self.switch_button.setVisible(True)
        self.switch_button.setText("&Sign in…")
        self.message.clear()
        self.message.hide()

    def too_many(self, message: str) -> None:
        """Too many wrong passwords: only signing in again (or as someone else) is left."""
        self.password.clear()
        self.password.hide()
        self.unlock_button.hide()
        self.switch_button.setText("&Sign in…")
        self.message.setText(message)
        self.message.show()
        self.focus_entry()

    def refused(self, message: str) -> None:
        self.password.clear()
        self.message.setText(message)
        self.message.show()
        self.focus_entry()

    def focus_entry(self) -> None:
        target = self.password if self.password.isVisible() else self.unlock_button
        if not target.isVisible():
            target = self.switch_button
        target.setFocus(Qt.FocusReason.OtherFocusReason)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        # Keyboard first: Enter presses the focused button (the demo's Unlock, "Sign in…").
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            focused = self.focusWidget()
            if isinstance(focused, QPushButton) and focused.isVisible():
                focused.click()
                return
        super().keyPressEvent(event)

    def _unlock_clicked(self) -> None:
        self.unlock_requested.emit("" if self.demo else self.password.text())


class SessionLock(QObject):
    """Locks ``window`` by showing the lock screen in ``stack`` instead of ``content``."""

    locked_changed = Signal(bool)
    user_changed = Signal(object)  # the User who signed in at the lock screen

    def __init__(
        self,
        window: QWidget,
        stack: QStackedWidget,
        content: QWidget,
        db: ClinicDatabase,
        db_path: Path,
        user: User,
        *,
        minutes: int,
    ) -> None:
        super().__init__(window)
        self.host = window
        self.stack = stack
        self.content = content
        self.db = db
        self.db_path = db_path
        self.user = user
        self.locked = False
        self.signed_out = False
        self.failures = 0  # wrong passwords at the lock screen since it locked
        self.hidden_windows: list[QWidget] = []  # hidden while locked, in order
        self.sign_in_dialog: SignInDialog | None = None
        self._focus: QWidget | None = None
        self.lock_screen = LockScreen()
        stack.addWidget(self.lock_screen)
        self.lock_screen.unlock_requested.connect(self.try_unlock)
        self.lock_screen.switch_user_requested.connect(self.ask_other_user)
        self.watcher = IdleWatcher(minutes, self)
        self.watcher.idle.connect(self._idle)

    # -- the idle timer ----------------------------------------------------------------------
    def start(self) -> None:
        self.watcher.start()

    def stop(self) -> None:
        self.watcher.stop()

    def set_minutes(self, minutes: int) -> None:
        self.watcher.set_minutes(minutes)

    def _idle(self) -> None:
        minutes = self.watcher.minutes
        self.lock(f"after {minutes} minute{'s' if minutes != 1 else ''} without activity")

    # -- locking -----------------------------------------------------------------------------
    def lock(self, how: str = "by hand") -> None:
        if self.locked:
            return
        self.locked = True
        self.failures = 0
        self.watcher.pause()
        focus = QApplication.focusWidget()
        self._focus = focus if focus is not None and self.host.isAncestorOf(focus) else None
        self._close_popups()
        for widget in QApplication.topLevelWidgets():
            if not self._covers_data(widget):
                continue
            if (
                isinstance(widget, QDialog)
                and widget.windowModality() == Qt.WindowModality.ApplicationModal
            ):
                widget.reject()  # a prompt waiting for an answer: cancelled
            else:
                widget.hide()
                self.hidden_windows.append(widget)
        self.lock_screen.show_locked(self.user, demo=unlocks_without_password(self.db, self.user))
        self.stack.setCurrentWidget(self.lock_screen)
        self.locked_changed.emit(True)
        self.lock_screen.focus_entry()
        # The screen locks whether or not the event could be written.
        with contextlib.suppress(WriteFailed):
            record_lock(self.db, self.user, how)

    def _covers_data(self, widget: QWidget) -> bool:
        """A window of the app, other than the main window and the sign-in dialog, that is
        showing now (entry forms, the administrator's windows, a plot's export window)."""
        if widget is self.host or widget is self.sign_in_dialog or not widget.isVisible():
            return False
        if isinstance(widget, QMainWindow):
            return False  # another main window locks itself
        kind = widget.windowType()
        return kind not in (Qt.WindowType.Popup, Qt.WindowType.ToolTip, Qt.WindowType.Desktop)

    @staticmethod
    def _close_popups() -> None:
        QToolTip.hideText()
        for _ in range(10):  # nested popups (a combo box list inside a menu) close one by one
            popup = QApplication.activePopupWidget()
            if popup is None:
                break
            popup.close()

    def try_unlock(self, password: str = "") -> bool:
        """Unlock with the signed-in user's password (audited either way)."""
        if not self.locked or self.signed_out or self.failures >= MAX_FAILURES:
            return False
        if unlocks_without_password(self.db, self.user):
            try:
                ok = unlock_demo(self.db, self.user)
            except WriteFailed as exc:
                self.lock_screen.refused(str(exc))
                return False
            if ok:
                self._unlock(restore=True)
            return ok
        if not password:
            self.lock_screen.refused("Type your password, then press Enter.")
            return False
        try:
            ok = check_own_password(self.db, self.user, password)
        except WriteFailed as exc:
            self.lock_screen.refused(f"Not unlocked: {exc}")
            return False
        if not ok:
            self.failures += 1
            if self.failures >= MAX_FAILURES:
                # No more guesses here: signing in again counts every failure (and waits).
                self.lock_screen.too_many(
                    f"{self.failures} wrong passwords. Sign in again (your open forms are "
                    "kept when you sign in as yourself)."
                )
            else:
                self.lock_screen.refused(
                    f"That is not {self.user.username}'s password (or the account was "
                    "disabled). Try again, or sign in as someone else."
                )
            return False
        self._unlock(restore=True)
        return True

    def ask_other_user(self) -> SignInDialog:
        """The sign-in dialog over the lock screen; whoever signs in carries on."""
        if self.sign_in_dialog is not None:
            self.sign_in_dialog.reject()
        intro = (
            ""
            if self.signed_out
            else f"Forms {self.user.full_name} left open are kept if they sign in again, and "
            "closed without saving if someone else signs in."
        )
        dialog = SignInDialog(
            self.db, self.db_path, cancel_text="Cancel", intro=intro, parent=self.host
        )
        dialog.accepted.connect(lambda: self._signed_in(dialog))
        dialog.finished.connect(lambda _code: self._forget_dialog(dialog))
        self.sign_in_dialog = dialog
        dialog.open()
        return dialog

    def _forget_dialog(self, dialog: SignInDialog) -> None:
        if self.sign_in_dialog is dialog:
            self.sign_in_dialog = None
        if self.locked:
            self.lock_screen.focus_entry()

    def _signed_in(self, dialog: SignInDialog) -> None:
        user = dialog.user
        if user is None or not self.locked:
            return
        same = user.id == self.user.id and not self.signed_out
        if not same:
            if not self.signed_out:
                with contextlib.suppress(WriteFailed):
                    record_sign_out(
                        self.db, self.user, f"{user.username} signed in at this workstation"
                    )
            self._discard_hidden()
            self.user = user
            self.user_changed.emit(user)
        self.signed_out = False
        self._unlock(restore=same)

    def sign_out(self) -> SignInDialog | None:
        """Sign out: forms left open are closed unsaved; the sign-in dialog is shown."""
        if self.signed_out:
            return self.sign_in_dialog
        if not self.locked:
            self.lock("at sign-out")
        self._discard_hidden()
        with contextlib.suppress(WriteFailed):
            record_sign_out(self.db, self.user)
        self.signed_out = True
        self.lock_screen.show_signed_out()
        return self.ask_other_user()

    def _discard_hidden(self) -> None:
        for widget in self.hidden_windows:
            _discard(widget)
        self.hidden_windows = []

    def _unlock(self, *, restore: bool) -> None:
        self.locked = False
        self.stack.setCurrentWidget(self.content)
        hidden, self.hidden_windows = self.hidden_windows, []
        self.locked_changed.emit(False)
        shown = 0
        for widget in hidden:
            if not restore:
                _discard(widget)
                continue
            try:
                widget.show()
                widget.raise_()
                widget.activateWindow()
                shown += 1
            except RuntimeError:  # deleted while locked
                pass
        if self._focus is not None and restore and not shown:
            with contextlib.suppress(RuntimeError):
                self._focus.setFocus(Qt.FocusReason.OtherFocusReason)
        self._focus = None
        self.watcher.start()


def _discard(widget: QWidget) -> None:
    """Close a window left open by the previous user, unsaved."""
    try:
        if isinstance(widget, QDialog):
            widget.reject()
        else:
            widget.close()
        widget.deleteLater()
    except RuntimeError:  # already deleted
        pass
