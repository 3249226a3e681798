"""The Labs tab: every lab result, newest first, as entered and in its canonical unit.

Infliximab trough levels are compared with the indication's target (``target_for``, for the
product of the regimen in effect on the sample date); a level below the target is shown in
the warning colour, with the comparison in its tooltip and accessible text.

With a session (``set_session``), a "Reviewed" column says which physician marked each
result as reviewed and when, and a physician can mark the selected results, or every
unreviewed drug level and antibody result, as reviewed (``entries.review_results``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain import records as r
from clinic_gui.domain.access import Permission
from clinic_gui.domain.decision import Target, target_for
from clinic_gui.domain.formatting import fmt_quantity
from clinic_gui.domain.history import regimen_in_effect
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.store import chart as chart_store
from clinic_gui.store import entries
from clinic_gui.ui.chart import warning_colour, warning_css
from clinic_gui.ui.chart.session import ChartSession, needs_role
from clinic_gui.ui.row_table_model import Index, RowTableModel, read_only_table
from clinic_gui.ui.text import local_time, plain_label, plain_tooltip


def min_table_height(table: QTableView, *, rows: int) -> int:
    """Room for the header and ``rows`` rows (and a horizontal scroll bar), so a table
    below the timeline is never squeezed to a row or two."""
    return (
        table.horizontalHeader().sizeHint().height()
        + rows * table.verticalHeader().defaultSectionSize()
        + table.horizontalScrollBar().sizeHint().height()
        + 2 * table.frameWidth()
    )


COLUMNS = (
    "Sampled",
    "Test",
    "Result",
    "Canonical",
    "Assay",
    "Timing",
    "Interpretation",
    "LLOQ",
    "Reviewed",
)
SAMPLED, TEST, RESULT, CANONICAL, ASSAY, TIMING, INTERPRETATION, LLOQ, REVIEWED = range(
    len(COLUMNS)
)

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the LabRow itself
NOT_RECORDED = "—"

LEVEL_TEST = "infliximab"
ANTIBODY_TEST = "anti_infliximab_antibody"
REVIEW_ALL_TESTS = (LEVEL_TEST, ANTIBODY_TEST)  # what "Mark all … as reviewed" marks


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
    row_id: int | None = None  # the stored row (with a session), for marking it reviewed
    reviewed: tuple[str, str] | None = None  # (by, at UTC) once a physician reviewed it

    @property
    def reviewed_text(self) -> str:
        """Who reviewed the result and when (local time), e.g. "dr.lee, 2026-11-22 09:05";
        empty while not reviewed."""
        if self.reviewed is None:
            return ""
        by, at = self.reviewed
        return f"{by}, {local_time(at)}"


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
            return row.reviewed_text if column == REVIEWED else self._display(row.lab, column)
        if role == Qt.ItemDataRole.ForegroundRole and row.versus_target == "below":
            return QBrush(warning_colour())
        if role == Qt.ItemDataRole.ToolTipRole:  # a note is typed text
            return plain_tooltip(self._tooltip(row, column))
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
        if column == REVIEWED and row.reviewed is not None:
            parts.append(f"Marked as reviewed by {row.reviewed_text}")
        if lab.notes:
            parts.append(f"Note: {lab.notes}")
        return "\n".join(parts) or None


class LabsTab(QWidget):
    """The lab results of one case, newest first. ``show_case(case, today)``; with
    ``set_session``, who reviewed each result and the physician's review buttons."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session: ChartSession | None = None
        self._case: r.Case | None = None
        self._today: dt.date | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.legend = plain_label(wrap=True, name="Labs legend")
        layout.addWidget(self.legend)
        self.model = LabsModel()
        self.table = read_only_table(QTableView(), self.model, "Lab results, newest first")
        # Several results can be marked as reviewed at once (Ctrl/Shift+click).
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        # Who reviewed a result is read beside the result (the model keeps it last).
        header.moveSection(header.visualIndex(REVIEWED), RESULT + 1)
        self.table.setColumnHidden(REVIEWED, True)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setMinimumHeight(min_table_height(self.table, rows=4))
        layout.addWidget(self.table, 1)

        self.review_bar = QWidget()
        bar = QHBoxLayout(self.review_bar)
        bar.setContentsMargins(0, 0, 0, 0)
        self.review_selected_button = QPushButton("Mark selected as reviewed")
        self.review_selected_button.setAccessibleName("Mark the selected results as reviewed")
        self.review_selected_button.clicked.connect(self.review_selected)
        self.review_all_button = QPushButton("Mark all unreviewed levels and antibodies")
        self.review_all_button.setAccessibleName(
            "Mark all unreviewed drug levels and antibodies as reviewed"
        )
        self.review_all_button.clicked.connect(self.review_all_levels)
        bar.addWidget(self.review_selected_button)
        bar.addWidget(self.review_all_button)
        bar.addStretch(1)
        self.review_bar.setVisible(False)
        layout.addWidget(self.review_bar)
        self.message = plain_label(wrap=True, name="Review message")
        self.message.setVisible(False)
        layout.addWidget(self.message)
        self.show_case(None)

    # -- session -----------------------------------------------------------------------------
    def set_session(self, session: ChartSession | None) -> None:
        """Show the Reviewed column and the review buttons (enabled for a physician)."""
        self._session = session
        self.table.setColumnHidden(REVIEWED, session is None)
        self.review_bar.setVisible(session is not None)
        allowed = session is not None and session.can(Permission.REVIEW_RESULTS)
        refused = f"Marking results as reviewed {needs_role(Permission.REVIEW_RESULTS)}"
        for button, tip in (
            (self.review_selected_button, "Mark the selected results as reviewed by you"),
            (
                self.review_all_button,
                "Mark every unreviewed infliximab level and antibody result as reviewed by you",
            ),
        ):
            button.setEnabled(allowed)
            button.setToolTip(tip if allowed else refused)
        self._show_message("")

    def selected_rows(self) -> list[LabRow]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.row_at(n) for n in rows]

    def review_selected(self) -> int:
        """Mark the selected results as reviewed; returns how many were marked."""
        rows = [row for row in self.selected_rows() if row.reviewed is None]
        if not rows:
            self._show_message("Select one or more results not yet reviewed first.")
            return 0
        return self._review(rows)

    def review_all_levels(self) -> int:
        """Mark every unreviewed drug level and antibody result as reviewed."""
        rows = [
            row
            for row in self.model.rows()
            if row.reviewed is None and row.lab.test in REVIEW_ALL_TESTS
        ]
        if not rows:
            self._show_message("Every drug level and antibody result is already reviewed.")
            return 0
        return self._review(rows)

    def _review(self, rows: list[LabRow]) -> int:
        session = self._session
        if session is None or self._case is None:
            return 0
        ids = [row.row_id for row in rows if row.row_id is not None]
        if len(ids) < len(rows):  # voided or corrected since the chart was read
            self._show_message(
                "Not marked as reviewed: some of these results changed since the chart was "
                "opened. Reopen the patient and check them again.",
                warning=True,
            )
            return 0
        try:
            marked = entries.review_results(session.db, ids, actor=session.user)
        except entries.SAVE_REFUSED as exc:
            self._show_message(f"Not marked as reviewed: {exc}", warning=True)
            return 0
        self.show_case(self._case, self._today)
        self._show_message(
            f"Marked {marked} result{'s' if marked != 1 else ''} as reviewed by "
            f"{session.user.username}."
        )
        session.on_saved()
        return marked

    def _show_message(self, text: str, *, warning: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(warning_css() if warning else "")
        self.message.setVisible(bool(text))

    # -- showing -----------------------------------------------------------------------------
    def show_case(self, case: r.Case | None, today: dt.date | None = None) -> None:
        if _mrn(case) != _mrn(self._case):  # a message is about one patient
            self._show_message("")
        self._case, self._today = case, today
        rows = lab_rows(case) if case is not None else []
        session = self._session
        if case is not None and session is not None and rows:
            mrn = case.patient.mrn
            ids = chart_store.lab_row_ids(session.db, mrn, case.labs)
            id_of = {id(lab): row_id for lab, row_id in zip(case.labs, ids, strict=True)}
            reviews = chart_store.lab_reviews(session.db, mrn)
            rows = [
                replace(
                    row,
                    row_id=id_of.get(id(row.lab)),
                    reviewed=reviews.get(id_of.get(id(row.lab)) or -1),
                )
                for row in rows
            ]
        self.model.set_rows(rows)
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


def _mrn(case: r.Case | None) -> str | None:
    return case.patient.mrn if case is not None else None
