"""The treatment timeline: doses, drug levels, antibodies, the diary and wearing-off windows.

Two plots share one date axis (x = seconds since 1970-01-01 00:00 UTC; dates are drawn at
UTC midnight and the axis shows UTC, so a date never slides a day in another time zone):

* **Upper plot — treatment.** Infusions as bars in mg/kg (left axis); infliximab levels in
  mcg/mL (right axis) with the indication's trough target as a dashed line; results below
  quantification as open downward triangles; antibody results as "x" marks along the top.
* **Lower plot — symptoms.** The diary score on its own fixed 0–10 axis, with every
  cycle's late window shaded (stronger for cycles the wearing-off rule found positive).

Regimen changes are dashed vertical lines through both plots, labelled in the upper one.

What to draw is worked out by :func:`timeline_series`, a pure function over the record
and the domain rules (wearing-off cycles, ``target_for``, vocabulary unit conversions);
the widget only draws it. This module is the only place, with the diary tab's small plot,
that imports pyqtgraph.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import operator
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QFontMetrics, QPainter, QPen, QPolygonF
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain import records as r
from clinic_gui.domain.decision import target_for
from clinic_gui.domain.formatting import display_unit, fmt_number, fmt_quantity
from clinic_gui.domain.history import latest_weight, regimen_in_effect
from clinic_gui.domain.scores import basdai
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.domain.wearing_off import (
    CycleEvidence,
    WearingOffResult,
    assess_wearing_off,
    load_settings,
)
from clinic_gui.ui.chart.labs_tab import level_versus_target
from clinic_gui.ui.text import plain_tooltip

LEVEL_TEST = "infliximab"
ANTIBODY_TEST = "anti_infliximab_antibody"
POSITIVE_ANTIBODIES = ("low", "high")  # the recorded interpretations that mean "antibodies"
DIARY_SCALE = (0.0, 10.0)

_DAY = 86_400.0
_EPOCH_DAY = dt.date(1970, 1, 1).toordinal()
_BAR_DAYS = 5  # drawn width of an infusion bar
_DEFAULT_DAYS = 365  # "Last 12 months"
_MARGIN_DAYS = 14  # room at either end of the view


# ---------------------------------------------------------------------------------------------
# What to draw (pure)


@dataclass(frozen=True, slots=True)
class InfusionBar:
    date: dt.date
    product: str
    dose_mg: float
    weight_kg: float | None  # the weight at the infusion, else the latest before it
    mg_per_kg: float | None  # None: no weight on record, no bar
    delayed: bool  # it closes a cycle the wearing-off rule found delayed
    tooltip: str


@dataclass(frozen=True, slots=True)
class LevelPoint:
    sampled_at: dt.date | dt.datetime
    value_mcg_ml: float
    comparator: str | None
    below_quantification: bool  # "<" result: drawn as an open downward triangle
    trough: bool  # False for a level marked non_trough
    versus_target: str | None  # "below" | "at_or_above" | "not_comparable" | None (no target)
    tooltip: str

    @property
    def date(self) -> dt.date:
        return (
            self.sampled_at.date() if isinstance(self.sampled_at, dt.datetime) else self.sampled_at
        )


@dataclass(frozen=True, slots=True)
class AntibodyMark:
    sampled_at: dt.date | dt.datetime
    interpretation: str | None
    positive: bool  # the recorded interpretation is low or high titer
    tooltip: str


@dataclass(frozen=True, slots=True)
class ScorePoint:
    date: dt.date
    value: float  # 0-10
    kind: str  # "symptom score" | "BASDAI"
    shown: str  # the value as shown

    @property
    def tooltip(self) -> str:
        # Worked out when hovered: a long diary has thousands of points.
        return f"{self.date.isoformat()}: {self.kind} {self.shown}"


@dataclass(frozen=True, slots=True)
class LateWindow:
    """A cycle's late window: ``first_day`` to ``last_day`` inclusive (the day before ``end``)."""

    cycle_start: dt.date
    cycle_end: dt.date
    first_day: dt.date
    last_day: dt.date
    positive: bool
    evaluable: bool
    delayed: bool
    cycle: CycleEvidence

    @property
    def tooltip(self) -> str:
        return self.cycle.summary()  # worked out when hovered, not for every cycle


@dataclass(frozen=True, slots=True)
class RegimenMark:
    date: dt.date
    label: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class TargetLine:
    mcg_per_ml: float
    extrapolated: bool
    label: str
    note: str


