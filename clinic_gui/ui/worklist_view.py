"""The clinic worklist tab: due and overdue infusions, wearing off without a trough, results.

The overview comes from the stored rows of ``store.overview``, with the patients whose record
changed since (or every patient, on a new day) assessed again, all in the background on its
own database connection; the view keeps the last list until the new one arrives. Enter or
a double-click opens the chart.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, Qt, Signal
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
_TINTS = {"overdue": "#fde7e9", "wearing_off_no_trough": "#fff4e0"}


class WorklistModel(RowTableModel):
    """The worklist entries, each row's text and sort keys worked out once when the rows are
    set: a large clinic's worklist has tens of thousands of entries, and Qt asks for each
    cell many times (hundreds of thousands of calls when a proxy sorts them).

    Sorting is the model's own (``sort``, what a header click calls): one Python sort of
    the rows by precomputed keys, so no sort proxy asks for every cell."""

    columns = COLUMNS

    def __init__(self) -> None:
        super().__init__()
        self._cells: list[tuple[str, ...]] = []
        self._keys: list[tuple[Any, ...]] = []

    def set_rows(self, rows: Iterable[WorklistItem]) -> None:
        items = list(rows)
        short = vocabulary().indication_short
        order = list(CATEGORIES)
        self.beginResetModel()
        self._rows = items
        self._cells = [
            (
                item.category_label,
                item.day.isoformat() if item.day else "",
                item.mrn,
                item.name,
                short.get(item.indication, item.indication),
                item.detail,
            )
            for item in items
        ]
        self._keys = [
            (order.index(item.category), (item.day or dt.date.max).isoformat(), *cells[2:])
            for item, cells in zip(items, self._cells, strict=True)
        ]
        self.endResetModel()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._cells[row][column]
        if role == ITEM_ROLE:
            return self._rows[row]
        if role == Qt.ItemDataRole.BackgroundRole:
            tint = _TINTS.get(self._rows[row].category)
            return None if tint is None else QBrush(QColor(tint))
        if role == Qt.ItemDataRole.ToolTipRole and column == DETAILS:
            return self._cells[row][DETAILS]
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(COLUMNS):
            return
        self.layoutAboutToBeChanged.emit()
        moved = sorted(
            range(len(self._rows)),
            key=lambda n: self._keys[n][column],
            reverse=order == Qt.SortOrder.DescendingOrder,
        )
        where = {old: new for new, old in enumerate(moved)}
        self._rows = [self._rows[n] for n in moved]
        self._cells = [self._cells[n] for n in moved]
        self._keys = [self._keys[n] for n in moved]
        kept = self.persistentIndexList()  # the selection and current row follow their rows
        self.changePersistentIndexList(kept, [self.index(where[i.row()], i.column()) for i in kept])
        self.layoutChanged.emit()


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
        # No alternating rows: overdue and wearing-off rows are tinted instead.
        self.table = read_only_table(
            QTableView(), self.model, "Worklist entries", alternating=False
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
        item = self.model.data(index, ITEM_ROLE)
        if item is not None:
            self.patient_activated.emit(item.mrn)
