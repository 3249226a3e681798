"""The Diary tab: every diary entry, newest first, with the indication's scores, and a plot.

Each entry's scores come from ``scores.scores_for_entry`` with the CRP/ESR that
``assessment.nearest_lab`` pairs with it (within ``score_lab_pairing_days``, sampled on or
before today), so the tab shows the same numbers as the assessment. The plot shows the
primary score over time, or the symptom score when the diary holds no indication score.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QFont
from PySide6.QtWidgets import (
    QHeaderView,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain import records as r
from clinic_gui.domain import scores
from clinic_gui.domain.assessment import LabPairing
from clinic_gui.domain.formatting import fmt_number
from clinic_gui.ui.chart.timeline_plot import date_axis, epoch_seconds
from clinic_gui.ui.row_table_model import Index, RowTableModel, read_only_table
from clinic_gui.ui.text import plain_label, plain_tooltip

COLUMNS = ("Date", "Source", "Symptom score", "Score", "Morning stiffness (min)", "Other scores")
DATE, SOURCE, SYMPTOM, SCORE, STIFFNESS, OTHER = range(len(COLUMNS))

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the DiaryRow itself
MISSING = "—"
SERIES_COLORS = (QColor(110, 50, 150), QColor(0, 114, 178), QColor(213, 94, 0), QColor(0, 120, 90))


@dataclass(frozen=True, slots=True)
class DiaryRow:
    entry: r.DiaryEntry
    results: tuple[scores.ScoreResult, ...]  # every score the entry (and paired labs) allow
    primary: scores.ScoreResult | None
    error: str | None  # why the scores could not be computed (e.g. a lab unit not accepted)

    @property
    def others(self) -> tuple[scores.ScoreResult, ...]:
        return tuple(s for s in self.results if s is not self.primary)


def diary_rows(case: r.Case, today: dt.date) -> list[DiaryRow]:
    """Every diary entry of ``case``, newest first, with its scores as of ``today``."""
    indication = case.patient.indication
    preferred = scores.PREFERRED_SCORES.get(indication, ())
    rows = []
    pairing = LabPairing(case, today)
    for entry in sorted(case.diary, key=lambda d: d.date, reverse=True):
        try:
            results = tuple(pairing.scores(entry))
        except ValueError as error:
            rows.append(DiaryRow(entry, (), None, str(error)))
            continue
        by_name = {s.name: s for s in results}
        primary = next((by_name[n] for n in preferred if n in by_name), None)
        rows.append(DiaryRow(entry, results, primary, None))
    return rows


def score_tooltip(result: scores.ScoreResult) -> str:
    """Inputs, notes and whether the thresholds are verified, for a score's tooltip."""
    lines = [result.summary]
    if result.partial:
        lines.append("Partial: not every item of the score was recorded.")
    if not result.verified:
        lines.append(
            "Not verified: a threshold or coefficient used is marked unverified in the"
            " clinical reference."
        )
    lines += [f"{name}: {value}" for name, value in result.inputs.items()]
    lines += list(result.notes)
    lines.append(f"Source: {result.source}")
    return "\n".join(lines)


def _flagged(result: scores.ScoreResult) -> bool:
    return result.partial or not result.verified


class DiaryModel(RowTableModel):
    columns = COLUMNS
    header_tips = MappingProxyType(
        {
            SCORE: "The indication's preferred score that the entry allows",
            SYMPTOM: "The patient's own 0–10 symptom score",
        }
    )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:  # a note is typed text
            return plain_tooltip(self._tooltip(row, column))
        if role == Qt.ItemDataRole.FontRole and column in (SCORE, OTHER):
            shown = [row.primary] if column == SCORE else list(row.others)
            if any(s is not None and _flagged(s) for s in shown):
                font = QFont()
                font.setItalic(True)
                return font
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (SYMPTOM, STIFFNESS):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, row: DiaryRow, column: int) -> str:
        e = row.entry
        if column == DATE:
            return e.date.isoformat()
        if column == SOURCE:
            return e.source or MISSING
        if column == SYMPTOM:
            return MISSING if e.symptom_score is None else fmt_number(e.symptom_score)
        if column == SCORE:
            if row.error:
                return "not computed"
            return row.primary.summary + _mark(row.primary) if row.primary else MISSING
        if column == OTHER:
            return "; ".join(s.summary + _mark(s) for s in row.others) or ""
        if e.morning_stiffness_min is None:
            return MISSING
        return fmt_number(e.morning_stiffness_min)

    def _tooltip(self, row: DiaryRow, column: int) -> str | None:
        if column == SCORE:
            if row.error:
                return f"Scores not computed: {row.error}"
            if row.primary is None:
                return "No score: the entry does not hold the inputs the indication's scores need"
            return score_tooltip(row.primary)
        if column == OTHER and row.others:
            return "\n\n".join(score_tooltip(s) for s in row.others)
        if column == DATE and row.entry.notes:
            return f"Note: {row.entry.notes}"
        return None