@dataclass(frozen=True, slots=True)
class TimelineSeries:
    """Everything the timeline draws for one case on ``today`` (records after it are left out)."""

    today: dt.date
    indication: str
    infusions: list[InfusionBar]
    levels: list[LevelPoint]  # infliximab levels, troughs and non-troughs
    antibodies: list[AntibodyMark]
    diary: list[ScorePoint]
    late_windows: list[LateWindow]
    regimens: list[RegimenMark]
    target: TargetLine | None
    notes: list[str]  # what could not be drawn, and why

    @property
    def troughs(self) -> list[LevelPoint]:
        return [p for p in self.levels if p.trough]

    @property
    def delayed(self) -> list[InfusionBar]:
        return [b for b in self.infusions if b.delayed]

    def dates(self) -> list[dt.date]:
        """Every date something is drawn at (for "Show all")."""
        return [
            *(b.date for b in self.infusions),
            *(p.date for p in self.levels),
            *(_as_date(a.sampled_at) for a in self.antibodies),
            *(s.date for s in self.diary),
            *(m.date for m in self.regimens),
        ]

    def summary(self) -> str:
        """One plain sentence of what is drawn (the plot's accessible description)."""
        parts = [f"{len(self.infusions)} infusions ({len(self.delayed)} delayed)"]
        parts.append(f"{len(self.troughs)} trough levels")
        if self.target is not None:
            parts.append(self.target.label)
        parts.append(f"{len(self.antibodies)} antibody results")
        parts.append(f"{len(self.diary)} scored diary entries")
        positive = sum(w.positive for w in self.late_windows)
        parts.append(f"{len(self.late_windows)} late windows ({positive} positive)")
        parts.append(f"{len(self.regimens)} regimens")
        return "Timeline to " + self.today.isoformat() + ": " + ", ".join(parts) + "."


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


def regimen_text(regimen: r.Regimen) -> str:
    """E.g. ``"Renflexis 5 mg/kg every 6 weeks"``."""
    return (
        f"{regimen.product} {fmt_quantity(regimen.dose_mg_per_kg, 'mg/kg')} every "
        f"{fmt_number(regimen.interval_weeks)} weeks"
    )


def _sampled_text(value: dt.date | dt.datetime) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def timeline_series(
    case: r.Case, today: dt.date, wearing_off: WearingOffResult | None = None
) -> TimelineSeries:
    """What the timeline draws for ``case`` as of ``today``: records up to ``today`` only.

    ``wearing_off``: the rule's result for ``case`` as of ``today`` with the shipped settings,
    when the caller has it already (the chart's assessment); otherwise it is worked out here.
    """
    vocab = vocabulary()
    settings = load_settings()
    if wearing_off is None or wearing_off.as_of != today:
        wearing_off = assess_wearing_off(case, today, settings)
    indication = case.patient.indication
    notes: list[str] = []

    # Regimens and the target of the regimen in effect (else the first one recorded).
    regimens = sorted(
        (g for g in case.regimens if g.start_date <= today), key=lambda g: g.start_date
    )
    marks = []
    for g in regimens:
        tip = f"From {g.start_date.isoformat()}: {regimen_text(g)}"
        if g.reason:
            tip += f"\nReason: {g.reason}"
        if g.ordered_by:
            tip += f"\nOrdered by {g.ordered_by}"
        marks.append(RegimenMark(g.start_date, regimen_text(g), tip))
    current = regimen_in_effect(case, today) or (regimens[0] if regimens else None)
    target_line: TargetLine | None = None
    target = None
    try:
        target = target_for(indication, current.product if current else None)
    except KeyError:
        notes.append(f"No trough target is defined for {indication!r}.")
    if target is not None and target.mcg_per_ml is not None:
        label = f"target {fmt_quantity(target.mcg_per_ml, 'mcg/mL')}"
        if target.extrapolated:
            label += " (extrapolated)"
        target_line = TargetLine(target.mcg_per_ml, target.extrapolated, label, target.note)
    elif target is not None:
        notes.append(target.note + ".")

    # Infusions, with the cycles the wearing-off rule found delayed.
    delayed = {c.end: c for c in wearing_off.cycles if c.delayed}
    bars = []
    for inf in sorted((i for i in case.infusions if i.date <= today), key=lambda i: i.date):
        weight = inf.weight_kg
        if weight is None:
            latest = latest_weight(case, inf.date)
            weight = latest.kg if latest else None
        per_kg = inf.dose_mg / weight if weight else None
        tip = f"Infusion {inf.date.isoformat()}: {inf.product} {fmt_quantity(inf.dose_mg, 'mg')}"
        if per_kg is not None and weight is not None:
            tip += f" = {fmt_quantity(per_kg, 'mg/kg', 2)} at {fmt_quantity(weight, 'kg')}"
        else:
            tip += " (no weight on record: mg/kg unknown)"
            notes.append(f"Infusion of {inf.date.isoformat()}: no weight on record, not drawn.")
        cycle = delayed.get(inf.date)
        if cycle is not None:
            tip += (
                f"\nDelayed: {cycle.length_days} days after the previous infusion"
                f" (planned {fmt_number(cycle.planned_days or 0)}); that cycle is not"
                " evaluated for wearing-off"
            )
        bars.append(
            InfusionBar(inf.date, inf.product, inf.dose_mg, weight, per_kg, cycle is not None, tip)
        )

    # Infliximab levels in mcg/mL, and antibody results.
    levels = []
    antibodies = []
    level_test = vocab.lab_tests[LEVEL_TEST]
    antibody_label = vocab.lab_tests[ANTIBODY_TEST].label
    for lab in sorted((x for x in case.labs if x.sample_date <= today), key=lambda x: x.sort_key):
        entered = f"{lab.comparator or ''}{fmt_quantity(lab.value, lab.unit)}"
        when = _sampled_text(lab.sampled_at)
        if lab.test == LEVEL_TEST:
            value = level_test.to_canonical(lab.value, lab.unit)
            if value is None:
                notes.append(f"Infliximab level of {when}: unit {lab.unit!r} not converted.")
                continue
            trough = lab.timing != "non_trough"
            versus = None
            if trough and target_line is not None:
                versus = level_versus_target(value, lab.comparator, target_line.mcg_per_ml)
            shown = f"{lab.comparator or ''}{fmt_quantity(value, 'mcg/mL')}"
            tip = f"Infliximab {'trough' if trough else 'level (not a trough)'} {when}: {shown}"
            if display_unit(lab.unit) != "mcg/mL":
                tip += f" (entered as {entered})"
            if lab.lloq is not None:
                tip += f"\nLLOQ {fmt_quantity(lab.lloq, lab.unit)}"
            if lab.assay:
                tip += f"\nAssay: {lab.assay}"
            if versus == "below" and target_line is not None:
                tip += f"\nBelow the {target_line.label}"
            elif versus == "at_or_above" and target_line is not None:
                tip += f"\nAt or above the {target_line.label}"
            elif versus == "not_comparable" and target_line is not None:
                tip += f"\nCannot be compared with the {target_line.label}"
            levels.append(
                LevelPoint(
                    lab.sampled_at,
                    value,
                    lab.comparator,
                    lab.comparator == "<",
                    trough,
                    versus,
                    tip,
                )
            )
        elif lab.test == ANTIBODY_TEST:
            tip = f"{antibody_label} {when}: {entered}"
            tip += f"\nInterpretation: {lab.interpretation or 'not recorded'}"
            if lab.assay:
                tip += f"\nAssay: {lab.assay}"
            antibodies.append(
                AntibodyMark(
                    lab.sampled_at,
                    lab.interpretation,
                    lab.interpretation in POSITIVE_ANTIBODIES,
                    tip,
                )
            )

    # The diary score of the wearing-off rule: the symptom score, else a complete BASDAI.
    diary = []
    for entry in sorted((d for d in case.diary if d.date <= today), key=_by_date):
        point = _diary_point(entry)
        if point is not None:
            diary.append(point)

    # Late windows of every cycle (never before day 1 of the cycle).
    windows = []
    for c in wearing_off.cycles:
        first = max(
            c.start + dt.timedelta(days=1), c.end - dt.timedelta(days=settings.late_window_days)
        )
        last = c.end - dt.timedelta(days=1)
        if last < first:
            continue
        windows.append(
            LateWindow(c.start, c.end, first, last, c.positive, c.evaluable, c.delayed, c)
        )

    return TimelineSeries(
        today=today,
        indication=indication,
        infusions=bars,
        levels=levels,
        antibodies=antibodies,
        diary=diary,
        late_windows=windows,
        regimens=marks,
        target=target_line,
        notes=notes,
    )


