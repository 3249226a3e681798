"""The main window: patient list, search-as-you-type, keyboard, the summary, case import."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, snapshot
from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtWidgets import QMessageBox

from clinic_gui.domain.case_file import parse_case
from clinic_gui.store import entries
from clinic_gui.store.audit import entries as audit_entries
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.ui.main_window import FLAG_FILTERS, MainWindow
from clinic_gui.ui.patient_list_model import PatientListModel


def _settings(db_path: Path) -> QSettings:
    return QSettings(str(db_path.with_suffix(".ini")), QSettings.Format.IniFormat)


TODAY = dt.date(2026, 11, 22)


@pytest.fixture
def window(qtbot: Any, db: Any, db_path: Path, staff: Any) -> MainWindow:
    for name in ("seed-as-wearing-off.json", "cd-low-trough.json"):
        doc = json.loads((CASES / name).read_text())
        insert_case(db, parse_case(doc, today=TODAY), actor=staff.nurse)
    win = MainWindow(
        db,
        db_path,
        today=TODAY,
        settings=_settings(db_path),
        assess_clinic_on_start=False,
        user=staff.physician,
    )
    qtbot.addWidget(win)
    win.show()
    return win


def _listed(win: MainWindow) -> list[str]:
    return [win.model.row_at(i).mrn for i in range(win.model.rowCount())]


def test_lists_patients_by_name_with_age_and_indication(window: MainWindow) -> None:
    assert _listed(window) == ["CD-0101", "AS-0001"]  # Public Example, Seed Case
    index = window.model.index(1, 2)
    assert window.model.data(index) == "55"  # born 1971-05-14
    assert window.model.data(window.model.index(1, 3)) == "AS"
    assert window.model.data(window.model.index(1, 4)) == "2025-12-01"
    assert window.db_label.text() == f"Database: {window.db_path}  ·  2 patients"


def test_search_as_you_type_by_mrn_or_name(qtbot: Any, window: MainWindow) -> None:
    qtbot.keyClicks(window.search, "as-0")
    assert _listed(window) == ["AS-0001"]
    window.search.clear()
    qtbot.keyClicks(window.search, "example")
    assert _listed(window) == ["CD-0101"]
    window.search.setText("%")
    assert _listed(window) == []
    assert window.list_note.text() == "0 of 2 patients match."


def test_ctrl_f_then_enter_opens_the_first_match(qtbot: Any, window: MainWindow) -> None:
    window.table.setFocus()
    qtbot.keyClick(window, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert window.search.hasFocus()
    qtbot.keyClicks(window.search, "seed")
    qtbot.keyClick(window.search, Qt.Key.Key_Return)
    assert window.current_mrn() == "AS-0001"
    assert window.chart.name_label.text() == "Seed Case"
    assert "Renflexis 5 mg/kg every 6 weeks" in window.chart.regimen_label.text()
    assert "412 mg" in window.chart.regimen_label.text()
    assert "82.4 kg" in window.chart.details_label.text() + window.chart.regimen_label.text()
    assert window.chart.panel.current_tdm_row == "no_tdm"


def test_arrow_keys_move_between_patients(qtbot: Any, window: MainWindow) -> None:
    window.table.selectRow(0)
    window.table.setFocus()
    qtbot.keyClick(window.table, Qt.Key.Key_Down)
    assert window.chart.name_label.text() == "Seed Case"
    qtbot.keyClick(window.table, Qt.Key.Key_Up)
    assert window.chart.name_label.text() == "Public Example"


def test_importing_a_bad_case_writes_nothing_and_says_why(
    window: MainWindow, tmp_path: Path
) -> None:
    doc = json.loads((CASES / "full-record.json").read_text())
    doc["weights"][0]["kg"] = 0
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    ok, message = window.import_case_file(bad)
    assert not ok
    assert "weights[0].kg: 0 kg is outside the accepted range" in message
    assert "nothing was written" in message
    assert window.model.rowCount() == 2


def test_importing_a_good_case_lists_and_selects_it(window: MainWindow, tmp_path: Path) -> None:
    ok, message = window.import_case_file(CASES / "full-record.json")
    assert ok, message
    assert window.current_mrn() == "RA-7001"
    assert "heart failure NYHA class II" in window.chart.details_label.text()
    target = tmp_path / "out.json"
    window.export_case_file("RA-7001", target)
    assert json.loads(target.read_text()) == json.loads((CASES / "full-record.json").read_text())


def test_patient_list_model_contract(qtmodeltester: Any, window: MainWindow) -> None:
    qtmodeltester.check(window.model)
    empty = PatientListModel(today=TODAY)
    qtmodeltester.check(empty)
    assert empty.rowCount() == 0


def test_a_search_that_leaves_one_patient_opens_them(qtbot: Any, window: MainWindow) -> None:
    qtbot.keyClicks(window.search, "CD-0101")
    assert window.current_mrn() == "CD-0101"
    assert window.chart.name_label.text() == "Public Example"
    window.search.setText("e")  # two matches again: the open patient stays open
    assert window.current_mrn() == "CD-0101"


def test_an_old_weight_is_pointed_out(qtbot: Any, db: Any, db_path: Path, staff: Any) -> None:
    doc = json.loads((CASES / "cd-low-trough.json").read_text())
    insert_case(db, parse_case(doc, today=TODAY), actor=staff.nurse)
    win = MainWindow(
        db, db_path, today=dt.date(2026, 1, 10), settings=_settings(db_path),
        assess_clinic_on_start=False, user=staff.physician,
    )  # fmt: skip
    qtbot.addWidget(win)
    win.show_patient("CD-0101")
    warnings = win.chart.panel.warnings_label.text()
    assert "The latest weight (64 kg, 2025-09-29) is 103 days old" in warnings
    recent = MainWindow(
        db, db_path, today=dt.date(2025, 10, 1), settings=_settings(db_path),
        assess_clinic_on_start=False, user=staff.physician,
    )  # fmt: skip
    qtbot.addWidget(recent)
    recent.show_patient("CD-0101")
    assert "days old" not in recent.chart.panel.warnings_label.text()


def test_flags_from_the_clinic_assessment_badge_and_filter(qtbot: Any, window: MainWindow) -> None:
    with qtbot.waitSignal(window.worklist.overview_ready, timeout=10_000):
        window.refresh_worklist()
    flags_column = 5
    assert window.model.data(window.model.index(1, flags_column)) == "overdue · wearing off · TDM"
    window.flag_filter.setCurrentIndex(list(FLAG_FILTERS).index("wearing_off"))
    assert _listed(window) == ["CD-0101", "AS-0001"]
    window.indication_filter.setCurrentIndex(window.indication_filter.findData("crohns_disease"))
    assert _listed(window) == ["CD-0101"]
    assert window.list_note.text() == "1 of 2 patients match."


def test_worklist_row_opens_the_chart(qtbot: Any, window: MainWindow) -> None:
    window.tabs.setCurrentIndex(1)
    window.search.setText("zzz")  # the patient is filtered out of the list
    window.worklist.patient_activated.emit("AS-0001")
    assert window.tabs.currentIndex() == 0
    assert window.current_mrn() == "AS-0001"
    assert window.search.text() == ""


def test_window_state_and_last_patient_are_restored(
    qtbot: Any, db: Any, db_path: Path, window: MainWindow, staff: Any
) -> None:
    window.show_patient("AS-0001")
    window.splitter.setSizes([300, 1000])
    window.close()
    again = MainWindow(
        db,
        db_path,
        today=TODAY,
        settings=_settings(db_path),
        assess_clinic_on_start=False,
        user=staff.physician,
    )
    qtbot.addWidget(again)
    again.show()
    assert again.current_mrn() == "AS-0001"
    assert again.settings.value("main/splitter") is not None
    assert again.restored_layout  # Qt accepted the saved splitter state
    assert again.settings.value("main/geometry") is not None


def test_record_infusion_through_the_dialog(qtbot: Any, window: MainWindow, db: Any) -> None:
    window.show_patient("AS-0001")
    assert window.record_actions["infusion"].isEnabled()
    before = len(read_case(db, "AS-0001").infusions)
    dialog = window.open_entry_dialog("infusion")
    assert dialog is not None and dialog.isVisible()
    dialog.widgets["lot"].setText("L9999")
    assert dialog.try_save()
    after = read_case(db, "AS-0001")
    assert len(after.infusions) == before + 1
    newest = after.infusions[-1]
    assert (newest.date, newest.dose_mg, newest.vials, newest.lot) == (TODAY, 412, 5, "L9999")
    assert window.current_mrn() == "AS-0001"


def test_a_suspicious_weight_is_saved_from_the_window_only_after_confirming(
    qtbot: Any, window: MainWindow, db: Any, db_path: Path, monkeypatch: Any
) -> None:
    window.show_patient("AS-0001")
    before = snapshot(db_path)
    dialog = window.open_entry_dialog("weight")
    assert dialog is not None
    dialog.widgets["kg"].setText("95")  # the last weight was 82.4 kg: 15% more
    asked: list[list[str]] = []
    answers = iter([False, True])
    monkeypatch.setattr(dialog, "confirm_warnings", lambda w: asked.append(w) or next(answers))
    assert not dialog.try_save()  # "Go back": nothing written, the typed weight kept
    assert snapshot(db_path) == before and dialog.widgets["kg"].text() == "95"
    assert dialog.try_save()  # "Save anyway"
    assert [w.split(":")[0] for w in asked[0]] == ["kg"] and asked[0] == asked[1]
    assert read_case(db, "AS-0001").weights[-1].kg == 95
    (event,) = [e for e in audit_entries(db, patient_mrn="AS-0001") if e.action == "confirm"]
    assert event.detail == f"Confirmed at entry: {asked[0][0]}"


def test_a_patient_changed_elsewhere_meanwhile_is_not_overwritten(
    qtbot: Any, window: MainWindow, db: Any, db_path: Path, staff: Any
) -> None:
    window.show_patient("AS-0001")
    dialog = window.open_entry_dialog("edit_patient")
    assert dialog is not None
    patient = read_case(db, "AS-0001").patient
    entries.update_patient(  # another workstation saves first
        db, "AS-0001", dataclasses.replace(patient, nyha_class=2), actor=staff.nurse, today=TODAY
    )
    before = snapshot(db_path)
    dialog.widgets["name"].setText("Seed Case-Renamed")
    assert not dialog.try_save()
    assert "changed by rn.kim" in dialog.summary.text()
    assert snapshot(db_path) == before
    assert read_case(db, "AS-0001").patient.nyha_class == 2


def test_an_invalid_entry_writes_nothing(
    qtbot: Any, window: MainWindow, db: Any, db_path: Path
) -> None:
    window.show_patient("CD-0101")
    before = snapshot(db_path)
    dialog = window.open_entry_dialog("weight")
    assert dialog is not None
    dialog.widgets["kg"].setText("0")
    assert not dialog.try_save()
    assert dialog.isVisible()
    assert snapshot(db_path) == before


def test_new_patient_is_saved_listed_and_opened(qtbot: Any, window: MainWindow, db: Any) -> None:
    dialog = window.open_entry_dialog("patient")
    assert dialog is not None
    dialog.widgets["mrn"].setText("NEW-1")
    dialog.widgets["name"].setText("Nora New")
    dialog.widgets["birth_date"].setText("1990-06-01")
    assert dialog.try_save()
    assert window.current_mrn() == "NEW-1"
    assert window.chart.name_label.text() == "Nora New"
    duplicate = window.open_entry_dialog("patient")
    assert duplicate is not None
    duplicate.widgets["mrn"].setText("NEW-1")
    duplicate.widgets["name"].setText("Someone Else")
    duplicate.widgets["birth_date"].setText("1991-01-01")
    assert not duplicate.try_save()
    assert "already in this database" in duplicate.errors["mrn"].text()


def test_void_an_infusion_from_the_chart(qtbot: Any, window: MainWindow, db: Any) -> None:
    window.show_patient("AS-0001")
    window.chart.tabs.setCurrentIndex(0)
    proxy = window.chart.history_table.model()
    window.chart.history_table.setCurrentIndex(proxy.index(0, 0))  # newest first
    dialog = window.open_entry_dialog("void")
    assert dialog is not None
    assert "the infusion of 2025-12-01" in dialog.intro.text()
    assert not dialog.try_save()  # a reason is required
    assert dialog.errors["reason"].text() == "required"
    dialog.widgets["reason"].setText("recorded on the wrong patient")
    assert dialog.try_save()
    assert [i.date for i in read_case(db, "AS-0001").infusions][-1] == dt.date(2025, 10, 20)
    kept = db.execute(
        "SELECT date, void_reason FROM infusion WHERE voided_at IS NOT NULL"
    ).fetchall()
    assert kept == [("2025-12-01", "recorded on the wrong patient")]


def test_void_needs_a_selected_entry(qtbot: Any, window: MainWindow, monkeypatch: Any) -> None:
    shown: list[str] = []
    monkeypatch.setattr(QMessageBox, "information", lambda *args: shown.append(args[2]))
    window.show_patient("AS-0001")
    window.chart.history_table.clearSelection()
    window.chart.history_table.setCurrentIndex(QModelIndex())
    assert window.open_entry_dialog("void") is None
    assert shown and "Select an infusion" in shown[0]


def test_the_empty_chart_says_what_to_do_next(window: MainWindow) -> None:
    window.search.setText("nobody by this name")
    assert window.chart.name_label.text() == "No patient selected"
    assert "Search by MRN or name" in window.chart.details_label.text()
    assert "Worklist (Ctrl+2)" in window.chart.details_label.text()
