"""The one base of the app's read-only tables: a list of rows under fixed columns.

A subclass names its ``columns`` (and, optionally, ``header_text`` for a header shown
differently, e.g. on two lines, and ``header_tips``) and implements ``data``; replacing the
rows is ``set_rows`` (a model reset). Tested with ``qtmodeltester`` through each subclass.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

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