_by_date = operator.attrgetter("date")
# A diary score is one of a few values: each is formatted once (a long diary has thousands).
_score_text = functools.cache(fmt_number)


def _diary_point(entry: r.DiaryEntry) -> ScorePoint | None:
    if entry.symptom_score is not None:
        value = float(entry.symptom_score)
        return ScorePoint(entry.date, value, "symptom score", _score_text(value))
    b = entry.basdai
    items = () if b is None else (b.q1, b.q2, b.q3, b.q4, b.q5, b.q6)
    if b is None or any(q is None for q in items):
        return None
    try:
        result = basdai(*(float(q) for q in items if q is not None))
    except ValueError:
        return None
    return ScorePoint(entry.date, result.value, "BASDAI", result.display_value)


def epoch_seconds(value: dt.date | dt.datetime) -> float:
    """Where a date (its UTC midnight) or a wall-clock time sits on the date axis."""
    if isinstance(value, dt.datetime):
        moment = value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value
        return moment.timestamp()
    return (value.toordinal() - _EPOCH_DAY) * _DAY  # whole days: exact, and quicker


def date_axis() -> pg.DateAxisItem:
    """A bottom date axis that shows UTC, matching :func:`epoch_seconds`."""
    return pg.DateAxisItem(orientation="bottom", utcOffset=0)


# ---------------------------------------------------------------------------------------------
# Drawing

# Okabe-Ito based, readable for the common colour-vision deficiencies.
BAR_BRUSH = QColor(143, 170, 200)
BAR_PEN = QColor(60, 90, 125)
DELAYED_BRUSH = QColor(230, 159, 0)
DELAYED_PEN = QColor(150, 95, 0)
LEVEL_COLOR = QColor(0, 114, 178)
TARGET_COLOR = QColor(0, 120, 90)
ANTIBODY_POSITIVE = QColor(200, 0, 0)
ANTIBODY_NEGATIVE = QColor(110, 110, 110)
DIARY_COLOR = QColor(110, 50, 150)
WINDOW_BRUSH = QColor(120, 120, 120, 40)
POSITIVE_WINDOW_BRUSH = QColor(213, 94, 0, 85)
REGIMEN_COLOR = QColor(70, 70, 70)
_DIARY_PEN = pg.mkPen(DIARY_COLOR, width=1.5)
_DIARY_DOT = 4  # diameter of a diary entry's dot, in pixels


