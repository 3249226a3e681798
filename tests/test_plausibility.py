"""Plausibility warnings: worked examples at and just past each threshold, and the store's
refusal to save a warned entry until exactly those warnings are confirmed."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from typing import Any

import pytest
from conftest import ROOT, snapshot
from test_entries import INFUSION, MRN, TODAY, WHO, seeded  # noqa: F401 (the fixture)

from clinic_gui.domain import records as r
from clinic_gui.domain.dosing import load_policy
from clinic_gui.domain.plausibility import (
    highest_labelled_mg_per_kg,
    infusion_warnings,
    lab_warnings,
    plausibility_warnings,
    thresholds,
    weight_warnings,
)
from clinic_gui.store.audit import entries as audit_entries
from clinic_gui.store.cases import read_case
from clinic_gui.store.entries import (
    SAVE_REFUSED,
    EntryRefused,
    NeedsConfirmation,
    add_diary_entry,
    add_lab_result,
    add_weight,
    record_infusion,
)

PATIENT = r.Patient(
    mrn="P-1",
    name="Test Patient",
    birth_date=dt.date(1980, 1, 1),
    sex="female",
    indication="crohns_disease",
)
DAY = dt.date(2026, 3, 2)


def _case(*weights: tuple[str, float]) -> r.Case:
    return r.Case(
        patient=PATIENT,
        weights=tuple(r.Weight(date=dt.date.fromisoformat(d), kg=kg) for d, kg in weights),
    )


def _infusion(dose_mg: float, **fields: Any) -> r.Infusion:
    return r.Infusion(date=DAY, product="Remicade", dose_mg=dose_mg, **fields)


def _lab(value: float, unit: str = "mcg/mL", **fields: Any) -> r.LabResult:
    return r.LabResult(sampled_at=DAY, test="infliximab", value=value, unit=unit, **fields)


# ---------------------------------------------------------------------------------------------
# The thresholds and where they come from


def test_thresholds_are_read_from_their_single_sources() -> None:
    limits = thresholds()
    assert limits.weight_change_percent == load_policy().weight_change_percent == 10
    assert limits.dose_mg_per_kg_max == highest_labelled_mg_per_kg() == 10
    assert limits.trough_max_mcg_per_ml == 100
    assert limits.infusion_min_minutes == 120


def test_every_setting_states_unit_rationale_source_and_note() -> None:
    settings = json.loads((ROOT / "resources" / "plausibility.json").read_text("utf-8"))
    for name, setting in settings["settings"].items():
        assert ("value" in setting) != ("value_from" in setting), name
        for key in ("unit", "rationale", "source", "note"):
            assert setting[key].strip(), (name, key)
    # Figures held elsewhere are named there, not repeated here.
    assert settings["settings"]["weight_change_percent"]["value_from"] == {
        "file": "dosing_policy.json",
        "key": "weight_change_percent",
    }
    assert settings["settings"]["dose_mg_per_kg_max"]["value_from"]["file"] == "label.json"


# ---------------------------------------------------------------------------------------------
# Weight: more than 10% from the previous one


def test_weight_exactly_10_percent_from_the_previous_is_not_flagged() -> None:
    case = _case(("2026-01-05", 80))
    assert weight_warnings(r.Weight(date=DAY, kg=88), case) == []
    assert weight_warnings(r.Weight(date=DAY, kg=72), case) == []


def test_weight_10_1_percent_from_the_previous_is_flagged() -> None:
    case = _case(("2026-01-05", 80))
    assert weight_warnings(r.Weight(date=DAY, kg=88.08), case) == [
        "kg: check before saving: 88.08 kg is 10.1% more than the previous weight (80 kg on "
        "2026-01-05); a change of more than 10% is often a typing or unit slip (pounds for "
        "kilograms). Confirm the weight."
    ]
    (less,) = weight_warnings(r.Weight(date=DAY, kg=71.92), case)
    assert less.startswith("kg: check before saving: 71.92 kg is 10.1% less than the previous")


def test_a_change_just_over_the_limit_is_shown_with_enough_decimals() -> None:
    (warning,) = weight_warnings(r.Weight(date=DAY, kg=88.02), _case(("2026-01-05", 80)))
    assert "88.02 kg is 10.03% more" in warning


def test_weight_is_compared_with_the_latest_earlier_weight_else_the_next() -> None:
    case = _case(("2025-06-01", 60), ("2026-01-05", 80), ("2026-06-01", 100))
    assert weight_warnings(r.Weight(date=DAY, kg=81), case) == []  # 80 before it, not 100
    (warning,) = weight_warnings(r.Weight(date=dt.date(2025, 1, 1), kg=80), case)
    assert "80 kg is 33.3% more than the next weight (60 kg on 2025-06-01)" in warning
    assert weight_warnings(r.Weight(date=DAY, kg=150), _case()) == []  # nothing to compare


def test_weight_threshold_can_be_set_lower() -> None:
    five = replace(thresholds(), weight_change_percent=5)
    case = _case(("2026-01-05", 80))
    assert weight_warnings(r.Weight(date=DAY, kg=84), case, limits=five) == []
    assert len(weight_warnings(r.Weight(date=DAY, kg=84.1), case, limits=five)) == 1


# ---------------------------------------------------------------------------------------------
# Infusion: above 10 mg/kg, shorter than 2 hours


def test_exactly_10_mg_per_kg_is_not_flagged_and_just_above_is() -> None:
    case = _case(("2026-01-05", 95))
    assert infusion_warnings(_infusion(950), case) == []
    assert infusion_warnings(_infusion(951), case) == [
        "dose_mg: check before saving: 951 mg at 95 kg (the latest weight) is 10.01 mg/kg, "
        "above 10 mg/kg, the highest infliximab dose in the US label. Higher doses are used "
        "off-label in IBD practice (clinical reference §1.1); confirm that such a dose was "
        "ordered."
    ]


def test_dose_uses_the_weight_recorded_with_the_infusion_first() -> None:
    case = _case(("2026-01-05", 95))
    (warning,) = infusion_warnings(_infusion(960, weight_kg=80), case)
    assert warning.startswith(
        "dose_mg: check before saving: 960 mg at 80 kg (the weight used) is 12 mg/kg"
    )
    assert infusion_warnings(_infusion(800, weight_kg=80), case) == []


def test_no_weight_means_no_mg_per_kg_to_check() -> None:
    assert infusion_warnings(_infusion(5000), _case()) == []
    assert infusion_warnings(_infusion(5000), _case(("2026-06-01", 50))) == []  # after it


def test_a_subcutaneous_dose_is_not_weight_based_and_not_timed() -> None:
    sc = replace(_infusion(120), product="Zymfentra", start_time=dt.time(9), end_time=dt.time(9, 5))
    assert infusion_warnings(sc, _case(("2026-01-05", 10))) == []


def test_an_infusion_of_exactly_2_hours_is_not_flagged_and_119_minutes_is() -> None:
    case = _case(("2026-01-05", 80))
    two_hours = _infusion(400, start_time=dt.time(9, 0), end_time=dt.time(11, 0))
    assert infusion_warnings(two_hours, case) == []
    short = replace(two_hours, end_time=dt.time(10, 59))
    (warning,) = infusion_warnings(short, case)
    assert warning.startswith(
        "end_time: check before saving: the infusion ran 1 hour 59 min (09:00 to 10:59), "
        "shorter than the 2 hours the US label sets as the shortest infusion time. "
        "Accelerated (about 1-hour) infusions"
    )
    assert "off-label in the US" in warning
    one_hour = replace(two_hours, end_time=dt.time(10, 0))
    assert "ran 1 hour (09:00 to 10:00)" in infusion_warnings(one_hour, case)[0]
    assert infusion_warnings(replace(two_hours, end_time=None), case) == []


def test_a_high_and_short_infusion_gets_both_warnings() -> None:
    infusion = _infusion(1200, weight_kg=100, start_time=dt.time(9), end_time=dt.time(10))
    warnings = infusion_warnings(infusion, _case())
    assert [w.split(":")[0] for w in warnings] == ["dose_mg", "end_time"]
    assert "is 12 mg/kg" in warnings[0]


# ---------------------------------------------------------------------------------------------
# Lab: an infliximab trough above 100 mcg/mL


def test_a_trough_of_exactly_100_is_not_flagged_and_100_1_is() -> None:
    case = _case()
    assert lab_warnings(_lab(100), case) == []
    (warning,) = lab_warnings(_lab(100.1, timing="trough"), case)
    assert warning.startswith(
        "value: check before saving: an infliximab trough of 100.1 mcg/mL is above 100 mcg/mL."
    )
    assert "ng/mL entered as mcg/mL" in warning


def test_the_trough_is_compared_in_mcg_per_ml_whatever_its_unit() -> None:
    case = _case()
    assert lab_warnings(_lab(100_000, "ng/mL"), case) == []
    (warning,) = lab_warnings(_lab(100_100, "ng/mL"), case)
    assert "trough (timing not stated) of 100100 ng/mL (100.1 mcg/mL) is above" in warning
    assert len(lab_warnings(_lab(150, "mg/L"), case)) == 1
    assert len(lab_warnings(_lab(150, "µg/mL"), case)) == 1


def test_only_infliximab_troughs_are_flagged() -> None:
    case = _case()
    assert lab_warnings(_lab(150, timing="non_trough"), case) == []
    assert lab_warnings(_lab(150, comparator="<"), case) == []
    assert len(lab_warnings(_lab(150, comparator=">"), case)) == 1
    crp = r.LabResult(sampled_at=DAY, test="crp", value=150, unit="mg/L")
    assert lab_warnings(crp, case) == []


def test_other_records_have_no_plausibility_warnings() -> None:
    diary = r.DiaryEntry(date=DAY, symptom_score=10)
    assert plausibility_warnings(diary, _case(("2026-01-05", 80))) == []
    assert plausibility_warnings(r.Weight(date=DAY, kg=200), _case(("2026-01-05", 80)))


# ---------------------------------------------------------------------------------------------
# The store: nothing saved until exactly these warnings are confirmed (on the seeded ``db``)

on_seeded_db = pytest.mark.usefixtures("seeded")

HEAVY = r.Weight(date=dt.date(2026, 11, 20), kg=95)  # the seed's weight is 82.4 kg
TWELVE_MG_PER_KG = replace(INFUSION, dose_mg=989, vials=10, weight_kg=82.4)  # 12.002 mg/kg
HIGH_TROUGH = r.LabResult(
    sampled_at=dt.date(2026, 11, 20), test="infliximab", value=150, unit="mcg/mL", notes="ELISA"
)


def _warnings(action: Any, record: Any, db: Any) -> tuple[str, ...]:
    with pytest.raises(NeedsConfirmation) as held:
        action(db, MRN, record, actor=WHO.nurse, today=TODAY)
    return held.value.warnings


@on_seeded_db
@pytest.mark.parametrize(
    ("action", "record", "kind", "start"),
    [
        (add_weight, HEAVY, "weights", "kg: check before saving: 95 kg is 15.3% more"),
        (record_infusion, TWELVE_MG_PER_KG, "infusions", "dose_mg: check before saving: 989 mg"),
        (add_lab_result, HIGH_TROUGH, "labs", "value: check before saving: an infliximab trough"),
    ],
)
def test_a_warned_entry_is_saved_only_when_its_warnings_are_confirmed(
    db: Any, db_path: Any, action: Any, record: Any, kind: str, start: str
) -> None:
    case_before, before = read_case(db, MRN), snapshot(db_path)
    warnings = _warnings(action, record, db)
    assert len(warnings) == 1 and warnings[0].startswith(start)
    assert snapshot(db_path) == before
    with pytest.raises(NeedsConfirmation):  # another warning does not confirm this one
        action(db, MRN, record, actor=WHO.nurse, today=TODAY, confirmed=("kg: other",))
    assert snapshot(db_path) == before
    row_id = action(db, MRN, record, actor=WHO.nurse, today=TODAY, confirmed=warnings)
    (added,) = set(getattr(read_case(db, MRN), kind)) - set(getattr(case_before, kind))
    table = {"weights": "weight", "infusions": "infusion", "labs": "lab"}[kind]
    events = [
        e for e in audit_entries(db, patient_mrn=MRN) if (e.table_name, e.row_id) == (table, row_id)
    ]
    confirmation = f"Confirmed at entry: {warnings[0]}"
    # Every confirmation is an audit event on the new row, in the same transaction.
    assert [(e.action, e.table_name, e.detail) for e in events if e.detail] == [
        ("confirm", table, confirmation)
    ]
    if kind == "weights":  # no notes
        assert added == record
    else:  # also a line after the notes, in the audit row of its creation
        expected = "\n".join(filter(None, [record.notes, confirmation]))
        assert added == replace(record, notes=expected)
        (created,) = [e for e in events if e.action == "create"]
        assert ("notes", None, expected) in created.changes


@on_seeded_db
def test_needs_confirmation_is_a_save_refusal_with_the_warnings_as_problems(db: Any) -> None:
    warnings = _warnings(add_weight, HEAVY, db)
    error = NeedsConfirmation(list(warnings))
    assert isinstance(error, EntryRefused) and isinstance(error, SAVE_REFUSED)
    assert error.problems == list(warnings)
    assert str(error).startswith("not saved until confirmed (1 warning):\n  kg: check before")


@on_seeded_db
def test_problems_come_before_warnings_and_are_never_confirmed_away(db: Any) -> None:
    bad = replace(TWELVE_MG_PER_KG, vials=1)
    with pytest.raises(EntryRefused) as refused:
        record_infusion(db, MRN, bad, actor=WHO.nurse, today=TODAY, confirmed=("x",))
    assert not isinstance(refused.value, NeedsConfirmation)
    assert refused.value.problems == ["vials: 1 x 100 mg vials cannot hold 989 mg"]


@on_seeded_db
def test_a_confirmation_that_does_not_fit_in_the_notes_is_refused(db: Any, db_path: Any) -> None:
    full = replace(HIGH_TROUGH, notes="n" * 4000)
    warnings = _warnings(add_lab_result, full, db)
    before = snapshot(db_path)
    with pytest.raises(EntryRefused) as refused:
        add_lab_result(db, MRN, full, actor=WHO.nurse, today=TODAY, confirmed=warnings)
    (problem,) = refused.value.problems
    assert problem.startswith("notes: ") and problem.endswith(
        "the confirmed warnings are added to the notes, so shorten the notes"
    )
    assert snapshot(db_path) == before


@on_seeded_db
def test_entries_without_warnings_save_as_before(db: Any) -> None:
    weight = replace(HEAVY, kg=83)
    diary = r.DiaryEntry(date=dt.date(2026, 11, 20), symptom_score=10)
    add_weight(db, MRN, weight, actor=WHO.nurse, today=TODAY)
    add_diary_entry(db, MRN, diary, actor=WHO.nurse, today=TODAY)
    case = read_case(db, MRN)
    assert weight in case.weights and diary in case.diary


@on_seeded_db
def test_a_weight_recorded_meanwhile_changes_the_warning_to_confirm(db: Any) -> None:
    warnings = _warnings(add_weight, HEAVY, db)
    meanwhile = r.Weight(date=dt.date(2026, 11, 19), kg=70)
    confirm = _warnings(add_weight, meanwhile, db)  # 70 kg is 15% below 82.4 kg
    add_weight(db, MRN, meanwhile, actor=WHO.nurse, today=TODAY, confirmed=confirm)
    with pytest.raises(NeedsConfirmation) as held:
        add_weight(db, MRN, HEAVY, actor=WHO.nurse, today=TODAY, confirmed=warnings)
    (changed,) = held.value.warnings
    assert changed != warnings[0] and "(70 kg on 2026-11-19)" in changed
