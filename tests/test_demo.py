"""The synthetic demo clinic: deterministic, valid, realistic, and safe to write."""

from __future__ import annotations

import datetime as dt
import json
import math
import statistics
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import Staff, snapshot

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import case_to_json, check_case, parse_case
from clinic_gui.domain.demo import CAST, founding_case, generate_clinic
from clinic_gui.domain.dosing import dose_mg
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.resources import load_json
from clinic_gui.store.cases import insert_case, read_case
from clinic_gui.store.connection import DatabaseRefused, open_database
from clinic_gui.store.demo_clinic import write_demo_clinic

AS_OF = dt.date(2026, 11, 1)
SEED = 7
CLINIC_SIZE = 150
TROUGH_TARGET = {  # mcg/mL, as in clinic_gui.domain.demo
    "crohns_disease": 5.0,
    "ulcerative_colitis": 5.0,
    "rheumatoid_arthritis": 2.0,
}
OTHER_TARGET = 3.0


@pytest.fixture(scope="module")
def clinic() -> list[r.Case]:
    return list(generate_clinic(CLINIC_SIZE, SEED, AS_OF))


def generated(clinic: list[r.Case]) -> list[r.Case]:
    return clinic[1:]  # everyone but the founding case


def age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def regimen_on(case: r.Case, day: dt.date) -> r.Regimen:
    return [g for g in case.regimens if g.start_date <= day][-1]


def gaps(case: r.Case) -> Iterator[tuple[r.Infusion, r.Infusion, int]]:
    for before, after in zip(case.infusions, case.infusions[1:], strict=False):
        yield before, after, (after.date - before.date).days


# ---------------------------------------------------------------------------------------------
# Determinism and validity


def test_same_seed_and_date_give_the_same_clinic(clinic: list[r.Case]) -> None:
    first = [case_to_json(c) for c in generate_clinic(30, SEED, AS_OF)]
    again = [case_to_json(c) for c in generate_clinic(30, SEED, AS_OF)]
    assert first == again
    # a larger clinic starts with the smaller one
    assert first == [case_to_json(c) for c in clinic[:30]]


def test_another_seed_gives_another_clinic() -> None:
    one = [case_to_json(c) for c in generate_clinic(30, SEED, AS_OF)]
    other = [case_to_json(c) for c in generate_clinic(30, SEED + 1, AS_OF)]
    assert one[0] == other[0]  # the founding case does not depend on the seed
    assert all(a != b for a, b in zip(one[1:], other[1:], strict=True))


def test_every_case_passes_the_case_file_checks(clinic: list[r.Case]) -> None:
    problems = {c.patient.mrn: check_case(c, today=AS_OF) for c in clinic}
    assert {mrn: p for mrn, p in problems.items() if p} == {}


def test_mrns_are_unique_and_stable(clinic: list[r.Case]) -> None:
    mrns = [c.patient.mrn for c in clinic]
    assert len(set(mrns)) == len(mrns)
    assert mrns[:3] == ["AS-0001", "D000001", "D000002"]


def test_one_patient_is_just_the_founding_case() -> None:
    assert [c.patient.mrn for c in generate_clinic(1, SEED, AS_OF)] == ["AS-0001"]
    assert list(generate_clinic(0, SEED, AS_OF)) == []


# ---------------------------------------------------------------------------------------------
# The founding case


def test_founding_case_comes_first_moved_by_whole_six_week_cycles(clinic: list[r.Case]) -> None:
    founding = clinic[0]
    original = parse_case(load_json("cases", "founding-as-wearing-off.json"), today=dt.date.max)
    assert founding.patient.mrn == "AS-0001"
    assert founding == founding_case(AS_OF)
    shift = founding.infusions[0].date - original.infusions[0].date
    assert shift.days % 42 == 0
    assert [i.date - shift for i in founding.infusions] == [i.date for i in original.infusions]
    assert [d.date - shift for d in founding.diary] == [d.date for d in original.diary]
    assert {i.dose_mg for i in founding.infusions} == {412}
    assert {i.vials for i in founding.infusions} == {5}
    assert [days for *_, days in gaps(founding)].count(42) >= len(founding.infusions) - 3
    assert AS_OF - dt.timedelta(weeks=6) < founding.infusions[-1].date <= AS_OF


def test_the_founding_resource_is_the_shared_seed_case_unchanged() -> None:
    shared = Path("/work/shared/cases/seed-as-wearing-off.json")
    if not shared.exists():
        pytest.skip("shared case folder not present")
    assert load_json("cases", "founding-as-wearing-off.json") == json.loads(shared.read_text())


# ---------------------------------------------------------------------------------------------
# Who is in the clinic


