"""Per-entry writes: checked before anything is written, one transaction, never deleted."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import load_case_json, snapshot

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.store.cases import PatientNotFound, insert_case, read_case
from clinic_gui.store.chart import TABLE_OF, load_chart
from clinic_gui.store.entries import (
    EntryRefused,
    add_diary_entry,
    add_lab_result,
    add_patient,
    add_regimen,
    add_weight,
    record_infusion,
    update_patient,
    void_entry,
)
from clinic_gui.store.rows import from_row

TODAY = dt.date(2026, 11, 22)
MRN = "AS-0001"
DAY = dt.date(2026, 11, 20)

NEW_PATIENT = r.Patient(
    mrn="CD-0200",
    name="New Patient",
    birth_date=dt.date(1990, 2, 3),
    sex="female",
    indication="crohns_disease",
)
WEIGHT = r.Weight(date=DAY, kg=80.1)
REGIMEN = r.Regimen(
    start_date=DAY,
    product="Renflexis",
    dose_mg_per_kg=5,
    interval_weeks=4,
    reason="end-of-dose symptoms",
    ordered_by="Dr. Example",
)
INFUSION = r.Infusion(
    date=DAY,
    product="Renflexis",
    dose_mg=400,
    start_time=dt.time(9, 30),
    end_time=dt.time(11, 30),
    vials=4,
    nurse="RN Example",
    vitals=(
        r.VitalSigns(phase="before", time=dt.time(9, 25), systolic_mmhg=120, pulse_bpm=70),
        r.VitalSigns(phase="after", time=dt.time(11, 40), pulse_bpm=74),
    ),
)
DIARY = r.DiaryEntry(date=DAY, symptom_score=4, source="nurse")
LAB = r.LabResult(sampled_at=dt.datetime(2026, 11, 20, 8, 30), test="crp", value=12, unit="mg/L")


class _Who:
    """The test database's users (set by ``seeded``), for actions written as lambdas."""

    nurse: Any = None
    physician: Any = None


WHO = _Who()


@pytest.fixture
def seeded(db: Any, staff: Any) -> Any:
    WHO.nurse, WHO.physician = staff.nurse, staff.physician
    case = parse_case(load_case_json("seed-as-wearing-off.json"), today=TODAY)
    insert_case(db, case, actor=staff.physician)
    return db


# ---------------------------------------------------------------------------------------------
# Valid entries


def test_add_patient_registers_them_stamped(seeded: Any) -> None:
    pid = add_patient(seeded, NEW_PATIENT, actor=WHO.nurse, today=TODAY)
    assert read_case(seeded, "CD-0200") == r.Case(patient=NEW_PATIENT)
    row = seeded.execute(
        "SELECT id, created_by, length(created_at), updated_at FROM patient WHERE mrn = ?",
        ["CD-0200"],
    ).fetchone()
    assert row == (pid, "rn.kim", 20, None)


ENTRIES = {
    "weight": (add_weight, WEIGHT, "weights"),
    "regimen": (add_regimen, REGIMEN, "regimens"),
    "infusion": (record_infusion, INFUSION, "infusions"),
    "diary": (add_diary_entry, DIARY, "diary"),
    "lab": (add_lab_result, LAB, "labs"),
}


@pytest.mark.parametrize("table", list(ENTRIES))
def test_each_entry_is_added_as_one_stamped_row(seeded: Any, table: str) -> None:
    add, record, kind = ENTRIES[table]
    before = read_case(seeded, MRN)
    who = WHO.physician if table == "regimen" else WHO.nurse
    row_id = add(seeded, MRN, record, actor=who, today=TODAY)
    after = read_case(seeded, MRN)
    assert record in getattr(after, kind)
    assert replace(after, **{kind: getattr(before, kind)}) == before
    assert len(getattr(after, kind)) == len(getattr(before, kind)) + 1
    stamp = seeded.execute(
        f"SELECT created_by, length(created_at), voided_at FROM {table} WHERE id = ?", [row_id]
    ).fetchone()
    assert stamp == (who.username, 20, None)
    chart = load_chart(seeded, MRN)
    assert chart.id_of(kind, getattr(chart.case, kind).index(record)) == row_id


def test_infusion_is_written_with_its_vital_signs(seeded: Any) -> None:
    infusion_id = record_infusion(seeded, MRN, INFUSION, actor=WHO.nurse, today=TODAY)
    rows = seeded.execute(
        "SELECT phase, pulse_bpm, created_by FROM vital_sign WHERE infusion_id = ? ORDER BY id",
        [infusion_id],
    ).fetchall()
    assert rows == [("before", 70, "rn.kim"), ("after", 74, "rn.kim")]


