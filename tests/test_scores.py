"""Disease-activity scores: every worked example of clinical reference §6, the state tables at
each cut-off, units, input refusals, change categories and the per-indication choice."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic_gui.domain import scores as s
from clinic_gui.domain.records import (
    Basdai,
    DiaryEntry,
    HarveyBradshawItems,
    JointAssessment,
    LabResult,
    PartialMayoItems,
)
from clinic_gui.resources import load_json

DAY = dt.date(2025, 12, 1)


def lab(test: str, value: float, unit: str, **extra: Any) -> LabResult:
    return LabResult(sampled_at=DAY, test=test, value=value, unit=unit, **extra)


def r3(value: float) -> float:
    return round(value, 3)


# ---------------------------------------------------------------------------------------------
# The data file


def test_data_file_is_versioned_and_every_item_is_cited() -> None:
    raw = load_json("scores.json")
    assert raw["version"] == s.score_table().version
    cited: list[dict[str, Any]] = []
    for spec in raw["scores"].values():
        cited.append(spec)
        cited += [spec[k] for k in ("crp_floor_mg_l", "remission") if k in spec]
    cited += list(raw["state_tables"].values())
    for rules in raw["change_rules"].values():
        cited += rules["rules"]
    for item in cited:
        assert isinstance(item["source"], str) and item["source"].strip()
        assert isinstance(item["verified"], bool)


def test_one_asdas_coefficient_set_is_chosen_and_documented() -> None:
    crp = s.definition(s.ASDAS_CRP)
    assert "3-decimal" in crp.raw["coefficient_set"]
    assert dict(crp.coefficients) == {
        "back_pain": 0.121,
        "stiffness_duration": 0.058,
        "patient_global": 0.110,
        "peripheral_pain": 0.073,
        "ln_crp_plus_1": 0.579,
        "constant": 0,
        "multiplier": 1,
    }
    assert crp.raw["crp_floor_mg_l"]["value"] == 2


def test_unverified_thresholds_are_flagged() -> None:
    raw = load_json("scores.json")
    unverified_states = {k for k, t in raw["state_tables"].items() if not t["verified"]}
    assert unverified_states == {"DAS28 applied to DAS28-CRP"}
    unverified_rules = {
        (key, rule["category"])
        for key, rules in raw["change_rules"].items()
        for rule in rules["rules"]
        if not rule["verified"]
    }
    assert unverified_rules == {
        ("DAS28", "good response (EULAR)"),
        ("DAS28", "moderate response (EULAR)"),
        ("ASDAS-ESR", "worsening"),
    }


def test_malformed_state_tables_are_refused() -> None:
    raw = load_json("scores.json")
    table = dict(raw["state_tables"]["ASDAS"])
    gap = [dict(b) for b in table["bands"]]
    gap[1]["max"] = 2.0
    with pytest.raises(ValueError, match="gap"):
        s._parse_states("x", {**table, "bands": gap})
    overlap = [dict(b) for b in table["bands"]]
    overlap[1]["max_inclusive"] = True
    with pytest.raises(ValueError, match="exactly one"):
        s._parse_states("x", {**table, "bands": overlap})
    with pytest.raises(ValueError, match="no source"):
        s._parse_states("x", {**table, "source": ""})


# ---------------------------------------------------------------------------------------------
# BASDAI (§6.1)


def test_basdai_worked_example() -> None:
    result = s.basdai(6, 5, 4, 3, 7, 5)
    assert result.name == "BASDAI"
    assert result.value == pytest.approx(4.8)
    assert result.display_value == "4.8"
    assert result.state == "active disease"
    assert result.verified
    assert result.inputs["Q6 morning stiffness duration, 0–10"] == "5"


def test_basdai_averages_q5_and_q6_and_divides_by_five() -> None:
    assert s.basdai(0, 0, 0, 0, 10, 0).value == pytest.approx(1)
    assert s.basdai(10, 0, 0, 0, 0, 0).value == pytest.approx(2)


# ---------------------------------------------------------------------------------------------
# ASDAS (§6.2), the 3-decimal coefficient set


def test_asdas_example_a_is_high_at_the_boundary() -> None:
    a = s.asdas_crp(6, 5, 7, 3, 12)
    assert a.name == "ASDAS-CRP"
    assert r3(a.value) == 3.490
    assert a.state == "high disease activity"
    assert a.notes == ()
    assert a.inputs["CRP"] == "12 mg/L"
    assert a.verified
    assert "Lukas C et al. Ann Rheum Dis 2009;68:18-24" in a.source
    assert "Ann Rheum Dis 2018;77:1539-1540" in a.source


def test_asdas_example_b_converts_the_seed_crp_from_mg_dl() -> None:
    seed_crp = lab("crp", 0.2, "mg/dL")
    assert s.crp_mg_l(seed_crp) == 2.0
    b = s.asdas_crp(4, 3, 5, 2, s.crp_mg_l(seed_crp), lab=seed_crp)
    assert r3(b.value) == 1.990
    assert b.state == "low disease activity"
    assert b.inputs["CRP"] == "2 mg/L (measured 0.2 mg/dL = 2 mg/L on 2025-12-01)"
    assert b.notes == ()
    # 0.2 wrongly read as mg/L: the floor still forces 2 mg/L, so the result is the same.
    wrong = s.asdas_crp(4, 3, 5, 2, 0.2)
    assert r3(wrong.value) == 1.990
    assert wrong.notes == ("CRP below 2 mg/L: 2 mg/L used (ASDAS rule)",)


def test_asdas_example_c_applies_the_crp_floor() -> None:
    c = s.asdas_crp(2, 1, 2, 0, 0.5)
    assert r3(c.value) == 1.156
    assert c.state == "inactive disease"
    assert c.inputs["CRP"] == "2 mg/L (floor applied; entered 0.5 mg/L)"
    assert "CRP below 2 mg/L: 2 mg/L used (ASDAS rule)" in c.notes
    assert "CRP floor" in c.source


def test_asdas_example_d_is_very_high() -> None:
    d = s.asdas_crp(8, 8, 8, 6, 35)
    assert r3(d.value) == 4.825
    assert d.state == "very high disease activity"


def test_asdas_esr_example() -> None:
    e = s.asdas_esr(6, 5, 7, 3, 30)
    assert e.name == "ASDAS-ESR"
    assert r3(e.value) == 3.473
    assert e.state == "high disease activity"
    assert e.inputs["ESR"] == "30 mm/h"


def test_asdas_change_a_to_b_is_important_not_major() -> None:
    a = s.asdas_crp(6, 5, 7, 3, 12)
    b = s.asdas_crp(4, 3, 5, 2, 2)
    assert round(a.value - b.value, 2) == 1.50
    assert s.change("ASDAS-CRP", a, b) == "clinically important improvement"
    assert s.change("ASDAS-CRP", a.value, b.value) == "clinically important improvement"
    detail = s.assess_change("ASDAS-CRP", a, b)
    assert detail.delta == pytest.approx(-1.5)
    assert detail.verified
    assert "Machado P et al. Ann Rheum Dis 2011;70:47-53" in detail.source


def test_asdas_floor_applies_to_crp_reported_below_detection() -> None:
    below = lab("crp", 5, "mg/L", comparator="<")
    result = s.asdas_crp(6, 5, 7, 3, s.crp_mg_l(below), lab=below)
    assert result.value == pytest.approx(s.asdas_crp(6, 5, 7, 3, 2).value)
    assert any("below the detection limit (<5 mg/L)" in n for n in result.notes)


def test_asdas_refuses_a_lab_that_does_not_match_the_value() -> None:
    with pytest.raises(ValueError, match="does not match"):
        s.asdas_crp(4, 3, 5, 2, 0.2, lab=lab("crp", 0.2, "mg/dL"))


# ---------------------------------------------------------------------------------------------
# DAS28 (§6.4)


def test_das28_example_1() -> None:
    four = s.das28_crp(8, 5, 15, 60)
    assert four.name == "DAS28-CRP"
    assert r3(four.value) == 5.008
    assert four.state == "moderate disease activity"
    three = s.das28_crp(8, 5, 15)
    assert three.name == "DAS28-CRP (3 variables)"
    assert r3(three.value) == 4.679
    assert "3-variable version: patient global health (GH) not recorded" in three.notes


def test_das28_example_2_and_the_unit_trap() -> None:
    seed_crp = lab("crp", 0.2, "mg/dL")
    assert s.crp_mg_l(seed_crp) == 2.0
    right = s.das28_crp(4, 2, s.crp_mg_l(seed_crp), 35, lab=seed_crp)
    # The reference's 3.362 sums terms rounded to 4 decimals (3.3615); unrounded it is 3.36148.
    assert right.value == pytest.approx(3.3615, abs=1e-4)
    assert right.display_value == "3.36"
    assert right.state == "moderate disease activity"
    wrong = s.das28_crp(4, 2, 0.2, 35)  # 0.2 mistaken for mg/L: no floor in DAS28
    assert r3(wrong.value) == 3.032
    assert wrong.state == "low disease activity"


def test_das28_example_3_and_4() -> None:
    ex3 = s.das28_crp(0, 0, 1, 10)
    assert r3(ex3.value) == 1.350
    assert ex3.state == "remission"
    ex4 = s.das28_esr(8, 5, 30, 60)
    assert ex4.name == "DAS28-ESR"
    assert r3(ex4.value) == 5.431
    assert ex4.state == "high disease activity"
    assert ex4.verified


def test_das28_esr_three_variables() -> None:
    expected = (0.56 * math.sqrt(8) + 0.28 * math.sqrt(5) + 0.70 * math.log(30)) * 1.08 + 0.16
    result = s.das28_esr(8, 5, 30)
    assert result.name == "DAS28-ESR (3 variables)"
    assert result.value == pytest.approx(expected)


def test_das28_crp_cut_offs_are_unverified() -> None:
    result = s.das28_crp(8, 5, 15, 60)
    assert not result.verified
    assert any("unverified" in n for n in result.notes)
    assert not s.das28_crp(8, 5, 15).verified


def test_esr_zero_is_refused_for_das28_but_not_for_asdas() -> None:
    with pytest.raises(ValueError, match=r"at least 1 mm/h.*ln\(ESR\)"):
        s.das28_esr(8, 5, 0, 60)
    with pytest.raises(ValueError, match="at least 1 mm/h"):
        s.das28_esr(8, 5, 0.5)
    assert s.asdas_esr(6, 5, 7, 3, 0).value == pytest.approx(0.474 + 0.345 + 0.791 + 0.258)


# ---------------------------------------------------------------------------------------------
# CDAI / SDAI (§6.5)


def test_cdai_and_sdai_example() -> None:
    c = s.cdai(4, 2, 5, 4)
    assert c.value == 15
    assert c.display_value == "15"
    assert c.state == "moderate disease activity"
    seed_crp = lab("crp", 0.2, "mg/dL")
    assert s.crp_mg_dl(seed_crp) == pytest.approx(0.2)
    sd = s.sdai(4, 2, 5, 4, s.crp_mg_dl(seed_crp), lab=seed_crp)
    assert sd.value == pytest.approx(15.2)
    assert sd.display_value == "15.2"
    assert sd.state == "moderate disease activity"
    assert sd.inputs["CRP"] == "0.2 mg/dL (measured 0.2 mg/dL on 2025-12-01)"


def test_sdai_takes_crp_in_mg_dl_the_15_mg_l_trap() -> None:
    crp = lab("crp", 15, "mg/L")
    assert s.crp_mg_dl(crp) == pytest.approx(1.5)
    right = s.sdai(4, 2, 5, 4, s.crp_mg_dl(crp), lab=crp)
    assert right.value == pytest.approx(16.5)
    assert right.state == "moderate disease activity"
    assert right.inputs["CRP"] == "1.5 mg/dL (measured 15 mg/L = 1.5 mg/dL on 2025-12-01)"
    wrong = s.sdai(4, 2, 5, 4, 15)
    assert wrong.value == 30
    assert wrong.state == "high disease activity"


# ---------------------------------------------------------------------------------------------
# HBI (§6.6) and partial Mayo (§6.7)


def test_hbi_worked_example() -> None:
    result = s.hbi(
        HarveyBradshawItems(
            wellbeing=1, abdominal_pain=2, liquid_stools=4, abdominal_mass=0, complications=1
        )
    )
    assert result.value == 8
    assert result.state == "moderate disease"
    assert not result.partial
    assert result.verified


def test_hbi_is_an_unweighted_sum() -> None:
    items = HarveyBradshawItems(
        wellbeing=0, abdominal_pain=3, liquid_stools=5, abdominal_mass=0, complications=0
    )
    assert s.hbi(items).value == 8  # not 2 x 3 + 2 x 5


def test_hbi_without_the_mass_is_partial_and_says_so() -> None:
    result = s.hbi(
        HarveyBradshawItems(wellbeing=1, abdominal_pain=1, liquid_stools=2, complications=0)
    )
    assert result.value == 4
    assert result.partial
    assert result.state == "remission or mild disease"
    assert result.inputs["abdominal mass, 0–3"] == "not assessed"
    assert any(n.startswith("partial: abdominal mass not assessed") for n in result.notes)
    assert result.summary == "HBI 4 (partial) (remission or mild disease)"
    # A partial 20 is severe whatever the mass.
    severe = s.hbi(
        HarveyBradshawItems(wellbeing=4, abdominal_pain=3, liquid_stools=13, complications=0)
    )
    assert severe.state == "severe disease"


def test_hbi_needs_the_diary_items() -> None:
    with pytest.raises(ValueError, match="liquid or soft stools"):
        s.hbi(HarveyBradshawItems(wellbeing=1, abdominal_pain=1))


def test_partial_mayo_remission_rule() -> None:
    full = s.partial_mayo(
        PartialMayoItems(stool_frequency=1, rectal_bleeding=0, physician_global=1)
    )
    assert full.name == "partial Mayo"
    assert full.value == 2
    assert full.state == "remission"
    assert full.verified
    one_subscore_of_2 = PartialMayoItems(stool_frequency=2, rectal_bleeding=0, physician_global=0)
    assert s.partial_mayo(one_subscore_of_2).state == "not in remission"
    total_3 = PartialMayoItems(stool_frequency=1, rectal_bleeding=1, physician_global=1)
    assert s.partial_mayo(total_3).state == "not in remission"


def test_partial_mayo_without_physician_global_is_the_6_point_version() -> None:
    result = s.partial_mayo(PartialMayoItems(stool_frequency=1, rectal_bleeding=1))
    assert result.name == "partial Mayo (6-point)"
    assert result.value == 2
    assert result.state is None
    assert any("6-point patient-reported version" in n for n in result.notes)
    assert any("cannot be judged" in n for n in result.notes)
    excluded = s.partial_mayo(PartialMayoItems(stool_frequency=2, rectal_bleeding=0))
    assert excluded.state == "not in remission"
    with pytest.raises(ValueError, match="no change criteria"):
        s.change("partial Mayo (6-point)", 4, 1)


# ---------------------------------------------------------------------------------------------
# State tables: exactly at each cut-off and one reporting step either side

BOUNDARIES = [
    # ASDAS: inactive <1.3, low >=1.3 <2.1, high >=2.1 <=3.5, very high >3.5
    ("ASDAS-CRP", 1.29, "inactive disease"),
    ("ASDAS-CRP", 1.3, "low disease activity"),
    ("ASDAS-CRP", 2.09, "low disease activity"),
    ("ASDAS-CRP", 2.1, "high disease activity"),
    ("ASDAS-CRP", 3.5, "high disease activity"),
    ("ASDAS-CRP", 3.51, "very high disease activity"),
    ("ASDAS-ESR", 1.3, "low disease activity"),
    ("ASDAS-ESR", 3.51, "very high disease activity"),
    # DAS28: remission <2.6, low >=2.6 <=3.2, moderate >3.2 <=5.1, high >5.1
    ("DAS28-ESR", 2.59, "remission"),
    ("DAS28-ESR", 2.6, "low disease activity"),
    ("DAS28-ESR", 3.2, "low disease activity"),
    ("DAS28-ESR", 3.21, "moderate disease activity"),
    ("DAS28-ESR", 5.1, "moderate disease activity"),
    ("DAS28-ESR", 5.11, "high disease activity"),
    ("DAS28-CRP", 2.6, "low disease activity"),
    ("DAS28-CRP", 3.2, "low disease activity"),
    ("DAS28-CRP", 5.11, "high disease activity"),
    ("DAS28-CRP (3 variables)", 2.59, "remission"),
    ("DAS28-ESR (3 variables)", 5.1, "moderate disease activity"),
    # CDAI: <=2.8 / <=10 / <=22 / >22
    ("CDAI", 2.8, "remission"),
    ("CDAI", 2.9, "low disease activity"),
    ("CDAI", 10, "low disease activity"),
    ("CDAI", 10.1, "moderate disease activity"),
    ("CDAI", 22, "moderate disease activity"),
    ("CDAI", 22.1, "high disease activity"),
    # SDAI: <=3.3 / <=11 / <=26 / >26
    ("SDAI", 3.3, "remission"),
    ("SDAI", 3.31, "low disease activity"),
    ("SDAI", 11, "low disease activity"),
    ("SDAI", 11.01, "moderate disease activity"),
    ("SDAI", 26, "moderate disease activity"),
    ("SDAI", 26.01, "high disease activity"),
    # HBI: <5 / 5-7 / 8-16 / >16
    ("HBI", 4, "remission"),
    ("HBI", 5, "mild disease"),
    ("HBI", 7, "mild disease"),
    ("HBI", 8, "moderate disease"),
    ("HBI", 16, "moderate disease"),
    ("HBI", 17, "severe disease"),
    # BASDAI: active >=4
    ("BASDAI", 3.9, "below the active-disease threshold"),
    ("BASDAI", 4, "active disease"),
]


@pytest.mark.parametrize(("score", "value", "state"), BOUNDARIES)
def test_state_at_each_cut_off(score: str, value: float, state: str) -> None:
    assert s.activity_state(score, value) == state


def test_states_are_judged_on_the_number_shown() -> None:
    # 1.2999 is shown as "1.3", so it is low activity, never "1.3 - inactive".
    assert s.activity_state("ASDAS-CRP", 1.2999) == "low disease activity"
    assert s.activity_state("ASDAS-CRP", 1.294) == "inactive disease"
    assert s.activity_state("CDAI", 2.84) == "remission"  # shown as 2.8


def test_boundaries_through_the_score_functions() -> None:
    assert s.basdai(4, 4, 4, 4, 4, 4).state == "active disease"
    assert s.cdai(0, 0, 1.4, 1.4).state == "remission"  # exactly 2.8
    assert s.cdai(4, 2, 2, 2).state == "low disease activity"  # exactly 10
    assert s.cdai(10, 4, 4, 4).state == "moderate disease activity"  # exactly 22
    assert s.sdai(0, 0, 1.5, 1.5, 0.3).state == "remission"  # exactly 3.3
    for total, state in ((4, "remission"), (5, "mild disease"), (16, "moderate disease")):
        items = HarveyBradshawItems(
            wellbeing=0, abdominal_pain=0, liquid_stools=total, abdominal_mass=0, complications=0
        )
        assert s.hbi(items).state == state


def test_partial_mayo_state_needs_the_subscores() -> None:
    with pytest.raises(ValueError, match="subscores"):
        s.activity_state("partial Mayo", 2)
    with pytest.raises(ValueError, match="unknown score"):
        s.activity_state("PASI", 2)


# ---------------------------------------------------------------------------------------------
# Input refusals and units


@pytest.mark.parametrize(
    "call",
    [
        lambda: s.basdai(11, 0, 0, 0, 0, 0),
        lambda: s.basdai(-1, 0, 0, 0, 0, 0),
        lambda: s.basdai(math.nan, 0, 0, 0, 0, 0),
        lambda: s.asdas_crp(6, 5, 7, 3, -1),
        lambda: s.asdas_crp(6, 5, 7, 10.5, 12),
        lambda: s.das28_crp(29, 0, 5, 50),
        lambda: s.das28_crp(2.5, 0, 5, 50),
        lambda: s.das28_crp(True, 0, 5, 50),
        lambda: s.das28_crp(4, 2, 5, 101),
        lambda: s.cdai(4, 2, 5, 11),
        lambda: s.sdai(4, 2, 5, 4, -0.1),
        lambda: s.hbi(HarveyBradshawItems(wellbeing=5, abdominal_pain=0, liquid_stools=0)),
        lambda: s.hbi(HarveyBradshawItems(wellbeing=1, abdominal_pain=1, liquid_stools=1.5)),
        lambda: s.partial_mayo(PartialMayoItems(stool_frequency=4, rectal_bleeding=0)),
    ],
)
def test_out_of_range_inputs_are_refused(call: Any) -> None:
    with pytest.raises(ValueError):
        call()


def test_refusal_messages_name_the_score_item_and_range() -> None:
    with pytest.raises(ValueError, match=r"BASDAI: Q1 fatigue must be between 0 and 10, got 11"):
        s.basdai(11, 0, 0, 0, 0, 0)
    with pytest.raises(ValueError, match=r"must be a whole number, got 2\.5"):
        s.das28_crp(2.5, 0, 5, 50)


@pytest.mark.parametrize("unit", ["", " ", "mmol/L", "mg", "g/L", "nmol/L"])
def test_crp_without_a_crp_unit_is_refused(unit: str) -> None:
    crp = lab("crp", 5, unit)
    with pytest.raises(ValueError, match="never guessed"):
        s.crp_mg_l(crp)
    with pytest.raises(ValueError, match="never guessed"):
        s.crp_mg_dl(crp)


def test_lab_helpers_convert_and_check_the_test() -> None:
    assert s.crp_mg_l(lab("crp", 15, "mg/l")) == 15
    assert s.crp_mg_l(lab("crp", 1.5, "MG/DL")) == pytest.approx(15)
    assert s.esr_mm_h(lab("esr", 30, "mm/hr")) == 30
    with pytest.raises(ValueError, match="expected a C-reactive protein result"):
        s.crp_mg_l(lab("esr", 30, "mm/h"))
    with pytest.raises(ValueError, match="never guessed"):
        s.esr_mm_h(lab("esr", 30, "mm"))
    with pytest.raises(ValueError, match="at least 0"):
        s.crp_mg_l(lab("crp", -1, "mg/L"))


def test_crp_limits_are_noted_outside_asdas() -> None:
    below = lab("crp", 5, "mg/L", comparator="<")
    result = s.das28_crp(4, 2, s.crp_mg_l(below), 35, lab=below)
    assert any("reported as <5 mg/L" in n and "may be high" in n for n in result.notes)
    assert result.inputs["CRP"] == "5 mg/L (measured <5 mg/L = 5 mg/L on 2025-12-01)"


# ---------------------------------------------------------------------------------------------
# Change categories


@pytest.mark.parametrize(
    ("score", "before", "after", "category", "verified"),
    [
        ("ASDAS-CRP", 4.825, 2.5, "major improvement", True),
        ("ASDAS-CRP", 3.1, 2.0, "clinically important improvement", True),
        ("ASDAS-CRP", 3.1, 2.01, "no important change", True),
        ("ASDAS-CRP", 1.99, 3.49, "worsening", True),
        ("ASDAS-CRP", 0.5, 1.6, "no important change", True),  # +1.1 but below 2.1
        ("ASDAS-ESR", 1.0, 2.1, "worsening", False),
        ("BASDAI", 6, 4, "clinically important improvement", True),
        ("BASDAI", 3, 1.5, "clinically important improvement", True),
        ("BASDAI", 3, 1.6, "no important change", True),
        ("BASDAI", 0, 0, "no important change", True),
        ("BASDAI", 4, 7, "higher (no worsening criterion is defined for BASDAI)", True),
        ("DAS28-ESR", 3.0, 4.2, "worsening", True),
        ("DAS28-CRP", 2.0, 3.1, "no important change", False),
        ("DAS28-ESR", 5.5, 3.0, "good response (EULAR)", False),
        ("DAS28-ESR", 5.5, 4.2, "moderate response (EULAR)", False),
        ("DAS28-ESR", 5.0, 4.2, "moderate response (EULAR)", False),
        ("DAS28-ESR", 6.2, 5.4, "no important change", False),
        ("DAS28-ESR", 4.0, 2.8, "moderate response (EULAR)", False),  # exactly 1.2: not > 1.2
        ("DAS28-CRP (3 variables)", 3.0, 4.2, "worsening", True),
        ("HBI", 8, 5, "clinically important improvement", True),
        ("HBI", 3, 6, "worsening", True),
        ("HBI", 1, 4, "no important change", True),
        ("partial Mayo", 6, 3, "clinically important improvement", True),
        ("partial Mayo", 6, 4, "no important change", True),
        ("partial Mayo", 2, 5, "worsening", True),
    ],
)
def test_change_categories(
    score: str, before: float, after: float, category: str, verified: bool
) -> None:
    assert s.change(score, before, after) == category
    assert s.assess_change(score, before, after).verified is verified


def test_change_refusals() -> None:
    assert not s.has_change_criteria("CDAI")
    with pytest.raises(ValueError, match="no change criteria"):
        s.change("CDAI", 20, 5)
    with pytest.raises(ValueError, match="from a DAS28-CRP"):
        s.change("DAS28-ESR", s.das28_crp(8, 5, 15, 60), s.das28_esr(4, 2, 10, 30))
    with pytest.raises(ValueError, match="finite"):
        s.change("HBI", math.nan, 3)


def test_change_from_a_partial_score_is_noted() -> None:
    partial = s.hbi(HarveyBradshawItems(wellbeing=2, abdominal_pain=2, liquid_stools=6))
    full = s.hbi(
        HarveyBradshawItems(
            wellbeing=1, abdominal_pain=1, liquid_stools=2, abdominal_mass=0, complications=0
        )
    )
    detail = s.assess_change("HBI", partial, full)
    assert detail.category == "clinically important improvement"
    assert detail.notes == ("the earlier HBI is partial",)


# ---------------------------------------------------------------------------------------------
# Scores for a diary entry

SEED_CRP = LabResult(
    sampled_at=dt.datetime(2025, 12, 1, 8, 45), test="crp", value=0.2, unit="mg/dL"
)
SEED_ESR = LabResult(sampled_at=dt.datetime(2025, 12, 1, 8, 45), test="esr", value=30, unit="mm/h")
ALL_BASDAI = Basdai(q1=6, q2=4, q3=2, q4=3, q5=7, q6=3)
JOINTS = JointAssessment(tender_joints=4, swollen_joints=2, global_health_mm=35, evaluator_global=4)


def entry(**fields: Any) -> DiaryEntry:
    return DiaryEntry(date=DAY, **fields)


def names(results: list[s.ScoreResult]) -> list[str]:
    return [r.name for r in results]


def test_ankylosing_spondylitis_scores() -> None:
    e = entry(basdai=ALL_BASDAI, patient_global=5)
    results = s.scores_for_entry("ankylosing_spondylitis", e, SEED_CRP, SEED_ESR)
    assert names(results) == ["BASDAI", "ASDAS-CRP", "ASDAS-ESR"]
    asdas = results[1]
    assert r3(asdas.value) == 1.990  # Example B from the diary: Q2 4, Q6 3, global 5, Q3 2
    assert asdas.inputs["CRP"] == "2 mg/L (measured 0.2 mg/dL = 2 mg/L on 2025-12-01)"
    assert names(s.scores_for_entry("AS", e)) == ["BASDAI"]
    no_global = entry(basdai=ALL_BASDAI)
    assert names(s.scores_for_entry("AS", no_global, SEED_CRP)) == ["BASDAI"]
    asdas_items_only = entry(basdai=Basdai(q2=4, q3=2, q6=3), patient_global=5)
    assert names(s.scores_for_entry("AS", asdas_items_only, SEED_CRP)) == ["ASDAS-CRP"]
    assert s.scores_for_entry("AS", entry(symptom_score=3)) == []


def test_rheumatoid_arthritis_scores() -> None:
    e = entry(das28=JOINTS, patient_global=5)
    results = s.scores_for_entry("rheumatoid_arthritis", e, SEED_CRP, SEED_ESR)
    assert names(results) == ["DAS28-CRP", "DAS28-ESR", "CDAI", "SDAI"]
    assert results[0].display_value == "3.36"  # Example 2, with the mg/dL CRP converted
    assert results[2].value == 15
    assert results[3].value == pytest.approx(15.2)  # SDAI takes the CRP in mg/dL
    no_gh = entry(das28=JointAssessment(tender_joints=4, swollen_joints=2), patient_global=5)
    assert names(s.scores_for_entry("RA", no_gh, SEED_CRP, SEED_ESR)) == [
        "DAS28-CRP (3 variables)",
        "DAS28-ESR (3 variables)",
    ]
    no_labs = s.scores_for_entry("RA", e)
    assert names(no_labs) == ["CDAI"]


def test_sdai_from_a_crp_in_mg_l() -> None:
    e = entry(das28=JOINTS, patient_global=5)
    results = s.scores_for_entry("RA", e, lab("crp", 15, "mg/L"))
    sdai = next(r for r in results if r.name == "SDAI")
    assert sdai.value == pytest.approx(16.5)


def test_psoriatic_arthritis_adds_basdai() -> None:
    e = entry(das28=JOINTS, basdai=ALL_BASDAI, patient_global=5)
    assert names(s.scores_for_entry("psoriatic_arthritis", e, SEED_CRP)) == [
        "DAS28-CRP",
        "CDAI",
        "SDAI",
        "BASDAI",
    ]


def test_ibd_and_psoriasis_scores() -> None:
    cd = entry(hbi=HarveyBradshawItems(wellbeing=1, abdominal_pain=2, liquid_stools=4))
    (result,) = s.scores_for_entry("crohns_disease", cd, SEED_CRP)
    assert result.name == "HBI" and result.partial
    assert s.scores_for_entry("CD", entry(hbi=HarveyBradshawItems(wellbeing=1))) == []
    uc = entry(partial_mayo=PartialMayoItems(stool_frequency=1, rectal_bleeding=0))
    assert names(s.scores_for_entry("ulcerative_colitis", uc)) == ["partial Mayo (6-point)"]
    everything = entry(basdai=ALL_BASDAI, das28=JOINTS, patient_global=5, hbi=cd.hbi)
    assert s.scores_for_entry("plaque_psoriasis", everything, SEED_CRP) == []
    assert s.scores_for_entry("psoriasis", everything) == []
    assert s.primary_score("PsO", everything) is None


def test_indications_are_codes_short_names_or_labels() -> None:
    assert s.indication_short("ankylosing_spondylitis") == "AS"
    assert s.indication_short("as") == "AS"
    assert s.indication_short("Crohn's disease") == "CD"
    with pytest.raises(ValueError, match="unknown indication"):
        s.scores_for_entry("gout", entry())


def test_a_crp_with_an_unaccepted_unit_is_refused() -> None:
    e = entry(basdai=ALL_BASDAI, patient_global=5)
    with pytest.raises(ValueError, match="never guessed"):
        s.scores_for_entry("AS", e, lab("crp", 0.2, ""))


def test_lab_sampled_another_day_is_noted() -> None:
    e = DiaryEntry(date=dt.date(2025, 12, 3), basdai=ALL_BASDAI, patient_global=5)
    asdas = s.primary_score("AS", e, SEED_CRP)
    assert asdas is not None and asdas.name == "ASDAS-CRP"
    assert "C-reactive protein sampled 2025-12-01, 2 days before this diary entry" in asdas.notes
    basdai = next(r for r in s.scores_for_entry("AS", e, SEED_CRP) if r.name == "BASDAI")
    assert basdai.notes == ()


def primary(indication: str, e: DiaryEntry, *labs: LabResult | None) -> str | None:
    result = s.primary_score(indication, e, *labs)
    return None if result is None else result.summary


def test_primary_score_per_indication() -> None:
    as_entry = entry(basdai=ALL_BASDAI, patient_global=5)
    assert primary("AS", as_entry, SEED_CRP, SEED_ESR) == "ASDAS-CRP 1.99 (low disease activity)"
    assert primary("AS", as_entry, None, SEED_ESR) == "BASDAI 4 (active disease)"
    ra = entry(das28=JOINTS, patient_global=5)
    assert primary("RA", ra, SEED_CRP, SEED_ESR) == "DAS28-CRP 3.36 (moderate disease activity)"
    assert primary("PsA", ra, None, SEED_ESR) == "DAS28-ESR 4.39 (moderate disease activity)"
    assert primary("RA", ra) == "CDAI 15 (moderate disease activity)"
    assert primary("RA", entry()) is None
    cd = entry(
        hbi=HarveyBradshawItems(
            wellbeing=1, abdominal_pain=2, liquid_stools=4, abdominal_mass=0, complications=1
        )
    )
    assert primary("CD", cd) == "HBI 8 (moderate disease)"
    uc = PartialMayoItems(stool_frequency=1, rectal_bleeding=0, physician_global=1)
    assert primary("UC", entry(partial_mayo=uc)) == "partial Mayo 2 (remission)"


# ---------------------------------------------------------------------------------------------
# Properties

item = st.floats(0, 10, allow_nan=False)
joints = st.integers(0, 28)


@given(st.lists(item, min_size=6, max_size=6))
def test_basdai_stays_within_0_to_10(q: list[float]) -> None:
    value = s.basdai(*q).value
    assert -1e-12 <= value <= 10 + 1e-12


@given(
    joints,
    joints,
    st.floats(0, 300, allow_nan=False),
    st.floats(1, 150, allow_nan=False),
    st.none() | st.floats(0, 100, allow_nan=False),
)
def test_das28_rises_with_tender_joints(
    tender: int, swollen: int, crp: float, esr: float, gh: float | None
) -> None:
    more = min(tender + 1, 28)
    if more == tender:
        return
    assert s.das28_crp(more, swollen, crp, gh).value > s.das28_crp(tender, swollen, crp, gh).value
    assert s.das28_esr(more, swollen, esr, gh).value > s.das28_esr(tender, swollen, esr, gh).value


@given(item, item, item, item, st.floats(0, 2, allow_nan=False), st.floats(0, 300))
def test_asdas_crp_floor_and_monotone_crp(
    back: float, stiff: float, glob: float, peri: float, low_crp: float, crp: float
) -> None:
    floor_value = s.asdas_crp(back, stiff, glob, peri, 2).value
    assert s.asdas_crp(back, stiff, glob, peri, low_crp).value == pytest.approx(floor_value)
    assert s.asdas_crp(back, stiff, glob, peri, crp).value >= floor_value - 1e-12


@given(joints, joints, item, item)
def test_cdai_is_the_plain_sum(tender: int, swollen: int, patient: float, evaluator: float) -> None:
    assert s.cdai(tender, swollen, patient, evaluator).value == pytest.approx(
        tender + swollen + patient + evaluator
    )


@given(st.floats(0, 10, allow_nan=False), st.floats(0, 10, allow_nan=False))
def test_asdas_change_categories_follow_the_rounded_decrease(before: float, after: float) -> None:
    decrease = round(round(before, 2) - round(after, 2), 2)
    category = s.change("ASDAS-CRP", before, after)
    assert (category == "major improvement") == (decrease >= 2.0)
    assert (category == "clinically important improvement") == (1.1 <= decrease < 2.0)
    assert (category == "worsening") == (-decrease >= 1.1 and round(after, 2) >= 2.1)


@given(st.integers(0, 4), st.integers(0, 3), st.integers(0, 30), st.integers(0, 8))
def test_hbi_partial_state_covers_the_full_state(
    wellbeing: int, pain: int, stools: int, complications: int
) -> None:
    partial = s.hbi(
        HarveyBradshawItems(
            wellbeing=wellbeing,
            abdominal_pain=pain,
            liquid_stools=stools,
            complications=complications,
        )
    )
    assert partial.state is not None
    for mass in range(4):
        full = s.hbi(
            HarveyBradshawItems(
                wellbeing=wellbeing,
                abdominal_pain=pain,
                liquid_stools=stools,
                abdominal_mass=mass,
                complications=complications,
            )
        )
        assert full.state is not None and full.state in partial.state
