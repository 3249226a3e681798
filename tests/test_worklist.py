"""The clinic worklist: categories from each patient's assessment, and the background view."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

from conftest import CASES, load_case_json
from PySide6.QtCore import Qt

from clinic_gui.domain import records as r
from clinic_gui.domain.assessment import assess
from clinic_gui.domain.case_file import parse_case
from clinic_gui.domain.worklist import build_worklist, items_for
from clinic_gui.store.cases import insert_case
from clinic_gui.ui.worklist_view import WorklistView

TODAY = dt.date(2026, 11, 22)


def _case(name: str) -> r.Case:
    return parse_case(load_case_json(name), today=TODAY)


def _categories(case: r.Case, as_of: dt.date) -> dict[str, str]:
    return {i.category: i.detail for i in items_for(assess(case, as_of))}


def test_founding_case_due_with_the_dose_to_prepare() -> None:
    seed = _case("seed-as-wearing-off.json")
    found = _categories(seed, dt.date(2026, 1, 8))  # next due 2026-01-12
    assert found["due"] == "in 4 days; prepare 412 mg, 5 vials"
    assert found["wearing_off_no_trough"].startswith("source: both; consider a trough level")
    assert "overdue" not in found


def test_due_today_and_overdue() -> None:
    seed = _case("seed-as-wearing-off.json")
    assert _categories(seed, dt.date(2026, 1, 12))["due"].startswith("today;")
    assert _categories(seed, dt.date(2026, 1, 13))["overdue"] == "due 1 day ago; 412 mg, 5 vials"
    assert _categories(seed, dt.date(2026, 1, 11))["due"] == "tomorrow; prepare 412 mg, 5 vials"
    assert "due" not in _categories(seed, dt.date(2026, 1, 4))  # 8 days ahead


def test_recent_drug_levels_are_listed_for_review() -> None:
    cd = _case("cd-low-trough.json")
    found = {
        i.detail for i in items_for(assess(cd, dt.date(2025, 10, 3))) if i.category == "results"
    }
    assert found == {
        "trough 2.8 mcg/mL; decision row subtherapeutic_ada_low_or_absent",
        "antibodies 0 U/mL; decision row subtherapeutic_ada_low_or_absent",
    }
    later = items_for(assess(cd, dt.date(2025, 10, 14)))
    assert not [i for i in later if i.category == "results"]  # 15 days: no longer new


def test_worklist_order_overdue_first() -> None:
    seed, cd = _case("seed-as-wearing-off.json"), _case("cd-low-trough.json")
    items = build_worklist([seed, cd], dt.date(2026, 1, 13))
    assert [i.category for i in items][:2] == ["overdue", "overdue"]
    assert [i.mrn for i in items][:2] == ["CD-0101", "AS-0001"]  # CD due 2025-11-24 first


def test_no_regimen_no_dose_but_never_a_crash() -> None:
    seed = _case("seed-as-wearing-off.json")
    bare = dataclasses.replace(seed, regimens=())
    assert all(i.category != "due" for i in items_for(assess(bare, dt.date(2026, 1, 8))))


def test_view_builds_in_the_background_and_opens_a_chart(
    qtbot: Any, db: Any, db_path: Path, staff: Any
) -> None:
    for name in ("seed-as-wearing-off.json", "cd-low-trough.json"):
        case = parse_case(json.loads((CASES / name).read_text()), today=TODAY)
        insert_case(db, case, actor=staff.nurse)
    view = WorklistView(db_path, today=dt.date(2026, 1, 13))
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.refreshed, timeout=10_000) as blocker:
        view.refresh()
    assert blocker.args[0] == view.model.rowCount() > 0
    assert "Overdue: 2" in view.status.text()
    first = view.model.index(0, 0)
    assert view.model.data(first) == "Overdue"
    view.table.setCurrentIndex(first)
    with qtbot.waitSignal(view.patient_activated) as opened:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert opened.args[0] in ("CD-0101", "AS-0001")


def test_view_reports_a_failure_instead_of_freezing(qtbot: Any, tmp_path: Path) -> None:
    view = WorklistView(tmp_path / "missing.sqlite")
    qtbot.addWidget(view)
    view.refresh()
    qtbot.waitUntil(lambda: view.refresh_button.isEnabled(), timeout=10_000)
    assert view.status.text().startswith("The worklist could not be built: No clinic database at")


def test_model_contract(qtmodeltester: Any) -> None:
    from clinic_gui.ui.worklist_view import WorklistModel

    model = WorklistModel()
    model.set_rows(build_worklist([_case("seed-as-wearing-off.json")], dt.date(2026, 1, 8)))
    qtmodeltester.check(model)


def test_a_result_marked_reviewed_leaves_the_worklist(db: Any, staff: Any) -> None:
    from clinic_gui.domain.worklist import build_overview
    from clinic_gui.store.chart import load_chart
    from clinic_gui.store.clinic import iter_cases, reviewed_results
    from clinic_gui.store.entries import review_results

    cd = _case("cd-low-trough.json")
    insert_case(db, cd, actor=staff.nurse)
    as_of = dt.date(2025, 10, 3)

    def results() -> list[str]:
        overview = build_overview(iter_cases(db), as_of, reviewed_results(db))
        return [i.detail.split(";")[0] for i in overview.items if i.category == "results"]

    assert sorted(results()) == ["antibodies 0 U/mL", "trough 2.8 mcg/mL"]
    chart = load_chart(db, "CD-0101")
    trough = next(i for i, lab in enumerate(chart.case.labs) if lab.test == "infliximab")
    assert review_results(db, [chart.id_of("labs", trough)], actor=staff.physician) == 1
    assert results() == ["antibodies 0 U/mL"]
    assert review_results(db, [chart.id_of("labs", trough)], actor=staff.physician) == 0


def test_view_shows_progress_and_stops_when_asked(
    qtbot: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from clinic_gui.store import overview
    from clinic_gui.store.demo_clinic import write_demo_clinic

    path = tmp_path / "demo.sqlite"
    write_demo_clinic(path, patients=12, seed=1, as_of=dt.date(2026, 6, 30))
    monkeypatch.setattr(overview, "CHUNK", 5)
    view = WorklistView(path, today=dt.date(2026, 6, 30))
    qtbot.addWidget(view)
    shown: list[str] = []
    view._progress.advanced.connect(lambda *_: shown.append(view.status.text()))
    with qtbot.waitSignal(view.refreshed, timeout=20_000):
        view.refresh()
    assert shown[:2] == [
        "Assessing the clinic: 5 of 12 patients…",
        "Assessing the clinic: 10 of 12 patients…",
    ]
    assert view.status.text().startswith("As of 2026-06-30.")
    qtbot.waitUntil(lambda: view.task is not None and not view.task.running)
    view.today = dt.date(2026, 7, 1)  # a new day: everyone again, but the window closes
    view.stop()
    view.refresh()
    qtbot.waitUntil(lambda: view.refresh_button.isEnabled(), timeout=20_000)
    assert view.status.text() == "Stopped; what was worked out so far is kept."


def test_the_model_sorts_itself_and_the_current_row_follows(qtbot: Any) -> None:
    from PySide6.QtWidgets import QTableView

    from clinic_gui.ui.worklist_view import NAME, WorklistModel

    model = WorklistModel()
    items = build_worklist(
        [_case("seed-as-wearing-off.json"), _case("cd-low-trough.json")], dt.date(2026, 1, 13)
    )
    model.set_rows(items)
    table = QTableView()
    qtbot.addWidget(table)
    table.setModel(model)
    table.setCurrentIndex(model.index(0, 0))
    current = model.row_at(0)
    model.sort(NAME, Qt.SortOrder.DescendingOrder)
    names = [model.data(model.index(n, NAME)) for n in range(model.rowCount())]
    assert names == sorted(names, reverse=True)
    assert model.row_at(table.currentIndex().row()) == current