def test_a_regimen_change_is_a_new_row_and_the_old_one_stays(seeded: Any) -> None:
    add_regimen(seeded, MRN, REGIMEN, actor=WHO.physician, today=TODAY)
    regimens = read_case(seeded, MRN).regimens
    assert [g.interval_weeks for g in regimens] == [6, 4]
    assert seeded.execute("SELECT count(*), count(updated_at) FROM regimen").fetchone() == (2, 0)


def test_update_patient_changes_details_and_stamps_the_update(seeded: Any) -> None:
    case = read_case(seeded, MRN)
    changed = replace(case.patient, name="Seed Case-Renamed", mrn="AS-0002", nyha_class=2)
    update_patient(seeded, MRN, changed, actor=WHO.nurse, today=TODAY)
    assert read_case(seeded, "AS-0002") == replace(case, patient=changed)
    with pytest.raises(PatientNotFound):
        read_case(seeded, MRN)
    row = seeded.execute(
        "SELECT created_by, updated_by, length(updated_at) FROM patient WHERE mrn = 'AS-0002'"
    ).fetchone()
    assert row == ("dr.lee", "rn.kim", 20)


# ---------------------------------------------------------------------------------------------
# Refusals: the message, and the database exactly as it was


def _refused(db: Any, db_path: Path, action: Any, expected: list[str]) -> None:
    before = snapshot(db_path)
    with pytest.raises(EntryRefused) as refused:
        action(db)
    assert refused.value.problems == expected
    assert all(problem in str(refused.value) for problem in expected)
    assert snapshot(db_path) == before


FUTURE = dt.date(2026, 12, 1)

BAD_ENTRIES: dict[str, tuple[Any, list[str]]] = {
    "weight of 0": (
        lambda db: add_weight(db, MRN, replace(WEIGHT, kg=0), today=TODAY, actor=WHO.physician),
        ["kg: 0 kg is outside the accepted range 0.5 to 400 kg"],
    ),
    "weight in the future": (
        lambda db: add_weight(
            db, MRN, replace(WEIGHT, date=FUTURE), today=TODAY, actor=WHO.physician
        ),
        ["date: 2026-12-01 is in the future (today is 2026-11-22)"],
    ),
    "weight before birth": (
        lambda db: add_weight(
            db, MRN, replace(WEIGHT, date=dt.date(1970, 1, 1)), today=TODAY, actor=WHO.physician
        ),
        ["date: 1970-01-01 is before the birth date 1971-05-14"],
    ),
    "regimen change without a reason": (
        lambda db: add_regimen(
            db, MRN, replace(REGIMEN, reason=None), today=TODAY, actor=WHO.physician
        ),
        ["reason: required: say why this regimen starts or changes"],
    ),
    "regimen change with a blank reason": (
        lambda db: add_regimen(
            db, MRN, replace(REGIMEN, reason="  "), today=TODAY, actor=WHO.physician
        ),
        ["reason: must not be blank: say why this regimen starts or changes"],
    ),
    "infusion with too few vials": (
        lambda db: record_infusion(
            db, MRN, replace(INFUSION, vials=3), today=TODAY, actor=WHO.physician
        ),
        ["vials: 3 x 100 mg vials cannot hold 400 mg"],
    ),
    "infusion with an implausible vital sign": (
        lambda db: record_infusion(
            db,
            MRN,
            replace(INFUSION, vitals=(*INFUSION.vitals, r.VitalSigns(phase="after", spo2_pct=9))),
            today=TODAY,
            actor=WHO.physician,
        ),
        ["vitals[2].spo2_pct: 9 % is outside the accepted range 50 to 100 %"],
    ),
    "infusion in the future": (
        lambda db: record_infusion(
            db, MRN, replace(INFUSION, date=FUTURE), today=TODAY, actor=WHO.physician
        ),
        ["date: 2026-12-01 is in the future (today is 2026-11-22)"],
    ),
    "diary score above 10": (
        lambda db: add_diary_entry(
            db, MRN, replace(DIARY, symptom_score=23), today=TODAY, actor=WHO.physician
        ),
        ["symptom_score: 23 is outside the accepted range 0 to 10"],
    ),
    "lab without a unit": (
        lambda db: add_lab_result(
            db, MRN, replace(LAB, unit=" "), today=TODAY, actor=WHO.physician
        ),
        ["unit: must not be blank"],
    ),
    "lab in a unit not accepted": (
        lambda db: add_lab_result(
            db, MRN, replace(LAB, unit="mg"), today=TODAY, actor=WHO.physician
        ),
        ["unit: 'mg' is not an accepted unit for crp (accepted: mg/L, mg/dL)"],
    ),
    "CRP of 200 mg/dL": (
        lambda db: add_lab_result(
            db, MRN, replace(LAB, value=200, unit="mg/dL"), today=TODAY, actor=WHO.physician
        ),
        [
            "value: 200 mg/dL is implausibly high for crp (more than 1000 mg/L); "
            "check the value and unit"
        ],
    ),
    "blank MRN": (
        lambda db: add_patient(
            db, replace(NEW_PATIENT, mrn="   "), today=TODAY, actor=WHO.physician
        ),
        ["mrn: must not be blank"],
    ),
    "duplicate MRN": (
        lambda db: add_patient(db, replace(NEW_PATIENT, mrn=MRN), today=TODAY, actor=WHO.physician),
        ["mrn: a patient with MRN 'AS-0001' is already in this database"],
    ),
    "patient born in the future": (
        lambda db: add_patient(
            db, replace(NEW_PATIENT, birth_date=FUTURE), today=TODAY, actor=WHO.physician
        ),
        ["birth_date: 2026-12-01 is in the future"],
    ),
    "update to a blank name": (
        lambda db: update_patient(
            db, MRN, replace(read_case(db, MRN).patient, name=""), today=TODAY, actor=WHO.physician
        ),
        ["name: must not be blank"],
    ),
    "update to a birth date after the first entries": (
        lambda db: update_patient(
            db,
            MRN,
            replace(read_case(db, MRN).patient, birth_date=dt.date(2025, 3, 1)),
            today=TODAY,
            actor=WHO.physician,
        ),
        ["weights[0].date: 2025-02-24 is before the birth date 2025-03-01"],
    ),
}


