"""Worked-out dose options (``DoseOption`` values from the domain) as a table model.

The assessment's options come first, in its order; the regimen the clinician is typing is one
more row at the end (``set_proposed``), inserted, replaced or removed without a model reset so
the view keeps its state while they type.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QBrush, QFont

from clinic_gui.domain.dosing import DoseOption
from clinic_gui.domain.formatting import fmt_number
from clinic_gui.ui.chart import warning_colour
from clinic_gui.ui.row_table_model import Index, RowTableModel
from clinic_gui.ui.text import plain_tooltip

COLUMNS = ("Option", "Regimen", "mg", "Vials", "Waste (mg)", "mg/kg/week", "Label")
OPTION, REGIMEN, MG, VIALS, WASTE, INTENSITY, LABEL = range(len(COLUMNS))

OPTION_ROLE = Qt.ItemDataRole.UserRole + 1  # the DoseOption itself
NOTE_ROLE = Qt.ItemDataRole.UserRole + 2  # label and rounding notes, one per line ("" if none)

KIND_TEXT = {
    "current": "current",
    "increase_dose": "increase dose",
    "shorten_interval": "shorten interval",
    "proposed": "proposed",
}

# Two-line headers keep the narrow number columns narrow.
HEADER_TEXT = {WASTE: "Waste\n(mg)", INTENSITY: "mg/kg\n/week"}
HEADER_TIPS = {
    MG: "Dose in mg for the patient's latest weight",
    VIALS: "100 mg vials",
    WASTE: "mg left over in the last vial",
    INTENSITY: "Dose intensity: mg/kg divided by the interval in weeks",
    LABEL: "Compared with the US label for this patient's indication and age",
}

_NUMERIC = {MG, VIALS, WASTE, INTENSITY}


def kind_text(kind: str) -> str:
    return KIND_TEXT.get(kind, kind.replace("_", " "))


def label_status(option: DoseOption) -> str:
    if option.contraindicated:
        return "CONTRAINDICATED"
    return "✓ within label" if option.within_label else "outside label"


def option_notes(option: DoseOption) -> str:
    return "\n".join(n for n in (option.label_note, option.rounding_note) if n)


class DoseOptionsModel(RowTableModel):
    """The assessment's options, plus the typed proposal as a last row that appears,
    changes and goes without resetting the table."""

    columns = COLUMNS
    header_text = HEADER_TEXT
    header_tips = HEADER_TIPS

    def __init__(self) -> None:
        super().__init__()
        self._options: list[DoseOption] = []
        self._proposed: DoseOption | None = None

    # -- filling -----------------------------------------------------------------------------
    def set_options(self, options: Sequence[DoseOption]) -> None:
        """Show the assessment's options; any typed proposal is dropped."""
        if self._proposed is None and list(options) == self._options:
            return  # no reset: the panel would lay out its tables again for nothing
        self.beginResetModel()
        self._options = list(options)
        self._proposed = None
        self.endResetModel()

    def set_proposed(self, option: DoseOption | None) -> None:
        """Show (or, with None, remove) the typed proposal as the last row."""
        row = len(self._options)
        if option is None:
            if self._proposed is not None:
                self.beginRemoveRows(QModelIndex(), row, row)
                self._proposed = None
                self.endRemoveRows()
            return
        if self._proposed is None:
            self.beginInsertRows(QModelIndex(), row, row)
            self._proposed = option
            self.endInsertRows()
            return
        self._proposed = option
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(COLUMNS) - 1))

    def clear(self) -> None:
        self.set_options(())

    # -- access ------------------------------------------------------------------------------
    @property
    def proposed(self) -> DoseOption | None:
        return self._proposed

    def options(self) -> list[DoseOption]:
        """Every row's option, in row order (the proposal last)."""
        return self._options + ([self._proposed] if self._proposed else [])

    def option_at(self, row: int) -> DoseOption:
        return self.options()[row]

    def row_of(self, kind: str) -> int | None:
        return next((n for n, o in enumerate(self.options()) if o.kind == kind), None)

    # -- the model ---------------------------------------------------------------------------
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        if parent.isValid():
            return 0
        return len(self._options) + (self._proposed is not None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= self.rowCount():
            return None
        option = self.option_at(index.row())
        column = index.column()
        if role == OPTION_ROLE:
            return option
        if role == NOTE_ROLE:
            return option_notes(option)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(option, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            return plain_tooltip(self._tooltip(option, column))
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == LABEL and not option.within_label:
                return QBrush(warning_colour())
            return None
        if role == Qt.ItemDataRole.FontRole:
            if (column == LABEL and option.contraindicated) or (
                column == OPTION and option.kind == "proposed"
            ):
                font = QFont()
                font.setBold(True)
                return font
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    @staticmethod
    def _tooltip(option: DoseOption, column: int) -> str | None:
        if column == LABEL:
            return option.label_note or "Within the label for this patient"
        if column in (MG, VIALS, WASTE):
            return option.rounding_note or option_notes(option) or None
        return option_notes(option) or None

    def _display(self, option: DoseOption, column: int) -> str:
        if column == OPTION:
            return kind_text(option.kind)
        if column == REGIMEN:
            return option.label_text
        if column == MG:
            return "—" if option.dose_mg is None else fmt_number(option.dose_mg)
        if column == VIALS:
            return "—" if option.vials is None else str(option.vials)
        if column == WASTE:
            return "—" if option.waste_mg is None else fmt_number(option.waste_mg)
        if column == INTENSITY:
            return fmt_number(option.mg_per_kg_per_week, 3)
        return label_status(option)
