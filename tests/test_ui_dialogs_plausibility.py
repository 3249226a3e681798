"""Entry dialogs and plausibility warnings: asked in a plain-text box, "Go back" by default,
saved only after "Save anyway"; and every label in every dialog shows text as typed."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from conftest import snapshot
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox
from test_entries import MRN, TODAY, WHO, seeded  # noqa: F401 (the fixture)

from clinic_gui.domain import records as r
from clinic_gui.store.cases import read_case
from clinic_gui.store.entries import NeedsConfirmation, record_infusion
from clinic_gui.ui.dialogs.diary_dialog import DiaryDialog
from clinic_gui.ui.dialogs.form import GO_BACK, SAVE_ANYWAY, RecordForm
from clinic_gui.ui.dialogs.infusion_dialog import InfusionDialog
from clinic_gui.ui.dialogs.lab_dialog import LabDialog
from clinic_gui.ui.dialogs.patient_dialog import PatientDialog
from clinic_gui.ui.dialogs.regimen_dialog import RegimenDialog
from clinic_gui.ui.dialogs.void_dialog import VoidDialog
from clinic_gui.ui.dialogs.weight_dialog import WeightDialog

on_seeded_db = pytest.mark.usefixtures("seeded")
TWELVE = "dose_mg: check before saving: 989 mg at 82.4 kg (the weight used) is 12 mg/kg, above"


class Asked:
    """Stands in for the modal box: records each question and gives a set answer."""

    def __init__(self, answers: list[bool]) -> None:
        self.answers = answers
        self.questions: list[tuple[str, ...]] = []

    def __call__(self, warnings: Any) -> bool:
        self.questions.append(tuple(warnings))
        return self.answers.pop(0)


def _type(qtbot: Any, dialog: Any, name: str, text: str) -> None:
    widget = dialog.widgets[name]
    widget.clear()
    qtbot.keyClicks(widget, text)


def _infusion_dialog(qtbot: Any, db: Any, monkeypatch: Any, answers: list[bool]) -> Any:
    def save(record: r.Infusion, **options: Any) -> int:
        return record_infusion(db, MRN, record, actor=WHO.nurse, today=TODAY, **options)

    dialog = InfusionDialog(read_case(db, MRN), today=TODAY, nurse="Kim Nurse", save=save)
    qtbot.addWidget(dialog)
    asked = Asked(answers)
    monkeypatch.setattr(dialog, "confirm_warnings", asked)
    _type(qtbot, dialog, "dose_mg", "989")  # 989 mg / 82.4 kg = 12 mg/kg
    _type(qtbot, dialog, "vials", "10")
    _type(qtbot, dialog, "start_time", "09:00")
    _type(qtbot, dialog, "end_time", "11:05")
    return dialog, asked


@on_seeded_db
def test_12_mg_per_kg_is_saved_only_after_save_anyway(
    qtbot: Any, db: Any, db_path: Any, monkeypatch: Any
) -> None:
    before = read_case(db, MRN)
    dialog, asked = _infusion_dialog(qtbot, db, monkeypatch, [True])
    assert dialog.try_save()
    ((warning,),) = asked.questions
    assert warning.startswith(TWELVE)
    after = read_case(db, MRN)
    (saved,) = set(after.infusions) - set(before.infusions)
    assert (saved.dose_mg, saved.vials, saved.weight_kg) == (989, 10, 82.4)
    assert saved.notes == f"Confirmed at entry: {warning}"
    assert dialog.saved_id is not None and dialog.result() == dialog.DialogCode.Accepted


@on_seeded_db
def test_go_back_keeps_the_input_writes_nothing_and_shows_the_warning(
    qtbot: Any, db: Any, db_path: Any, monkeypatch: Any
) -> None:
    before = snapshot(db_path)
    dialog, asked = _infusion_dialog(qtbot, db, monkeypatch, [False])
    dialog.show()
    qtbot.keyClick(dialog.widgets["lot"], Qt.Key.Key_Return)  # Enter saves
    assert len(asked.questions) == 1
    assert snapshot(db_path) == before
    assert dialog.isVisible() and dialog.saved_id is None
    assert (dialog.text("dose_mg"), dialog.text("vials"), dialog.text("end_time")) == (
        "989",
        "10",
        "11:05",
    )
    shown = dialog.errors["dose_mg"].text()
    assert shown.startswith("check before saving: 989 mg at 82.4 kg (the weight used) is 12")
    assert dialog.summary.text() == "Not saved."
    # Asked again on the next save, and this time saved.
    asked.answers.append(True)
    assert dialog.try_save()
    assert len(asked.questions) == 2 and asked.questions[0] == asked.questions[1]


@on_seeded_db
def test_a_save_that_cannot_take_a_confirmation_shows_the_warning_as_a_refusal(
    qtbot: Any, db: Any, db_path: Any
) -> None:
    def save(record: r.Infusion) -> int:  # no ``confirmed``: the user is not asked
        return record_infusion(db, MRN, record, actor=WHO.nurse, today=TODAY)

    before = snapshot(db_path)
    dialog = InfusionDialog(read_case(db, MRN), today=TODAY, nurse="Kim Nurse", save=save)
    qtbot.addWidget(dialog)
    dialog.confirm_warnings = None  # type: ignore[assignment,method-assign]  # never called
    _type(qtbot, dialog, "dose_mg", "989")
    _type(qtbot, dialog, "vials", "10")
    assert not dialog.try_save()
    assert dialog.errors["dose_mg"].text().startswith("check before saving: 989 mg")
    assert snapshot(db_path) == before


def test_the_question_is_plain_text_with_go_back_as_default(qtbot: Any, seed: r.Case) -> None:
    dialog = WeightDialog(seed, today=dt.date(2026, 1, 12), save=lambda record: 1)
    qtbot.addWidget(dialog)
    warnings = [
        "kg: check before saving: 95 kg is 15.3% more than the previous weight",
        "notes: check before saving: <b>not bold</b> & <i>not italic</i>",
    ]
    box = dialog.confirmation_box(warnings)
    assert box.windowTitle() == "Check before saving"
    assert box.text() == "Please check these values before saving."
    assert box.informativeText() == (
        "Weight: 95 kg is 15.3% more than the previous weight\n\n"
        "notes: check before saving: <b>not bold</b> & <i>not italic</i>"
    )
    assert box.textFormat() == Qt.TextFormat.PlainText
    labels = box.findChildren(QLabel)
    assert labels and all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)
    assert [b.text() for b in box.buttons()] == [SAVE_ANYWAY, GO_BACK]
    assert box.defaultButton().text() == GO_BACK
    assert box.escapeButton().text() == GO_BACK


@pytest.mark.parametrize(("clicked", "expected"), [(SAVE_ANYWAY, True), (GO_BACK, False)])
def test_the_answer_is_read_from_the_button_clicked(
    qtbot: Any, seed: r.Case, monkeypatch: Any, clicked: str, expected: bool
) -> None:
    def answer(box: QMessageBox) -> int:  # instead of a modal loop, click at once
        next(b for b in box.buttons() if b.text() == clicked).click()
        return 0

    monkeypatch.setattr(QMessageBox, "exec", answer)
    dialog = WeightDialog(seed, today=dt.date(2026, 1, 12), save=lambda record: 1)
    qtbot.addWidget(dialog)
    assert dialog.confirm_warnings(["kg: check before saving: 95 kg"]) is expected


def test_the_loop_stops_when_a_confirmed_warning_comes_back(qtbot: Any, seed: r.Case) -> None:
    calls: list[tuple[str, ...]] = []

    def stubborn(record: r.Weight, confirmed: tuple[str, ...] = ()) -> int:
        calls.append(confirmed)
        raise NeedsConfirmation(["kg: check before saving: 95 kg"])

    dialog = WeightDialog(seed, today=dt.date(2026, 1, 12), save=stubborn)
    qtbot.addWidget(dialog)
    dialog.confirm_warnings = Asked([True, True])  # type: ignore[method-assign]
    _type(qtbot, dialog, "kg", "95")
    assert not dialog.try_save()
    assert calls == [(), ("kg: check before saving: 95 kg",)]
    assert dialog.errors["kg"].text() == "check before saving: 95 kg"


# ---------------------------------------------------------------------------------------------
# Plain text


@pytest.fixture
def seed() -> r.Case:
    from conftest import load_case_json

    from clinic_gui.domain.case_file import parse_case

    return parse_case(load_case_json("seed-as-wearing-off.json"), today=dt.date(2026, 11, 22))


def _every_dialog(seed: r.Case) -> list[RecordForm]:
    today = dt.date(2026, 1, 12)

    def keep(record: Any) -> int:
        return 1

    return [
        InfusionDialog(seed, today=today, nurse="<b>Kim</b>", save=keep),
        WeightDialog(seed, today=today, save=keep),
        DiaryDialog(seed, today=today, save=keep),
        LabDialog(seed, today=today, save=keep),
        RegimenDialog(seed, today=today, ordered_by="<i>Dr Lee</i>", save=keep),
        PatientDialog(today=today, save=keep, patient=seed.patient),
        VoidDialog("the <b>infusion</b> of 2026-01-05", save=keep),
    ]


def test_every_label_of_every_dialog_shows_plain_text(qtbot: Any, seed: r.Case) -> None:
    for dialog in _every_dialog(seed):
        qtbot.addWidget(dialog)
        dialog.try_save()  # fills the problem labels where the form is incomplete
        labels = dialog.findChildren(QLabel)
        rich = [label.text() for label in labels if label.textFormat() != Qt.TextFormat.PlainText]
        assert labels and rich == [], (type(dialog).__name__, rich)


def test_markup_typed_into_a_field_is_shown_as_typed(qtbot: Any, seed: r.Case) -> None:
    dialog = WeightDialog(seed, today=dt.date(2026, 1, 12), save=lambda record: 1)
    qtbot.addWidget(dialog)
    _type(qtbot, dialog, "kg", "<b>80</b>")
    assert not dialog.try_save()
    error = dialog.errors["kg"]
    assert error.text() == "'<b>80</b>' is not a number"
    assert error.textFormat() == Qt.TextFormat.PlainText
    void = VoidDialog("the <b>infusion</b> of 2026-01-05", save=lambda reason: 1)
    qtbot.addWidget(void)
    assert void.intro.text().startswith("Void the <b>infusion</b> of 2026-01-05?")
    assert void.intro.textFormat() == Qt.TextFormat.PlainText