class _OverlayViewBox(pg.ViewBox):
    """A view box drawn over another (the level axis) that leaves the mouse to the one below."""

    def mouseDragEvent(self, ev: Any, axis: int | None = None) -> None:
        ev.ignore()

    def wheelEvent(self, ev: Any, axis: int | None = None) -> None:
        ev.ignore()

    def mouseClickEvent(self, ev: Any) -> None:
        ev.ignore()


class _Dots(pg.GraphicsObject):
    """Filled round dots of one colour and size (in pixels), at points in date order.

    What a ``ScatterPlotItem`` draws for a plain round symbol without an outline, made for
    thousands of points: the scatter item looks up its symbol picture point by point each
    time its data is set, which took longer than the rest of the timeline for a ten-year
    diary. A dot is a point drawn with a round pen as wide as the dot; only the dates in
    view are drawn (the view clips the others away in any case)."""

    def __init__(self, color: QColor, diameter: float) -> None:
        super().__init__()
        self._pen = QPen(color, diameter)
        self._pen.setCosmetic(True)  # pixels, whatever the zoom
        self._pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        self._x: list[float] = []
        self._points = QPolygonF()
        self._extent = QRectF()  # of the points (asked for at each paint: kept)

    def setData(self, x: list[float], y: list[float]) -> None:
        """Dots at (x, y), ``x`` in ascending order."""
        self.prepareGeometryChange()
        self._x = list(x)
        # Filled through a view on the polygon's memory: quicker than a QPointF per point.
        self._points = pg.functions.create_qpolygonf(len(x))
        coords = pg.functions.ndarray_from_qpolygonf(self._points)
        coords[:, 0] = x
        coords[:, 1] = y
        self._extent = self._points.boundingRect()
        self.update()

    def _half_dot(self) -> tuple[float, float]:
        """Half a dot's width and height in data units (they change with the zoom)."""
        half = self._pen.widthF() / 2
        return half * (self.pixelWidth() or 0.0), half * (self.pixelHeight() or 0.0)

    def boundingRect(self) -> QRectF:
        # The points' extent, grown by half a dot: the dots reach that far on screen.
        pad_x, pad_y = self._half_dot()
        return self._extent.adjusted(-pad_x, -pad_y, pad_x, pad_y)

    def viewTransformChanged(self) -> None:
        self.prepareGeometryChange()  # see ``boundingRect``
        super().viewTransformChanged()

    def paint(self, painter: QPainter, *args: Any) -> None:
        view = self.viewRect()
        if view is None or not self._x:
            return
        pad_x, _ = self._half_dot()
        first = bisect.bisect_left(self._x, view.left() - pad_x)
        last = bisect.bisect_right(self._x, view.right() + pad_x)
        if first < last:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing)
            painter.setPen(self._pen)
            painter.drawPoints(self._points.mid(first, last - first))


