"""The Changes tab: the patient's history of changes, newest first, from the audit trail.

Each row says when (local time; the trail is kept in UTC), who, what they did (created,
changed, voided, reviewed, exported, imported), to what (an infusion, a lab result, the
patient's details…), which entry (its date), and the changes as "field: before → after"
(for a new entry, its main fields). The trail is read when the tab is looked at, not each
time a chart opens (``show_case`` is called by the chart only for the visible tab).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from clinic_gui.domain import records as r
from clinic_gui.domain.formatting import fmt_number, fmt_quantity
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.store import audit
from clinic_gui.ui.admin.audit_view import created_text
from clinic_gui.ui.chart.labs_tab import min_table_height
from clinic_gui.ui.chart.session import ChartSession
from clinic_gui.ui.row_table_model import Index, RowTableModel, read_only_table
from clinic_gui.ui.text import local_time, plain_label, plain_tooltip

COLUMNS = ("When", "Who", "Action", "What", "Changes")
WHEN, WHO, ACTION, WHAT, CHANGES = range(len(COLUMNS))

ROW_ROLE = Qt.ItemDataRole.UserRole + 1  # the ChangeRow itself
LIMIT = 500  # the newest changes shown; the clinic-wide audit view has the rest
CHANGES_CHARS = 40  # the narrowest the Changes column gets, in average characters

ACTION_TEXT = MappingProxyType(
    {
        "create": "created",
        "update": "changed",
        "void": "voided",
        "review": "reviewed",
        "confirm": "confirmed a warning",
        "export": "exported",
        "import": "imported",
    }
)

# The table as a nurse would say it.
WHAT_TEXT = MappingProxyType(
    {
        "infusion": "infusion",
        "weight": "weight",
        "diary": "diary entry",
        "lab": "lab result",
        "regimen": "regimen",
        "vital_sign": "vital signs",
        "patient": "patient details",
        "sign_off": "sign-off",
    }
)

# The fields a new entry is summed up by, in this order.
MAIN_FIELDS = MappingProxyType(
    {
        "patient": ("mrn", "name", "birth_date", "sex", "indication"),
        "weight": ("date", "kg"),
        "regimen": (
            "start_date",
            "product",
            "dose_mg_per_kg",
            "interval_weeks",
            "reason",
            "ordered_by",
        ),
        "infusion": ("date", "product", "dose_mg", "vials", "lot", "reaction_grade", "nurse"),
        "vital_sign": (
            "phase",
            "time",
            "systolic_mmhg",
            "diastolic_mmhg",
            "pulse_bpm",
            "temperature_c",
            "spo2_pct",
        ),
        "diary": ("date", "symptom_score", "source"),
        "lab": ("sampled_at", "test", "comparator", "value", "unit", "timing"),
        "sign_off": ("decision_row", "note"),
    }
)

# How a field is named to people (else its column name with spaces).
FIELD_TEXT = MappingProxyType(
    {
        "mrn": "MRN",
        "birth_date": "birth date",
        "kg": "weight (kg)",
        "start_date": "start date",
        "dose_mg_per_kg": "dose (mg/kg)",
        "interval_weeks": "interval (weeks)",
        "ordered_by": "ordered by",
        "dose_mg": "dose (mg)",
        "weight_kg": "weight (kg)",
        "reaction_grade": "reaction",
        "reaction_description": "reaction description",
        "lot_expiry": "lot expiry",
        "start_time": "start time",
        "end_time": "end time",
        "symptoms_returned_before": "symptoms returned before",
        "symptoms_days_before": "symptoms days before",
        "systolic_mmhg": "systolic (mmHg)",
        "diastolic_mmhg": "diastolic (mmHg)",
        "pulse_bpm": "pulse (/min)",
        "temperature_c": "temperature (°C)",
        "respiratory_rate": "respiratory rate (/min)",
        "spo2_pct": "SpO2 (%)",
        "symptom_score": "symptom score",
        "sampled_at": "sampled",
        "lloq": "LLOQ",
        "nyha_class": "NYHA class",
        "height_cm": "height (cm)",
        "decision_row": "decision-table row",
        "reviewed_by": "reviewed by",
        "reviewed_at": "reviewed at",
        "void_reason": "reason",
    }
)

# Fields of a void or a review that the Who and When columns already say.
_STAMP_FIELDS = {"voided_at", "voided_by", "reviewed_at"}
# The fields that date an entry, to say which one a change is about.
_DATE_FIELDS = ("date", "sampled_at", "start_date", "time")
EMPTY = "—"


@dataclass(frozen=True, slots=True)
class ChangeRow:
    entry: audit.AuditEntry
    when: str  # local time
    action: str
    what: str  # "infusion", "lab result", …
    entry_text: str  # which entry: its date, when known
    changes: tuple[str, ...]  # "field: before → after", one per change

    @property
    def what_text(self) -> str:
        """The kind of entry and which one, e.g. "infusion 2025-12-01"."""
        return f"{self.what} {self.entry_text}" if self.entry_text else self.what

    @property
    def changes_text(self) -> str:
        return "; ".join(self.changes)


def field_text(name: str) -> str:
    return FIELD_TEXT.get(name, name.replace("_", " "))


def value_text(value: Any, name: str = "") -> str:
    if value is None or value == "":
        return EMPTY
    vocab = vocabulary()
    if name == "test" and value in vocab.lab_tests:
        return vocab.lab_tests[value].label
    if name == "indication" and value in vocab.indications:
        return vocab.indications[value]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return fmt_number(value)
    text = str(value)
    if len(text) == 16 and text[10] == "T" and text[:4].isdigit():  # a lab's date-time
        return text.replace("T", " ")
    return text


def describe_changes(
    entry: audit.AuditEntry, created: Mapping[str, Any] | None = None
) -> tuple[str, ...]:
    """The changes of one audit row as "field: before → after" (a new entry: its main
    fields as "field: value"; a void: its reason; a review: the result reviewed, from
    ``created``, the fields it was created with, when known; an event: its detail)."""
    changes = entry.changes
    if entry.action == "create" and changes:
        main = MAIN_FIELDS.get(entry.table_name or "")
        values = {name: after for name, _before, after in changes}
        names = [n for n in main if n in values] if main else list(values)
        return tuple(f"{field_text(n)}: {value_text(values[n], n)}" for n in names)
    if entry.action == "review" and created and created.get("test"):
        value = created.get("value")
        unit = str(created.get("unit") or "")
        amount = fmt_quantity(value, unit) if isinstance(value, int | float) else EMPTY
        test = value_text(created["test"], "test")
        return (f"{test} {created.get('comparator') or ''}{amount}",)
    if entry.action == "import":
        return tuple(text for text in (entry.detail, created_text(entry)) if text)
    if entry.action == "export" or not changes:
        return (entry.detail,) if entry.detail else ()
    out = []
    for name, before, after in changes:
        if name in _STAMP_FIELDS:
            continue
        if entry.action in ("void", "review") and before is None:
            out.append(f"{field_text(name)}: {value_text(after, name)}")
        else:
            out.append(
                f"{field_text(name)}: {value_text(before, name)} → {value_text(after, name)}"
            )
    return tuple(out)


def _entry_label(table: str | None, fields: Mapping[str, Any]) -> str:
    """Which entry a row is about: "2025-12-01", "2025-09-29 08:00", "before, 09:25"."""
    if table in ("patient", "sign_off"):  # this patient's; a sign-off's time is When
        return ""
    when = next((fields[f] for f in _DATE_FIELDS if fields.get(f)), None)
    parts = [str(when).replace("T", " ")] if when else []
    if table == "vital_sign" and fields.get("phase"):
        parts.insert(0, str(fields["phase"]))
    return ", ".join(parts)


def change_rows(entries: Sequence[audit.AuditEntry]) -> list[ChangeRow]:
    """``entries`` (newest first) as rows; a change names its entry by the fields the entry
    was created with, when its creation is among ``entries``, else by the row's values."""
    created: dict[tuple[str | None, int | None], dict[str, Any]] = {}
    for e in entries:
        if e.action == "create" and e.changes:  # not an event about the row, e.g. a note
            created[(e.table_name, e.row_id)] = {name: after for name, _b, after in e.changes}
    rows = []
    for e in entries:
        first = created.get((e.table_name, e.row_id), {})
        fields = dict(first or e.values)  # an imported row's creation is the import event
        fields.update({name: after for name, _b, after in e.changes if after is not None})
        if e.action in ("export", "import"):
            what, entry_text = "case file", ""
        else:
            what = WHAT_TEXT.get(e.table_name or "", (e.table_name or "").replace("_", " "))
            entry_text = _entry_label(e.table_name, fields)
        rows.append(
            ChangeRow(
                entry=e,
                when=local_time(e.at),
                action=ACTION_TEXT.get(e.action, e.action.replace("_", " ")),
                what=what,
                entry_text=entry_text,
                changes=describe_changes(e, first or e.values),
            )
        )
    return rows


