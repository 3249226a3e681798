"""Dose arithmetic, whole-vial rounding, label checks, dose options and weight warnings."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_gui.domain import records as r
from clinic_gui.domain.dosing import (
    DosingPolicy,
    check_label,
    dose_mg,
    dose_option,
    load_policy,
    mg_per_kg_per_week,
    next_due,
    parse_regimen,
    round_to_vials,
    vials_for,
    waste_mg,
    weight_warnings,
)

POLICY = load_policy()


@pytest.mark.parametrize(
    ("mg_per_kg", "kg", "mg", "vials", "waste"),
    [
        (5, 72.4, 362, 4, 38),  # clinical reference §1.1 and §8.2
        (5, 78, 390, 4, 10),
        (3, 65, 195, 2, 5),
        (10, 95, 950, 10, 50),
        (5, 82.4, 412, 5, 88),  # founding case
        (7, 82.4, 577, 6, 23),  # 576.8 -> 577
        (5, 64, 320, 4, 80),
        (5, 71.3, 357, 4, 43),  # 356.5 rounds half up
        (5, 70.1, 351, 4, 49),  # 350.5 (binary 350.49999...) still rounds up
    ],
)
def test_dose_vials_and_waste(mg_per_kg: float, kg: float, mg: int, vials: int, waste: int) -> None:
    assert dose_mg(mg_per_kg, kg) == mg
    assert vials_for(mg) == vials
    assert waste_mg(mg) == waste


def test_intensity_per_week() -> None:
    assert mg_per_kg_per_week(5, 8) == 0.625
    assert mg_per_kg_per_week(10, 4) == 2.5


@pytest.mark.parametrize(
    ("mg", "policy", "applied", "to"),
    [
        (362, 10, False, 362),  # 400 would be +10.5%
        (390, 5, True, 400),  # +2.6%
        (195, 5, True, 200),
        (960, 10, True, 1000),
        (400, 10, False, 400),  # already whole vials
        (362, None, None, 362),  # policy off: no rounding at all
    ],
)
def test_whole_vial_rounding_is_policy_and_never_silent(
    mg: int, policy: float | None, applied: bool | None, to: int
) -> None:
    result = round_to_vials(mg, policy)
    if policy is None:
        assert result is None
        return
    assert result is not None
    assert (result.applied, result.to_mg) == (applied, to)
    assert result.note


def test_rounding_up_past_the_label_maximum_is_caught_in_mg_per_kg() -> None:
    policy = dataclasses.replace(POLICY, vial_rounding_percent=10)
    option = dose_option(
        "increase_dose", 10, 8, indication="crohns_disease", age_years=40, nyha_class=None,
        weight_kg=96, policy=policy,
    )  # fmt: skip
    assert (option.dose_mg, option.vials) == (1000, 10)
    assert option.delivered_mg_per_kg == pytest.approx(10.42, abs=0.01)
    assert not option.within_label
    assert option.label_note == "Above the highest labelled CD dose of 10 mg/kg"
    assert "rounded 960 mg to 1000 mg (+4.2%" in (option.rounding_note or "")
    assert "delivered 10.42 mg/kg" in (option.rounding_note or "")


def test_rounding_is_off_by_default() -> None:
    assert POLICY.vial_rounding_percent is None
    option = dose_option(
        "current", 5, 8, indication="crohns_disease", age_years=40, nyha_class=None,
        weight_kg=72.4, policy=POLICY,
    )  # fmt: skip
    assert (option.dose_mg, option.rounding_note) == (362, None)


def _label(indication: str, mg: float, weeks: float, age: int = 40, nyha: int | None = None):
    return check_label(
        indication=indication, age_years=age, nyha_class=nyha, interval_weeks=weeks, mg_per_kg=mg
    )


@pytest.mark.parametrize(
    ("indication", "mg", "weeks", "age", "within"),
    [
        ("ankylosing_spondylitis", 5, 6, 40, True),
        ("ankylosing_spondylitis", 5, 8, 40, False),  # AS is every 6 weeks
        ("ankylosing_spondylitis", 7, 6, 40, False),
        ("crohns_disease", 5, 8, 40, True),
        ("crohns_disease", 7.5, 8, 40, True),
        ("crohns_disease", 10, 8, 40, True),
        ("crohns_disease", 10.5, 8, 40, False),
        ("crohns_disease", 5, 6, 40, False),  # CD label: dose, not interval
        ("crohns_disease", 5, 8, 12, True),
        ("crohns_disease", 10, 8, 12, False),  # no escalation for children
        ("crohns_disease", 5, 8, 5, False),  # below the labelled age
        ("ulcerative_colitis", 10, 8, 40, False),
        ("rheumatoid_arthritis", 3, 8, 60, True),
        ("rheumatoid_arthritis", 10, 4, 60, True),
        ("rheumatoid_arthritis", 3, 3, 60, False),
        ("rheumatoid_arthritis", 2, 8, 60, False),
        ("psoriatic_arthritis", 5, 8, 50, True),
        ("plaque_psoriasis", 10, 8, 50, False),
        ("plaque_psoriasis", 5, 8, 16, False),
    ],
)
def test_label_table(indication: str, mg: float, weeks: float, age: int, within: bool) -> None:
    result = _label(indication, mg, weeks, age)
    assert result.within_label is within
    assert (result.label_note is None) is within


def test_label_notes_are_plain_words() -> None:
    assert _label("ankylosing_spondylitis", 7, 6).label_note == (
        "Above the labelled AS dose of 5 mg/kg every 6 weeks; up to 10 mg/kg is labelled for "
        "adult Crohn's disease and RA"
    )
    assert _label("ulcerative_colitis", 5, 4).label_note == (
        "Shorter than the labelled UC interval of every 8 weeks; every 4 weeks is labelled only "
        "for RA"
    )
    assert _label("crohns_disease", 10, 8, age=12).label_note == (
        "Above the labelled CD dose for children of 5 mg/kg every 8 weeks; no escalation is "
        "labelled for children"
    )


def test_heart_failure_contraindication() -> None:
    assert _label("rheumatoid_arthritis", 5, 8, nyha=3).within_label
    high = _label("rheumatoid_arthritis", 7.5, 8, nyha=3)
    assert high.contraindicated and not high.within_label
    assert high.notes[0] == (
        "Contraindicated: doses above 5 mg/kg in moderate to severe heart failure "
        "(NYHA class III/IV)"
    )
    assert not _label("rheumatoid_arthritis", 7.5, 8, nyha=2).contraindicated


def test_founding_case_options() -> None:
    current = dose_option(
        "current", 5, 6, indication="ankylosing_spondylitis", age_years=54, nyha_class=None,
        weight_kg=82.4, policy=POLICY,
    )  # fmt: skip
    assert (current.dose_mg, current.vials, current.within_label) == (412, 5, True)
    proposed = dose_option(
        "proposed", *parse_regimen("7 mg/kg q6w"), indication="ankylosing_spondylitis",
        age_years=54, nyha_class=None, weight_kg=82.4, policy=POLICY,
    )  # fmt: skip
    assert (proposed.dose_mg, proposed.vials, proposed.waste_mg) == (577, 6, 23)
    assert proposed.mg_per_kg_per_week == pytest.approx(577 / 82.4 / 6)
    assert not proposed.within_label
    assert proposed.label_note and proposed.label_note.startswith("Above the labelled AS dose")


@pytest.mark.parametrize(
    ("text", "parsed"),
    [
        ("7 mg/kg q6w", (7, 6)),
        ("7.5 mg/kg every 6 weeks", (7.5, 6)),
        ("10mg/kg q4wk", (10, 4)),
        (" 5 MG/KG Q8W ", (5, 8)),
    ],
)
def test_parse_regimen(text: str, parsed: tuple[float, float]) -> None:
    assert parse_regimen(text) == parsed


@pytest.mark.parametrize("text", ["7 mg q6w", "q6w", "7 mg/kg", "0 mg/kg q6w", "5 mg/kg q0w", ""])
def test_parse_regimen_refuses_with_a_reason(text: str) -> None:
    with pytest.raises(ValueError, match=r"mg/kg|weeks|regimen"):
        parse_regimen(text)


def _case(weights: list[tuple[str, float]], infusions: list[str] = (), regimen=None) -> r.Case:
    return r.Case(
        patient=r.Patient(
            mrn="T1", name="Test", birth_date=dt.date(1980, 1, 1), sex="female",
            indication="crohns_disease",
        ),
        weights=tuple(r.Weight(date=dt.date.fromisoformat(d), kg=kg) for d, kg in weights),
        regimens=(regimen,) if regimen else (),
        infusions=tuple(
            r.Infusion(date=dt.date.fromisoformat(d), product="Inflectra", dose_mg=320)
            for d in infusions
        ),
    )  # fmt: skip


def test_weight_warnings() -> None:
    on = dt.date(2025, 6, 1)
    assert weight_warnings(_case([("2025-05-01", 70)]), on, POLICY) == []
    old = weight_warnings(_case([("2025-01-01", 70)]), on, POLICY)
    assert len(old) == 1 and "151 days old" in old[0] and "within 90 days" in old[0]
    boundary = weight_warnings(_case([("2025-03-03", 70)]), on, POLICY)
    assert boundary == []  # exactly 90 days
    jump = weight_warnings(_case([("2025-01-01", 80), ("2025-05-20", 70)]), on, POLICY)
    assert jump == [
        "The latest weight (70 kg) differs by 12.5% from the previous one (80 kg, 2025-01-01); "
        "confirm it before dosing."
    ]
    assert weight_warnings(_case([("2025-01-01", 80), ("2025-05-20", 72)]), on, POLICY) == []
    assert "No weight recorded" in weight_warnings(_case([]), on, POLICY)[0]


def test_next_due_uses_the_interval_in_effect() -> None:
    regimen = r.Regimen(
        start_date=dt.date(2025, 1, 6), product="Inflectra", dose_mg_per_kg=5, interval_weeks=8
    )
    case = _case([], ["2025-01-06", "2025-03-03", "2025-04-28"], regimen)
    assert next_due(case, dt.date(2025, 5, 1)) == dt.date(2025, 6, 23)
    assert next_due(case, dt.date(2025, 4, 1)) == dt.date(2025, 4, 28)
    assert next_due(_case([], ["2025-01-06"]), dt.date(2025, 5, 1)) is None


@given(
    mg_per_kg=st.floats(0.5, 20).map(lambda v: round(v, 1)),
    kg=st.floats(3, 300).map(lambda v: round(v, 1)),
    weeks=st.sampled_from([2, 4, 6, 8]),
    rounding=st.sampled_from([None, 5, 10]),
    indication=st.sampled_from(
        ["crohns_disease", "ulcerative_colitis", "rheumatoid_arthritis",
         "ankylosing_spondylitis", "psoriatic_arthritis", "plaque_psoriasis"]
    ),
    age=st.integers(2, 95),
    nyha=st.sampled_from([None, 1, 2, 3, 4]),
)  # fmt: skip
def test_dose_arithmetic_is_consistent(
    mg_per_kg: float, kg: float, weeks: int, rounding: float | None, indication: str, age: int,
    nyha: int | None,
) -> None:  # fmt: skip
    policy = DosingPolicy(vial_rounding_percent=rounding)
    option = dose_option(
        "proposed", mg_per_kg, weeks, indication=indication, age_years=age, nyha_class=nyha,
        weight_kg=kg, policy=policy,
    )  # fmt: skip
    assert option.dose_mg is not None and option.vials is not None
    assert option.vials * 100 >= option.dose_mg
    assert option.waste_mg == option.vials * 100 - option.dose_mg
    assert (option.vials - 1) * 100 < option.dose_mg or option.vials == 1
    exact = mg_per_kg * kg
    if rounding is None:
        assert abs(option.dose_mg - exact) <= 0.5 + 1e-9
    else:
        assert abs(option.dose_mg - exact) <= exact * rounding / 100 + 0.5 + 1e-9
    assert option.delivered_mg_per_kg == pytest.approx(option.dose_mg / kg)
    assert option.mg_per_kg_per_week == pytest.approx(option.dose_mg / kg / weeks)
    assert option.within_label == (option.label_note is None)
    if option.contraindicated:
        assert not option.within_label and nyha is not None and nyha >= 3
    assert math.isfinite(option.mg_per_kg_per_week)
