"""The Labs tab: every lab result, newest first, as entered and in its canonical unit.

Infliximab trough levels are compared with the indication's target (``target_for``, for the
product of the regimen in effect on the sample date); a level below the target is shown in
the warning colour, with the comparison in its tooltip and accessible text.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain import records as r
from clinic_gui.domain.decision import Target, target_for
from clinic_gui.domain.formatting import fmt_quantity
from clinic_gui.domain.history import regimen_in_effect
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.ui.chart import warning_colour
from clinic_gui.ui.row_table_model import Index, RowTableModel, read_only_table

COLUMNS = ("Sampled", "Test", "Result", "Canonical", "Assay", "Timing", "Interpretation", "LLOQ")
SAMPLED, TEST, RESULT, CANONICAL, ASSAY, TIMING, INTERPRETATION, LLOQ = range(len(COLUMNS))

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the LabRow itself
NOT_RECORDED = "—"

LEVEL_TEST = "infliximab"


def level_versus_target(value_mcg_ml: float, comparator: str | None, target_mcg_ml: float) -> str:
    """``"below"``, ``"at_or_above"`` or ``"not_comparable"``: a trough against its target.

    The same reading as ``decision.find_trough``: a "<" result is below; a ">" result under
    the target cannot be compared; otherwise the number is compared with the target.
    """
    if comparator == "<" or (comparator is None and value_mcg_ml < target_mcg_ml):
        return "below"
    if comparator == ">" and value_mcg_ml < target_mcg_ml:
        return "not_comparable"
    return "at_or_above"


def sampled_text(lab: r.LabResult) -> str:
    if isinstance(lab.sampled_at, dt.datetime):
        return lab.sampled_at.strftime("%Y-%m-%d %H:%M")
    return lab.sampled_at.isoformat()


def result_text(lab: r.LabResult) -> str:
    """As entered: ``"<0.4 mcg/mL"``, ``"0.2 mg/dL"``."""
    return f"{lab.comparator or ''}{fmt_quantity(lab.value, lab.unit)}"


def canonical_text(lab: r.LabResult) -> str:
    """``"= 2 mg/L"`` when the entered unit is not the canonical one, else ``""``."""
    test = vocabulary().lab_tests.get(lab.test)
    if test is None or test.canonical_unit is None:
        return ""
    accepted = test.match_unit(lab.unit)
    if accepted is None:
        return f"unit {lab.unit!r} not recognised"
    if accepted == test.match_unit(test.canonical_unit):
        return ""
    value = test.to_canonical(lab.value, accepted)
    if value is None:
        return ""
    return f"= {lab.comparator or ''}{fmt_quantity(value, test.canonical_unit)}"


@dataclass(frozen=True, slots=True)
class LabRow:
    lab: r.LabResult
    target: Target | None  # only for infliximab troughs
    versus_target: str | None  # see level_versus_target; None when not compared
    comparison: str  # plain-language comparison with the target, or why there is none


def lab_rows(case: r.Case) -> list[LabRow]:
    """Every lab result of ``case``, newest first, infliximab troughs compared with the target."""
    test = vocabulary().lab_tests[LEVEL_TEST]
    rows = []
    for lab in sorted(case.labs, key=lambda x: x.sort_key, reverse=True):
        target = versus = None
        comparison = ""
        if lab.test == LEVEL_TEST:
            if lab.timing == "non_trough":
                comparison = "Not a trough: not compared with the trough target"
            else:
                regimen = regimen_in_effect(case, lab.sample_date)
                try:
                    target = target_for(
                        case.patient.indication, regimen.product if regimen else None
                    )
                except KeyError:
                    target = None
                value = test.to_canonical(lab.value, lab.unit)
                if target is None:
                    comparison = "No trough target is defined for this indication"
                elif target.mcg_per_ml is None:
                    comparison = target.note
                elif value is None:
                    comparison = f"Unit {lab.unit!r} cannot be compared with the target"
                else:
                    versus = level_versus_target(value, lab.comparator, target.mcg_per_ml)
                    goal = fmt_quantity(target.mcg_per_ml, "mcg/mL")
                    if target.extrapolated:
                        goal += " (extrapolated)"
                    comparison = {
                        "below": f"Below the trough target of {goal}",
                        "at_or_above": f"At or above the trough target of {goal}",
                        "not_comparable": f"Cannot be compared with the trough target of {goal}",
                    }[versus]
        rows.append(LabRow(lab, target, versus, comparison))
    return rows


class LabsModel(RowTableModel):
    columns = COLUMNS

    def set_case(self, case: r.Case | None) -> None:
        self.set_rows(lab_rows(case) if case is not None else [])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row.lab, column)
        if role == Qt.ItemDataRole.ForegroundRole and row.versus_target == "below":
            return QBrush(warning_colour())
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(row, column)
        if role == Qt.ItemDataRole.AccessibleTextRole and column == RESULT:
            text = result_text(row.lab)
            return f"{text}. {row.comparison}" if row.comparison else text
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (RESULT, CANONICAL, LLOQ):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, lab: r.LabResult, column: int) -> str:
        vocab = vocabulary()
        if column == SAMPLED:
            return sampled_text(lab)
        if column == TEST:
            test = vocab.lab_tests.get(lab.test)
            return test.label if test else lab.test
        if column == RESULT:
            return result_text(lab)
        if column == CANONICAL:
            return canonical_text(lab)
        if column == ASSAY:
            return lab.assay or ""
        if column == TIMING:
            if lab.timing is None:
                return "not stated" if lab.test == LEVEL_TEST else ""
            return lab.timing.replace("_", "-")
        if column == INTERPRETATION:
            return lab.interpretation or ""
        return fmt_quantity(lab.lloq, lab.unit) if lab.lloq is not None else ""

    def _tooltip(self, row: LabRow, column: int) -> str | None:
        lab = row.lab
        parts = []
        if row.comparison:
            parts.append(row.comparison)
            if row.target is not None and row.target.note and row.target.mcg_per_ml is not None:
                parts.append(row.target.note)
        if column == TIMING and lab.test == LEVEL_TEST and lab.timing is None:
            parts.append("Timing not stated: a drug level is read as a trough")
        if lab.notes:
            parts.append(f"Note: {lab.notes}")
        return "\n".join(parts) or None


class LabsTab(QWidget):
    """The lab results of one case, newest first. ``show_case(case, today)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.legend = QLabel()
        self.legend.setWordWrap(True)
        self.legend.setAccessibleName("Labs legend")
        layout.addWidget(self.legend)
        self.model = LabsModel()
        self.table = read_only_table(QTableView(), self.model, "Lab results, newest first")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        layout.addWidget(self.table, 1)
        self.show_case(None)

    def show_case(self, case: r.Case | None, today: dt.date | None = None) -> None:
        self.model.set_case(case)
        if case is None:
            self.legend.setText("No patient selected.")
        elif not case.labs:
            self.legend.setText("No lab results on record.")
        else:
            today = today or dt.date.today()
            regimen = regimen_in_effect(case, today)
            try:
                target = target_for(case.patient.indication, regimen.product if regimen else None)
            except KeyError:
                target = None
            text = f"{len(case.labs)} results, newest first."
            if target is not None and target.mcg_per_ml is not None:
                goal = fmt_quantity(target.mcg_per_ml, "mcg/mL")
                if target.extrapolated:
                    goal += ", extrapolated"
                text += (
                    f" Infliximab troughs below the target ({goal}) are shown in red;"
                    " hover a row for the comparison."
                )
            self.legend.setText(text)
        self.table.resizeColumnsToContents()
