"""Checks of one record in the context of its patient: messages name the field and problem."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import Any

import pytest
from conftest import load_case_json
from hypothesis import HealthCheck, given, settings
from strategies import case_documents

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import check_case, parse_case
from clinic_gui.domain.validation import (
    check_diary_entry,
    check_infusion,
    check_lab_result,
    check_patient,
    check_regimen,
    check_void_reason,
    check_weight,
    range_problems,
)

TODAY = dt.date(2026, 11, 22)
PATIENT = r.Patient(
    mrn="AS-0001",
    name="Seed Case",
    birth_date=dt.date(1971, 5, 14),
    sex="male",
    indication="ankylosing_spondylitis",
    height_cm=178,
)
WEIGHT = r.Weight(date=dt.date(2026, 11, 20), kg=82.4)
REGIMEN = r.Regimen(
    start_date=dt.date(2026, 11, 20), product="Renflexis", dose_mg_per_kg=5, interval_weeks=6
)
INFUSION = r.Infusion(
    date=dt.date(2026, 11, 20),
    product="Renflexis",
    dose_mg=412,
    start_time=dt.time(9, 30),
    end_time=dt.time(11, 35),
    vials=5,
    premedication=("acetaminophen 650 mg PO",),
    reaction=r.Reaction(grade="none"),
    vitals=(r.VitalSigns(phase="before", time=dt.time(9, 25), pulse_bpm=72),),
)
DIARY = r.DiaryEntry(date=dt.date(2026, 11, 20), symptom_score=3, basdai=r.Basdai(q1=4))
LAB = r.LabResult(sampled_at=dt.datetime(2026, 11, 20, 8, 45), test="crp", value=0.2, unit="mg/dL")


def test_valid_records_have_no_problems() -> None:
    assert check_patient(PATIENT, today=TODAY) == []
    assert check_weight(WEIGHT, PATIENT, today=TODAY) == []
    assert check_regimen(REGIMEN, PATIENT, today=TODAY) == []
    assert check_infusion(INFUSION, PATIENT, today=TODAY) == []
    assert check_diary_entry(DIARY, PATIENT, today=TODAY) == []
    assert check_lab_result(LAB, PATIENT, today=TODAY) == []


def test_fields_are_named_relative_to_the_record() -> None:
    assert range_problems(replace(WEIGHT, kg=0)) == [
        "kg: 0 kg is outside the accepted range 0.5 to 400 kg"
    ]
    assert range_problems(replace(WEIGHT, kg=0), "weights[3]") == [
        "weights[3].kg: 0 kg is outside the accepted range 0.5 to 400 kg"
    ]


FUTURE = dt.date(2026, 12, 1)

BAD_RECORDS: dict[str, tuple[Any, list[str]]] = {
    "weight of 0": (
        lambda: check_weight(replace(WEIGHT, kg=0), PATIENT, today=TODAY),
        ["kg: 0 kg is outside the accepted range 0.5 to 400 kg"],
    ),
    "weight in the future": (
        lambda: check_weight(replace(WEIGHT, date=FUTURE), PATIENT, today=TODAY),
        ["date: 2026-12-01 is in the future (today is 2026-11-22)"],
    ),
    "weight before birth": (
        lambda: check_weight(replace(WEIGHT, date=dt.date(1960, 1, 1)), PATIENT, today=TODAY),
        ["date: 1960-01-01 is before the birth date 1971-05-14"],
    ),
    "weight not a number": (
        lambda: check_weight(replace(WEIGHT, kg=float("nan")), PATIENT, today=TODAY),
        ["kg: nan is not a finite number"],
    ),
    "weight dated with a time": (
        lambda: check_weight(
            replace(WEIGHT, date=dt.datetime(2026, 11, 20, 9, 0)), PATIENT, today=TODAY
        ),
        ["date: 2026-11-20T09:00:00 is a date and time; a date is expected"],
    ),
    "blank MRN": (
        lambda: check_patient(replace(PATIENT, mrn="  "), today=TODAY),
        ["mrn: must not be blank"],
    ),
    "empty name": (
        lambda: check_patient(replace(PATIENT, name=""), today=TODAY),
        ["name: must not be blank"],
    ),
    "unknown sex": (
        lambda: check_patient(replace(PATIENT, sex="M"), today=TODAY),
        ["sex: 'M' is not one of: female, male, other, unknown"],
    ),
    "unknown indication": (
        lambda: check_patient(replace(PATIENT, indication="gout"), today=TODAY),
        [
            "indication: 'gout' is not one of: crohns_disease, ulcerative_colitis, "
            "rheumatoid_arthritis, ankylosing_spondylitis, psoriatic_arthritis, plaque_psoriasis"
        ],
    ),
    "born in the future": (
        lambda: check_patient(replace(PATIENT, birth_date=FUTURE), today=TODAY),
        ["birth_date: 2026-12-01 is in the future"],
    ),
    "NYHA class 5": (
        lambda: check_patient(replace(PATIENT, nyha_class=5), today=TODAY),
        ["nyha_class: 5 is not a NYHA class (1 to 4)"],
    ),
    "control character in notes": (
        lambda: check_patient(replace(PATIENT, notes="ok\x00"), today=TODAY),
        ["notes: contains a control character (only tab and line breaks are allowed)"],
    ),
    "name too long": (
        lambda: check_patient(replace(PATIENT, name="x" * 201), today=TODAY),
        ["name: 201 characters is more than the 200 allowed"],
    ),
    "regimen change without a reason": (
        lambda: check_regimen(REGIMEN, PATIENT, today=TODAY, require_reason=True),
        ["reason: required: say why this regimen starts or changes"],
    ),
    "regimen change with a blank reason": (
        lambda: check_regimen(
            replace(REGIMEN, reason=" \t"), PATIENT, today=TODAY, require_reason=True
        ),
        ["reason: must not be blank: say why this regimen starts or changes"],
    ),
    "regimen of an unknown product": (
        lambda: check_regimen(replace(REGIMEN, product="Humira"), PATIENT, today=TODAY),
        [
            "product: 'Humira' is not one of: Remicade, Inflectra, Renflexis, Avsola, Ixifi, "
            "Infliximab (unbranded), Zymfentra"
        ],
    ),
    "regimen ordered by nobody": (
        lambda: check_regimen(replace(REGIMEN, ordered_by=" "), PATIENT, today=TODAY),
        ["ordered_by: must not be blank"],
    ),
    "too few vials": (
        lambda: check_infusion(replace(INFUSION, vials=4), PATIENT, today=TODAY),
        ["vials: 4 x 100 mg vials cannot hold 412 mg"],
    ),
    "vials not a whole number": (
        lambda: check_infusion(replace(INFUSION, vials=4.5), PATIENT, today=TODAY),
        ["vials: 4.5 is not a whole number"],
    ),
    "infusion ends before it starts": (
        lambda: check_infusion(replace(INFUSION, end_time=dt.time(9, 0)), PATIENT, today=TODAY),
        ["end_time: 09:00 is not after the start 09:30"],
    ),
    "infusion time with seconds": (
        lambda: check_infusion(
            replace(INFUSION, start_time=dt.time(9, 30, 15)), PATIENT, today=TODAY
        ),
        ["start_time: 09:30:15 has seconds; times are recorded to the minute"],
    ),
    "infusion in the future": (
        lambda: check_infusion(replace(INFUSION, date=FUTURE), PATIENT, today=TODAY),
        ["date: 2026-12-01 is in the future (today is 2026-11-22)"],
    ),
    "blank lot and premedication": (
        lambda: check_infusion(
            replace(INFUSION, lot="", premedication=("ok", " ")), PATIENT, today=TODAY
        ),
        ["lot: must not be blank", "premedication[1]: must not be blank"],
    ),
    "unknown reaction grade": (
        lambda: check_infusion(
            replace(INFUSION, reaction=r.Reaction(grade="bad")), PATIENT, today=TODAY
        ),
        ["reaction.grade: 'bad' is not one of: none, mild, moderate, severe"],
    ),
    "vital signs out of range": (
        lambda: check_infusion(
            replace(INFUSION, vitals=(r.VitalSigns(phase="during", pulse_bpm=400),)),
            PATIENT,
            today=TODAY,
        ),
        ["vitals[0].pulse_bpm: 400 /min is outside the accepted range 20 to 250 /min"],
    ),
    "unknown vital-sign phase": (
        lambda: check_infusion(
            replace(INFUSION, vitals=(r.VitalSigns(phase="later"),)), PATIENT, today=TODAY
        ),
        ["vitals[0].phase: 'later' is not one of: before, during, after"],
    ),
    "days before without symptoms": (
        lambda: check_infusion(replace(INFUSION, symptoms_days_before=7), PATIENT, today=TODAY),
        ["symptoms_days_before: given, but symptoms_returned_before is not true"],
    ),
    "diary score above 10": (
        lambda: check_diary_entry(replace(DIARY, symptom_score=23), PATIENT, today=TODAY),
        ["symptom_score: 23 is outside the accepted range 0 to 10"],
    ),
    "BASDAI item above 10": (
        lambda: check_diary_entry(replace(DIARY, basdai=r.Basdai(q6=11)), PATIENT, today=TODAY),
        ["basdai.q6: 11 is outside the accepted range 0 to 10"],
    ),
    "unknown diary source": (
        lambda: check_diary_entry(replace(DIARY, source="phone"), PATIENT, today=TODAY),
        ["source: 'phone' is not one of: patient, nurse, clinician"],
    ),
    "lab without a unit": (
        lambda: check_lab_result(replace(LAB, unit=""), PATIENT, today=TODAY),
        ["unit: must not be blank"],
    ),
    "lab in a unit not accepted": (
        lambda: check_lab_result(replace(LAB, unit="mg"), PATIENT, today=TODAY),
        ["unit: 'mg' is not an accepted unit for crp (accepted: mg/L, mg/dL)"],
    ),
    "CRP of 200 mg/dL": (
        lambda: check_lab_result(replace(LAB, value=200), PATIENT, today=TODAY),
        [
            "value: 200 mg/dL is implausibly high for crp (more than 1000 mg/L); "
            "check the value and unit"
        ],
    ),
    "unknown lab test": (
        lambda: check_lab_result(replace(LAB, test="ferritin"), PATIENT, today=TODAY),
        [
            "test: 'ferritin' is not one of: infliximab, anti_infliximab_antibody, crp, esr, "
            "albumin, fecal_calprotectin"
        ],
    ),
    "negative lab value": (
        lambda: check_lab_result(replace(LAB, value=-3), PATIENT, today=TODAY),
        ["value: -3 is negative"],
    ),
    "lab sampled in the future": (
        lambda: check_lab_result(
            replace(LAB, sampled_at=dt.datetime(2026, 12, 1, 8, 0)), PATIENT, today=TODAY
        ),
        ["sampled_at: 2026-12-01 is in the future (today is 2026-11-22)"],
    ),
    "interpretation of a CRP": (
        lambda: check_lab_result(replace(LAB, interpretation="low"), PATIENT, today=TODAY),
        ["interpretation: only anti_infliximab_antibody results carry one"],
    ),
}


@pytest.mark.parametrize("name", list(BAD_RECORDS))
def test_bad_record_names_the_field_and_problem(name: str) -> None:
    check, expected = BAD_RECORDS[name]
    assert check() == expected


def test_regimen_may_start_ahead_and_needs_a_reason_only_when_asked() -> None:
    ahead = replace(REGIMEN, start_date=dt.date(2027, 1, 4))
    assert check_regimen(ahead, PATIENT, today=TODAY) == []
    explained = replace(ahead, reason="dose escalation")
    assert check_regimen(explained, PATIENT, today=TODAY, require_reason=True) == []


def test_free_text_may_be_given_blank_in_a_file_but_labels_may_not() -> None:
    # Notes have no minimum length in clinic-case/1; labels (lot, nurse, assay...) do.
    assert check_infusion(replace(INFUSION, notes=" "), PATIENT, today=TODAY) == []
    assert check_infusion(replace(INFUSION, nurse="\t"), PATIENT, today=TODAY) == [
        "nurse: must not be blank"
    ]


def test_void_reason_must_say_why() -> None:
    assert check_void_reason("entered twice") == []
    assert check_void_reason("  ") == ["reason: must not be blank: say why the entry is voided"]


def test_case_problems_are_the_record_problems_under_their_paths() -> None:
    case = parse_case(load_case_json("seed-as-wearing-off.json"), today=TODAY)
    broken = replace(
        case,
        weights=(case.weights[0], replace(case.weights[1], kg=0)),
        labs=(replace(case.labs[0], unit="mg"), *case.labs[1:]),
    )
    assert check_case(broken, today=TODAY) == [
        "weights[1].kg: 0 kg is outside the accepted range 0.5 to 400 kg",
        "labs[0].unit: 'mg' is not an accepted unit for crp (accepted: mg/L, mg/dL)",
    ]


def _per_record_problems(case: r.Case) -> list[str]:
    p = case.patient
    problems = [f"patient.{x}" for x in check_patient(p, today=TODAY)]
    for name, check in (
        ("weights", check_weight),
        ("regimens", check_regimen),
        ("infusions", check_infusion),
        ("diary", check_diary_entry),
        ("labs", check_lab_result),
    ):
        for i, entry in enumerate(getattr(case, name)):
            problems += [f"{name}[{i}].{x}" for x in check(entry, p, today=TODAY)]
    return problems


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_documents())
def test_per_record_checks_of_a_valid_case_are_the_case_check(document: dict[str, Any]) -> None:
    case = parse_case(document, today=TODAY)
    assert _per_record_problems(case) == check_case(case, today=TODAY) == []