def test_all_indications_and_all_iv_products_appear(clinic: list[r.Case]) -> None:
    vocab = vocabulary()
    assert {c.patient.indication for c in clinic} == set(vocab.indications)
    iv = {name for name, route in vocab.product_routes.items() if route == "iv"}
    assert {i.product for c in clinic for i in c.infusions} >= iv
    shares = [c.patient.indication for c in generated(clinic)]
    ibd = sum(s in ("crohns_disease", "ulcerative_colitis") for s in shares)
    assert ibd >= 0.4 * len(shares)  # IBD is the commonest group


def test_children_are_ibd_patients_aged_6_to_17(clinic: list[r.Case]) -> None:
    children = [c for c in clinic if age(c.patient.birth_date, AS_OF) < 18]
    assert children
    for case in children:
        assert 6 <= age(case.patient.birth_date, AS_OF) <= 17
        assert case.patient.indication in ("crohns_disease", "ulcerative_colitis")
        assert age(case.patient.birth_date, case.infusions[0].date) >= 6


def test_one_or_two_adults_have_heart_failure(clinic: list[r.Case]) -> None:
    failing = [c for c in clinic if c.patient.nyha_class is not None]
    assert 1 <= len(failing) <= 2
    for case in failing:
        assert case.patient.nyha_class == 3
        assert age(case.patient.birth_date, AS_OF) >= 18
        assert max(g.dose_mg_per_kg for g in case.regimens) <= 5


# ---------------------------------------------------------------------------------------------
# Regimens and infusions


def test_infusions_follow_the_regimen_in_effect(clinic: list[r.Case]) -> None:
    for case in generated(clinic):
        induction = case.infusions[:3]
        assert [(i.date - induction[0].date).days for i in induction] == [0, 14, 42][
            : len(induction)
        ]
        for infusion in case.infusions:
            regimen = regimen_on(case, infusion.date)
            weight = [w for w in case.weights if w.date <= infusion.date][-1]
            assert infusion.product == regimen.product
            assert infusion.weight_kg == weight.kg
            assert infusion.dose_mg == dose_mg(regimen.dose_mg_per_kg, weight.kg)
            assert infusion.vials == math.ceil(infusion.dose_mg / 100)
            assert infusion.lot and infusion.lot[0] == "L" and infusion.lot[1:].isdigit()
            assert infusion.lot_expiry and infusion.lot_expiry > infusion.date
            assert infusion.start_time and infusion.end_time
            start = dt.datetime.combine(infusion.date, infusion.start_time)
            end = dt.datetime.combine(infusion.date, infusion.end_time)
            assert end - start >= dt.timedelta(hours=2)
            assert infusion.nurse


def test_labelled_regimens(clinic: list[r.Case]) -> None:
    for case in generated(clinic):
        first = case.regimens[0]
        indication = case.patient.indication
        assert first.interval_weeks == (6 if indication == "ankylosing_spondylitis" else 8)
        assert first.dose_mg_per_kg == (3 if indication == "rheumatoid_arthritis" else 5)
        assert first.start_date == case.infusions[0].date
        assert [g.start_date for g in case.regimens] == sorted(
            {g.start_date for g in case.regimens}
        )


def test_some_regimens_change_dose_or_interval_as_a_new_entry(clinic: list[r.Case]) -> None:
    changes = [
        (case.patient.indication, before, after)
        for case in clinic
        for before, after in zip(case.regimens, case.regimens[1:], strict=False)
        if (before.dose_mg_per_kg, before.interval_weeks)
        != (after.dose_mg_per_kg, after.interval_weeks)
    ]
    assert changes
    assert all(after.reason for *_, after in changes)
    kinds = {
        (b.dose_mg_per_kg, a.dose_mg_per_kg, b.interval_weeks, a.interval_weeks)
        for _, b, a in changes
    }
    assert (5, 10, 8, 8) in kinds or (5, 5, 8, 6) in kinds


def test_product_switches_are_new_regimens(clinic: list[r.Case]) -> None:
    switched = [
        after
        for case in clinic
        for before, after in zip(case.regimens, case.regimens[1:], strict=False)
        if before.product != after.product
    ]
    assert switched
    assert all(a.reason and "switch" in a.reason for a in switched)


def test_some_infusions_are_delayed_with_a_note(clinic: list[r.Case]) -> None:
    delayed = [
        after
        for case in generated(clinic)
        for before, after, days in gaps(case)
        if days > regimen_on(case, before.date).interval_weeks * 7 + 7
    ]
    assert delayed
    assert all(i.notes and i.notes.startswith("Delayed") for i in delayed)


def test_most_patients_are_due_within_an_interval_and_a_few_are_overdue(
    clinic: list[r.Case],
) -> None:
    due = []
    for case in generated(clinic):
        last = case.infusions[-1]
        due.append(last.date + dt.timedelta(weeks=regimen_on(case, last.date).interval_weeks))
    overdue = sum(d < AS_OF - dt.timedelta(days=7) for d in due)
    assert 1 <= overdue <= len(due) // 8