def _mark(result: scores.ScoreResult) -> str:
    """A visible hint that the tooltip has more to say about an unverified threshold (a
    partial score already says "(partial)" in its summary)."""
    return " *" if not result.verified else ""


class DiaryTab(QWidget):
    """The diary of one case, newest first, and its score over time. ``show_case(case, today)``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        self.legend = plain_label(wrap=True, name="Diary legend")
        layout.addWidget(self.legend)

        splitter = QSplitter(Qt.Orientation.Vertical)
        self.model = DiaryModel()
        self.table = read_only_table(QTableView(), self.model, "Diary entries, newest first")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(OTHER, QHeaderView.ResizeMode.Stretch)  # elided; tooltip
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        splitter.addWidget(self.table)

        self.plot = pg.PlotWidget(axisItems={"bottom": date_axis()}, background="w")
        self.plot.setAccessibleName("Diary score over time")
        item = self.plot.getPlotItem()
        item.setMouseEnabled(x=True, y=False)
        item.setMenuEnabled(False)
        item.hideButtons()
        item.showGrid(x=True, y=True, alpha=0.15)
        for name in ("left", "bottom"):
            axis = item.getAxis(name)
            axis.setPen(pg.mkPen(80, 80, 80))
            axis.setTextPen(pg.mkPen(30, 30, 30))
        self.plot_legend = item.addLegend(offset=(-10, 10), labelTextColor="k")
        splitter.addWidget(self.plot)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([600, 400])
        splitter.setChildrenCollapsible(False)
        layout.addWidget(splitter, 1)
        self.plotted: dict[str, list[tuple[dt.date, float]]] = {}
        self.show_case(None)

    def show_case(self, case: r.Case | None, today: dt.date | None = None) -> None:
        today = today or dt.date.today()
        rows = diary_rows(case, today) if case is not None else []
        self.model.set_rows(rows)
        self.table.resizeColumnsToContents()
        self._plot(rows, today)
        if case is None:
            self.legend.setText("No patient selected.")
        elif not rows:
            self.legend.setText("No diary entries on record.")
        else:
            text = f"{len(rows)} entries, newest first. '—': not recorded or not computable."
            if any(_flagged(s) for row in rows for s in row.results):
                text += (
                    " Scores in italics are partial or use an unverified threshold (marked *);"
                    " hover for details."
                )
            self.legend.setText(text)

    def _plot(self, rows: list[DiaryRow], today: dt.date) -> None:
        item = self.plot.getPlotItem()
        item.clear()
        self.plot_legend.clear()
        series: dict[str, list[tuple[dt.date, float]]] = {}
        for row in sorted(rows, key=lambda x: x.entry.date):
            if row.primary is not None:
                series.setdefault(row.primary.name, []).append((row.entry.date, row.primary.value))
        if not series:
            symptom = [
                (row.entry.date, float(row.entry.symptom_score))
                for row in sorted(rows, key=lambda x: x.entry.date)
                if row.entry.symptom_score is not None
            ]
            if symptom:
                series["Symptom score (0–10)"] = symptom
        self.plotted = series
        label = next(iter(series)) if len(series) == 1 else "Score"
        item.setLabel("left", label)
        for i, (name, points) in enumerate(series.items()):
            color = SERIES_COLORS[i % len(SERIES_COLORS)]
            item.plot(
                x=[epoch_seconds(d) for d, _ in points],
                y=[v for _, v in points],
                pen=pg.mkPen(color, width=1.5),
                symbol="o",
                symbolSize=6,
                symbolPen=None,
                symbolBrush=color,
                name=name,
            )
        self.plot_legend.setVisible(len(series) > 1)
        if series:
            dates = [d for points in series.values() for d, _ in points]
            margin = dt.timedelta(days=7)
            item.setXRange(
                epoch_seconds(min(dates) - margin), epoch_seconds(max(dates) + margin), padding=0
            )
            values = [v for points in series.values() for _, v in points]
            item.setYRange(0, max([*values, 10.0 if "Symptom" in label else 1.0]) * 1.2)
        else:
            item.setXRange(
                epoch_seconds(today - dt.timedelta(days=365)), epoch_seconds(today), padding=0
            )
            item.setYRange(0, 10, padding=0)
