"""A new account's form: user name, full name, password twice and roles.

Used for the clinic's first administrator (``sign_in.FirstAdminDialog``) and for every
account an administrator adds (``users_dialog``). The store checks everything again
(``store.users.create_user``); its problems ("username: 'kim' is already taken") are shown
beside the field they name. Passwords are read exactly as typed (never trimmed).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain.access import ROLE_LABELS, ROLES
from clinic_gui.store.users import MIN_PASSWORD_LENGTH, check_password
from clinic_gui.ui.dialogs.form import ERROR_STYLE, Field, FormReadError, RecordForm

ROLE_HINTS = {
    "nurse": "patients, weights, infusions, diaries, labs",
    "physician": "also regimens, reviews, sign-off",
    "admin": "users, settings, audit trail",
}


class RoleChoice(QWidget):
    """One checkbox per role; ``fixed`` roles are ticked and cannot be unticked."""

    def __init__(self, *, fixed: Iterable[str] = (), checked: Iterable[str] = ()) -> None:
        super().__init__()
        fixed = set(fixed)
        checked = set(checked) | fixed
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        self.boxes: dict[str, QCheckBox] = {}
        for role in ROLES:
            box = QCheckBox(f"{ROLE_LABELS[role]}  ({ROLE_HINTS[role]})")
            box.setAccessibleName(f"Role: {ROLE_LABELS[role]}")
            box.setChecked(role in checked)
            box.setEnabled(role not in fixed)
            column.addWidget(box)
            self.boxes[role] = box

    def roles(self) -> list[str]:
        return [role for role, box in self.boxes.items() if box.isChecked()]

    def set_roles(self, roles: Iterable[str]) -> None:
        wanted = set(roles)
        for role, box in self.boxes.items():
            box.setChecked(role in wanted)


def add_roles_row(
    form: RecordForm, *, fixed: Iterable[str] = (), checked: Iterable[str] = ()
) -> RoleChoice:
    """A "Roles" row in ``form`` whose problems ("roles: …") are shown beneath it."""
    choice = RoleChoice(fixed=fixed, checked=checked)
    error = QLabel()
    error.setStyleSheet(ERROR_STYLE)
    error.setWordWrap(True)
    error.setTextFormat(Qt.TextFormat.PlainText)
    error.setAccessibleName("Roles: problem")
    error.hide()
    holder = QWidget()
    column = QVBoxLayout(holder)
    column.setContentsMargins(0, 0, 0, 0)
    column.addWidget(choice)
    column.addWidget(error)
    form.form.addRow("Roles *:", holder)
    form.widgets["roles"] = choice
    form.errors["roles"] = error
    return choice


def password_field(form: RecordForm, name: str, label: str, placeholder: str = "") -> QLineEdit:
    widget = form.add_field(Field(name, label, required=True, placeholder=placeholder))
    assert isinstance(widget, QLineEdit)
    widget.setEchoMode(QLineEdit.EchoMode.Password)
    return widget


def read_passwords(form: RecordForm, first: str, second: str) -> tuple[str, str, list[str]]:
    """Both passwords exactly as typed, and the problems of blank ones."""
    problems = []
    values = []
    for name in (first, second):
        widget = form.widgets[name]
        assert isinstance(widget, QLineEdit)
        values.append(widget.text())
        if not widget.text():
            problems.append(f"{name}: required")
    return values[0], values[1], problems


def check_new_password(password: str, again: str, *, first: str, second: str) -> list[str]:
    problems = [f"{first}: {p.partition(': ')[2]}" for p in check_password(password)]
    if password != again:
        problems.append(f"{second}: the two passwords differ")
    return problems


class AccountForm(RecordForm):
    """A new account; ``save`` receives a dict (username, full_name, password, roles)."""

    def __init__(
        self,
        title: str,
        *,
        save: Callable[[dict[str, Any]], Any],
        intro: str = "",
        fixed_roles: Sequence[str] = (),
        checked_roles: Sequence[str] = (),
        save_text: str = "Add user",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            title,
            [
                Field("username", "User name", required=True, placeholder="e.g. rn.kim"),
                Field("full_name", "Full name", required=True, placeholder="as printed on records"),
            ],
            save=save,
            check=self._check_record,
            intro=intro,
            parent=parent,
        )
        self.widgets["username"].setToolTip(
            "Lower-case letters, digits, '.', '_' and '-'; starts with a letter. "
            "Names are never reused."
        )
        password_field(
            self, "password", "Password", placeholder=f"at least {MIN_PASSWORD_LENGTH} characters"
        )
        password_field(self, "password_again", "Password again")
        self.roles = add_roles_row(self, fixed=fixed_roles, checked=checked_roles)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(save_text)
        self.setMinimumWidth(480)

    def record(self) -> dict[str, Any]:
        problems: list[str] = []
        values: dict[str, Any] = {}
        try:
            values = self.read(["username", "full_name"])
        except FormReadError as exc:
            problems += exc.problems
        password, again, blank = read_passwords(self, "password", "password_again")
        problems += blank
        if problems:
            raise FormReadError(problems)
        return {
            "username": str(values["username"]).lower(),
            "full_name": values["full_name"],
            "password": password,
            "password_again": again,
            "roles": self.roles.roles(),
        }

    @staticmethod
    def _check_record(record: dict[str, Any]) -> list[str]:
        problems = check_new_password(
            record["password"], record["password_again"], first="password", second="password_again"
        )
        if not record["roles"]:
            problems.append("roles: choose at least one role")
        return problems
