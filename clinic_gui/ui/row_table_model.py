"""The one base of the app's read-only tables: a list of rows under fixed columns.

A subclass names its ``columns`` (and, optionally, ``header_text`` for a header shown
differently, e.g. on two lines, and ``header_tips``) and implements ``data``; replacing the
rows is ``set_rows`` (a model reset). Tested with ``qtmodeltester`` through each subclass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtWidgets import QAbstractItemView, QTableView

Index = QModelIndex | QPersistentModelIndex


class RowTableModel(QAbstractTableModel):
    columns: ClassVar[tuple[str, ...]] = ()
    header_text: ClassVar[Mapping[int, str]] = {}
    header_tips: ClassVar[Mapping[int, str]] = {}

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[Any] = []

    def set_rows(self, rows: Iterable[Any]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def rows(self) -> list[Any]:
        return list(self._rows)

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.columns)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.columns):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.header_text.get(section, self.columns[section])
        if role == Qt.ItemDataRole.ToolTipRole:
            return self.header_tips.get(section, self.columns[section])
        return None


def read_only_table(
    table: QTableView, model: QAbstractItemModel, name: str, *, alternating: bool = True
) -> QTableView:
    """Set up a table the way every list in the app reads: whole rows, one at a time, not
    editable, no row numbers, one line per row, columns sized from the first rows."""
    table.setModel(model)
    table.setAccessibleName(name)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.verticalHeader().hide()
    table.setWordWrap(False)
    table.setAlternatingRowColors(alternating)
    # Column widths from the first rows, not every row of a ten-year record (hundreds of ms).
    table.horizontalHeader().setResizeContentsPrecision(60)
    return table
