"""The clinic worklist tab: due and overdue infusions, wearing off without a trough, results.

The overview comes from the stored rows of ``store.overview``, with the patients whose record
changed since (or every patient, on a new day) assessed again, all in the background on its
own database connection; the view keeps the last list until the new one arrives. Enter or
a double-click opens the chart.
"""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.domain.worklist import CATEGORIES, ClinicOverview, WorklistItem
from clinic_gui.store.overview import OverviewStopped, current_overview
from clinic_gui.ui.background import BackgroundTask
from clinic_gui.ui.row_table_model import Index, RowTableModel, read_only_table

COLUMNS = ("Category", "Date", "MRN", "Name", "Indication", "Details")
CATEGORY, DATE, MRN, NAME, INDICATION, DETAILS = range(len(COLUMNS))
ITEM_ROLE = Qt.ItemDataRole.UserRole + 1
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
_TINTS = {"overdue": "#fde7e9", "wearing_off_no_trough": "#fff4e0"}


class WorklistModel(RowTableModel):
    columns = COLUMNS

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        item: WorklistItem = self._rows[index.row()]
        column = index.column()
        if role == ITEM_ROLE:
            return item
        if role == SORT_ROLE:
            if column == CATEGORY:
                return list(CATEGORIES).index(item.category)
            if column == DATE:
                return (item.day or dt.date.max).isoformat()
            return self.data(index, Qt.ItemDataRole.DisplayRole)
        if role == Qt.ItemDataRole.DisplayRole:
            return {
                CATEGORY: item.category_label,
                DATE: item.day.isoformat() if item.day else "",
                MRN: item.mrn,
                NAME: item.name,
                INDICATION: vocabulary().indication_short.get(item.indication, item.indication),
                DETAILS: item.detail,
            }[column]
        if role == Qt.ItemDataRole.BackgroundRole and item.category in _TINTS:
            return QBrush(QColor(_TINTS[item.category]))
        if role == Qt.ItemDataRole.ToolTipRole and column == DETAILS:
            return item.detail
        return None


class _Progress(QObject):
    advanced = Signal(int, int)  # patients assessed so far, patients to assess


class WorklistView(QWidget):
    patient_activated = Signal(str)  # MRN
    refreshed = Signal(int)  # number of entries
    overview_ready = Signal(object)  # ClinicOverview: flags for the patient list

    def __init__(self, db_path: Path, today: dt.date | None = None) -> None:
        super().__init__()
        self.setAccessibleName("Clinic worklist")
        self.db_path = db_path
        self.today = today or dt.date.today()
        self.model = WorklistModel()
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SORT_ROLE)
        # No alternating rows: overdue and wearing-off rows are tinted instead.
        self.table = read_only_table(
            QTableView(), self.proxy, "Worklist entries", alternating=False
        )
        self.table.setSortingEnabled(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(DETAILS, QHeaderView.ResizeMode.Stretch)
        self.status = QLabel()
        self.refresh_button = QPushButton("&Refresh")
        self.refresh_button.setAccessibleName("Refresh the worklist")
        self.refresh_button.clicked.connect(self.refresh)
        top = QHBoxLayout()
        top.addWidget(self.status, 1)
        top.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        self.table.activated.connect(self._activate)
        self.task: BackgroundTask | None = None
        self._stop = threading.Event()
        # Lives on the GUI thread: emitted from the worker, delivered here (queued).
        self._progress = _Progress(self)
        self._progress.advanced.connect(self._advanced)

    def refresh(self) -> None:
        """Assess the whole clinic in the background; the list updates when it is done."""
        if self.task is not None and self.task.running:
            return
        path, today, stop, progress = self.db_path, self.today, self._stop, self._progress

        def work() -> ClinicOverview | None:
            # Stored rows, and only the patients whose record changed assessed again.
            try:
                return current_overview(path, today, stop=stop, progress=progress.advanced.emit)
            except OverviewStopped:
                return None  # asked to stop: the window is closing

        self.task = BackgroundTask(work, self)
        self.task.done.connect(self._show)
        self.task.failed.connect(self._failed)
        self.status.setText("Assessing the clinic…")
        self.refresh_button.setEnabled(False)
        self.task.start()

    def _show(self, overview: ClinicOverview | None) -> None:
        self.refresh_button.setEnabled(True)
        if overview is None:
            self.status.setText("Stopped; what was worked out so far is kept.")
            return
        items = list(overview.items)
        self.model.set_rows(items)
        self.table.sortByColumn(CATEGORY, Qt.SortOrder.AscendingOrder)
        counts = {key: sum(i.category == key for i in items) for key in CATEGORIES}
        summary = ", ".join(f"{label}: {counts[key]}" for key, label in CATEGORIES.items())
        self.status.setText(f"As of {self.today.isoformat()}. {summary}.")
        self.overview_ready.emit(overview)
        self.refreshed.emit(len(items))

    def stop(self) -> None:
        """Ask a pass under way to stop after its current chunk (the window is closing);
        what it has worked out so far is stored."""
        self._stop.set()

    def _advanced(self, done: int, stale: int) -> None:
        if self.task is not None and self.task.running and done < stale:
            self.status.setText(f"Assessing the clinic: {done:,} of {stale:,} patients…")

    def _failed(self, message: str) -> None:
        self.status.setText(f"The worklist could not be built: {message}")
        self.refresh_button.setEnabled(True)

    def _activate(self, index: QModelIndex) -> None:
        item = self.proxy.data(index, ITEM_ROLE)
        if item is not None:
            self.patient_activated.emit(item.mrn)
