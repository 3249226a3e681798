"""Charts and tables of one patient's record: the timeline, the diary and the labs.

- ``chart_view.ChartView``: the patient chart (header, dosing history, recommendation panel);
- ``history_model.DosingHistoryModel``: the infusions as a table;
- ``dose_options_model.DoseOptionsModel``: worked-out dose options as a table;
- ``recommendation_panel.RecommendationPanel``: wearing off, the TDM decision table, dose
  options with a live proposal, warnings, and the physician's sign-off;
- ``changes_tab.ChangesTab``: the patient's history of changes (the audit trail);
- ``session.ChartSession``: the database and the signed-in user, for the chart's own saves.

Text that people typed (names, notes, lots, reasons) is always shown as text: labels that
show it are plain text, rich-text labels escape it, and tooltips go through
``plain_tooltip`` (Qt reads a tooltip that looks like HTML as HTML).

The colours below are the package's only colours; each has a lighter variant for dark
palettes so text stays readable.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QGuiApplication
from PySide6.QtWidgets import QWidget

_WARNING = ("#b00020", "#ff8a80")  # light palette, dark palette
_FLAGGED_BADGE = ("#8a4b00", "#8a4b00")
_CALM_BADGE = ("#2e6b30", "#2e6b30")
_NEUTRAL_BADGE = ("#55595f", "#55595f")


def _dark_palette() -> bool:
    app = QGuiApplication.instance()
    if app is None:
        return False
    return QGuiApplication.palette().window().color().lightness() < 128


def _pick(pair: tuple[str, str]) -> str:
    return pair[1] if _dark_palette() else pair[0]


def warning_colour() -> QColor:
    """Text colour for warnings (delayed infusions, errors, overdue, outside the label)."""
    return QColor(_pick(_WARNING))


def warning_css() -> str:
    return f"color: {_pick(_WARNING)};"


def badge_css(kind: str) -> str:
    """A rounded, coloured badge with white text: kind is flagged, calm or neutral."""
    background = {"flagged": _FLAGGED_BADGE, "calm": _CALM_BADGE}.get(kind, _NEUTRAL_BADGE)
    return (
        f"background-color: {_pick(background)}; color: white; font-weight: 600; "
        "border-radius: 4px; padding: 2px 8px;"
    )


def set_style_sheet(widget: QWidget, css: str) -> None:
    """Give ``widget`` the style sheet ``css`` unless it has it already: Qt styles the widget
    and lays its window out again even for the same style sheet (each time a chart opens)."""
    if widget.styleSheet() != css:
        widget.setStyleSheet(css)


def scaled_font(base: QFont, factor: float, *, bold: bool = False) -> QFont:
    """``base`` scaled by ``factor`` (relative sizes only, never a fixed pixel size)."""
    font = QFont(base)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    elif font.pixelSize() > 0:
        font.setPixelSize(round(font.pixelSize() * factor))
    font.setBold(bold)
    return font
