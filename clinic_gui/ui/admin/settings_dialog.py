"""The clinic's settings (administrators): shared by every workstation using the database.

Saved by ``store.settings.set_setting`` (admin only, checked, audited); a value it refuses
is shown beside its field.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialogButtonBox, QWidget

from clinic_gui.domain.access import User
from clinic_gui.store.connection import ClinicDatabase
from clinic_gui.store.settings import IDLE_LOCK_MINUTES, IDLE_LOCK_RANGE, get_setting, set_setting
from clinic_gui.ui.dialogs.form import Field, RecordForm


class SettingsDialog(RecordForm):
    def __init__(self, db: ClinicDatabase, actor: User, *, parent: QWidget | None = None) -> None:
        low, high = IDLE_LOCK_RANGE
        super().__init__(
            "Settings",
            [
                Field(
                    IDLE_LOCK_MINUTES,
                    "Lock the screen after",
                    kind="integer",
                    unit="minutes",
                    required=True,
                    placeholder=f"{low} to {high}",
                )
            ],
            save=lambda minutes: set_setting(db, actor, IDLE_LOCK_MINUTES, minutes),
            intro="These settings are the clinic's: they apply to every workstation that uses "
            "this database. The screen locks after this many minutes without keyboard or "
            "mouse activity; other workstations follow the change when they next start or "
            "unlock.",
            parent=parent,
        )
        self.set_value(IDLE_LOCK_MINUTES, get_setting(db, IDLE_LOCK_MINUTES))
        minutes = self.widgets[IDLE_LOCK_MINUTES]
        minutes.setMaximumWidth(minutes.fontMetrics().horizontalAdvance("0000000") + 16)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText("Save settings")
        self.setMinimumWidth(440)

    def record(self) -> int:
        return int(self.read([IDLE_LOCK_MINUTES])[IDLE_LOCK_MINUTES])
