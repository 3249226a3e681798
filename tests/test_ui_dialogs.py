"""Entry dialogs: pre-filled values, live checks, problems beside the field, nothing saved."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from conftest import load_case_json
from PySide6.QtCore import Qt

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.ui.dialogs.diary_dialog import DiaryDialog
from clinic_gui.ui.dialogs.infusion_dialog import InfusionDialog
from clinic_gui.ui.dialogs.lab_dialog import LabDialog
from clinic_gui.ui.dialogs.patient_dialog import PatientDialog
from clinic_gui.ui.dialogs.regimen_dialog import RegimenDialog
from clinic_gui.ui.dialogs.weight_dialog import WeightDialog

TODAY = dt.date(2026, 1, 12)


@pytest.fixture
def seed() -> r.Case:
    return parse_case(load_case_json("seed-as-wearing-off.json"), today=dt.date(2026, 11, 22))


class Saver:
    def __init__(self) -> None:
        self.saved: list[Any] = []

    def __call__(self, record: Any) -> int:
        self.saved.append(record)
        return len(self.saved)


def _type(qtbot: Any, dialog: Any, name: str, text: str) -> None:
    widget = dialog.widgets[name]
    widget.clear()
    qtbot.keyClicks(widget, text)


def test_infusion_dialog_is_prefilled_and_saves(qtbot: Any, seed: r.Case) -> None:
    saver = Saver()
    dialog = InfusionDialog(seed, today=TODAY, nurse="rn.kim", save=saver)
    qtbot.addWidget(dialog)
    assert dialog.text("dose_mg") == "412"
    assert dialog.text("vials") == "5"
    assert dialog.text("weight_kg") == "82.4"
    assert dialog.widgets["product"].currentText() == "Renflexis"
    assert dialog.dose_check.text().startswith("412 mg = 5 mg/kg at 82.4 kg: 5 vials, 88 mg waste")
    _type(qtbot, dialog, "lot", "L2001")
    _type(qtbot, dialog, "start_time", "09:30")
    _type(qtbot, dialog, "end_time", "11:40")
    _type(qtbot, dialog, "before.pulse_bpm", "72")
    dialog.set_value("symptoms_returned_before", True)
    _type(qtbot, dialog, "symptoms_days_before", "7")
    dialog.show()
    qtbot.keyClick(dialog.widgets["lot"], Qt.Key.Key_Return)
    assert dialog.summary.text() == ""
    assert len(saver.saved) == 1
    infusion = saver.saved[0]
    assert (infusion.dose_mg, infusion.vials, infusion.lot) == (412, 5, "L2001")
    assert infusion.start_time == dt.time(9, 30)
    assert infusion.vitals == (r.VitalSigns(phase="before", pulse_bpm=72),)
    assert (infusion.symptoms_returned_before, infusion.symptoms_days_before) == (True, 7)
    assert infusion.nurse == "rn.kim"


def test_infusion_dialog_shows_problems_beside_fields_and_saves_nothing(
    qtbot: Any, seed: r.Case
) -> None:
    saver = Saver()
    dialog = InfusionDialog(seed, today=TODAY, nurse="rn.kim", save=saver)
    qtbot.addWidget(dialog)
    _type(qtbot, dialog, "weight_kg", "0")
    _type(qtbot, dialog, "vials", "3")
    assert not dialog.try_save()
    assert "0 kg is outside the accepted range" in dialog.errors["weight_kg"].text()
    assert "3 x 100 mg vials cannot hold 412 mg" in dialog.errors["vials"].text()
    assert saver.saved == []
    assert dialog.text("weight_kg") == "0"  # what was typed is kept
    _type(qtbot, dialog, "weight_kg", "eighty")
    _type(qtbot, dialog, "before.pulse_bpm", "500")
    assert not dialog.try_save()
    assert dialog.errors["weight_kg"].text() == "'eighty' is not a number"
    _type(qtbot, dialog, "weight_kg", "82.4")
    _type(qtbot, dialog, "vials", "5")
    assert not dialog.try_save()
    assert "500 /min is outside the accepted range" in dialog.errors["before.pulse_bpm"].text()
    assert saver.saved == []


def test_infusion_dose_check_is_live(qtbot: Any, seed: r.Case) -> None:
    dialog = InfusionDialog(seed, today=TODAY, nurse="rn.kim", save=Saver())
    qtbot.addWidget(dialog)
    _type(qtbot, dialog, "dose_mg", "577")
    text = dialog.dose_check.text()
    assert "577 mg = 7 mg/kg" in text
    assert "typed dose differs by 165 mg" in text
    assert "⚠ Above the labelled AS dose" in text


def test_escape_cancels_without_saving(qtbot: Any, seed: r.Case) -> None:
    saver = Saver()
    dialog = WeightDialog(seed, today=TODAY, save=saver)
    qtbot.addWidget(dialog)
    dialog.show()
    _type(qtbot, dialog, "kg", "80")
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert saver.saved == [] and not dialog.isVisible()


def test_weight_dialog(qtbot: Any, seed: r.Case) -> None:
    saver = Saver()
    dialog = WeightDialog(seed, today=TODAY, save=saver)
    qtbot.addWidget(dialog)
    assert not dialog.try_save()
    assert dialog.errors["kg"].text() == "required"
    _type(qtbot, dialog, "kg", "0")
    assert not dialog.try_save()
    assert "0 kg is outside the accepted range 0.5 to 400 kg" in dialog.errors["kg"].text()
    _type(qtbot, dialog, "kg", "81,6")
    assert dialog.try_save()
    assert saver.saved == [r.Weight(date=TODAY, kg=81.6)]


def test_lab_dialog_offers_only_the_tests_units(qtbot: Any, seed: r.Case) -> None:
    saver = Saver()
    dialog = LabDialog(seed, today=TODAY, save=saver)
    qtbot.addWidget(dialog)
    dialog.set_value("test", "crp")
    units = [dialog.unit_box.itemText(i) for i in range(dialog.unit_box.count())]
    assert units == ["mg/L", "mg/dL"]
    assert not dialog.widgets["interpretation"].isEnabled()
    dialog.set_value("unit", "mg/dL")
    _type(qtbot, dialog, "value", "200")
    assert not dialog.try_save()
    assert "implausibly high for crp" in dialog.errors["value"].text()
    _type(qtbot, dialog, "value", "0.2")
    _type(qtbot, dialog, "time", "08:45")
    assert dialog.try_save()
    lab = saver.saved[0]
    assert (lab.test, lab.value, lab.unit) == ("crp", 0.2, "mg/dL")
    assert lab.sampled_at == dt.datetime(2026, 1, 12, 8, 45)
    dialog2 = LabDialog(seed, today=TODAY, save=saver)
    qtbot.addWidget(dialog2)
    dialog2.set_value("test", "anti_infliximab_antibody")
    assert dialog2.widgets["interpretation"].isEnabled()


def test_diary_dialog_basdai_is_live(qtbot: Any, seed: r.Case) -> None:
    saver = Saver()
    dialog = DiaryDialog(seed, today=TODAY, save=saver)
    qtbot.addWidget(dialog)
    assert "hbi.wellbeing" not in dialog.widgets  # AS: BASDAI, not HBI
    for q, value in zip(("q1", "q2", "q3", "q4", "q5"), ("6", "5", "4", "3", "7"), strict=True):
        _type(qtbot, dialog, f"basdai.{q}", value)
    assert dialog.basdai_score.text() == "fill in all six items to see the score"
    _type(qtbot, dialog, "basdai.q6", "5")
    assert dialog.basdai_score.text().startswith("4.8")
    _type(qtbot, dialog, "basdai.q1", "11")
    assert not dialog.try_save()
    assert "11 is outside the accepted range 0 to 10" in dialog.errors["basdai.q1"].text()
    _type(qtbot, dialog, "basdai.q1", "6")
    assert dialog.try_save()
    assert saver.saved[0].basdai == r.Basdai(q1=6, q2=5, q3=4, q4=3, q5=7, q6=5)


def test_regimen_dialog_needs_a_reason_and_shows_the_label(qtbot: Any, seed: r.Case) -> None:
    saver = Saver()
    dialog = RegimenDialog(seed, today=TODAY, ordered_by="Dr. Example", save=saver)
    qtbot.addWidget(dialog)
    _type(qtbot, dialog, "dose_mg_per_kg", "7")
    assert dialog.preview.text().startswith("577 mg (6 vials, 23 mg waste)")
    assert "Above the labelled AS dose" in dialog.preview.text()
    assert not dialog.try_save()
    assert dialog.errors["reason"].text() == "required"
    _type(qtbot, dialog, "reason", "end-of-dose wearing off")
    assert dialog.try_save()
    assert saver.saved[0].dose_mg_per_kg == 7 and saver.saved[0].reason == "end-of-dose wearing off"


def test_patient_dialog(qtbot: Any) -> None:
    saver = Saver()
    dialog = PatientDialog(today=TODAY, save=saver)
    qtbot.addWidget(dialog)
    _type(qtbot, dialog, "name", "New Patient")
    _type(qtbot, dialog, "birth_date", "2025-02-30")
    assert not dialog.try_save()
    assert dialog.errors["mrn"].text() == "required"
    assert "is not a real date (February 2025 has 28 days)" in dialog.errors["birth_date"].text()
    _type(qtbot, dialog, "mrn", "NP-1")
    _type(qtbot, dialog, "birth_date", "1990-06-01")
    dialog.set_value("indication", "ulcerative_colitis")
    assert dialog.try_save()
    assert saver.saved[0].indication == "ulcerative_colitis"


def test_a_refused_save_keeps_the_form(qtbot: Any, seed: r.Case) -> None:
    def refuse(_record: Any) -> int:
        error = ValueError("refused")
        error.problems = ["mrn: a patient with MRN 'AS-0001' is already in this database"]  # type: ignore[attr-defined]
        raise error

    dialog = PatientDialog(today=TODAY, save=refuse, patient=seed.patient)
    qtbot.addWidget(dialog)
    assert not dialog.try_save()
    assert "already in this database" in dialog.errors["mrn"].text()
    assert dialog.text("name") == "Seed Case"
