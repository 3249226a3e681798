"""The clinic-wide audit trail (administrators): who did what, when, where, to which row.

Newest first, at most ``LIMIT`` rows at a time, filtered by user, action, patient MRN and
local dates. Times are shown in local time (the trail stores UTC). What changed is shown
as "field: before → after" (a new row: "field: value"), always as plain text. "Verify
chain" recomputes every row's hash (``store.audit.verify_chain``) and says whether the
trail is intact.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.store.audit import AuditEntry, actors, entries, verify_chain
from clinic_gui.store.connection import ClinicDatabase
from clinic_gui.store.migrations.v2_safety import AUDIT_ACTIONS
from clinic_gui.ui.dialogs.form import ERROR_STYLE
from clinic_gui.ui.row_table_model import Index, RowTableModel, read_only_table
from clinic_gui.ui.text import local_time, plain_tooltip

LIMIT = 500
CELL_CHARS = 160  # longer text is cut in the cell ("…"); the tooltip has all of it
WHAT_CHANGED = 7
DETAIL = 8


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


# Shown in their own columns (Row, Patient MRN), so not repeated under "What changed".
_OWN_COLUMNS = {"id", "patient_id"}


def created_text(entry: AuditEntry) -> str:
    """What an import created, from its event: "rows created: patient 1, diary 1,535, …"."""
    created = entry.values.get("created") or {}
    counts = [f"{table} {last - first + 1:,}" for table, (first, last) in created.items()]
    return f"rows created: {', '.join(counts)}" if counts else ""


def changes_text(entry: AuditEntry, separator: str = "; ") -> str:
    """ "kg: 80 → 82.4; lot: — → L1" for a change; "kg: 82.4; lot: L1" for a new row;
    what an import created."""
    if entry.action == "import":
        return created_text(entry)
    if entry.action == "create":
        parts = [
            f"{name}: {_value(after)}"
            for name, _before, after in entry.changes
            if name not in _OWN_COLUMNS
        ]
    else:
        parts = [
            f"{name}: {_value(before)} → {_value(after)}" for name, before, after in entry.changes
        ]
    return separator.join(parts)


def _cut(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= CELL_CHARS else one_line[: CELL_CHARS - 1] + "…"


class AuditModel(RowTableModel):
    columns = (
        "Time (local)",
        "User",
        "Workstation",
        "Action",
        "Table",
        "Row",
        "Patient MRN",
        "What changed",
        "Detail",
    )

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        entry: AuditEntry = self.row_at(index.row())
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == WHAT_CHANGED:
                return _cut(changes_text(entry))
            if column == DETAIL:
                return _cut(entry.detail or "")
            return self._text(entry, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == WHAT_CHANGED:
                return plain_tooltip(changes_text(entry, "\n")) or None
            if column == DETAIL:
                return plain_tooltip(entry.detail or "") or None
            if column == 0:
                return f"{entry.at} (UTC, as stored)"
        return None

    @staticmethod
    def _text(entry: AuditEntry, column: int) -> str:
        values = (
            local_time(entry.at, seconds=True),
            entry.actor,
            entry.workstation or "",
            entry.action.replace("_", " "),
            entry.table_name or "",
            "" if entry.row_id is None else str(entry.row_id),
            entry.patient_mrn or "",
        )
        return values[column]


def _local_day_start_utc(day: dt.date) -> dt.datetime:
    """The UTC instant at which the local day ``day`` starts."""
    return dt.datetime.combine(day, dt.time()).astimezone().astimezone(dt.UTC)


def _stamp(when: dt.datetime) -> str:
    # Compared as text with stored stamps ("2026-11-22T09:05:01.123Z"): no suffix, so an
    # entry at exactly this second sorts after it.
    return when.strftime("%Y-%m-%dT%H:%M:%S")


class AuditView(QDialog):
    """The audit trail window (not modal: an administrator may keep it open)."""

    def __init__(self, db: ClinicDatabase, *, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.db = db
        self.setWindowFlag(Qt.WindowType.Window, True)
        self.setWindowTitle("Audit trail")
        self.setAccessibleName("Audit trail")

        self.user_filter = QComboBox()
        self.user_filter.setAccessibleName("Filter by user")
        self.action_filter = QComboBox()
        self.action_filter.setAccessibleName("Filter by action")
        self.action_filter.addItem("All actions", None)
        for action in AUDIT_ACTIONS:
            self.action_filter.addItem(action.replace("_", " "), action)
        self.mrn_filter = QLineEdit()
        self.mrn_filter.setPlaceholderText("Patient MRN")
        self.mrn_filter.setAccessibleName("Filter by patient MRN")
        self.mrn_filter.setClearButtonEnabled(True)
        self.since_filter = QLineEdit()
        self.until_filter = QLineEdit()
        for edit, name in ((self.since_filter, "From date"), (self.until_filter, "To date")):
            edit.setPlaceholderText("YYYY-MM-DD")
            edit.setAccessibleName(name)
            edit.setMaxLength(10)
            edit.setMaximumWidth(edit.fontMetrics().horizontalAdvance("0000-00-00") + 24)
        self.show_button = QPushButton("&Show")
        self.show_button.setDefault(True)
        self.show_button.clicked.connect(self.refresh)
        filters = QHBoxLayout()
        for label, widget in (
            ("&User:", self.user_filter),
            ("&Action:", self.action_filter),
            ("&Patient MRN:", self.mrn_filter),
            ("&From:", self.since_filter),
            ("&To:", self.until_filter),
        ):
            caption = QLabel(label)
            caption.setBuddy(widget)
            filters.addWidget(caption)
            filters.addWidget(widget, 1 if widget in (self.mrn_filter, self.user_filter) else 0)
        filters.addWidget(self.show_button)

        self.problem = QLabel()
        self.problem.setTextFormat(Qt.TextFormat.PlainText)
        self.problem.setStyleSheet(ERROR_STYLE)
        self.problem.hide()
        self.model = AuditModel()
        self.table = read_only_table(QTableView(), self.model, "Audit trail")
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.note = QLabel()
        self.note.setTextFormat(Qt.TextFormat.PlainText)
        self.verify_button = QPushButton("&Verify chain")
        self.verify_button.setAutoDefault(False)
        self.verify_button.clicked.connect(self.verify)
        self.verify_result = QLabel()
        self.verify_result.setTextFormat(Qt.TextFormat.PlainText)
        self.verify_result.setWordWrap(True)
        self.verify_result.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bottom = QHBoxLayout()
        bottom.addWidget(self.note, 1)
        bottom.addWidget(self.verify_button)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)

        outer = QVBoxLayout(self)
        outer.addLayout(filters)
        outer.addWidget(self.problem)
        outer.addWidget(self.table, 1)
        outer.addLayout(bottom)
        outer.addWidget(self.verify_result)
        outer.addWidget(close)

        self.reload_users()
        self.user_filter.currentIndexChanged.connect(self.refresh)
        self.action_filter.currentIndexChanged.connect(self.refresh)
        for edit in (self.mrn_filter, self.since_filter, self.until_filter):
            edit.returnPressed.connect(self.refresh)
        self.resize(1180, 640)
        self.refresh()

    def reload_users(self) -> None:
        current = self.user_filter.currentData()
        self.user_filter.blockSignals(True)
        self.user_filter.clear()
        self.user_filter.addItem("All users", None)
        for name in actors(self.db):
            self.user_filter.addItem(name, name)
        index = self.user_filter.findData(current) if current else 0
        self.user_filter.setCurrentIndex(max(index, 0))
        self.user_filter.blockSignals(False)

    # -- filtering ---------------------------------------------------------------------------
    def _dates(self) -> tuple[dt.datetime | None, dt.datetime | None, list[str]]:
        """The UTC instants the local From and To days start and end, and any problems."""
        problems: list[str] = []
        bounds: list[dt.datetime | None] = []
        for edit, name, extra in ((self.since_filter, "From", 0), (self.until_filter, "To", 1)):
            text = edit.text().strip()
            if not text:
                bounds.append(None)
                continue
            try:
                day = dt.date.fromisoformat(text)
            except ValueError:
                problems.append(f"{name}: {text!r} is not a date (YYYY-MM-DD)")
                bounds.append(None)
                continue
            bounds.append(_local_day_start_utc(day + dt.timedelta(days=extra)))
        since, until = bounds
        if since and until and until <= since:
            problems.append("To: must not be before From")
        return since, until, problems

    def refresh(self) -> None:
        since, until, problems = self._dates()
        self.problem.setText("; ".join(problems))
        self.problem.setVisible(bool(problems))
        if problems:
            return
        shown = self._query(since, until)
        self.model.set_rows(shown[:LIMIT])
        self._size_columns()
        if len(shown) > LIMIT:
            self.note.setText(
                f"Showing the newest {LIMIT} matching entries; narrow the filters (user, "
                "action, patient, dates) to see older ones."
            )
        else:
            self.note.setText(
                f"{len(shown)} matching entr{'y' if len(shown) == 1 else 'ies'}, newest first."
            )

    def _query(self, since: dt.datetime | None, until: dt.datetime | None) -> list[AuditEntry]:
        """Up to LIMIT + 1 entries. The store's ``until`` is a whole UTC day, so the end of
        a local day is applied here (asking for more rows when some fall after it)."""
        want = LIMIT + 1
        fetch = want
        while True:
            rows = entries(
                self.db,
                actor=self.user_filter.currentData(),
                action=self.action_filter.currentData(),
                patient_mrn=self.mrn_filter.text().strip() or None,
                since=_stamp(since) if since else None,
                until=(until - dt.timedelta(microseconds=1)).date().isoformat() if until else None,
                limit=fetch,
            )
            kept = rows if until is None else [e for e in rows if e.at < _stamp(until)]
            if len(kept) >= want or len(rows) < fetch:
                return kept[:want]
            fetch *= 4

    def _size_columns(self) -> None:
        self.table.resizeColumnsToContents()
        limit = self.table.fontMetrics().averageCharWidth() * 60
        for column in range(self.model.columnCount()):
            if self.table.columnWidth(column) > limit:
                self.table.setColumnWidth(column, limit)

    # -- verification ------------------------------------------------------------------------
    def verify(self) -> str:
        report = verify_chain(self.db)
        text = report.text()
        self.verify_result.setText(text)
        self.verify_result.setStyleSheet("" if report.ok else ERROR_STYLE + " font-weight: 600;")
        return text