class ChangesModel(RowTableModel):
    columns = COLUMNS

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row: ChangeRow = self._rows[index.row()]
        column = index.column()
        if role == ROW_ROLE:
            return row
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                row.when,
                row.entry.actor,
                row.action,
                row.what_text,
                row.changes_text,
            )[column]
        if role == Qt.ItemDataRole.ToolTipRole:  # typed text, shown literally
            if column == CHANGES and row.changes:
                return plain_tooltip("\n".join(row.changes))
            if column == WHEN:
                return f"{row.entry.at} (UTC)"
            if column == WHO and row.entry.workstation:
                return plain_tooltip(f"On workstation {row.entry.workstation}")
        return None


class ChangesTab(QWidget):
    """The patient's history of changes; ``set_session`` first, then ``show_case``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._session: ChartSession | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.setSpacing(4)
        self.legend = plain_label(wrap=True, name="Changes legend")
        layout.addWidget(self.legend)
        self.model = ChangesModel()
        self.table = read_only_table(
            QTableView(), self.model, "History of changes to this patient's record, newest first"
        )
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        # The changes take what the other columns leave, but never less than CHANGES_CHARS
        # characters (the table then scrolls sideways); the tooltip has them in full.
        header.setSectionResizeMode(CHANGES, QHeaderView.ResizeMode.Interactive)
        header.setMinimumSectionSize(header.fontMetrics().horizontalAdvance("Who") + 16)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.table.verticalHeader().setDefaultSectionSize(self.table.fontMetrics().height() + 8)
        self.table.setMinimumHeight(min_table_height(self.table, rows=4))
        layout.addWidget(self.table, 1)
        # The selected change in full (a narrow chart cuts the Changes column short).
        self.detail = QLabel()
        self.detail.setTextFormat(Qt.TextFormat.PlainText)
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.detail.setAccessibleName("The selected change in full")
        layout.addWidget(self.detail)
        self.table.selectionModel().currentRowChanged.connect(self._show_detail)
        self.show_case(None)

    def _show_detail(self, *_: object) -> None:
        index = self.table.currentIndex()
        if not index.isValid():
            self.detail.setText(
                "Select a row to read its changes in full." if self.model.rowCount() else ""
            )
            return
        row: ChangeRow = self.model.row_at(index.row())
        head = f"{row.when}, {row.entry.actor}: {row.action} {row.what_text}"
        self.detail.setText(f"{head}\n{row.changes_text}" if row.changes else head)

    def set_session(self, session: ChartSession | None) -> None:
        self._session = session

    def show_case(self, case: r.Case | None, today: dt.date | None = None) -> None:
        """Read and show the patient's history of changes (``today`` is not used: the
        history is what was recorded, whatever the chart's date)."""
        del today
        if case is None or self._session is None:
            self.model.set_rows([])
            self.legend.setText("No patient selected.")
            self._show_detail()
            return
        found = audit.entries(self._session.db, patient_mrn=case.patient.mrn, limit=LIMIT)
        self.show_entries(found)

    def show_entries(self, found: Iterable[audit.AuditEntry]) -> None:
        rows = change_rows(list(found))
        self.model.set_rows(rows)
        if not rows:
            self.legend.setText("No changes on record.")
        else:
            more = (
                f" The newest {LIMIT} are shown; the clinic's audit trail has the rest."
                if len(rows) >= LIMIT
                else ""
            )
            self.legend.setText(
                f"{len(rows)} changes, newest first, in local time. Select a row to read its "
                f"changes in full below.{more}"
            )
        self.table.resizeColumnsToContents()
        self._fit_changes_column()
        self._show_detail()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_changes_column()

    def _fit_changes_column(self) -> None:
        header = self.table.horizontalHeader()
        others = sum(header.sectionSize(c) for c in range(len(COLUMNS)) if c != CHANGES)
        narrowest = self.table.fontMetrics().averageCharWidth() * CHANGES_CHARS
        header.resizeSection(CHANGES, max(narrowest, self.table.viewport().width() - others))
