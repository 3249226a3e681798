"""A patient's infusions as a table model, newest first.

Sort through a ``QSortFilterProxyModel`` with ``setSortRole(SORT_ROLE)``: that role gives raw,
comparable values (ISO dates, numbers, text). Whether an interval was delayed comes from the
wearing-off rule's own cycles (``assess_wearing_off`` with ``load_settings()``), so the table
and the wearing-off check always agree on which infusions were late.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, cast

from PySide6.QtCore import QModelRoleData, QModelRoleDataSpan, Qt
from PySide6.QtGui import QBrush

from clinic_gui.domain import records as r
from clinic_gui.domain.formatting import fmt_number, fmt_quantity
from clinic_gui.domain.history import latest_weight
from clinic_gui.domain.wearing_off import (
    CycleEvidence,
    WearingOffResult,
    assess_wearing_off,
    load_settings,
)
from clinic_gui.ui.chart import warning_colour
from clinic_gui.ui.row_table_model import Index, RowTableModel
from clinic_gui.ui.text import plain_tooltip

COLUMNS = (
    "Date",
    "Days since previous",
    "Product",
    "Lot",
    "mg",
    "mg/kg",
    "Vials",
    "Reaction",
    "Symptoms returned before",
    "Nurse",
)
(
    DATE,
    DAYS_SINCE,
    PRODUCT,
    LOT,
    MG,
    MG_PER_KG,
    VIALS,
    REACTION,
    SYMPTOMS,
    NURSE,
) = range(len(COLUMNS))

# Two-line headers keep the narrow columns narrow (the data is shorter than the titles).
HEADER_TEXT = {DAYS_SINCE: "Days since\nprevious", SYMPTOMS: "Symptoms\nreturned before"}
HEADER_TIPS = {
    DAYS_SINCE: "Days since the previous infusion (the planned interval of the regimen then in "
    "effect, in days)",
    MG_PER_KG: "Dose given divided by the weight used (recorded at the infusion, else the latest "
    "weight on or before it)",
    SYMPTOMS: "Did symptoms return before this infusion (nurse's record)?",
}

INFUSION_ROLE = Qt.ItemDataRole.UserRole + 1  # the r.Infusion itself
SORT_ROLE = Qt.ItemDataRole.UserRole + 2  # raw value for sorting
DELAYED_ROLE = Qt.ItemDataRole.UserRole + 3  # True when the interval before it was delayed

_NUMERIC = {DAYS_SINCE, MG, MG_PER_KG, VIALS}
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_BAD_REACTIONS = {"moderate", "severe"}


@dataclass(frozen=True, slots=True)
class HistoryRow:
    infusion: r.Infusion
    days_since: int | None  # None: the first infusion on record
    cycle: CycleEvidence | None  # the cycle that ends at this infusion
    weight_kg: float | None
    weight_note: str

    @property
    def delayed(self) -> bool:
        return self.cycle is not None and self.cycle.delayed

    @property
    def mg_per_kg(self) -> float | None:
        if not self.weight_kg:
            return None
        return self.infusion.dose_mg / self.weight_kg


# The roles ``data`` answers; it returns None for any other.
_ANSWERED = frozenset(
    {
        INFUSION_ROLE,
        DELAYED_ROLE,
        SORT_ROLE,
        Qt.ItemDataRole.DisplayRole,
        Qt.ItemDataRole.ToolTipRole,
        Qt.ItemDataRole.ForegroundRole,
        Qt.ItemDataRole.TextAlignmentRole,
    }
)


class DosingHistoryModel(RowTableModel):
    columns = COLUMNS
    header_text = HEADER_TEXT
    header_tips = HEADER_TIPS

    def __init__(self) -> None:
        super().__init__()
        self._tolerance = load_settings().delay_tolerance_days
        # Per row, the text and the sort value of each column (see ``set_rows``).
        self._display: list[tuple[str, ...]] = []
        self._sort: list[tuple[Any, ...]] = []

    # -- filling -----------------------------------------------------------------------------
    def set_case(
        self,
        case: r.Case | None,
        as_of: dt.date | None = None,
        wearing_off: WearingOffResult | None = None,
    ) -> None:
        """Show ``case``'s infusions (those on or before ``as_of`` when given), newest first.

        ``wearing_off``: the rule's result for ``case`` as of ``as_of`` with the shipped
        settings, when the caller has it already (its cycles are the ones shown here)."""
        self.set_rows([] if case is None else self._build(case, as_of, wearing_off))

    def set_rows(self, rows: Iterable[HistoryRow]) -> None:
        """Show ``rows``; each cell's text and sort value are worked out here, once: sorting,
        sizing the columns and painting ask for them again and again."""
        rows = list(rows)
        self._display = [tuple(_display(row, c) for c in range(len(COLUMNS))) for row in rows]
        self._sort = [
            tuple(_sort_value(row, c, text) for c, text in enumerate(texts))
            for row, texts in zip(rows, self._display, strict=True)
        ]
        super().set_rows(rows)

    def clear(self) -> None:
        self.set_case(None)

    def _build(
        self, case: r.Case, as_of: dt.date | None, wearing_off: WearingOffResult | None
    ) -> list[HistoryRow]:
        infusions = sorted(
            (i for i in case.infusions if as_of is None or i.date <= as_of), key=lambda i: i.date
        )
        if not infusions:
            return []
        settings = load_settings()
        self._tolerance = settings.delay_tolerance_days
        # The cycles between the infusions shown are the same as of the last of them or as of
        # any later day, so a result as of ``as_of`` serves.
        if wearing_off is None or as_of is None or wearing_off.as_of != as_of:
            wearing_off = assess_wearing_off(case, infusions[-1].date, settings)
        cycles = {c.end: c for c in wearing_off.cycles}
        rows = []
        for n, infusion in enumerate(infusions):
            previous = infusions[n - 1] if n else None
            days = None if previous is None else (infusion.date - previous.date).days
            # A second infusion on the same day closes no cycle.
            cycle = cycles.get(infusion.date) if days else None
            weight: float | None
            if infusion.weight_kg:
                weight, note = infusion.weight_kg, "weight recorded at the infusion"
            else:
                latest = latest_weight(case, infusion.date)
                weight = latest.kg if latest else None
                note = (
                    f"latest weight on or before the infusion ({latest.date.isoformat()})"
                    if latest
                    else "no weight on or before the infusion"
                )
            rows.append(HistoryRow(infusion, days, cycle, weight, note))
        rows.reverse()
        return rows

    # -- access ------------------------------------------------------------------------------
    def row_of(self, date: dt.date) -> int | None:
        return next((n for n, h in enumerate(self._rows) if h.infusion.date == date), None)

    def column_texts(self, column: int) -> list[str]:
        """The text shown in ``column``, row by row."""
        return [texts[column] for texts in self._display]

    # -- the model ---------------------------------------------------------------------------
    def multiData(self, index: Index, span: QModelRoleDataSpan | QModelRoleData) -> None:
        """Every role the view asks of a cell in one call (sizing the columns to their
        contents asks seven per cell: one call each from Qt cost most of opening a chart)."""
        if not index.isValid():
            return
        n, column = index.row(), index.column()
        asked = (
            (span,) if isinstance(span, QModelRoleData) else cast(Iterable[QModelRoleData], span)
        )
        for role_data in asked:
            role = role_data.role()
            role_data.setData(self._cell(n, column, role) if role in _ANSWERED else None)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        return self._cell(index.row(), index.column(), role)

    def _cell(self, n: int, column: int, role: int) -> Any:
        if n >= len(self._rows):
            return None
        row = self._rows[n]
        if role == INFUSION_ROLE:
            return row.infusion
        if role == DELAYED_ROLE:
            return row.delayed
        if role == SORT_ROLE:
            return self._sort[n][column]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display[n][column]
        if role == Qt.ItemDataRole.ToolTipRole:  # notes, lots and reactions are typed text
            return plain_tooltip(self._tooltip(row, column))
        if role == Qt.ItemDataRole.ForegroundRole:
            if (column == DAYS_SINCE and row.delayed) or (
                column == REACTION
                and row.infusion.reaction is not None
                and row.infusion.reaction.grade in _BAD_REACTIONS
            ):
                return QBrush(warning_colour())
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in _NUMERIC:
            return _RIGHT
        return None

    def _tooltip(self, row: HistoryRow, column: int) -> str | None:
        infusion = row.infusion
        if column == DAYS_SINCE:
            if row.days_since is None:
                return "The first infusion on record"
            if row.cycle is None:
                return "Given on the same day as the previous infusion"
            if row.cycle.planned_days is None:
                return f"No regimen was in effect on {row.cycle.start.isoformat()}: no plan"
            planned = fmt_number(row.cycle.planned_days)
            if row.delayed:
                late = fmt_number(row.cycle.days_late or 0)
                return (
                    f"Delayed: {row.days_since} days since the previous infusion against "
                    f"{planned} planned ({late} days late; more than {self._tolerance} days "
                    "counts as delayed). A late infusion can mimic wearing off, so this "
                    "interval is not evaluated for it."
                )
            return f"{row.days_since} days since the previous infusion; {planned} planned"
        if column == MG_PER_KG:
            if row.weight_kg is None:
                return "No weight on or before the infusion: mg/kg not calculated"
            return (
                f"{fmt_quantity(infusion.dose_mg, 'mg')} / {fmt_quantity(row.weight_kg, 'kg')} "
                f"({row.weight_note})"
            )
        if column == LOT and infusion.lot_expiry:
            return f"Expires {infusion.lot_expiry.isoformat()}"
        if column == REACTION and infusion.reaction and infusion.reaction.description:
            return infusion.reaction.description
        if column == SYMPTOMS:
            return "Symptoms returned before this infusion (nurse's record)"
        if column in (DATE, PRODUCT) and infusion.notes:
            return infusion.notes
        return None


def _display(row: HistoryRow, column: int) -> str:
    infusion = row.infusion
    if column == DATE:
        return infusion.date.isoformat()
    if column == DAYS_SINCE:
        if row.days_since is None:
            return "first"
        if row.cycle is None or row.cycle.planned_days is None:
            return f"{row.days_since} (no plan)"
        text = f"{row.days_since} (plan {fmt_number(row.cycle.planned_days)})"
        return f"⚠ {text}" if row.delayed else text
    if column == PRODUCT:
        return infusion.product
    if column == LOT:
        return infusion.lot or ""
    if column == MG:
        return fmt_number(infusion.dose_mg)
    if column == MG_PER_KG:
        return "—" if row.mg_per_kg is None else fmt_number(row.mg_per_kg, 2)
    if column == VIALS:
        return "" if infusion.vials is None else str(infusion.vials)
    if column == REACTION:
        if infusion.reaction is None:
            return "not recorded"
        return infusion.reaction.grade
    if column == SYMPTOMS:
        return _symptoms_text(infusion)
    return infusion.nurse or ""


def _sort_value(row: HistoryRow, column: int, text: str) -> Any:
    """A raw, comparable value (ISO date, number, text); ``text``: the cell's text."""
    infusion = row.infusion
    if column == DATE:
        return text  # the ISO date
    if column == DAYS_SINCE:
        return -1 if row.days_since is None else row.days_since
    if column == MG:
        return float(infusion.dose_mg)
    if column == MG_PER_KG:
        return -1.0 if row.mg_per_kg is None else row.mg_per_kg
    if column == VIALS:
        return -1 if infusion.vials is None else infusion.vials
    if column == SYMPTOMS:
        if infusion.symptoms_returned_before is None:
            return -1
        if not infusion.symptoms_returned_before:
            return 0
        return 1 + (infusion.symptoms_days_before or 0)
    return text


def _symptoms_text(infusion: r.Infusion) -> str:
    if infusion.symptoms_returned_before is None:
        return "unknown"
    if not infusion.symptoms_returned_before:
        return "no"
    if infusion.symptoms_days_before is None:
        return "yes"
    return f"yes, {infusion.symptoms_days_before} d before"