class TimelinePlot(QWidget):
    """The timeline of one case. ``show_case(case, today)``; then zoom and pan with the mouse
    (dates only: each value axis keeps its fixed scale), ``show_last_12_months()`` (the default
    view) or ``show_all()``. Hover over a bar, point, mark, line or shaded window for details.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.series: TimelineSeries | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        bar = QHBoxLayout()
        self.title = QLabel("Timeline")
        self.title.setTextFormat(Qt.TextFormat.PlainText)
        self.title.setAccessibleName("Timeline title")
        bar.addWidget(self.title)
        bar.addStretch(1)
        self.last_12_button = QPushButton("Last 12 months")
        self.last_12_button.setAccessibleName("Show the last 12 months")
        self.last_12_button.setToolTip("Show the 12 months up to today")
        self.last_12_button.clicked.connect(self.show_last_12_months)
        self.all_button = QPushButton("Show all")
        self.all_button.setAccessibleName("Show the whole record")
        self.all_button.setToolTip("Show everything on record up to today")
        self.all_button.clicked.connect(self.show_all)
        bar.addWidget(self.last_12_button)
        bar.addWidget(self.all_button)
        layout.addLayout(bar)

        self.graphics = pg.GraphicsLayoutWidget()
        self.graphics.setBackground("w")
        self.graphics.setAccessibleName("Treatment timeline plot")
        self.graphics.setMouseTracking(True)
        # The splitter decides the width; the plot redraws to fit rather than being clipped
        # (clipping would hide the most recent dates, on the right).
        self.graphics.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.graphics.setMinimumWidth(0)
        layout.addWidget(self.graphics, 1)

        self.notes = QLabel()
        self.notes.setTextFormat(Qt.TextFormat.PlainText)  # may quote a typed unit
        self.notes.setWordWrap(True)
        self.notes.setAccessibleName("Timeline notes")
        self.notes.setVisible(False)
        layout.addWidget(self.notes)

        font = self.font()
        metrics = QFontMetrics(font)
        self._hover_px = metrics.height()
        text_pt = f"{font.pointSizeF():g}pt" if font.pointSizeF() > 0 else "9pt"
        self.legend = pg.LegendItem(
            colCount=2, labelTextSize=text_pt, labelTextColor="k", verSpacing=-6, horSpacing=4
        )
        self.graphics.addItem(self.legend, row=0, col=0)

        self.dose_plot: pg.PlotItem = self.graphics.addPlot(
            row=1, col=0, axisItems={"bottom": date_axis()}
        )
        self.diary_plot: pg.PlotItem = self.graphics.addPlot(
            row=2, col=0, axisItems={"bottom": date_axis()}
        )
        grid = self.graphics.ci.layout
        grid.setRowStretchFactor(1, 3)
        grid.setRowStretchFactor(2, 2)

        # The level axis: a second view box over the dose plot, sharing its dates.
        self.level_view = _OverlayViewBox()
        self.level_view.setMouseEnabled(x=False, y=False)
        self.level_view.setMenuEnabled(False)
        self.level_view.setZValue(10)  # above the dose bars (a ViewBox sits at -100 by default)
        self.dose_plot.scene().addItem(self.level_view)
        self.dose_plot.showAxis("right")
        self.dose_plot.getAxis("right").linkToView(self.level_view)
        self.level_view.setXLink(self.dose_plot)
        self.dose_plot.vb.sigResized.connect(self._sync_level_view)

        for plot in (self.dose_plot, self.diary_plot):
            plot.setMouseEnabled(x=True, y=False)
            plot.setMenuEnabled(False)
            plot.hideButtons()
            plot.showGrid(x=True, y=False, alpha=0.15)
            plot.showAxis("right")
            for name in ("left", "right", "bottom"):
                axis = plot.getAxis(name)
                axis.setPen(pg.mkPen(80, 80, 80))
                axis.setTextPen(pg.mkPen(30, 30, 30))
        self.diary_plot.setXLink(self.dose_plot)
        self.dose_plot.getAxis("bottom").setStyle(showValues=False)
        self.diary_plot.getAxis("right").setStyle(showValues=False)
        self.diary_plot.getAxis("left").setTicks([[(v, fmt_number(v)) for v in (0, 5, 10)]])
        axis_width = metrics.horizontalAdvance("000.0") + 2 * metrics.height()
        for plot in (self.dose_plot, self.diary_plot):
            plot.getAxis("left").setWidth(axis_width)
            plot.getAxis("right").setWidth(axis_width)
        self.dose_plot.setLabel("left", "Dose (mg/kg)")
        self.dose_plot.setLabel("right", "Infliximab (mcg/mL)")
        self.diary_plot.setLabel("left", "Diary (0–10)")

        self._regimen_labels: list[tuple[float, pg.TextItem]] = []
        self._drawn: set[str] = set()  # the keys of ``_items`` drawn for the patient shown
        # What is drawn, kept from one patient to the next (see ``_draw``).
        self._items: dict[str, Any] = {}
        self._legend_proxies: dict[bool, pg.BarGraphItem] = {}
        self._legend_entries: list[tuple[Any, str]] = []
        self._regimen_pool: list[tuple[tuple[pg.InfiniteLine, pg.InfiniteLine], pg.TextItem]] = []
        self._regimen_pen = pg.mkPen(REGIMEN_COLOR, width=1, style=Qt.PenStyle.DashLine)
        self._regimen_sample = pg.PlotDataItem(pen=self._regimen_pen)
        # The legend's picture of the diary (line and dot); the plot draws them as two items.
        # It lies in no plot: its one point only hands the dot's style on to the legend.
        self._diary_sample = pg.PlotDataItem(
            x=[0.0], y=[0.0], pen=_DIARY_PEN, symbol="o", symbolSize=_DIARY_DOT, symbolPen=None,
            symbolBrush=DIARY_COLOR,
        )  # fmt: skip
        self._dose_top = 1.0
        self.dose_plot.vb.sigXRangeChanged.connect(self._place_regimen_labels)
        self.graphics.scene().sigMouseMoved.connect(self._hover)
        self._tooltip = ""
        self.show_nothing()

    # -- public API ---------------------------------------------------------------------------

    def show_nothing(self) -> None:
        self.series = None
        self._clear()
        self._set_legend([])
        self.title.setText("Timeline: no patient selected")
        self.notes.setVisible(False)
        self.last_12_button.setEnabled(False)
        self.all_button.setEnabled(False)

    def show_case(
        self,
        case: r.Case,
        today: dt.date | None = None,
        *,
        wearing_off: WearingOffResult | None = None,
    ) -> None:
        """Draw ``case`` as of ``today``; ``wearing_off``: the rule's result for it as of
        ``today``, when already worked out (see :func:`timeline_series`)."""
        today = today or dt.date.today()
        series = timeline_series(case, today, wearing_off)
        self.series = series
        self._draw(series)
        self.title.setText(f"Timeline to {today.isoformat()}")
        self.graphics.setAccessibleDescription(series.summary())
        self.notes.setText("\n".join(series.notes))
        self.notes.setVisible(bool(series.notes))
        self.last_12_button.setEnabled(True)
        self.all_button.setEnabled(True)
        self.show_last_12_months()

    def show_last_12_months(self) -> None:
        if self.series is None:
            return
        end = self.series.today + dt.timedelta(days=_MARGIN_DAYS)
        start = self.series.today - dt.timedelta(days=_DEFAULT_DAYS)
        self.dose_plot.setXRange(epoch_seconds(start), epoch_seconds(end), padding=0)

    def show_all(self) -> None:
        if self.series is None:
            return
        dates = [*self.series.dates(), self.series.today]
        margin = dt.timedelta(days=_MARGIN_DAYS)
        self.dose_plot.setXRange(
            epoch_seconds(min(dates) - margin), epoch_seconds(max(dates) + margin), padding=0
        )

    def x_range_dates(self) -> tuple[dt.date, dt.date]:
        """The dates at the left and right edges of the view."""
        low, high = self.dose_plot.vb.viewRange()[0]
        to_date = lambda s: dt.datetime.fromtimestamp(s, dt.UTC).date()  # noqa: E731
        return to_date(low), to_date(high)

    def describe_at(self, scene_pos: QPointF) -> str:
        """The details of whatever is drawn under ``scene_pos`` (the hover tooltip text)."""
        s = self.series
        if s is None:
            return ""
        found: list[tuple[float, str]] = []
        near = self._hover_px
        dose_vb, level_vb, diary_vb = self.dose_plot.vb, self.level_view, self.diary_plot.vb

        def distance(vb: pg.ViewBox, x: float, y: float) -> float:
            p = vb.mapViewToScene(QPointF(x, y))
            return float(((p.x() - scene_pos.x()) ** 2 + (p.y() - scene_pos.y()) ** 2) ** 0.5)

        if dose_vb.sceneBoundingRect().contains(scene_pos):
            for level in s.levels:
                d = distance(level_vb, epoch_seconds(level.sampled_at), level.value_mcg_ml)
                if d <= near:
                    found.append((d, level.tooltip))
            top = self._antibody_y()
            for mark in s.antibodies:
                d = distance(level_vb, epoch_seconds(mark.sampled_at), top)
                if d <= near:
                    found.append((d, mark.tooltip))
            at = dose_vb.mapSceneToView(scene_pos)
            half_bar = _BAR_DAYS * _DAY / 2
            for b in s.infusions:
                x = epoch_seconds(b.date)
                if b.mg_per_kg is not None and 0 <= at.y() <= b.mg_per_kg:
                    d = abs(distance(dose_vb, x, at.y()))
                    if abs(at.x() - x) <= half_bar or d <= near / 2:
                        found.append((near + d, b.tooltip))
            if s.target is not None:
                d = distance(level_vb, at.x(), s.target.mcg_per_ml)
                if d <= near / 2:
                    found.append((near + d, f"{s.target.label}\n{s.target.note}"))
        if diary_vb.sceneBoundingRect().contains(scene_pos):
            for point in s.diary:
                d = distance(diary_vb, epoch_seconds(point.date), point.value)
                if d <= near:
                    found.append((d, point.tooltip))
            at = diary_vb.mapSceneToView(scene_pos)
            for w in s.late_windows:
                start = epoch_seconds(w.first_day)
                end = epoch_seconds(w.last_day + dt.timedelta(days=1))
                if start <= at.x() <= end:
                    kind = "Late window, positive cycle" if w.positive else "Late window"
                    found.append((3 * near, f"{kind}: {w.tooltip}"))
        for vb in (dose_vb, diary_vb):
            if vb.sceneBoundingRect().contains(scene_pos):
                for m in s.regimens:
                    x = vb.mapViewToScene(QPointF(epoch_seconds(m.date), 0)).x()
                    if abs(x - scene_pos.x()) <= near / 3:
                        found.append((2 * near, m.tooltip))
        found.sort(key=lambda item: item[0])
        texts = list(dict.fromkeys(text for _, text in found))
        return "\n\n".join(texts[:4])

    # -- drawing ------------------------------------------------------------------------------

    def _clear(self) -> None:
        """Hide everything drawn (the items are kept and refilled by the next ``_draw``)."""
        self._hide_all_but(set(), regimens=0)
        self._regimen_labels = []
        self.dose_plot.setYRange(0, 1, padding=0)
        self.level_view.setYRange(0, 1, padding=0)
        self.diary_plot.setYRange(*DIARY_SCALE, padding=0.04)

    def _item(self, key: str, make: Any, view: Any, z: float) -> Any:
        """The item drawn for ``key``, made by ``make()`` and added to ``view`` the first time
        (at depth ``z``, the order the kinds are drawn in, so that which patient came first
        does not change what is drawn on top); shown again."""
        item = self._items.get(key)
        if item is None:
            item = make()
            # A view box lifts an item below its own depth to just above it (the level view
            # lies at 10): stay above that, in drawing order.
            item.setZValue(
                z if view is not self.level_view else self.level_view.zValue() + 1 + z / 10
            )
            view.addItem(item)
            self._items[key] = item
        item.setVisible(True)
        self._drawn.add(key)
        return item

    @staticmethod
    def _diary_line() -> pg.PlotDataItem:
        line = pg.PlotDataItem(pen=_DIARY_PEN)
        # Only the entries in view (and the one beyond each edge, so the line still runs out
        # of the view): a ten-year diary has thousands, the default view a year of them.
        line.setClipToView(True)
        return line

    def _hide_all_but(self, keys: set[str], *, regimens: int) -> None:
        """Hide the items not drawn for the patient shown: all but ``keys`` and the first
        ``regimens`` regimen lines and labels (hiding and showing again costs time)."""
        for key, item in self._items.items():
            if key not in keys:
                item.setVisible(False)
        for line_pair, label in self._regimen_pool[regimens:]:
            for line in line_pair:
                line.setVisible(False)
            label.setVisible(False)

    def _set_legend(self, entries: list[tuple[Any, str]]) -> None:
        """Fill the legend with ``entries`` (item, name), unless it shows just those already."""
        if entries == self._legend_entries:
            return
        self.legend.clear()
        for item, name in entries:
            self.legend.addItem(item, name)
        self._legend_entries = entries

    def _place_regimen_labels(self) -> None:
        left, right = self.dose_plot.vb.viewRange()[0]
        passed = [x for x, _ in self._regimen_labels if x < left]
        sticky = max(passed) if passed else None
        for x, label in self._regimen_labels:
            label.setVisible(x >= left or x == sticky)
            label.setPos(max(x, left), self._dose_top)
            # In the right part of the view the label reads leftwards from its line.
            label.setAnchor((1, 0) if x > left + 0.6 * (right - left) else (0, 0))

    def _sync_level_view(self) -> None:
        self.level_view.setGeometry(self.dose_plot.vb.sceneBoundingRect())
        self.level_view.linkedViewChanged(self.dose_plot.vb, self.level_view.XAxis)

    def _level_top(self) -> float:
        s = self.series
        values = [p.value_mcg_ml for p in s.levels] if s else []
        if s is not None and s.target is not None:
            values.append(s.target.mcg_per_ml)
        return max([*values, 1.0]) * 1.45  # the highest value at 69 %, clear of the marks above

    def _antibody_y(self) -> float:
        return self._level_top() * 0.8  # below the regimen labels that hang from the top

    def _draw(self, s: TimelineSeries) -> None:
        """Fill the plots with ``s``. Each kind of mark is one item, made for the first patient
        that has it and refilled (``setData``/``setOpts``) for the next: rebuilding the items
        and the legend for each patient took most of the time of opening a chart; the items
        the previous patient had and this one has not are hidden at the end."""
        self._drawn = set()
        self._regimen_labels = []
        legend: list[tuple[Any, str]] = []
        # Late windows (lower plot), behind everything.
        for positive in (False, True):
            windows = [w for w in s.late_windows if w.positive == positive]
            brush = POSITIVE_WINDOW_BRUSH if positive else WINDOW_BRUSH
            if windows:
                # One item for all the windows of a kind (a region item each is slow to build
                # for a ten-year history): bars spanning the diary's whole 0-10 scale.
                shading = self._item(
                    f"windows {positive}",
                    lambda brush=brush: pg.BarGraphItem(
                        x0=[0], x1=[1], y0=[0], y1=[1], brush=pg.mkBrush(brush), pen=pg.mkPen(None)
                    ),
                    self.diary_plot,
                    -20 + 0.5 * positive,
                )
                shading.setOpts(
                    x0=[epoch_seconds(w.first_day) for w in windows],
                    x1=[epoch_seconds(w.last_day + dt.timedelta(days=1)) for w in windows],
                    y0=[DIARY_SCALE[0]] * len(windows),
                    y1=[DIARY_SCALE[1]] * len(windows),
                )
                proxy = self._legend_proxies.get(positive)
                if proxy is None:
                    proxy = pg.BarGraphItem(x=[0], height=[1], width=1, brush=brush, pen=None)
                    self._legend_proxies[positive] = proxy
                name = "Positive late window" if positive else "Late window"
                legend.append((proxy, name))

        # Infusion bars (upper plot, left axis).
        drawn = [b for b in s.infusions if b.mg_per_kg is not None]
        # Bars fill the lower ~40 % so levels and the target line stand clear above them.
        dose_top = max([b.mg_per_kg or 0 for b in drawn] + [1.0]) * 2.5
        for delayed in (False, True):
            kind = [b for b in drawn if b.delayed == delayed]
            if not kind:
                continue
            bars = self._item(
                f"bars {delayed}",
                lambda delayed=delayed: pg.BarGraphItem(
                    x=[0],
                    height=[1],
                    width=_BAR_DAYS * _DAY,
                    brush=DELAYED_BRUSH if delayed else BAR_BRUSH,
                    pen=pg.mkPen(DELAYED_PEN if delayed else BAR_PEN),
                ),
                self.dose_plot,
                1 + delayed,
            )
            bars.setOpts(
                x=[epoch_seconds(b.date) for b in kind], height=[b.mg_per_kg for b in kind]
            )
            legend.append((bars, "Delayed infusion" if delayed else "Infusion (mg/kg)"))
        self.dose_plot.setYRange(0, dose_top, padding=0)

        # Levels, target and antibodies (upper plot, right axis).
        level_top = self._level_top()
        self.level_view.setYRange(0, level_top, padding=0)
        if s.target is not None:
            target = s.target
            line = self._items.get("target")
            if line is not None and (line.value(), line.label.format) != (
                target.mcg_per_ml,
                target.label,
            ):
                self.level_view.removeItem(line)
                del self._items["target"]
            self._item(
                "target",
                lambda: pg.InfiniteLine(
                    pos=target.mcg_per_ml,
                    angle=0,
                    pen=pg.mkPen(TARGET_COLOR, width=2, style=Qt.PenStyle.DashLine),
                    label=target.label,
                    labelOpts={
                        "position": 0.005,
                        "color": TARGET_COLOR,
                        "anchors": [(0, 1.1), (0, 1.1)],
                        "fill": pg.mkBrush(255, 255, 255, 200),
                    },
                ),
                self.level_view,
                1,
            )
        groups = (
            ([p for p in s.levels if p.trough and not p.below_quantification], "o", True),
            ([p for p in s.levels if not p.trough and not p.below_quantification], "d", True),
            ([p for p in s.levels if p.below_quantification], "t", False),
        )
        names = {"o": "Infliximab trough", "d": "Level, not a trough", "t": "Below quantification"}
        for z, (group, symbol, filled) in enumerate(groups, start=2):
            if not group:
                continue
            # A white ring keeps a filled point readable where it sits on an infusion bar;
            # an open triangle is filled white for the same reason.
            style = {
                "symbol": symbol,
                "size": 13,
                "pen": pg.mkPen("w" if filled else LEVEL_COLOR, width=2 if filled else 2.5),
                "brush": pg.mkBrush(LEVEL_COLOR if filled else "w"),
            }
            scatter = self._item(
                f"levels {symbol}", lambda style=style: pg.ScatterPlotItem(**style),
                self.level_view, z,
            )  # fmt: skip
            scatter.setData(
                x=[epoch_seconds(p.sampled_at) for p in group],
                y=[p.value_mcg_ml for p in group],
                **style,
            )
            legend.append((scatter, names[symbol]))
        ab_y = self._antibody_y()
        for z, positive in enumerate((True, False), start=5):
            results = [a for a in s.antibodies if a.positive == positive]
            if not results:
                continue
            color = ANTIBODY_POSITIVE if positive else ANTIBODY_NEGATIVE
            style = {"symbol": "x", "size": 14, "pen": pg.mkPen(color), "brush": pg.mkBrush(color)}
            marks = self._item(
                f"antibodies {positive}", lambda style=style: pg.ScatterPlotItem(**style),
                self.level_view, z,
            )  # fmt: skip
            marks.setData(
                x=[epoch_seconds(a.sampled_at) for a in results], y=[ab_y] * len(results), **style
            )
            legend.append((marks, "Antibodies +" if positive else "Antibodies −"))

        # The diary score (lower plot): a line through the entries, a dot on each.
        if s.diary:
            curve = self._item("diary", self._diary_line, self.diary_plot, 1)
            dots = self._item(
                "diary dots", lambda: _Dots(DIARY_COLOR, _DIARY_DOT), self.diary_plot, 2
            )
            x = [epoch_seconds(p.date) for p in s.diary]
            y = [p.value for p in s.diary]
            curve.setData(x=x, y=y)
            dots.setData(x, y)
            kinds = sorted({p.kind for p in s.diary}, reverse=True)
            legend.append((self._diary_sample, "Diary score"))
            for item in (curve, dots):
                item.setToolTip("Diary: " + ", else ".join(kinds))

        # Regimen changes through both plots, labelled in the upper one. A label whose line is
        # left of the view sticks to the left edge (the regimen in effect there stays named).
        for n, m in enumerate(s.regimens):
            x = epoch_seconds(m.date)
            if n == len(self._regimen_pool):
                pen = self._regimen_pen
                lines = (
                    pg.InfiniteLine(pos=x, angle=90, pen=pen),
                    pg.InfiniteLine(pos=x, angle=90, pen=pen),
                )
                for line, plot in zip(lines, (self.dose_plot, self.diary_plot), strict=True):
                    line.setZValue(3)
                    plot.addItem(line)
                label = pg.TextItem(
                    m.label, color=REGIMEN_COLOR, anchor=(0, 0), fill=pg.mkBrush(255, 255, 255, 215)
                )
                label.setZValue(10)
                self.dose_plot.addItem(label)
                self._regimen_pool.append((lines, label))
            lines, label = self._regimen_pool[n]
            for line in lines:
                line.setValue(x)
                line.setVisible(True)
            if label.textItem.toPlainText() != m.label:
                label.setText(m.label)
            label.setVisible(True)
            self._regimen_labels.append((x, label))
        self._dose_top = dose_top
        if s.regimens:
            legend.append((self._regimen_sample, "Regimen change"))
        self._hide_all_but(self._drawn, regimens=len(s.regimens))
        self._set_legend(legend)
        self._place_regimen_labels()
        self._sync_level_view()

    def _hover(self, scene_pos: QPointF) -> None:
        text = self.describe_at(scene_pos)
        if text == self._tooltip:
            return
        self._tooltip = text
        if text:
            # Reasons, assays and products are typed text: shown literally.
            QToolTip.showText(QCursor.pos(), plain_tooltip(text), self.graphics)
        else:
            QToolTip.hideText()
