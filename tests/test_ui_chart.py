"""The patient chart: header, dosing history, and the recommendation panel with live proposals."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from conftest import load_case_json
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QLabel, QSplitter, QWidget

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.domain.decision import table
from clinic_gui.domain.wearing_off import load_settings
from clinic_gui.ui.chart import dose_options_model as dm
from clinic_gui.ui.chart import history_model as hm
from clinic_gui.ui.chart import warning_colour
from clinic_gui.ui.chart.chart_view import ChartView
from clinic_gui.ui.chart.recommendation_panel import BADGE_FLAGGED, RecommendationPanel

TODAY = dt.date(2026, 11, 22)  # the day the fixtures were parsed
FOUNDING_AS_OF = dt.date(2025, 12, 1)
CD_AS_OF = dt.date(2025, 9, 29)
DISPLAY = Qt.ItemDataRole.DisplayRole
PATIENT_LIST_WIDTH = 360
WINDOW_CHROME_HEIGHT = 120


def _case(name: str) -> r.Case:
    return parse_case(load_case_json(name), today=TODAY)


@pytest.fixture
def founding() -> r.Case:
    return _case("seed-as-wearing-off.json")


@pytest.fixture
def chart(qtbot: Any, founding: r.Case) -> ChartView:
    view = ChartView(today=FOUNDING_AS_OF)
    qtbot.addWidget(view)
    view.resize(1366 - PATIENT_LIST_WIDTH, 768 - WINDOW_CHROME_HEIGHT)
    view.show()
    view.show_case(founding)
    return view


def _row(model: Any, row: int) -> list[str]:
    return [model.data(model.index(row, c), DISPLAY) for c in range(model.columnCount())]


def _options(chart: ChartView) -> list[list[str]]:
    model = chart.panel.dose_model
    return [_row(model, n) for n in range(model.rowCount())]


# ---------------------------------------------------------------------------------------------
# The founding case


def test_header_shows_who_and_where_treatment_stands(chart: ChartView) -> None:
    assert chart.name_label.text() == "Seed Case"
    details = chart.details_label.text()
    for part in (
        "MRN AS-0001",
        "54 years",
        "male",
        "Ankylosing spondylitis",
        "82.4 kg on 2025-12-01",
    ):
        assert part in details
    assert chart.regimen_label.text() == (
        "Regimen: Renflexis 5 mg/kg every 6 weeks (since 2025-03-03): 412 mg, 5 vials"
    )
    assert chart.next_due_label.text().startswith("Next due: 2026-01-12")
    assert chart.next_due_label.property("overdue") is False
    assert chart.wearing_off_badge.isVisibleTo(chart)
    assert not chart.tdm_badge.isVisibleTo(chart)  # no_tdm is not a flag


def test_wearing_off_is_flagged_from_both_sources(chart: ChartView) -> None:
    panel = chart.panel
    assert panel.wearing_off_badge.text() == BADGE_FLAGGED
    assert panel.wearing_off_badge.property("flagged") is True
    assert panel.wearing_off_source.text() == "Source: both (diary and nurse reports)"
    assert panel.wearing_off_message.text().startswith("Possible end-of-dose wearing off")
    assert "Consider a trough level" in panel.wearing_off_message.text()
    cycles = panel.cycles_label.text()
    assert cycles.count("<br>") == 5  # six cycles, one line each
    assert "2025-05-26 → 2025-07-28 (63 d, planned 42)" in cycles
    assert "Project rule, not a validated test" in panel.rule_label.text()
    assert panel.unverified_label.isVisibleTo(panel)
    assert panel.unverified_label.text() == "Project rule, not a validated instrument."


def test_every_decision_row_is_listed_and_no_tdm_is_highlighted(chart: ChartView) -> None:
    panel = chart.panel
    assert panel.current_tdm_row == "no_tdm"
    assert list(panel.tdm_row_labels) == [row["id"] for row in table()["rows"]]
    highlighted = [key for key, label in panel.tdm_row_labels.items() if label.property("current")]
    assert highlighted == ["no_tdm"]
    assert "No current trough level" in panel.tdm_row_labels["no_tdm"].text()
    assert table()["version"] in panel.tdm_box.title()
    assert panel.tdm_fields["trough"].text() == "None: no infliximab level on record"
    target = panel.tdm_fields["target"].text()
    assert "3 mcg/mL" in target and "(extrapolated)" in target
    assert "C-reactive protein 0.2 mg/dL (= 2 mg/L) on 2025-12-01: normal" in (
        panel.tdm_fields["inflammation"].text()
    )
    assert "a current trough level" in panel.tdm_fields["missing"].text()
    assert not panel.likely_cause_label.isVisibleTo(panel)  # this row names no cause
    assert "Draw a trough level and antibodies" in panel.tdm_options_label.text()
    assert "[accuracy_meta]" in panel.evidence_label.text()


def test_sources_expand_with_links(qtbot: Any, chart: ChartView) -> None:
    panel = chart.panel
    assert not panel.sources_label.isVisibleTo(panel)
    qtbot.mouseClick(panel.sources_button, Qt.MouseButton.LeftButton)
    assert panel.sources_label.isVisibleTo(panel)
    assert panel.sources_button.text().endswith("▾")
    text = panel.sources_label.text()
    for key in ("[mayo_infxp]", "[aga2017]", "[accuracy_meta]", "[nordrum]", "[eular2023]"):
        assert key in text
    assert '<a href="https://testcatalog.org/show/INFXP">' in text
    assert panel.sources_label.openExternalLinks()
    qtbot.mouseClick(panel.sources_button, Qt.MouseButton.LeftButton)
    assert not panel.sources_label.isVisibleTo(panel)


def test_dose_options_show_the_current_regimen(chart: ChartView) -> None:
    assert _options(chart) == [
        ["current", "5 mg/kg every 6 weeks", "412", "5", "88", "0.833", "✓ within label"]
    ]
    assert chart.panel.label_warnings.text() == ""


def test_typing_a_regimen_adds_a_live_proposed_row(qtbot: Any, chart: ChartView) -> None:
    panel = chart.panel
    emitted: list[str] = []
    panel.proposal_changed.connect(emitted.append)
    qtbot.keyClicks(panel.proposal_field, "7 mg/kg q6w")
    assert emitted[-1] == "7 mg/kg q6w"
    rows = _options(chart)
    assert rows[-1] == [
        "proposed", "7 mg/kg every 6 weeks", "577", "6", "23", "1.167", "outside label"
    ]  # fmt: skip
    model = panel.dose_model
    label = model.index(1, dm.LABEL)
    note = "Above the labelled AS dose of 5 mg/kg every 6 weeks"
    assert note in model.data(label, dm.NOTE_ROLE)
    assert note in model.data(label, Qt.ItemDataRole.ToolTipRole)
    assert model.data(label, Qt.ItemDataRole.ForegroundRole).color() == warning_colour()
    assert note in panel.label_warnings.text()
    assert "outside the label" in panel.label_warnings.text()
    assert not panel.proposal_error.isVisibleTo(panel)

    panel.proposal_field.clear()
    assert model.rowCount() == 1
    assert emitted[-1] == ""
    assert panel.label_warnings.text() == ""


def test_the_proposed_row_follows_every_keystroke(qtbot: Any, chart: ChartView) -> None:
    panel = chart.panel
    qtbot.keyClicks(panel.proposal_field, "10 mg/kg q4w")
    assert _row(panel.dose_model, 1)[:4] == ["proposed", "10 mg/kg every 4 weeks", "824", "9"]
    qtbot.keyClick(panel.proposal_field, Qt.Key.Key_Backspace)  # "10 mg/kg q4" is a regimen too
    assert _row(panel.dose_model, 1)[1] == "10 mg/kg every 4 weeks"
    for _ in range(4):
        qtbot.keyClick(panel.proposal_field, Qt.Key.Key_Backspace)  # "10 mg/k"
    assert panel.dose_model.rowCount() == 1
    assert panel.proposal_error.isVisibleTo(panel)


def test_nonsense_shows_why_and_no_proposed_row(qtbot: Any, chart: ChartView) -> None:
    panel = chart.panel
    qtbot.keyClicks(panel.proposal_field, "nonsense")
    assert panel.proposal_error.isVisibleTo(panel)
    assert "'nonsense' is not a regimen" in panel.proposal_error.text()
    assert "7 mg/kg q6w" in panel.proposal_error.text()
    assert panel.dose_model.rowCount() == 1
    assert panel.dose_model.proposed is None
    panel.proposal_field.clear()
    assert not panel.proposal_error.isVisibleTo(panel)


def test_showing_the_same_patient_again_keeps_the_proposal(
    qtbot: Any, chart: ChartView, founding: r.Case
) -> None:
    qtbot.keyClicks(chart.proposal_field, "7 mg/kg q6w")
    chart.show_case(founding)
    assert chart.proposal_field.text() == "7 mg/kg q6w"
    assert chart.panel.dose_model.rowCount() == 2
    chart.show_case(_case("cd-low-trough.json"), CD_AS_OF)
    assert chart.proposal_field.text() == ""
    assert chart.panel.dose_model.proposed is None


# ---------------------------------------------------------------------------------------------
# The Crohn's disease case


def test_cd_low_trough_highlights_the_subtherapeutic_row(qtbot: Any) -> None:
    view = ChartView()
    qtbot.addWidget(view)
    view.show_case(_case("cd-low-trough.json"), CD_AS_OF)
    panel = view.panel
    assert panel.current_tdm_row == "subtherapeutic_ada_low_or_absent"
    assert panel.tdm_row_labels["subtherapeutic_ada_low_or_absent"].property("current")
    assert not panel.tdm_row_labels["no_tdm"].property("current")
    assert view.tdm_badge.isVisibleTo(view)
    assert view.tdm_badge.text() == "TDM: Trough below target; antibodies negative or low titer"
    assert "2.8 mcg/mL on 2025-09-29 08:00" in panel.tdm_fields["trough"].text()
    assert "(extrapolated)" not in panel.tdm_fields["target"].text()
    assert panel.likely_cause_label.isVisibleTo(panel)
    assert "Rapid drug clearance" in panel.likely_cause_label.text()
    rows = _options(view)
    assert [row[0] for row in rows] == ["current", "increase dose", "shorten interval"]
    assert rows[1][:4] == ["increase dose", "7.5 mg/kg every 8 weeks", "480", "5"]
    assert rows[1][-1] == "✓ within label"
    assert rows[2][-1] == "outside label"
    assert "Shorten interval, 5 mg/kg every 6 weeks — outside the label" in (
        panel.label_warnings.text()
    )


def test_an_overdue_infusion_is_shown_in_the_warning_colour(qtbot: Any) -> None:
    view = ChartView()
    qtbot.addWidget(view)
    on = dt.date(2026, 1, 10)
    view.show_case(_case("cd-low-trough.json"), on)
    due = dt.date(2025, 11, 24)
    assert view.next_due_label.property("overdue") is True
    assert view.next_due_label.text() == (
        f"Next due: 2025-11-24 — overdue by {(on - due).days} days"
    )
    assert "color" in view.next_due_label.styleSheet()
    assert any("was due on 2025-11-24" in w for w in view.assessment.warnings)  # type: ignore[union-attr]
    assert "was due on 2025-11-24" in view.panel.warnings_label.text()


# ---------------------------------------------------------------------------------------------
# The dosing history


def test_history_lists_infusions_newest_first(founding: r.Case) -> None:
    model = hm.DosingHistoryModel()
    model.set_case(founding)
    assert model.rowCount() == 7
    dates = [model.data(model.index(n, hm.DATE)) for n in range(7)]
    assert dates == sorted(dates, reverse=True)
    newest = _row(model, 0)
    assert newest == [
        "2025-12-01", "42 (plan 42)", "Renflexis", "L1006", "412", "5", "5", "not recorded",
        "yes, 7 d before", "RN Example",
    ]  # fmt: skip
    oldest = _row(model, 6)
    assert oldest[hm.DAYS_SINCE] == "first"
    assert oldest[hm.SYMPTOMS] == "unknown"


def test_history_marks_the_delayed_infusion(founding: r.Case) -> None:
    model = hm.DosingHistoryModel()
    model.set_case(founding)
    row = model.row_of(dt.date(2025, 7, 28))
    assert row is not None
    days = model.index(row, hm.DAYS_SINCE)
    assert "63 (plan 42)" in model.data(days)
    assert model.data(days, hm.DELAYED_ROLE) is True
    assert model.data(days, Qt.ItemDataRole.ForegroundRole).color() == warning_colour()
    tip = model.data(days, Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith("Delayed: 63 days since the previous infusion against 42 planned")
    assert f"more than {load_settings().delay_tolerance_days} days" in tip
    assert model.data(model.index(row, hm.MG_PER_KG)) == "5"
    delayed = [n for n in range(model.rowCount()) if model.data(model.index(n, 0), hm.DELAYED_ROLE)]
    assert delayed == [row]
    on_time = model.index(0, hm.DAYS_SINCE)
    assert model.data(on_time, Qt.ItemDataRole.ForegroundRole) is None


def test_history_mg_per_kg_falls_back_to_the_latest_weight(founding: r.Case) -> None:
    import dataclasses

    infusions = tuple(dataclasses.replace(i, weight_kg=None) for i in founding.infusions)
    weights = (r.Weight(date=dt.date(2025, 2, 24), kg=80.0),)
    case = dataclasses.replace(founding, infusions=infusions, weights=weights)
    model = hm.DosingHistoryModel()
    model.set_case(case)
    cell = model.index(0, hm.MG_PER_KG)
    assert model.data(cell) == "5.15"  # 412 mg / 80 kg
    assert "latest weight on or before the infusion (2025-02-24)" in model.data(
        cell, Qt.ItemDataRole.ToolTipRole
    )


def test_history_sorts_through_the_proxy_on_raw_values(chart: ChartView) -> None:
    proxy = chart.history_proxy
    assert proxy.sortColumn() == hm.DATE
    assert proxy.sortOrder() == Qt.SortOrder.DescendingOrder
    assert proxy.data(proxy.index(0, hm.DATE)) == "2025-12-01"
    chart.history_table.sortByColumn(hm.DAYS_SINCE, Qt.SortOrder.DescendingOrder)
    assert proxy.data(proxy.index(0, hm.DATE)) == "2025-07-28"  # 63 days sorts above 42
    assert proxy.data(proxy.index(6, hm.DAYS_SINCE)) == "first"
    chart.history_table.sortByColumn(hm.DATE, Qt.SortOrder.AscendingOrder)
    assert proxy.data(proxy.index(0, hm.DATE)) == "2025-03-03"


def test_history_as_of_leaves_out_later_infusions(founding: r.Case) -> None:
    model = hm.DosingHistoryModel()
    model.set_case(founding, as_of=dt.date(2025, 7, 28))
    assert model.rowCount() == 4
    assert model.data(model.index(0, hm.DAYS_SINCE), hm.DELAYED_ROLE) is True


# ---------------------------------------------------------------------------------------------
# Model contracts


def test_history_model_contract(qtmodeltester: Any, founding: r.Case) -> None:
    model = hm.DosingHistoryModel()
    qtmodeltester.check(model)
    model.set_case(founding)
    qtmodeltester.check(model)
    assert model.rowCount(model.index(0, 0)) == 0
    assert model.data(QModelIndex()) is None


def test_dose_options_model_contract(qtmodeltester: Any, qtbot: Any, chart: ChartView) -> None:
    model = chart.panel.dose_model
    qtmodeltester.check(model)
    qtbot.keyClicks(chart.proposal_field, "7.5 mg/kg q8w")
    qtmodeltester.check(model)
    empty = dm.DoseOptionsModel()
    qtmodeltester.check(empty)
    assert empty.rowCount() == 0


# ---------------------------------------------------------------------------------------------
# Layout and accessibility


@pytest.mark.parametrize(
    ("name", "as_of"),
    [("seed-as-wearing-off.json", FOUNDING_AS_OF), ("cd-low-trough.json", CD_AS_OF)],
)
def test_chart_fits_beside_the_patient_list_at_1366x768(
    qtbot: Any, name: str, as_of: dt.date
) -> None:
    view = ChartView(today=as_of)
    qtbot.addWidget(view)
    view.show_case(_case(name))
    hint = view.minimumSizeHint()
    assert hint.width() <= 1366 - PATIENT_LIST_WIDTH
    assert hint.height() <= 768 - WINDOW_CHROME_HEIGHT

    window = QSplitter()
    qtbot.addWidget(window)
    patient_list = QWidget()
    patient_list.setMinimumWidth(PATIENT_LIST_WIDTH)
    window.addWidget(patient_list)
    window.addWidget(view)
    window.resize(1366, 768 - WINDOW_CHROME_HEIGHT)
    window.setSizes([PATIENT_LIST_WIDTH, 1366 - PATIENT_LIST_WIDTH])
    window.show()
    qtbot.waitExposed(window)
    qtbot.wait(20)  # let posted layout requests settle
    assert view.width() >= hint.width()
    panel = view.panel
    # Every column of the dose options (the Label column above all) is in view, no scrolling.
    table_view = panel.dose_table
    assert table_view.horizontalScrollBar().maximum() == 0
    assert table_view.height() >= table_view.content_height()


def test_accessible_names(chart: ChartView) -> None:
    assert chart.header.accessibleName() == "Patient header"
    assert chart.history_table.accessibleName() == "Dosing history table"
    assert chart.panel.accessibleName() == "Recommendation panel"
    assert chart.proposal_field.accessibleName() == "Proposed regimen"
    assert chart.proposal_field.placeholderText() == "Type a regimen, e.g. 7 mg/kg q6w"
    assert chart.panel.dose_table.accessibleName() == "Dose options table"
    assert chart.panel.sources_button.accessibleName() == "Show sources"


def test_tabs_and_the_timeline_slot(qtbot: Any, chart: ChartView) -> None:
    titles = [chart.tabs.tabText(i) for i in range(chart.tabs.count())]
    assert titles == ["Dosing history", "&Diary", "&Labs"]
    assert chart.tabs.widget(0) is chart.history_table
    assert chart.timeline is chart.timeline_plot
    assert chart.timeline_slot.isVisibleTo(chart)
    assert chart.add_tab(QLabel("more"), "More") == 3
    plot = QLabel("plot")
    assert chart.set_timeline(plot) is chart.timeline_plot
    assert chart.timeline is plot
    assert chart.set_timeline(None) is plot
    assert not chart.timeline_slot.isVisibleTo(chart)


def test_a_fresh_chart_has_not_imported_the_plotting_library() -> None:
    import subprocess
    import sys

    code = (
        "import os, sys; os.environ['QT_QPA_PLATFORM'] = 'offscreen'\n"
        "from PySide6.QtWidgets import QApplication; app = QApplication([])\n"
        "from clinic_gui.ui.chart.chart_view import ChartView; ChartView()\n"
        "print('pyqtgraph' in sys.modules)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_clear_empties_everything(chart: ChartView) -> None:
    chart.clear()
    assert chart.name_label.text() == "No patient selected"
    assert chart.assessment is None
    assert chart.history_model.rowCount() == 0
    assert chart.panel.dose_model.rowCount() == 0
    assert chart.panel.current_tdm_row is None
    assert not chart.proposal_field.isEnabled()
    assert not any(label.property("current") for label in chart.panel.tdm_row_labels.values())


def test_a_panel_without_an_assessment_ignores_typing(qtbot: Any) -> None:
    panel = RecommendationPanel()
    qtbot.addWidget(panel)
    panel.proposal_field.setEnabled(True)
    qtbot.keyClicks(panel.proposal_field, "7 mg/kg q6w")
    assert panel.dose_model.rowCount() == 0
    assert not panel.proposal_error.isVisibleTo(panel)


def test_a_long_name_is_elided_not_widening_the_chart(qtbot: Any) -> None:
    import dataclasses

    case = _case("cd-low-trough.json")
    name = "Maximiliana Alexandrovna Featherstonehaugh-Montgomery de la Cruz y Villanueva"
    case = dataclasses.replace(case, patient=dataclasses.replace(case.patient, name=name))
    view = ChartView(today=CD_AS_OF)
    qtbot.addWidget(view)
    view.show_case(case)
    assert view.minimumSizeHint().width() <= 1366 - PATIENT_LIST_WIDTH
    view.resize(1366 - PATIENT_LIST_WIDTH, 768 - WINDOW_CHROME_HEIGHT)
    view.show()
    qtbot.waitExposed(view)
    assert view.name_label.text() == name
    assert view.name_label.elided_text().endswith("…")
    assert view.name_label.toolTip() == name


def test_the_rule_is_one_click_away(qtbot: Any, chart: ChartView) -> None:
    panel = chart.panel
    assert not panel.rule_label.isVisibleTo(panel)
    qtbot.mouseClick(panel.rule_toggle, Qt.MouseButton.LeftButton)
    assert panel.rule_label.isVisibleTo(panel)
    assert "at least 2 points above the median" in panel.rule_label.text()
    assert panel.unverified_label.isVisibleTo(panel)  # "project rule" is always shown
