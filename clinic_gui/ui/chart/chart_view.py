"""One patient's chart: a header, the dosing history on the left, recommendations on the right.

``show_case(case, today)`` runs ``assess(case, today)`` once and hands the result to every
part; nothing here works anything out for itself.

``set_session(db, user, on_saved)`` lets the chart save a physician's own actions (marking
results as reviewed, signing off a recommendation) and adds the Changes tab; until it is
called those controls are hidden. Everything people typed is shown as plain text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QPersistentModelIndex,
    QSize,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QSplitter,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain import records as r
from clinic_gui.domain.access import Permission, User
from clinic_gui.domain.assessment import Assessment, assess, assessment_json
from clinic_gui.domain.formatting import fmt_number, fmt_quantity
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.store import chart as chart_store
from clinic_gui.store import entries
from clinic_gui.ui.chart import badge_css, scaled_font, set_style_sheet, warning_css
from clinic_gui.ui.chart.history_model import DATE, INFUSION_ROLE, SORT_ROLE, DosingHistoryModel
from clinic_gui.ui.chart.recommendation_panel import RecommendationPanel
from clinic_gui.ui.chart.session import ChartSession, needs_role
from clinic_gui.ui.row_table_model import read_only_table
from clinic_gui.ui.text import plain_tooltip

if TYPE_CHECKING:
    from clinic_gui.store.connection import ClinicDatabase
    from clinic_gui.ui.chart.changes_tab import ChangesTab
    from clinic_gui.ui.chart.diary_tab import DiaryTab
    from clinic_gui.ui.chart.labs_tab import LabsTab
    from clinic_gui.ui.chart.sign_off_dialog import SignOffDialog
    from clinic_gui.ui.chart.timeline_plot import TimelinePlot

NYHA = ("I", "II", "III", "IV")


class ElidedLabel(QLabel):
    """One line ending in "…" when narrow (full text in the tooltip): never widens the chart."""

    MIN_CHARS = 12

    def __init__(self, text: str = "") -> None:
        super().__init__(text)
        self.setTextFormat(Qt.TextFormat.PlainText)  # a name or note is typed text
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)

    def minimumSizeHint(self) -> QSize:
        width = self.fontMetrics().averageCharWidth() * self.MIN_CHARS
        return QSize(width, super().minimumSizeHint().height())

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tooltip()

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tooltip()

    def elided_text(self) -> str:
        return self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, self.contentsRect().width()
        )

    def _update_tooltip(self) -> None:
        elided = self.elided_text() != self.text()
        self.setToolTip(plain_tooltip(self.text()) if elided else "")

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setFont(self.font())
        painter.setPen(self.palette().color(self.foregroundRole()))
        align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(self.contentsRect(), align, self.elided_text())


class _HistoryProxy(QSortFilterProxyModel):
    """The sorted history: hands the view's ask for all of a cell's roles to the model in one
    call (Qt's own proxy asks the model once per role)."""

    def multiData(
        self,
        index: QModelIndex | QPersistentModelIndex,
        span: QModelRoleDataSpan | QModelRoleData,
    ) -> None:
        source = self.sourceModel()
        if isinstance(source, DosingHistoryModel):
            source.multiData(self.mapToSource(index), span)
        else:
            super().multiData(index, span)


class _HistoryTable(QTableView):
    """The dosing history table, its columns as wide as their widest text in any row."""

    def sizeHintForColumn(self, column: int) -> int:
        """The width Qt works out by asking about every row, from one row: the one whose text
        is widest in the table's font (the cells differ only in their text). Qt's own way asks
        the model for every role of dozens of cells each time a chart opens, which took
        longer than drawing the whole chart."""
        proxy = self.model()
        model = proxy.sourceModel() if isinstance(proxy, QSortFilterProxyModel) else None
        if not isinstance(model, DosingHistoryModel) or model.rowCount() == 0:
            return super().sizeHintForColumn(column)
        texts = model.column_texts(column)
        widest = max(set(texts), key=self.fontMetrics().horizontalAdvance)
        index = proxy.mapFromSource(model.index(texts.index(widest), column))
        hint = self.sizeHintForIndex(index).width()
        return hint + 1 if self.showGrid() else hint  # as Qt does: room for the grid line


EMPTY_HINT = (
    "Search by MRN or name on the left (Ctrl+F) and press Enter, or see who is due in the "
    "Worklist (Ctrl+2)."
)


class ChartView(QWidget):
    """The chart of the patient shown; ``tabs`` and ``set_timeline`` take other people's views."""

    def __init__(self, parent: QWidget | None = None, *, today: dt.date | None = None) -> None:
        super().__init__(parent)
        self._stale_tabs: set[QWidget | None] = set()
        self.timeline_plot: TimelinePlot | None = None
        self.diary_tab: DiaryTab | None = None
        self.labs_tab: LabsTab | None = None
        self.changes_tab: ChangesTab | None = None
        self.sign_off_dialog: SignOffDialog | None = None
        self._session: ChartSession | None = None  # as the main window gave it
        self._tab_session: ChartSession | None = None  # the same, saves reported to the chart
        self.setAccessibleName("Patient chart")
        self.today = today or dt.date.today()
        self.case: r.Case | None = None
        self.assessment: Assessment | None = None
        self._timeline: QWidget | None = None

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        layout.addWidget(self._build_header())

        # Left: an optional timeline above the tabs; the first tab is the dosing history.
        self.history_model = DosingHistoryModel()
        self.history_proxy = _HistoryProxy(self)
        self.history_proxy.setSourceModel(self.history_model)
        self.history_proxy.setSortRole(SORT_ROLE)
        self.history_table = read_only_table(
            _HistoryTable(), self.history_proxy, "Dosing history table"
        )
        self.history_table.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.history_table.horizontalHeader().setStretchLastSection(True)
        self.history_table.verticalHeader().setDefaultSectionSize(
            self.history_table.fontMetrics().height() + 8
        )
        self.history_table.setSortingEnabled(True)
        self.history_table.sortByColumn(DATE, Qt.SortOrder.DescendingOrder)

        self.tabs = QTabWidget()
        self.tabs.setAccessibleName("Patient record tabs")
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.history_table, "Dosing history")

        self.timeline_slot = QWidget()
        self.timeline_slot.setAccessibleName("Timeline")
        self._timeline_layout = QVBoxLayout(self.timeline_slot)
        self._timeline_layout.setContentsMargins(0, 0, 0, 0)
        self.timeline_slot.setVisible(False)

        self.left = QSplitter(Qt.Orientation.Vertical)
        self.left.setChildrenCollapsible(False)
        self.left.addWidget(self.timeline_slot)
        self.left.addWidget(self.tabs)
        self.left.setStretchFactor(0, 1)
        self.left.setStretchFactor(1, 1)

        self.panel = RecommendationPanel()
        # Beyond about 120 characters a line is hard to read: wide screens give the rest to
        # the history and the timeline.
        self.panel.setMaximumWidth(self.panel.fontMetrics().averageCharWidth() * 120)
        self.panel.sign_off_requested.connect(self.open_sign_off)
        self.proposal_field = self.panel.proposal_field

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.left)
        self.splitter.addWidget(self.panel)
        # The panel carries more text than the history table: give it three fifths.
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([400, 600])
        layout.addWidget(self.splitter, 1)
        self.clear()

    # -- header ------------------------------------------------------------------------------
    def _build_header(self) -> QFrame:
        header = QFrame()
        header.setObjectName("chartHeader")
        header.setAccessibleName("Patient header")
        header.setFrameShape(QFrame.Shape.StyledPanel)
        self.header = header
        grid = QGridLayout(header)
        grid.setContentsMargins(10, 6, 10, 6)
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(2)

        self.name_label = ElidedLabel()
        self.name_label.setAccessibleName("Patient name")
        self.name_label.setFont(scaled_font(self.font(), 1.4, bold=True))
        grid.addWidget(self.name_label, 0, 0)

        badges = QHBoxLayout()
        badges.setSpacing(6)
        self.wearing_off_badge = QLabel("Possible wearing off")
        self.wearing_off_badge.setTextFormat(Qt.TextFormat.PlainText)
        self.wearing_off_badge.setAccessibleName("Wearing-off flag")
        self.wearing_off_badge.setStyleSheet(badge_css("flagged"))
        self.tdm_badge = QLabel()
        self.tdm_badge.setTextFormat(Qt.TextFormat.PlainText)
        self.tdm_badge.setAccessibleName("TDM decision row")
        self.tdm_badge.setStyleSheet(badge_css("flagged"))
        for badge in (self.wearing_off_badge, self.tdm_badge):
            badge.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            badges.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        # The name takes the room the flags leave (wrapping a long name); flags sit top right.
        grid.addLayout(badges, 0, 1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(0, 1)

        self.details_label = self._header_line("Patient details")
        self.regimen_label = self._header_line("Current regimen")
        self.next_due_label = self._header_line("Next infusion due")
        # The patient's notes: one line, in full in the tooltip (only when there are notes).
        self.notes_label = ElidedLabel()
        self.notes_label.setAccessibleName("Patient notes")
        grid.addWidget(self.details_label, 1, 0, 1, 2)
        grid.addWidget(self.regimen_label, 2, 0, 1, 2)
        grid.addWidget(self.next_due_label, 3, 0, 1, 2)
        grid.addWidget(self.notes_label, 4, 0, 1, 2)
        return header

    @staticmethod
    def _header_line(name: str) -> QLabel:
        label = QLabel()
        label.setTextFormat(Qt.TextFormat.PlainText)  # MRN, product: typed text
        label.setAccessibleName(name)
        label.setWordWrap(True)
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        return label

    # -- public ------------------------------------------------------------------------------
    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab beside "Dosing history"; returns its index."""
        return self.tabs.addTab(widget, title)

    def set_session(self, db: ClinicDatabase, user: User, on_saved: Callable[[], None]) -> None:
        """Let the chart save ``user``'s review of results and sign-off (through the store,
        which checks their role), show who reviewed what, the latest sign-off and the
        Changes tab; ``on_saved()`` is called after each such save. Call again when another
        user signs in."""
        self._session = ChartSession(db, user, on_saved)
        self._tab_session = ChartSession(db, user, self._after_session_save)
        self.panel.enable_sign_off(
            user.can(Permission.SIGN_OFF),
            f"Signing off a recommendation {needs_role(Permission.SIGN_OFF)}",
        )
        if self.labs_tab is not None:
            self.labs_tab.set_session(self._tab_session)
        if self.changes_tab is not None:
            self.changes_tab.set_session(self._tab_session)
        if self.diary_tab is not None:
            self._ensure_changes_tab()
        if self.case is not None:
            self._show_sign_off()
            self._stale_tabs |= {self.labs_tab, self.changes_tab}
            self._fill_current_tab()

    @property
    def session(self) -> ChartSession | None:
        return self._session

    def _ensure_changes_tab(self) -> None:
        if self.changes_tab is not None or self._tab_session is None:
            return
        from clinic_gui.ui.chart.changes_tab import ChangesTab

        self.changes_tab = ChangesTab()
        self.changes_tab.set_session(self._tab_session)
        self.add_tab(self.changes_tab, "C&hanges")
        if self.case is not None:
            self._stale_tabs.add(self.changes_tab)

    def _show_sign_off(self) -> None:
        if self._session is None or self.case is None:
            return
        latest = chart_store.sign_offs(self._session.db, self.case.patient.mrn, limit=1)
        self.panel.show_sign_off(latest[0] if latest else None)

    def open_sign_off(self) -> SignOffDialog | None:
        """Open the sign-off dialog (non-blocking) for the recommendation shown."""
        session, a = self._session, self.assessment
        if session is None or a is None or not session.can(Permission.SIGN_OFF):
            return None
        from clinic_gui.ui.chart.sign_off_dialog import SignOffDialog

        mrn = a.case.patient.mrn
        row = a.tdm.row["id"]
        shown = json.dumps(assessment_json(a), ensure_ascii=False)

        def save(note: str | None) -> int:
            return entries.sign_off(
                session.db, mrn, decision_row=row, assessment_json=shown, note=note,
                actor=session.user,
            )  # fmt: skip

        if self.sign_off_dialog is not None:  # the previous one is done with
            self.sign_off_dialog.deleteLater()
        dialog = SignOffDialog(a, save=save, parent=self)
        dialog.accepted.connect(self._after_session_save)
        self.sign_off_dialog = dialog
        dialog.open()
        return dialog

    def _after_session_save(self) -> None:
        """After a review or sign-off saved from the chart: show it, then tell the window."""
        self._show_sign_off()
        if self.changes_tab is not None:
            self._stale_tabs.add(self.changes_tab)
        self._fill_current_tab()
        if self._session is not None:
            self._session.on_saved()

    def set_timeline(self, widget: QWidget | None) -> QWidget | None:
        """Put ``widget`` above the history tabs (None empties the slot); returns the old one."""
        old = self._timeline
        if old is not None:
            self._timeline_layout.removeWidget(old)
            old.setParent(None)
        self._timeline = widget
        if widget is not None:
            self._timeline_layout.addWidget(widget)
        self.timeline_slot.setVisible(widget is not None)
        return old

    @property
    def timeline(self) -> QWidget | None:
        return self._timeline

    def selected_entry(self) -> tuple[str, int] | None:
        """The entry selected in the visible tab, as (list name, index in the case's list):
        ("infusions" | "diary" | "labs", i), or None when nothing is selected."""
        if self.case is None:
            return None
        current = self.tabs.currentWidget()
        items: tuple[object, ...]
        if current is self.history_table:
            index = self.history_table.currentIndex()
            record = index.data(INFUSION_ROLE) if index.isValid() else None
            kind, items = "infusions", self.case.infusions
        elif self.diary_tab is not None and current is self.diary_tab:
            index = self.diary_tab.table.currentIndex()
            entry = self.diary_tab.model.row_at(index.row()).entry if index.isValid() else None
            record, kind, items = entry, "diary", self.case.diary
        elif self.labs_tab is not None and current is self.labs_tab:
            index = self.labs_tab.table.currentIndex()
            lab = self.labs_tab.model.row_at(index.row()).lab if index.isValid() else None
            record, kind, items = lab, "labs", self.case.labs
        else:
            return None
        if record is None:
            return None
        position = next((i for i, item in enumerate(items) if item is record), None)
        return None if position is None else (kind, position)

    def _ensure_record_views(self) -> None:
        """The timeline, diary and labs views, built on the first patient shown (so the
        plotting library is not imported while the window starts)."""
        if self.diary_tab is not None:
            return
        from clinic_gui.ui.chart.diary_tab import DiaryTab
        from clinic_gui.ui.chart.labs_tab import LabsTab
        from clinic_gui.ui.chart.timeline_plot import TimelinePlot

        self.timeline_plot = TimelinePlot()
        self.timeline_plot.setAccessibleName("Timeline of doses, levels and symptoms")
        self.set_timeline(self.timeline_plot)
        self.diary_tab = DiaryTab()
        self.add_tab(self.diary_tab, "&Diary")
        self.labs_tab = LabsTab()
        self.add_tab(self.labs_tab, "&Labs")
        if self._tab_session is not None:
            self.labs_tab.set_session(self._tab_session)
            self._ensure_changes_tab()
        self.tabs.currentChanged.connect(self._fill_current_tab)

    def clear(self) -> None:
        if self.diary_tab is not None:
            self.diary_tab.show_case(None)
        if self.labs_tab is not None:
            self.labs_tab.show_case(None)
        if self.changes_tab is not None:
            self.changes_tab.show_case(None)
        if self.timeline_plot is not None:
            self.timeline_plot.show_nothing()
        self.case = None
        self.assessment = None
        self.name_label.setText("No patient selected")
        for label in (
            self.details_label,
            self.regimen_label,
            self.next_due_label,
            self.notes_label,
        ):
            label.clear()
            label.setVisible(False)
        self.details_label.setText(EMPTY_HINT)
        self.details_label.setVisible(True)
        self.wearing_off_badge.setVisible(False)
        self.tdm_badge.setVisible(False)
        self.history_model.clear()
        self.panel.clear()

    def show_case(self, case: r.Case, today: dt.date | None = None) -> Assessment:
        """Assess ``case`` as of ``today`` (default: the view's) and show everything."""
        if today is not None:
            self.today = today
        assessment = assess(case, self.today)
        self.case = case
        self.assessment = assessment
        self._fill_header(assessment)
        # The proxy keeps its sort.
        self.history_model.set_case(case, as_of=self.today, wearing_off=assessment.wearing_off)
        self.panel.show_assessment(assessment)
        self._ensure_record_views()
        assert self.timeline_plot is not None
        self.timeline_plot.show_case(case, self.today, wearing_off=assessment.wearing_off)
        self._show_sign_off()
        self._stale_tabs = {self.diary_tab, self.labs_tab}
        if self.changes_tab is not None:
            self._stale_tabs.add(self.changes_tab)
        self._fill_current_tab()
        return assessment

    def _fill_current_tab(self, *_: object) -> None:
        """The diary, labs and changes tabs are filled when first looked at for this patient
        (so opening a chart reads no more than it shows)."""
        current = self.tabs.currentWidget()
        if self.case is None or current not in self._stale_tabs:
            return
        self._stale_tabs.discard(current)
        current.show_case(self.case, self.today)  # type: ignore[attr-defined]

    # -- filling -----------------------------------------------------------------------------
    def _fill_header(self, a: Assessment) -> None:
        p = a.case.patient
        vocab = vocabulary()
        self.name_label.setText(p.name)
        parts = [
            f"MRN {p.mrn}",
            f"{a.age_years} years",
            p.sex,
            vocab.indications.get(p.indication, p.indication),
        ]
        if p.nyha_class:
            parts.append(f"heart failure NYHA class {NYHA[p.nyha_class - 1]}")
        if a.weight is not None:
            parts.append(f"{fmt_quantity(a.weight.kg, 'kg')} on {a.weight.date.isoformat()}")
        else:
            parts.append("no weight recorded")
        self.details_label.setText("  ·  ".join(parts))

        regimen = a.regimen
        if regimen is None:
            text = "Regimen: none recorded"
        else:
            text = (
                f"Regimen: {regimen.product} {fmt_quantity(regimen.dose_mg_per_kg, 'mg/kg')} "
                f"every {fmt_number(regimen.interval_weeks)} weeks "
                f"(since {regimen.start_date.isoformat()})"
            )
            current = a.current_option
            if current is not None and current.dose_mg is not None:
                text += f": {fmt_quantity(current.dose_mg, 'mg')}, {current.vials} vials"
        self.regimen_label.setText(text)

        due = a.next_due
        if due is None:
            self.next_due_label.setText("Next due: unknown")
            set_style_sheet(self.next_due_label, "")
            self.next_due_label.setProperty("overdue", False)
        elif due < self.today:
            days = (self.today - due).days
            self.next_due_label.setText(
                f"Next due: {due.isoformat()} — overdue by {days} day{'s' if days != 1 else ''}"
            )
            set_style_sheet(self.next_due_label, warning_css() + " font-weight: 600;")
            self.next_due_label.setProperty("overdue", True)
        else:
            last = a.last_infusion
            since = f" (last infusion {last.date.isoformat()})" if last else ""
            self.next_due_label.setText(f"Next due: {due.isoformat()}{since}")
            set_style_sheet(self.next_due_label, "")
            self.next_due_label.setProperty("overdue", False)
        for label in (self.details_label, self.regimen_label, self.next_due_label):
            label.setVisible(True)

        notes = " ".join((p.notes or "").split())  # one line; the tooltip has it in full
        self.notes_label.setText(f"Notes: {notes}" if notes else "")
        self.notes_label.setVisible(bool(notes))

        self.wearing_off_badge.setVisible(a.wearing_off.flagged)
        self.wearing_off_badge.setToolTip(plain_tooltip(a.wearing_off.message))
        row = a.tdm.row
        flagged_row = row["id"] != "no_tdm"
        self.tdm_badge.setVisible(flagged_row)
        self.tdm_badge.setText(f"TDM: {row['situation']}")
        self.tdm_badge.setToolTip(plain_tooltip(a.tdm.why))  # may quote a typed assay
