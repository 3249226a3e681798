"""The chart's timeline, diary and labs tabs: what is drawn (pure) and that the widgets build."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from typing import Any

import pytest
from conftest import ROOT, load_case_json
from PySide6.QtCore import QEvent, QPoint, QPointF, Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QApplication

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.ui.chart import diary_tab, labs_tab
from clinic_gui.ui.chart.diary_tab import DiaryModel, DiaryTab
from clinic_gui.ui.chart.labs_tab import LabsModel, LabsTab, level_versus_target
from clinic_gui.ui.chart.timeline_plot import TimelinePlot, epoch_seconds, timeline_series

PARSED_ON = dt.date(2026, 11, 22)
FOUNDING = ("seed-as-wearing-off.json", dt.date(2025, 12, 1))
CROHNS = ("cd-low-trough.json", dt.date(2025, 9, 29))
FULL = ("full-record.json", dt.date(2024, 6, 10))


def _case(name: str) -> r.Case:
    return parse_case(load_case_json(name), today=PARSED_ON)


# ---------------------------------------------------------------------------------------------
# timeline_series: pure


def test_founding_case_series() -> None:
    s = timeline_series(_case(FOUNDING[0]), FOUNDING[1])
    assert len(s.infusions) == 7
    assert all(b.mg_per_kg == pytest.approx(5) for b in s.infusions)
    assert [b.date for b in s.delayed] == [dt.date(2025, 7, 28)]
    assert "Delayed: 63 days after the previous infusion (planned 42)" in s.delayed[0].tooltip
    assert sum(w.positive for w in s.late_windows) == 5
    assert s.troughs == [] and s.levels == []
    assert s.target is not None
    assert s.target.mcg_per_ml == 3 and s.target.extrapolated
    assert s.target.label == "target 3 mcg/mL (extrapolated)"
    assert [m.label for m in s.regimens] == ["Renflexis 5 mg/kg every 6 weeks"]
    assert len(s.diary) == 136 and {p.kind for p in s.diary} == {"symptom score"}
    assert s.notes == []


def test_late_windows_are_the_last_days_before_each_next_infusion() -> None:
    s = timeline_series(_case(FOUNDING[0]), FOUNDING[1])
    first = s.late_windows[0]
    assert (first.cycle_start, first.cycle_end) == (dt.date(2025, 3, 3), dt.date(2025, 4, 14))
    assert (first.first_day, first.last_day) == (dt.date(2025, 4, 7), dt.date(2025, 4, 13))
    delayed = [w for w in s.late_windows if w.delayed]
    assert len(delayed) == 1 and not delayed[0].positive
    assert "not evaluated" in delayed[0].tooltip


def test_crohns_case_series() -> None:
    s = timeline_series(_case(CROHNS[0]), CROHNS[1])
    assert s.target is not None and s.target.mcg_per_ml == 5 and not s.target.extrapolated
    assert len(s.troughs) == 1
    trough = s.troughs[0]
    assert trough.value_mcg_ml == pytest.approx(2.8)
    assert trough.versus_target == "below" and not trough.below_quantification
    assert "Below the target 5 mcg/mL" in trough.tooltip
    assert trough.value_mcg_ml < s.target.mcg_per_ml
    assert len(s.antibodies) == 1
    mark = s.antibodies[0]
    assert not mark.positive and mark.interpretation == "negative"
    assert "0 U/mL" in mark.tooltip and "negative" in mark.tooltip
    assert len(s.infusions) == 8 and s.delayed == []


def test_below_quantification_and_the_record_up_to_today_only() -> None:
    s = timeline_series(_case(FULL[0]), FULL[1])
    [level] = s.levels
    assert level.below_quantification and level.comparator == "<"
    assert level.value_mcg_ml == pytest.approx(0.4) and level.versus_target == "below"
    assert [a.positive for a in s.antibodies] == [True]
    assert [m.label for m in s.regimens] == [
        "Avsola 3 mg/kg every 8 weeks",
        "Avsola 5 mg/kg every 6 weeks",
    ]
    earlier = timeline_series(_case(FULL[0]), dt.date(2024, 6, 9))
    assert earlier.levels == [] and earlier.antibodies == []
    assert len(earlier.regimens) == 1


def test_level_versus_target_reads_comparators_like_the_decision_table() -> None:
    assert level_versus_target(2.8, None, 5) == "below"
    assert level_versus_target(5, None, 5) == "at_or_above"
    assert level_versus_target(8, "<", 5) == "below"
    assert level_versus_target(3, ">", 5) == "not_comparable"
    assert level_versus_target(7, ">", 5) == "at_or_above"


def test_epoch_seconds_is_utc_midnight() -> None:
    assert epoch_seconds(dt.date(1970, 1, 2)) == 86_400
    assert epoch_seconds(dt.datetime(1970, 1, 1, 6, 0)) == 6 * 3600


# ---------------------------------------------------------------------------------------------
# Widgets


@pytest.mark.parametrize("fixture", [FOUNDING, CROHNS, FULL])
def test_timeline_plot_shows_a_case(qtbot: Any, fixture: tuple[str, dt.date]) -> None:
    name, today = fixture
    plot = TimelinePlot()
    qtbot.addWidget(plot)
    plot.resize(900, 350)
    plot.show()
    plot.show_case(_case(name), today)
    assert plot.series is not None
    assert plot.graphics.accessibleDescription().startswith(f"Timeline to {today.isoformat()}")
    start, end = plot.x_range_dates()
    assert start == today - dt.timedelta(days=365)
    assert end == today + dt.timedelta(days=14)
    plot.show_all()
    first, _ = plot.x_range_dates()
    assert first <= min(plot.series.dates())
    plot.last_12_button.click()
    assert plot.x_range_dates()[0] == start
    assert not plot.grab().isNull()
    plot.show_nothing()
    assert plot.series is None


def test_hovering_the_delayed_bar_explains_it(qtbot: Any) -> None:
    plot = TimelinePlot()
    qtbot.addWidget(plot)
    plot.resize(900, 350)
    plot.show()
    qtbot.waitExposed(plot)
    plot.show_case(_case(FOUNDING[0]), FOUNDING[1])
    where = plot.dose_plot.vb.mapViewToScene(QPointF(epoch_seconds(dt.date(2025, 7, 28)), 2))
    assert "Delayed: 63 days" in plot.describe_at(where)
    window = plot.diary_plot.vb.mapViewToScene(QPointF(epoch_seconds(dt.date(2025, 4, 10)), 9))
    assert "Late window, positive cycle: 2025-03-03 → 2025-04-14" in plot.describe_at(window)


def _drag(qtbot: Any, plot: TimelinePlot, scene_pos: QPointF, dx: int) -> None:
    viewport = plot.graphics.viewport()
    start = plot.graphics.mapFromScene(scene_pos)
    left, none = Qt.MouseButton.LeftButton, Qt.MouseButton.NoButton

    def send(kind: QEvent.Type, pos: QPoint, button: Any, buttons: Any) -> None:
        event = QMouseEvent(
            kind, QPointF(pos), QPointF(viewport.mapToGlobal(pos)), button, buttons,
            Qt.KeyboardModifier.NoModifier,
        )  # fmt: skip
        QApplication.sendEvent(viewport, event)
        qtbot.wait(5)

    send(QEvent.Type.MouseButtonPress, start, left, left)
    for step in range(1, 11):
        send(QEvent.Type.MouseMove, start + QPoint(dx * step // 10, 0), none, left)
    send(QEvent.Type.MouseButtonRelease, start + QPoint(dx, 0), left, none)


def test_dragging_either_plot_pans_both_through_time(qtbot: Any) -> None:
    plot = TimelinePlot()
    qtbot.addWidget(plot)
    plot.resize(900, 350)
    plot.show()
    qtbot.waitExposed(plot)
    plot.show_case(_case(CROHNS[0]), CROHNS[1])
    for view in (plot.dose_plot.vb, plot.diary_plot.vb):  # the level axis lies over the doses
        before = plot.x_range_dates()
        _drag(qtbot, plot, view.sceneBoundingRect().center(), 200)
        after = plot.x_range_dates()
        assert after[0] < before[0] and after[1] < before[1]
        assert plot.level_view.viewRange()[0] == plot.dose_plot.vb.viewRange()[0]
        assert plot.diary_plot.vb.viewRange()[0] == plot.dose_plot.vb.viewRange()[0]


def test_the_labs_tab_loads_no_plotting_library() -> None:
    code = (
        "import sys, clinic_gui.ui.chart.labs_tab\n"
        "print(sorted(n for n in sys.modules if n.split('.')[0] == 'pyqtgraph'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("fixture", [FOUNDING, CROHNS])
def test_diary_and_labs_tabs_show_a_case(qtbot: Any, fixture: tuple[str, dt.date]) -> None:
    name, today = fixture
    case = _case(name)
    diary = DiaryTab()
    labs = LabsTab()
    for widget in (diary, labs):
        qtbot.addWidget(widget)
        widget.show()
    diary.show_case(case, today)
    labs.show_case(case, today)
    assert diary.model.rowCount() == len(case.diary)
    assert labs.model.rowCount() == len(case.labs)
    dates = [diary.model.index(i, diary_tab.DATE).data() for i in range(diary.model.rowCount())]
    assert dates == sorted(dates, reverse=True)
    # No indication score in these diaries: the plot falls back on the symptom score.
    assert list(diary.plotted) == ["Symptom score (0–10)"]
    assert diary.model.index(0, diary_tab.SCORE).data() == "—"


def test_models_pass_the_model_tester(qtmodeltester: Any) -> None:
    for name, today in (FOUNDING, CROHNS, FULL):
        case = _case(name)
        diary = DiaryModel()
        diary.set_rows(diary_tab.diary_rows(case, today))
        qtmodeltester.check(diary)
        labs = LabsModel()
        labs.set_case(case)
        qtmodeltester.check(labs)
    qtmodeltester.check(DiaryModel())
    qtmodeltester.check(LabsModel())


def _row_texts(model: Any, row: int) -> list[str]:
    return [model.index(row, c).data() for c in range(model.columnCount())]


def test_labs_tab_shows_the_entered_result_and_its_canonical_value(qtbot: Any) -> None:
    tab = LabsTab()
    qtbot.addWidget(tab)
    tab.show_case(_case(FOUNDING[0]), FOUNDING[1])
    rows = [_row_texts(tab.model, i) for i in range(tab.model.rowCount())]
    crp = next(row for row in rows if row[labs_tab.TEST] == "C-reactive protein")
    assert crp[labs_tab.RESULT] == "0.2 mg/dL"
    assert crp[labs_tab.CANONICAL] == "= 2 mg/L"
    assert crp[labs_tab.SAMPLED] == "2025-12-01 08:45"
    esr = next(row for row in rows if row[labs_tab.TEST] == "Erythrocyte sedimentation rate")
    assert esr[labs_tab.CANONICAL] == ""


def test_labs_tab_marks_a_trough_below_target(qtbot: Any) -> None:
    tab = LabsTab()
    qtbot.addWidget(tab)
    tab.show_case(_case(CROHNS[0]), CROHNS[1])
    model = tab.model
    row = next(
        i for i in range(model.rowCount()) if model.row_at(i).lab.test == labs_tab.LEVEL_TEST
    )
    assert model.index(row, labs_tab.RESULT).data() == "2.8 mcg/mL"  # entered as ug/mL
    assert model.index(row, labs_tab.CANONICAL).data() == ""
    assert model.index(row, labs_tab.RESULT).data(Qt.ItemDataRole.ForegroundRole) is not None
    tip = model.index(row, labs_tab.RESULT).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Below the trough target of 5 mcg/mL")
    crp = next(i for i in range(model.rowCount()) if model.row_at(i).lab.test == "crp")
    assert model.index(crp, labs_tab.RESULT).data(Qt.ItemDataRole.ForegroundRole) is None
    full = LabsModel()
    full.set_case(_case(FULL[0]))
    level = next(i for i in range(full.rowCount()) if full.row_at(i).lab.test == "infliximab")
    assert full.index(level, labs_tab.RESULT).data() == "<0.4 mcg/mL"
    assert full.index(level, labs_tab.LLOQ).data() == "0.4 mcg/mL"
    assert full.row_at(level).versus_target == "below"


def test_diary_tab_scores_each_entry_with_its_paired_crp(qtbot: Any) -> None:
    tab = DiaryTab()
    qtbot.addWidget(tab)
    tab.show_case(_case(FULL[0]), FULL[1])
    model = tab.model
    row = next(
        i for i in range(model.rowCount()) if model.index(i, diary_tab.DATE).data() == "2024-06-01"
    )
    score = model.index(row, diary_tab.SCORE).data()
    assert score.startswith("DAS28-CRP 5.01 (")
    assert model.row_at(row).primary is not None
    assert model.row_at(row).primary.name == "DAS28-CRP"
    tip = model.index(row, diary_tab.SCORE).data(Qt.ItemDataRole.ToolTipRole)
    assert "CRP" in tip and "15 mg/L" in tip
    assert model.index(row, diary_tab.STIFFNESS).data() == "75"
    assert model.index(row, diary_tab.SYMPTOM).data() == "6.5"
    assert "DAS28-ESR" in model.index(row, diary_tab.OTHER).data()
    other = next(i for i in range(model.rowCount()) if i != row)
    assert model.index(other, diary_tab.SCORE).data() == "—"
    assert list(tab.plotted) == ["DAS28-CRP"]
