"""The patient list as a table model over plain ``PatientListRow`` values."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor

from clinic_gui.domain.history import age_years
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.domain.worklist import PatientFlags
from clinic_gui.store.patients import PatientListRow
from clinic_gui.ui.row_table_model import Index, RowTableModel

COLUMNS = ("MRN", "Name", "Age", "Indication", "Last infusion", "Flags")
MRN, NAME, AGE, INDICATION, LAST_INFUSION, FLAGS = range(len(COLUMNS))

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the PatientListRow itself

_BADGE_TEXT = {
    "overdue": "the next infusion is overdue",
    "wearing off": "possible end-of-dose wearing off",
    "TDM": "a trough level may help, or new drug-level results to review",
}


class PatientListModel(RowTableModel):
    columns = COLUMNS

    def __init__(self, today: dt.date | None = None) -> None:
        super().__init__()
        self._today = today or dt.date.today()
        self._flags: dict[str, PatientFlags] = {}

    def set_flags(self, flags: dict[str, PatientFlags]) -> None:
        """Badges from the last whole-clinic assessment (the worklist's background pass)."""
        self._flags = dict(flags)
        if self._rows:
            self.dataChanged.emit(self.index(0, FLAGS), self.index(len(self._rows) - 1, FLAGS))

    def flags_of(self, mrn: str) -> PatientFlags | None:
        return self._flags.get(mrn)

    def flagged(self, wanted: Callable[[PatientFlags], bool]) -> set[str]:
        """The MRNs whose flags (from the last whole-clinic assessment) are ``wanted``."""
        return {mrn for mrn, flags in self._flags.items() if wanted(flags)}

    def row_of(self, mrn: str) -> int | None:
        return next((i for i, p in enumerate(self._rows) if p.mrn == mrn), None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        patient = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return patient
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(patient, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == INDICATION:
            return vocabulary().indications.get(patient.indication, patient.indication)
        if role == Qt.ItemDataRole.ToolTipRole and column == FLAGS:
            flags = self._flags.get(patient.mrn)
            if flags is None or not flags.badges:
                return None
            return "Support for the clinician, not a diagnosis: " + ", ".join(
                _BADGE_TEXT[b] for b in flags.badges
            )
        if role == Qt.ItemDataRole.ForegroundRole and column == FLAGS:
            return QBrush(QColor("#b00020"))
        if role == Qt.ItemDataRole.TextAlignmentRole and column == AGE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, patient: PatientListRow, column: int) -> str:
        if column == MRN:
            return patient.mrn
        if column == NAME:
            return patient.name
        if column == AGE:
            return str(age_years(patient.birth_date, self._today))
        if column == INDICATION:
            return vocabulary().indication_short.get(patient.indication, patient.indication)
        if column == LAST_INFUSION:
            return patient.last_infusion.isoformat() if patient.last_infusion else "none"
        flags = self._flags.get(patient.mrn)
        return " · ".join(flags.badges) if flags else ""