@pytest.mark.parametrize("name", list(BAD_ENTRIES))
def test_bad_entry_is_refused_and_nothing_is_written(seeded: Any, db_path: Path, name: str) -> None:
    action, expected = BAD_ENTRIES[name]
    _refused(seeded, db_path, action, expected)


def test_update_to_an_mrn_already_taken_is_refused(seeded: Any, db_path: Path) -> None:
    add_patient(seeded, NEW_PATIENT, today=TODAY, actor=WHO.physician)
    taken = replace(read_case(seeded, MRN).patient, mrn=NEW_PATIENT.mrn)
    _refused(
        seeded,
        db_path,
        lambda db: update_patient(db, MRN, taken, today=TODAY, actor=WHO.physician),
        ["mrn: a patient with MRN 'CD-0200' is already in this database"],
    )


def test_every_problem_of_an_entry_is_reported_at_once(seeded: Any, db_path: Path) -> None:
    bad = replace(LAB, value=-1, unit="mg", sampled_at=dt.date(2027, 1, 1))
    _refused(
        seeded,
        db_path,
        lambda db: add_lab_result(db, MRN, bad, today=TODAY, actor=WHO.physician),
        [
            "unit: 'mg' is not an accepted unit for crp (accepted: mg/L, mg/dL)",
            "value: -1 is negative",
            "sampled_at: 2027-01-01 is in the future (today is 2026-11-22)",
        ],
    )


@pytest.mark.parametrize("table", list(ENTRIES))
def test_unknown_patient_is_not_found_and_nothing_is_written(
    seeded: Any, db_path: Path, table: str
) -> None:
    add, record, _ = ENTRIES[table]
    before = snapshot(db_path)
    with pytest.raises(PatientNotFound, match="no patient with MRN 'XX-9'"):
        add(seeded, "XX-9", record, today=TODAY, actor=WHO.physician)
    with pytest.raises(PatientNotFound):
        update_patient(seeded, "XX-9", NEW_PATIENT, today=TODAY, actor=WHO.physician)
    assert snapshot(db_path) == before


def test_refusal_is_a_value_error_listing_the_problems() -> None:
    refused = EntryRefused(["kg: 0 kg is outside", "date: 2027-01-01 is in the future"])
    assert isinstance(refused, ValueError)
    assert str(refused) == (
        "not saved (2 problems):\n  kg: 0 kg is outside\n  date: 2027-01-01 is in the future"
    )


# ---------------------------------------------------------------------------------------------
# Voiding


def test_voiding_keeps_the_row_with_who_when_and_why(seeded: Any) -> None:
    chart = load_chart(seeded, MRN)
    first = chart.id_of("weights", 0)
    void_entry(seeded, "weight", first, reason="entered on the wrong patient", actor=WHO.nurse)
    row = seeded.execute(
        "SELECT kg, voided_by, length(voided_at), void_reason FROM weight WHERE id = ?", [first]
    ).fetchone()
    assert row == (82.4, "rn.kim", 20, "entered on the wrong patient")
    after = read_case(seeded, MRN)
    assert after == replace(chart.case, weights=chart.case.weights[1:])
    assert load_chart(seeded, MRN).ids["weights"] == chart.ids["weights"][1:]


