"""Safety of the record in the chart: the patient's history of changes, a physician's review
of results and sign-off of a recommendation, and typed text always shown as text."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
import json
import time
from typing import Any

import pytest
from conftest import load_case_json, write_row_by_row
from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel

from clinic_gui.domain import records as r
from clinic_gui.domain.assessment import assessment_json
from clinic_gui.domain.case_file import parse_case
from clinic_gui.store import audit, entries
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.store.chart import lab_reviews, lab_row_ids, load_chart, sign_offs
from clinic_gui.store.users import PermissionRefused, set_roles
from clinic_gui.ui.chart import changes_tab as ct
from clinic_gui.ui.chart import diary_tab as dtab
from clinic_gui.ui.chart import history_model as hm
from clinic_gui.ui.chart import labs_tab as lt
from clinic_gui.ui.chart.chart_view import ChartView
from clinic_gui.ui.text import local_time, plain_tooltip

TODAY = dt.date(2026, 11, 22)
AS_OF = dt.date(2025, 9, 29)
MRN = "CD-0101"
LOW_ROW = "subtherapeutic_ada_low_or_absent"
PLAIN = Qt.TextFormat.PlainText
DISPLAY = Qt.ItemDataRole.DisplayRole
TOOLTIP = Qt.ItemDataRole.ToolTipRole

NAME = "<b>Bold</b> <img src=x>"
NOTES = '<a href="x">click</a>'
ESCAPED_NOTES = "&lt;a href=&quot;x&quot;&gt;click&lt;/a&gt;"


def _case(**patient: Any) -> r.Case:
    case = parse_case(load_case_json("cd-low-trough.json"), today=TODAY)
    if patient:
        case = dataclasses.replace(case, patient=dataclasses.replace(case.patient, **patient))
    return case


@pytest.fixture
def clinic(db: Any, staff: Any) -> Any:
    insert_case(db, _case(), actor=staff.nurse)
    return db


class Saved:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self) -> None:
        self.calls += 1


def _chart(qtbot: Any, db: Any, user: Any, saved: Saved | None = None) -> ChartView:
    view = ChartView(today=AS_OF)
    qtbot.addWidget(view)
    view.set_session(db, user, saved or Saved())
    view.resize(1006, 648)
    view.show()
    view.show_case(read_case(db, MRN))
    return view


def _texts(model: Any, row: int) -> list[str]:
    return [model.data(model.index(row, c), DISPLAY) for c in range(model.columnCount())]


def _lab_row(view: ChartView, test: str) -> int:
    assert view.labs_tab is not None
    model = view.labs_tab.model
    return next(n for n in range(model.rowCount()) if model.row_at(n).lab.test == test)


# ---------------------------------------------------------------------------------------------
# Without a session nothing new shows


def test_without_a_session_the_new_controls_are_hidden(qtbot: Any) -> None:
    view = ChartView(today=AS_OF)
    qtbot.addWidget(view)
    view.show()
    view.show_case(_case())
    assert view.session is None
    assert view.changes_tab is None
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == [
        "Dosing history", "&Diary", "&Labs"
    ]  # fmt: skip
    assert view.labs_tab is not None
    assert view.labs_tab.table.isColumnHidden(lt.REVIEWED)
    assert not view.labs_tab.review_bar.isVisibleTo(view)
    assert not view.panel.sign_off_row.isVisibleTo(view)
    assert view.open_sign_off() is None


# ---------------------------------------------------------------------------------------------
# The history of changes


def test_local_time_is_the_utc_stamp_in_the_local_zone(monkeypatch: Any) -> None:
    monkeypatch.setenv("TZ", "EST+5EDT,M3.2.0,M11.1.0")
    time.tzset()
    try:
        assert local_time("2026-01-15T17:30:00.123Z") == "2026-01-15 12:30"
        assert local_time("2026-07-15T17:30:00Z") == "2026-07-15 13:30"
        assert local_time("") == ""
    finally:
        monkeypatch.undo()
        time.tzset()


def test_changes_tab_lists_an_infusion_recorded_and_later_voided(
    qtbot: Any, clinic: Any, staff: Any
) -> None:
    infusion = r.Infusion(
        date=dt.date(2025, 11, 24), product="Inflectra", dose_mg=320, vials=4, nurse="Kim Nurse"
    )
    row_id = entries.record_infusion(clinic, MRN, infusion, actor=staff.nurse, today=TODAY)
    entries.void_entry(
        clinic, "infusion", row_id, reason="entered on the wrong patient", actor=staff.physician
    )
    view = _chart(qtbot, clinic, staff.physician)
    tab = view.changes_tab
    assert tab is not None
    assert view.tabs.tabText(view.tabs.indexOf(tab)) == "C&hanges"
    assert tab.model.rowCount() == 0  # read when looked at, not when the chart opens

    view.tabs.setCurrentWidget(tab)
    model = tab.model
    trail = audit.entries(clinic, patient_mrn=MRN)
    assert model.rowCount() == len(trail)
    voided, created = trail[0], trail[1]
    assert (voided.action, voided.table_name, voided.row_id) == ("void", "infusion", row_id)
    assert _texts(model, 0) == [
        local_time(voided.at),
        "dr.lee",
        "voided",
        "infusion 2025-11-24",
        "reason: entered on the wrong patient",
    ]
    assert _texts(model, 1) == [
        local_time(created.at),
        "rn.kim",
        "created",
        "infusion 2025-11-24",
        "date: 2025-11-24; product: Inflectra; dose (mg): 320; vials: 4; nurse: Kim Nurse",
    ]
    row = model.row_at(0)
    assert (row.what, row.entry_text) == ("infusion", "2025-11-24")
    # The import that created the record is in the history too, oldest last: one event.
    assert _texts(model, model.rowCount() - 1)[1:4] == ["rn.kim", "imported", "case file"]
    imported = [
        _texts(model, n) for n in range(model.rowCount()) if model.row_at(n).action == "imported"
    ]
    assert [t[1:4] for t in imported] == [["rn.kim", "imported", "case file"]]
    assert imported[0][4].startswith(f"case file for {MRN}; rows created: patient 1, weight ")

    tab.table.selectRow(0)
    assert tab.detail.textFormat() == PLAIN
    assert tab.detail.text() == (
        f"{local_time(voided.at)}, dr.lee: voided infusion 2025-11-24\n"
        "reason: entered on the wrong patient"
    )


def test_describe_changes_of_an_update() -> None:
    entry = audit.AuditEntry(
        1, "2026-11-22T09:00:00.000Z", "rn.kim", None, "update", "patient", 1, 1, MRN,
        (("nyha_class", None, 2), ("indication", "crohns_disease", "ulcerative_colitis")),
        None,
    )  # fmt: skip
    assert ct.describe_changes(entry) == (
        "NYHA class: — → 2",
        "indication: Crohn's disease → Ulcerative colitis",
    )


# ---------------------------------------------------------------------------------------------
# Reviewing results


def test_a_nurse_cannot_mark_results_as_reviewed(qtbot: Any, clinic: Any, staff: Any) -> None:
    view = _chart(qtbot, clinic, staff.nurse)
    tab = view.labs_tab
    assert tab is not None
    view.tabs.setCurrentWidget(tab)
    assert not tab.table.isColumnHidden(lt.REVIEWED)
    assert tab.review_bar.isVisibleTo(view)
    for button in (tab.review_selected_button, tab.review_all_button):
        assert not button.isEnabled()
        assert "needs the physician role" in button.toolTip()


def test_a_physician_marks_a_trough_as_reviewed(qtbot: Any, clinic: Any, staff: Any) -> None:
    saved = Saved()
    view = _chart(qtbot, clinic, staff.physician, saved)
    tab = view.labs_tab
    assert tab is not None
    view.tabs.setCurrentWidget(tab)
    assert tab.review_selected_button.isEnabled()
    assert tab.review_all_button.isEnabled()
    trough = _lab_row(view, "infliximab")
    assert tab.model.data(tab.model.index(trough, lt.REVIEWED)) == ""

    tab.table.selectRow(trough)
    qtbot.mouseClick(tab.review_selected_button, Qt.MouseButton.LeftButton)

    trough_id = load_chart(clinic, MRN).id_of("labs", 0)
    assert tab.model.row_at(_lab_row(view, "infliximab")).row_id == trough_id
    reviews = lab_reviews(clinic, MRN)
    assert list(reviews) == [trough_id]
    by, at = reviews[trough_id]
    assert by == "dr.lee"
    cell = tab.model.index(_lab_row(view, "infliximab"), lt.REVIEWED)
    assert tab.model.data(cell) == f"dr.lee, {local_time(at)}"
    assert tab.model.data(tab.model.index(_lab_row(view, "crp"), lt.REVIEWED)) == ""
    assert tab.message.text() == "Marked 1 result as reviewed by dr.lee."
    assert saved.calls == 1
    review = audit.entries(clinic, patient_mrn=MRN, action="review")
    assert [(e.actor, e.table_name, e.row_id) for e in review] == [("dr.lee", "lab", trough_id)]

    # The history of changes says so too.
    assert view.changes_tab is not None
    view.tabs.setCurrentWidget(view.changes_tab)
    assert _texts(view.changes_tab.model, 0)[1:] == [
        "dr.lee", "reviewed", "lab result 2025-09-29 08:00", "Infliximab level 2.8 mcg/mL"
    ]  # fmt: skip

    # "Mark all" marks the antibody result as well, and no other test.
    view.tabs.setCurrentWidget(tab)
    qtbot.mouseClick(tab.review_all_button, Qt.MouseButton.LeftButton)
    tests = {tab.model.row_at(n).lab.test for n in range(tab.model.rowCount())
             if tab.model.row_at(n).reviewed}  # fmt: skip
    assert tests == {"infliximab", "anti_infliximab_antibody"}
    assert tab.message.text() == "Marked 1 result as reviewed by dr.lee."
    assert saved.calls == 2


def test_a_refused_review_is_shown_and_nothing_is_written(
    qtbot: Any, clinic: Any, staff: Any
) -> None:
    saved = Saved()
    view = _chart(qtbot, clinic, staff.physician, saved)
    set_roles(clinic, staff.admin, "dr.lee", ["nurse"])  # taken away while signed in
    tab = view.labs_tab
    assert tab is not None
    view.tabs.setCurrentWidget(tab)
    tab.table.selectRow(_lab_row(view, "infliximab"))
    qtbot.mouseClick(tab.review_selected_button, Qt.MouseButton.LeftButton)
    assert tab.message.text() == (
        "Not marked as reviewed: dr.lee may not mark results as reviewed: that needs the "
        "physician role"
    )
    assert tab.message.isVisibleTo(view)
    assert tab.message.textFormat() == PLAIN
    assert lab_reviews(clinic, MRN) == {}
    assert saved.calls == 0


def test_lab_row_ids_match_by_content(clinic: Any) -> None:
    chart = load_chart(clinic, MRN)
    labs = chart.case.labs
    assert lab_row_ids(clinic, MRN, labs) == list(chart.ids["labs"])
    assert lab_row_ids(clinic, MRN, tuple(reversed(labs))) == list(reversed(chart.ids["labs"]))
    gone = dataclasses.replace(labs[0], value=99)
    assert lab_row_ids(clinic, MRN, (gone,)) == [None]
    assert lab_row_ids(clinic, "NO-SUCH", labs) == [None] * len(labs)


# ---------------------------------------------------------------------------------------------
# Signing off a recommendation


def test_a_physician_signs_off_the_recommendation(qtbot: Any, clinic: Any, staff: Any) -> None:
    saved = Saved()
    view = _chart(qtbot, clinic, staff.physician, saved)
    panel = view.panel
    assert panel.sign_off_row.isVisibleTo(view)
    assert panel.sign_off_label.text() == "No physician's sign-off on record for this patient."
    assert panel.sign_off_button.isEnabled()

    qtbot.mouseClick(panel.sign_off_button, Qt.MouseButton.LeftButton)
    dialog = view.sign_off_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    shown = dialog.inputs.toPlainText()
    assert "Trough below target; antibodies negative or low titer" in shown
    assert "Trough: 2.8 mcg/mL on 2025-09-29 08:00; assay drug-tolerant ELISA" in shown
    assert "Public Example (MRN CD-0101), assessed as of 2025-09-29." in shown
    note = "Shorten the interval to 6 weeks; trough before the third infusion."
    dialog.set_note(note)
    qtbot.mouseClick(
        dialog.buttons.button(QDialogButtonBox.StandardButton.Save), Qt.MouseButton.LeftButton
    )
    assert dialog.result() == dialog.DialogCode.Accepted

    stored = sign_offs(clinic, MRN)
    assert len(stored) == 1
    latest = stored[0]
    assert (latest.by, latest.by_name, latest.decision_row, latest.note) == (
        "dr.lee", "Dr Lee", LOW_ROW, note
    )  # fmt: skip
    assert view.assessment is not None
    assert json.loads(latest.assessment_json) == json.loads(
        json.dumps(assessment_json(view.assessment))
    )
    assert json.loads(latest.assessment_json)["decision"]["row"] == LOW_ROW
    assert panel.sign_off_label.textFormat() == PLAIN
    assert panel.sign_off_label.text() == f"Signed off by Dr Lee at {local_time(latest.at)}: {note}"
    assert saved.calls == 1
    trail = audit.entries(clinic, patient_mrn=MRN, table="sign_off")
    assert [(e.action, e.actor, e.row_id) for e in trail] == [("create", "dr.lee", latest.id)]

    # A second sign-off is the latest shown; the list is newest first.
    entries.sign_off(
        clinic, MRN, decision_row=LOW_ROW, assessment_json="{}", note=None, actor=staff.physician
    )
    assert [s.note for s in sign_offs(clinic, MRN)] == [None, note]
    view.show_case(read_case(clinic, MRN))
    assert panel.sign_off_label.text().endswith(" (no note).")


def test_an_older_sign_off_in_another_row_and_a_long_note(
    qtbot: Any, clinic: Any, staff: Any
) -> None:
    note = "Keep the regimen. " + "x" * 300
    entries.sign_off(
        clinic, MRN, decision_row="no_tdm", assessment_json="{}", note=note, actor=staff.physician
    )
    view = _chart(qtbot, clinic, staff.physician)
    label = view.panel.sign_off_label
    at = sign_offs(clinic, MRN)[0].at
    head = f"Signed off by Dr Lee at {local_time(at)}"
    assert label.text() == (
        f"{head}: {note[:240]}…\n"
        "(Signed off in the row “No current trough level”; the table now shows another row.)"
    )
    assert label.toolTip().startswith(f"{head}: {note}\n\n")


def test_a_nurse_cannot_sign_off(qtbot: Any, clinic: Any, staff: Any) -> None:
    view = _chart(qtbot, clinic, staff.nurse)
    button = view.panel.sign_off_button
    assert view.panel.sign_off_row.isVisibleTo(view)
    assert not button.isEnabled()
    assert "needs the physician role" in button.toolTip()
    assert view.open_sign_off() is None
    with pytest.raises(PermissionRefused, match="needs the physician role"):
        entries.sign_off(
            clinic, MRN, decision_row=LOW_ROW, assessment_json="{}", note="x", actor=staff.nurse
        )
    assert sign_offs(clinic, MRN) == []


# ---------------------------------------------------------------------------------------------
# Typed text is shown as text


def _literal(tip: str, raw: str) -> bool:
    """Would Qt show ``raw`` in this tooltip as the characters typed? (A tooltip is rich text
    when ``Qt.mightBeRichText`` says so, as Qt decides.)"""
    if QtGui.Qt.mightBeRichText(tip):
        return raw not in tip and html.escape(raw) in tip
    return raw in tip


def _injected_case() -> r.Case:
    case = _case(name=NAME, notes=NOTES)
    infusions = list(case.infusions)
    infusions[-1] = dataclasses.replace(
        infusions[-1], notes=NOTES, lot=NOTES, reaction=r.Reaction(grade="mild", description=NOTES)
    )
    labs = tuple(dataclasses.replace(lab, assay=NOTES, notes=NOTES) for lab in case.labs)
    regimens = tuple(dataclasses.replace(g, reason=NOTES) for g in case.regimens)
    diary = tuple(dataclasses.replace(d, notes=NOTES) for d in case.diary)
    return dataclasses.replace(
        case, infusions=tuple(infusions), labs=labs, regimens=regimens, diary=diary
    )


def test_plain_tooltip_escapes_only_what_qt_would_read_as_html() -> None:
    assert plain_tooltip("Note: a < b") == "Note: a < b"
    assert plain_tooltip(None) is None
    assert plain_tooltip(NOTES + "\nnext") == (
        f'<p style="white-space: pre-wrap">{ESCAPED_NOTES}<br>next</p>'
    )


def test_html_typed_into_the_record_is_shown_literally(qtbot: Any, db: Any, staff: Any) -> None:
    write_row_by_row(db, _injected_case(), staff.physician)  # each row's creation in Changes
    entries.sign_off(
        db, MRN, decision_row=LOW_ROW, assessment_json="{}", note=NOTES, actor=staff.physician
    )
    view = _chart(qtbot, db, staff.physician)

    # Header: plain-text labels holding the raw text.
    for label in (view.name_label, view.notes_label, view.details_label, view.regimen_label,
                  view.next_due_label, view.tdm_badge, view.wearing_off_badge):  # fmt: skip
        assert label.textFormat() == PLAIN, label.accessibleName()
    assert view.name_label.text() == NAME
    assert view.name_label.toolTip() in ("", plain_tooltip(NAME))  # when elided
    assert view.notes_label.text() == f"Notes: {NOTES}"
    assert view.notes_label.isVisibleTo(view)

    # The panel's rich-text fields escape the typed assay.
    panel = view.panel
    for key in ("trough", "antibodies"):
        text = panel.tdm_fields[key].text()
        assert panel.tdm_fields[key].textFormat() == Qt.TextFormat.RichText
        assert f"assay {ESCAPED_NOTES}" in text, key
        assert NOTES not in text
    assert panel.sign_off_label.textFormat() == PLAIN
    assert panel.sign_off_label.text().endswith(f": {NOTES}")
    assert panel.wearing_off_badge.textFormat() == PLAIN
    row_label = panel.tdm_row_labels[LOW_ROW]
    assert row_label.textFormat() == PLAIN
    assert row_label.toolTip().startswith("Why: trough 2.8 mcg/mL is below the target")

    # Table tooltips: the infusion's notes and reaction, the lab's and the diary's notes.
    history = view.history_model
    row = history.row_of(dt.date(2025, 9, 29))
    assert row is not None
    for column in (hm.PRODUCT, hm.REACTION):
        assert history.data(history.index(row, column), TOOLTIP) == plain_tooltip(NOTES)
    assert history.data(history.index(row, hm.LOT), DISPLAY) == NOTES  # cells are plain text
    assert view.labs_tab is not None and view.diary_tab is not None
    view.tabs.setCurrentWidget(view.labs_tab)
    labs = view.labs_tab.model
    for column in (lt.SAMPLED, lt.RESULT):
        assert _literal(labs.data(labs.index(0, column), TOOLTIP), f"Note: {NOTES}")
    view.tabs.setCurrentWidget(view.diary_tab)
    diary = view.diary_tab.model
    assert diary.data(diary.index(0, dtab.DATE), TOOLTIP) == plain_tooltip(f"Note: {NOTES}")

    # The history of changes: plain cells, escaped tooltips, a plain detail line.
    assert view.changes_tab is not None
    view.tabs.setCurrentWidget(view.changes_tab)
    changes = view.changes_tab.model
    created = next(
        n for n in range(changes.rowCount()) if changes.row_at(n).what == "patient details"
    )
    assert f"name: {NAME}" in changes.data(changes.index(created, ct.CHANGES), DISPLAY)
    tip = changes.data(changes.index(created, ct.CHANGES), TOOLTIP)
    assert _literal(tip, f"name: {NAME}")
    view.changes_tab.table.selectRow(created)
    assert view.changes_tab.detail.textFormat() == PLAIN
    assert f"name: {NAME}" in view.changes_tab.detail.text()

    # Every label of the chart that is not rich text on purpose is plain text.
    rich = {label for label in view.findChildren(QLabel)
            if label.textFormat() == Qt.TextFormat.RichText}  # fmt: skip
    assert all(NOTES not in label.text() and NAME not in label.text() for label in rich)

    # The sign-off dialog repeats the inputs as plain text.
    dialog = view.open_sign_off()
    assert dialog is not None
    assert dialog.intro.textFormat() == PLAIN
    assert dialog.summary.textFormat() == PLAIN
    assert f"{NAME} (MRN {MRN})" in dialog.inputs.toPlainText()
    assert f"assay {NOTES}" in dialog.inputs.toPlainText()
    dialog.reject()