def test_reactions_premedication_and_vitals_are_occasional(clinic: list[r.Case]) -> None:
    infusions = [i for c in clinic for i in c.infusions]
    reactions = [i for i in infusions if i.reaction is not None]
    assert reactions and len(reactions) < len(infusions) / 20
    assert all(i.reaction and i.reaction.grade == "mild" for i in reactions)
    assert any(i.premedication for i in infusions)
    with_vitals = [i for i in infusions if i.vitals]
    assert with_vitals and len(with_vitals) < len(infusions) / 10
    assert {v.phase for i in with_vitals for v in i.vitals} == {"before", "during", "after"}


def test_weights_are_measured_every_few_months(clinic: list[r.Case]) -> None:
    for case in generated(clinic):
        dates = [w.date for w in case.weights]
        assert dates == sorted(set(dates))
        assert dates[0] < case.infusions[0].date
        assert all(w.kg == round(w.kg, 1) for w in case.weights)
        years = (case.infusions[-1].date - case.infusions[0].date).days / 365.25
        assert len(dates) >= 1 + int(years * 1.5)


# ---------------------------------------------------------------------------------------------
# Diary


def cycle_rises(case: r.Case) -> list[float]:
    """Per dosing cycle: mean score in its last 7 days minus mean score 3 to 21 days in."""
    rises = []
    for before, after, _ in gaps(case):
        early = [
            d.symptom_score
            for d in case.diary
            if d.symptom_score is not None and 3 <= (d.date - before.date).days <= 21
        ]
        late = [
            d.symptom_score
            for d in case.diary
            if d.symptom_score is not None and 0 <= (after.date - d.date).days < 7
        ]
        if early and late and statistics.mean(early) < 4:
            rises.append(statistics.mean(late) - statistics.mean(early))
    return rises


def wearing_off(case: r.Case) -> bool:
    """At least two cycles where the score climbs 2.5 points or more from a settled start."""
    return sum(rise >= 2.5 for rise in cycle_rises(case)) >= 2


def test_a_wearing_off_pattern_appears_with_the_nurses_record(clinic: list[r.Case]) -> None:
    patterned = [c for c in generated(clinic) if wearing_off(c)]
    assert patterned
    for case in patterned:
        returned = [i for i in case.infusions if i.symptoms_returned_before]
        assert returned
        assert all(6 <= (i.symptoms_days_before or 0) <= 11 for i in returned)
    assert wearing_off(clinic[0])


def test_diaries_are_bounded_and_carry_the_indications_items(clinic: list[r.Case]) -> None:
    long_history = [
        c
        for c in generated(clinic)
        if c.diary and c.diary[0].date < AS_OF.replace(year=AS_OF.year - 2)
    ]
    assert 0 < len(long_history) <= len(clinic) // 5
    for case in generated(clinic):
        if case in long_history or not case.diary:
            continue
        assert (AS_OF - case.diary[0].date).days <= 280
        steps = {(b.date - a.date).days for a, b in zip(case.diary, case.diary[1:], strict=False)}
        assert steps <= {2, 3}
    entries = [(c.patient.indication, d) for c in clinic for d in c.diary]
    assert any(d.basdai for i, d in entries if i == "ankylosing_spondylitis")
    assert any(d.das28 for i, d in entries if i == "rheumatoid_arthritis")
    assert any(d.hbi for i, d in entries if i == "crohns_disease")
    assert any(d.partial_mayo for i, d in entries if i == "ulcerative_colitis")
    sources = [d.source for _, d in entries]
    assert sources.count("patient") > sources.count("nurse") > 0


# ---------------------------------------------------------------------------------------------
# Labs: every TDM situation


def tdm_results(clinic: list[r.Case]) -> Iterator[tuple[r.Case, r.LabResult, r.LabResult]]:
    """(case, trough, antibody result drawn with it)."""
    for case in clinic:
        for level in case.labs:
            if level.test != "infliximab":
                continue
            antibodies = [
                lab
                for lab in case.labs
                if lab.test == "anti_infliximab_antibody" and lab.sampled_at == level.sampled_at
            ]
            assert len(antibodies) == 1
            yield case, level, antibodies[0]


def situation(case: r.Case, level: r.LabResult, antibodies: r.LabResult) -> str:
    target = TROUGH_TARGET.get(case.patient.indication, OTHER_TARGET)
    trough = "undetectable" if level.comparator == "<" else "low"
    if level.comparator is None and level.value >= target:
        trough = "adequate"
    return f"{trough}/{antibodies.interpretation}"


def test_every_tdm_situation_appears(clinic: list[r.Case]) -> None:
    seen = {situation(*result) for result in tdm_results(clinic)}
    assert {
        "adequate/negative",
        "adequate/low",
        "low/negative",
        "low/low",
        "undetectable/negative",
    } <= seen
    assert seen & {"low/high", "undetectable/high"}