def test_voiding_an_infusion_voids_its_vital_signs(seeded: Any) -> None:
    infusion_id = record_infusion(seeded, MRN, INFUSION, today=TODAY, actor=WHO.physician)
    void_entry(seeded, "infusion", infusion_id, reason="recorded twice", actor=WHO.nurse)
    assert INFUSION not in read_case(seeded, MRN).infusions
    rows = seeded.execute(
        "SELECT voided_by, void_reason FROM vital_sign WHERE infusion_id = ?", [infusion_id]
    ).fetchall()
    assert rows == [("rn.kim", "recorded twice")] * 2


def test_one_vital_sign_can_be_voided_by_its_id(seeded: Any) -> None:
    record_infusion(seeded, MRN, INFUSION, today=TODAY, actor=WHO.physician)
    chart = load_chart(seeded, MRN)
    index = chart.case.infusions.index(INFUSION)
    void_entry(
        seeded,
        "vital_sign",
        chart.vital_id_of(index, 0),
        reason="wrong arm cuff",
        actor=WHO.physician,
    )
    infusion = load_chart(seeded, MRN).case.infusions[index]
    assert infusion.vitals == INFUSION.vitals[1:]


def test_voiding_twice_is_refused(seeded: Any, db_path: Path) -> None:
    row_id = load_chart(seeded, MRN).id_of("labs", 0)
    void_entry(seeded, "lab", row_id, reason="sample haemolysed", actor=WHO.nurse)
    voided_at = seeded.execute("SELECT voided_at FROM lab WHERE id = ?", [row_id]).fetchone()[0]
    expected = f"row_id: lab entry {row_id} was already voided at {voided_at} by rn.kim"
    _refused(
        seeded,
        db_path,
        lambda db: void_entry(db, "lab", row_id, reason="again", actor=WHO.physician),
        [f"{expected} (sample haemolysed)"],
    )


VOID_REFUSALS: dict[str, tuple[Any, list[str]]] = {
    "blank reason": (
        lambda db: void_entry(db, "weight", 1, reason="  ", actor=WHO.physician),
        ["reason: must not be blank: say why the entry is voided"],
    ),
    "unknown id": (
        lambda db: void_entry(db, "diary", 99999, reason="typo", actor=WHO.physician),
        ["row_id: there is no diary entry with id 99999"],
    ),
    "unknown table": (
        lambda db: void_entry(db, "patient", 1, reason="typo", actor=WHO.physician),
        ["table: 'patient' is not one of: weight, regimen, infusion, diary, lab, vital_sign"],
    ),
}


@pytest.mark.parametrize("name", list(VOID_REFUSALS))
def test_void_refusals_write_nothing(seeded: Any, db_path: Path, name: str) -> None:
    action, expected = VOID_REFUSALS[name]
    _refused(seeded, db_path, action, expected)


# ---------------------------------------------------------------------------------------------
# The chart: the case and the row id of every entry


def test_chart_is_read_case_with_matching_row_ids(db: Any, staff: Any) -> None:
    insert_case(
        db, parse_case(load_case_json("full-record.json"), today=TODAY), actor=staff.physician
    )
    mrn = "RA-7001"
    chart = load_chart(db, mrn)
    assert chart.case == read_case(db, mrn)
    assert (
        chart.patient_id == db.execute("SELECT id FROM patient WHERE mrn = ?", [mrn]).fetchone()[0]
    )
    for kind, table in TABLE_OF.items():
        entries = getattr(chart.case, kind)
        assert len(chart.ids[kind]) == len(entries)
        for index, entry in enumerate(entries):
            row = next(db.query(f"SELECT * FROM {table} WHERE id = ?", [chart.id_of(kind, index)]))
            stored = from_row(type(entry), row)
            expected = replace(entry, vitals=()) if kind == "infusions" else entry
            assert stored == expected
    for index, infusion in enumerate(chart.case.infusions):
        for v, vital in enumerate(infusion.vitals):
            row = next(
                db.query("SELECT * FROM vital_sign WHERE id = ?", [chart.vital_id_of(index, v)])
            )
            assert from_row(r.VitalSigns, row) == vital


@pytest.mark.parametrize("kind", ["weights", "regimens", "infusions", "diary", "labs"])
def test_voiding_by_chart_id_removes_that_entry(seeded: Any, kind: str) -> None:
    chart = load_chart(seeded, MRN)
    entries = getattr(chart.case, kind)
    last = len(entries) - 1
    void_entry(seeded, TABLE_OF[kind], chart.id_of(kind, last), reason="test", actor=WHO.physician)
    reloaded = load_chart(seeded, MRN)
    assert getattr(reloaded.case, kind) == entries[:last]
    assert reloaded.ids[kind] == chart.ids[kind][:last]


def test_chart_of_an_unknown_patient_and_an_unknown_kind(seeded: Any) -> None:
    with pytest.raises(PatientNotFound):
        load_chart(seeded, "XX-9")
    with pytest.raises(KeyError, match="'vitals' is not one of"):
        load_chart(seeded, MRN).id_of("vitals", 0)
