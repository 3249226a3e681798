"""Users: the clinic's accounts, with forms to add one, change roles, reset a password and
disable an account (accounts are never deleted, so every record keeps naming a person).

Every change is made by ``store.users`` as the signed-in administrator; a refusal ("you
cannot take the admin role from yourself") is shown in the form, beside its field.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain.access import User
from clinic_gui.store.connection import ClinicDatabase
from clinic_gui.store.users import (
    MIN_PASSWORD_LENGTH,
    create_user,
    disable_user,
    list_users,
    set_password,
    set_roles,
)
from clinic_gui.ui.admin.account_form import (
    AccountForm,
    add_roles_row,
    check_new_password,
    password_field,
    read_passwords,
)
from clinic_gui.ui.dialogs.form import Field, FormReadError, RecordForm
from clinic_gui.ui.row_table_model import Index, RowTableModel, read_only_table
from clinic_gui.ui.text import local_time


class UsersModel(RowTableModel):
    """Rows are (User, disabled_at or None)."""

    columns = ("User name", "Full name", "Roles", "Status")

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        user, disabled_at = self.row_at(index.row())
        column = index.column()
        if column == 0:
            return user.username
        if column == 1:
            return user.full_name
        if column == 2:
            return user.role_text + ("  (demo)" if user.demo else "")
        return (
            f"disabled since {local_time(disabled_at, seconds=False)}" if disabled_at else "active"
        )


class RolesDialog(RecordForm):
    def __init__(
        self, db: ClinicDatabase, actor: User, user: User, *, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            f"Roles of {user.username}",
            [],
            save=lambda roles: set_roles(db, actor, user.username, roles),
            intro=f"Roles of {user.full_name} ({user.username}). A change applies from "
            "their next save.",
            parent=parent,
        )
        self.roles = add_roles_row(self, checked=user.roles)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Save roles")

    def record(self) -> list[str]:
        return self.roles.roles()


class ResetPasswordDialog(RecordForm):
    def __init__(
        self, db: ClinicDatabase, actor: User, user: User, *, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            f"Reset the password of {user.username}",
            [],
            save=lambda password: set_password(db, actor, user.username, password),
            check=lambda password: check_new_password(
                password, self._again, first="password", second="password_again"
            ),
            intro=f"A new password for {user.full_name} ({user.username}). Give it to them "
            "in person.",
            parent=parent,
        )
        password_field(
            self, "password", "New password", f"at least {MIN_PASSWORD_LENGTH} characters"
        )
        password_field(self, "password_again", "New password again")
        self._again = ""
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Set password")

    def record(self) -> str:
        password, self._again, problems = read_passwords(self, "password", "password_again")
        if problems:
            raise FormReadError(problems)
        return password


class DisableDialog(RecordForm):
    def __init__(
        self, db: ClinicDatabase, actor: User, user: User, *, parent: QWidget | None = None
    ) -> None:
        super().__init__(
            f"Disable {user.username}",
            [
                Field(
                    "reason",
                    "Reason",
                    required=True,
                    placeholder="e.g. left the clinic on 2026-11-30",
                )
            ],
            save=lambda reason: disable_user(db, actor, user.username, reason=reason),
            intro=f"Disable the account of {user.full_name} ({user.username})? They can no "
            "longer sign in or save. The account stays in the record and its name is never "
            "given to anyone else.",
            parent=parent,
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Disable account")

    def record(self) -> str:
        return str(self.read(["reason"])["reason"])


class UsersDialog(QDialog):
    """The accounts, and the changes an administrator makes to them."""

    def __init__(self, db: ClinicDatabase, actor: User, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.actor = actor
        self.form: RecordForm | None = None
        self.setWindowTitle("Users")
        self.setAccessibleName("Users")
        outer = QVBoxLayout(self)
        intro = QLabel(
            "Accounts are never deleted: disable one instead, and every record it signed keeps "
            "naming the person."
        )
        intro.setWordWrap(True)
        outer.addWidget(intro)
        self.model = UsersModel()
        self.table = read_only_table(QTableView(), self.model, "Users")
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        outer.addWidget(self.table, 1)
        actions = QHBoxLayout()
        self.add_button = QPushButton("&Add user…")
        self.roles_button = QPushButton("Change &roles…")
        self.password_button = QPushButton("Reset &password…")
        self.disable_button = QPushButton("&Disable…")
        for button, slot in (
            (self.add_button, self.add_user),
            (self.roles_button, self.change_roles),
            (self.password_button, self.reset_password),
            (self.disable_button, self.disable),
        ):
            button.setAutoDefault(False)
            button.clicked.connect(slot)
            actions.addWidget(button)
        actions.addStretch(1)
        outer.addLayout(actions)
        self.status = QLabel()
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setWordWrap(True)
        outer.addWidget(self.status)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        outer.addWidget(close)
        self.table.selectionModel().currentRowChanged.connect(self._update_buttons)
        self.table.activated.connect(lambda _index: self.change_roles())
        self.refresh()
        self.resize(760, 420)

    def refresh(self, select: str | None = None) -> None:
        chosen = self.selected()
        current = select or (chosen[0].username if chosen else None)
        self.model.set_rows(list_users(self.db))
        for row, (user, _disabled) in enumerate(self.model.rows()):
            if user.username == current:
                self.table.selectRow(row)
                break
        else:
            if self.model.rowCount():
                self.table.selectRow(0)
        self._update_buttons()

    def selected(self) -> tuple[User, str | None] | None:
        index = self.table.currentIndex()
        if not index.isValid() or index.row() >= self.model.rowCount():
            return None
        user, disabled_at = self.model.row_at(index.row())
        return user, disabled_at

    def _update_buttons(self, *_args: QModelIndex) -> None:
        chosen = self.selected()
        usable = chosen is not None and chosen[1] is None and not chosen[0].demo
        why = ""
        if chosen is not None and chosen[0].demo:
            why = "The demo clinic's demo user cannot be changed"
        elif chosen is not None and chosen[1] is not None:
            why = "This account is disabled"
        for button in (self.roles_button, self.password_button, self.disable_button):
            button.setEnabled(usable)
            button.setToolTip(why)

    # -- the forms ---------------------------------------------------------------------------
    def _open(self, form: RecordForm, done: str, select: str | None = None) -> RecordForm:
        self.form = form
        form.accepted.connect(lambda: self._after(done, select))
        form.open()
        return form

    def _after(self, done: str, select: str | None) -> None:
        form = self.form
        if select is None and form is not None and isinstance(form, AccountForm):
            record = form.last_record or {}
            select = record.get("username")
            done = f"Added {select} ({', '.join(record.get('roles', []))})."
        self.refresh(select)
        self.status.setText(done)

    def add_user(self) -> RecordForm:
        db, actor = self.db, self.actor

        def save(record: dict[str, Any]) -> User:
            return create_user(
                db,
                actor,
                username=record["username"],
                full_name=record["full_name"],
                roles=record["roles"],
                password=record["password"],
            )

        form = AccountForm(
            "Add user",
            save=save,
            intro="A new account. The person signs in with this user name and password.",
            parent=self,
        )
        return self._open(form, "Added.")

    def change_roles(self) -> RecordForm | None:
        chosen = self.selected()
        if chosen is None or not self.roles_button.isEnabled():
            return None
        user = chosen[0]
        form = RolesDialog(self.db, self.actor, user, parent=self)
        return self._open(form, f"Roles of {user.username} changed.", user.username)

    def reset_password(self) -> RecordForm | None:
        chosen = self.selected()
        if chosen is None or not self.password_button.isEnabled():
            return None
        user = chosen[0]
        form = ResetPasswordDialog(self.db, self.actor, user, parent=self)
        return self._open(form, f"New password set for {user.username}.", user.username)

    def disable(self) -> RecordForm | None:
        chosen = self.selected()
        if chosen is None or not self.disable_button.isEnabled():
            return None
        user = chosen[0]
        form = DisableDialog(self.db, self.actor, user, parent=self)
        return self._open(form, f"{user.username} disabled.", user.username)