def test_troughs_are_drawn_before_the_infusion_that_day(clinic: list[r.Case]) -> None:
    results = list(tdm_results(clinic))
    assert results
    for case, level, antibodies in results:
        assert level.timing == "trough"
        assert isinstance(level.sampled_at, dt.datetime)
        infusion = next(i for i in case.infusions if i.date == level.sampled_at.date())
        assert infusion.start_time and level.sampled_at.time() < infusion.start_time
        assert level.assay and antibodies.assay == level.assay
        assert antibodies.unit in ("U/mL", "AU/mL", "ng/mL")
        assert antibodies.interpretation in ("negative", "low", "high")
        if level.comparator == "<":
            assert level.value == level.lloq
        assert level.unit in ("mcg/mL", "ug/mL", "mg/L")


def test_inflammation_markers_in_their_units(clinic: list[r.Case]) -> None:
    units = {(lab.test, lab.unit) for c in clinic for lab in c.labs}
    assert {("crp", "mg/L"), ("crp", "mg/dL"), ("esr", "mm/h"), ("albumin", "g/L")} <= units
    assert ("fecal_calprotectin", "ug/g") in units
    for case in clinic:
        if any(lab.test == "fecal_calprotectin" for lab in case.labs):
            assert case.patient.indication in ("crohns_disease", "ulcerative_colitis")


def test_the_cast_comes_right_after_the_founding_case(clinic: list[r.Case]) -> None:
    for spec, case in zip(CAST, clinic[1:], strict=False):
        assert case.patient.indication == spec.indication
        assert (case.patient.nyha_class == 3) == spec.heart_failure


# ---------------------------------------------------------------------------------------------
# Writing the demo clinic


def counts(path: Path) -> dict[str, int]:
    db = open_database(path)
    try:
        tables = ("patient", "weight", "regimen", "infusion", "diary", "lab", "vital_sign")
        return {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
    finally:
        db.close()


def test_write_demo_clinic_then_refuse_a_second_time(tmp_path: Path) -> None:
    path = tmp_path / "demo.sqlite"
    summary = write_demo_clinic(path, patients=40, seed=SEED, as_of=AS_OF)
    cases = list(generate_clinic(40, SEED, AS_OF))
    expected = {
        "patient": 40,
        "weight": sum(len(c.weights) for c in cases),
        "regimen": sum(len(c.regimens) for c in cases),
        "infusion": sum(len(c.infusions) for c in cases),
        "diary": sum(len(c.diary) for c in cases),
        "lab": sum(len(c.labs) for c in cases),
        "vital_sign": sum(len(i.vitals) for c in cases for i in c.infusions),
    }
    assert counts(path) == expected
    assert "\n" not in summary
    for number in (40, expected["infusion"], expected["diary"], expected["lab"]):
        assert f" {number} " in summary
    db = open_database(path)
    try:
        assert read_case(db, "AS-0001") == cases[0]
        for case in cases[1:6]:
            assert read_case(db, case.patient.mrn) == case
        assert {row[0] for row in db.execute("SELECT DISTINCT created_by FROM diary")} == {"demo"}
    finally:
        db.close()

    before = snapshot(path)
    with pytest.raises(DatabaseRefused, match="already holds 40 patients"):
        write_demo_clinic(path, patients=40, seed=SEED + 1, as_of=AS_OF)
    assert snapshot(path) == before


def test_a_real_clinic_is_never_filled_with_demo_patients(tmp_path: Path) -> None:
    path = tmp_path / "clinic.sqlite"
    db = open_database(path)
    try:
        insert_case(db, founding_case(AS_OF), actor=Staff(db).nurse)
    finally:
        db.close()
    before = snapshot(path)
    with pytest.raises(DatabaseRefused, match="already holds 1 patient;"):
        write_demo_clinic(path, patients=5, seed=SEED, as_of=AS_OF)
    assert snapshot(path) == before


def test_an_exported_demo_patient_reimports_losslessly(tmp_path: Path) -> None:
    demo = tmp_path / "demo.sqlite"
    write_demo_clinic(demo, patients=12, seed=SEED, as_of=AS_OF)
    mrns = [c.patient.mrn for c in generate_clinic(12, SEED, AS_OF)]
    first, second = open_database(demo), open_database(tmp_path / "fresh.sqlite")
    nurse = Staff(second).nurse
    try:
        for mrn in mrns[1:4]:
            exported: dict[str, Any] = json.loads(json.dumps(case_to_json(read_case(first, mrn))))
            insert_case(second, parse_case(exported, today=AS_OF), actor=nurse)
            assert case_to_json(read_case(second, mrn)) == exported
    finally:
        first.close()
        second.close()
