"""Signing in: the sign-in dialog, and the first administrator of a new clinic database.

``ask_sign_in(db, db_path)`` is what the app runs before the main window (the demo clinic
signs its demo user in without it): on a database with no users yet it asks for the first
administrator, otherwise for a user name and password. It returns the signed-in user, or
None when the person cancels. Every attempt is audited by ``store.users.sign_in``.

The dialogs are ordinary classes that never block by themselves (``ask_sign_in`` is the
only place that runs them modally), so tests drive them directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain.access import ADMIN, User
from clinic_gui.store.connection import ClinicDatabase, WriteFailed
from clinic_gui.store.users import SignInRefused, create_user, needs_first_admin, sign_in
from clinic_gui.ui.admin.account_form import AccountForm
from clinic_gui.ui.dialogs.form import ERROR_STYLE
from clinic_gui.ui.text import plain_tooltip


def database_label(db_path: Path, width: int = 440) -> QLabel:
    """The database path on one line (shortened in the middle when long; full path as a
    tooltip), so a nurse sees at once which clinic's record this is."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    text = f"Database: {db_path}"
    label.setText(label.fontMetrics().elidedText(text, Qt.TextElideMode.ElideMiddle, width))
    label.setToolTip(plain_tooltip(str(db_path)))
    label.setAccessibleName(text)
    return label


class SignInDialog(QDialog):
    """User name and password; Enter signs in. A refusal is shown here, the password field
    is cleared and focus goes back to it; ``user`` is set once signed in."""

    def __init__(
        self,
        db: ClinicDatabase,
        db_path: Path,
        *,
        username: str = "",
        intro: str = "",
        cancel_text: str = "Quit",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.db = db
        self.user: User | None = None
        self.setWindowTitle("Sign in")
        self.setAccessibleName("Sign in")
        outer = QVBoxLayout(self)
        heading = QLabel("Sign in to clinic_gui")
        heading.setFont(_bigger(heading.font()))
        outer.addWidget(heading)
        if intro:
            self.intro = QLabel(intro)
            self.intro.setTextFormat(Qt.TextFormat.PlainText)
            self.intro.setWordWrap(True)
            outer.addWidget(self.intro)
        outer.addWidget(database_label(db_path))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.username = QLineEdit(username)
        self.username.setAccessibleName("User name")
        self.username.setPlaceholderText("e.g. rn.kim")
        self.password = QLineEdit()
        self.password.setAccessibleName("Password")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        form.addRow("&User name:", self.username)
        form.addRow("&Password:", self.password)
        outer.addLayout(form)
        self.message = QLabel()
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        self.message.setWordWrap(True)
        self.message.setStyleSheet(ERROR_STYLE)
        self.message.setAccessibleName("Sign-in problem")
        self.message.hide()
        outer.addWidget(self.message)
        self.buttons = QDialogButtonBox()
        self.sign_in_button = self.buttons.addButton(
            "&Sign in", QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_in_button.setDefault(True)
        self.buttons.addButton(cancel_text, QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)
        self.setMinimumWidth(460)
        (self.password if username else self.username).setFocus()

    def try_sign_in(self) -> bool:
        name = self.username.text().strip()
        if not name:
            return self._refused("Type your user name.", self.username)
        if not self.password.text():
            return self._refused("Type your password.", self.password)
        try:
            self.user = sign_in(self.db, name, self.password.text())
        except (SignInRefused, WriteFailed) as exc:
            self.password.clear()
            return self._refused(str(exc), self.password)
        self.password.clear()
        self.message.hide()
        self.accept()
        return True

    def _refused(self, message: str, focus: QLineEdit) -> bool:
        self.message.setText(message)
        self.message.show()
        focus.setFocus(Qt.FocusReason.OtherFocusReason)
        return False


class FirstAdminDialog(AccountForm):
    """The first account of a new clinic database: an administrator (who may also be a
    nurse or physician). Once created, the person is signed in (``user``)."""

    def __init__(self, db: ClinicDatabase, db_path: Path, *, parent: QWidget | None = None) -> None:
        super().__init__(
            "Create the first administrator",
            save=self._create,
            intro=(
                "This clinic database has no users yet. Create its first administrator: "
                "they add everyone else (Admin ▸ Users…). Tick Nurse or Physician too if "
                "this person also works with patients."
            ),
            fixed_roles=(ADMIN,),
            save_text="Create administrator",
            parent=parent,
        )
        self.db = db
        self.user: User | None = None
        outer = self.layout()
        assert isinstance(outer, QVBoxLayout)
        outer.insertWidget(1, database_label(db_path))

    def _create(self, record: dict[str, Any]) -> User:
        created = create_user(
            self.db,
            None,
            username=record["username"],
            full_name=record["full_name"],
            roles=record["roles"],
            password=record["password"],
        )
        try:
            self.user = sign_in(self.db, created.username, record["password"])
        except SignInRefused:
            self.user = None  # created: ask_sign_in asks for the password the ordinary way
        return created


def ask_sign_in(db: ClinicDatabase, db_path: Path) -> User | None:
    """The signed-in user (creating the first administrator on a new database), or None."""
    if needs_first_admin(db):
        first = FirstAdminDialog(db, db_path)
        if first.exec() != QDialog.DialogCode.Accepted:
            return None
        if first.user is not None:
            return first.user
    dialog = SignInDialog(db, db_path)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.user


def _bigger(font: QFont) -> QFont:
    bigger = QFont(font)
    if bigger.pointSizeF() > 0:
        bigger.setPointSizeF(bigger.pointSizeF() * 1.3)
    bigger.setBold(True)
    return bigger
