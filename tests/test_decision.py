"""The TDM decision table: structure (reachable, no overlap, cited) and each input rule."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json

import pytest
from conftest import CASES

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.domain.decision import (
    ANTIBODY_LEVELS,
    TROUGH_STATES,
    evaluate,
    match_assay,
    row_for,
    table,
    target_for,
)

TODAY = dt.date(2026, 11, 22)


# -- the table itself --------------------------------------------------------------------------


def test_every_situation_matches_exactly_one_row() -> None:
    for trough, level in itertools.product(TROUGH_STATES, ANTIBODY_LEVELS):
        row_for(trough, level)  # raises unless exactly one row matches


def test_every_row_is_reachable() -> None:
    reached = {row_for(t, a)["id"] for t, a in itertools.product(TROUGH_STATES, ANTIBODY_LEVELS)}
    assert reached == {row["id"] for row in table()["rows"]}
    assert reached == {
        "no_tdm",
        "subtherapeutic_ada_low_or_absent",
        "subtherapeutic_ada_high",
        "subtherapeutic_ada_unknown",
        "therapeutic_ada_low_or_absent",
        "therapeutic_ada_high",
    }


def test_rows_use_only_known_states_and_cite_known_sources() -> None:
    citations = table()["citations"]
    for row in table()["rows"]:
        assert set(row["when"]["trough"]) <= set(TROUGH_STATES), row["id"]
        assert set(row["when"]["antibodies"]) <= set(ANTIBODY_LEVELS), row["id"]
        assert row["citations"], row["id"]
        assert set(row["citations"]) <= set(citations), row["id"]
        assert all(e["citation"] in citations for e in row["evidence"]), row["id"]
        assert row["options"], row["id"]


def test_wording_offers_options_never_orders() -> None:
    for row in table()["rows"]:
        for text in row["options"]:
            assert not text.lower().startswith(("give ", "you must", "must ")), text


def test_unverified_figures_are_not_shown() -> None:
    text = json.dumps(table())
    for figure in ("72%", "20-95%", "20–95%", "17.2%", "4.8% per"):
        assert figure not in text


def test_targets() -> None:
    assert target_for("crohns_disease").mcg_per_ml == 5
    assert target_for("ulcerative_colitis").mcg_per_ml == 5
    assert target_for("rheumatoid_arthritis").mcg_per_ml == 3
    for extrapolated in ("ankylosing_spondylitis", "psoriatic_arthritis", "plaque_psoriasis"):
        target = target_for(extrapolated)
        assert (target.mcg_per_ml, target.extrapolated) == (3, True)
        assert "extrapolated" in target.note
    assert not target_for("crohns_disease").extrapolated
    assert target_for("crohns_disease", "Zymfentra").mcg_per_ml is None


# -- the inputs ---------------------------------------------------------------------------------


def _cd_case(*labs: r.LabResult, start: str = "2024-09-02") -> r.Case:
    base = parse_case(json.loads((CASES / "cd-low-trough.json").read_text()), today=TODAY)
    regimen = dataclasses.replace(base.regimens[0], start_date=dt.date.fromisoformat(start))
    return dataclasses.replace(base, labs=labs, regimens=(regimen,))


def _ifx(day: str, value: float, comparator: str | None = None, **extra: object) -> r.LabResult:
    return r.LabResult(
        sampled_at=dt.date.fromisoformat(day), test="infliximab", value=value, unit="mcg/mL",
        comparator=comparator, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


def _ada(day: str, value: float, unit: str = "U/mL", **extra: object) -> r.LabResult:
    return r.LabResult(
        sampled_at=dt.date.fromisoformat(day), test="anti_infliximab_antibody", value=value,
        unit=unit, **extra,  # type: ignore[arg-type]
    )  # fmt: skip


AS_OF = dt.date(2025, 10, 1)


def test_founding_case_has_no_tdm() -> None:
    case = parse_case(json.loads((CASES / "seed-as-wearing-off.json").read_text()), today=TODAY)
    result = evaluate(case, dt.date(2025, 12, 1))
    assert result.row["id"] == "no_tdm"
    assert result.target.extrapolated
    assert result.inflammation.status == "not_shown"
    assert any("normal CRP does not rule out" in note for note in result.inflammation.notes)
    crp = result.inflammation.items[0]
    assert crp.describe() == "C-reactive protein 0.2 mg/dL (= 2 mg/L) on 2025-12-01: normal"


def test_crohns_example_is_subtherapeutic_without_antibodies() -> None:
    case = parse_case(json.loads((CASES / "cd-low-trough.json").read_text()), today=TODAY)
    result = evaluate(case, dt.date(2025, 9, 29))
    assert result.row["id"] == "subtherapeutic_ada_low_or_absent"
    assert result.target.mcg_per_ml == 5
    assert result.trough.value_mcg_ml == 2.8
    assert result.antibodies.level == "negative"
    assert result.inflammation.status == "present"
    assert result.missing == ()


@pytest.mark.parametrize(
    ("value", "comparator", "state"),
    [(5, None, "at_or_above"), (4.99, None, "below"), (7, "<", "below"), (0.4, "<", "below"),
     (12, ">", "at_or_above"), (3, ">", "none")],
)  # fmt: skip
def test_trough_against_target(value: float, comparator: str | None, state: str) -> None:
    result = evaluate(_cd_case(_ifx("2025-09-29", value, comparator)), AS_OF)
    assert result.trough.state == state


def test_ng_per_ml_is_converted() -> None:
    lab = dataclasses.replace(_ifx("2025-09-29", 6200), unit="ng/mL")
    result = evaluate(_cd_case(lab), AS_OF)
    assert (result.trough.state, result.trough.value_mcg_ml) == ("at_or_above", 6.2)


def test_current_trough_rules() -> None:
    # non-trough samples are not troughs
    result = evaluate(_cd_case(_ifx("2025-09-29", 2, timing="non_trough")), AS_OF)
    assert result.row["id"] == "no_tdm"
    # older than 180 days
    old = evaluate(_cd_case(_ifx("2025-04-03", 2)), AS_OF)
    assert old.row["id"] == "no_tdm" and "older than 180 days" in old.trough.reason
    assert evaluate(_cd_case(_ifx("2025-04-04", 2)), AS_OF).trough.state == "below"  # 180 days
    # drawn before (or on the day) the regimen now in effect started
    stale = evaluate(_cd_case(_ifx("2025-07-28", 2), start="2025-07-28"), AS_OF)
    assert stale.row["id"] == "no_tdm" and "before the regimen" in stale.trough.reason
    # results after the assessment date do not count
    assert evaluate(_cd_case(_ifx("2025-10-02", 2)), AS_OF).row["id"] == "no_tdm"
    # the most recent current trough wins
    latest = evaluate(_cd_case(_ifx("2025-07-28", 2), _ifx("2025-09-22", 8)), AS_OF)
    assert latest.trough.state == "at_or_above"


@pytest.mark.parametrize(
    ("ada", "level", "row"),
    [
        (_ada("2025-09-29", 0, interpretation="negative"), "negative",
         "subtherapeutic_ada_low_or_absent"),
        (_ada("2025-09-29", 5, interpretation="low"), "low", "subtherapeutic_ada_low_or_absent"),
        (_ada("2025-09-29", 20, interpretation="high"), "high", "subtherapeutic_ada_high"),
        (_ada("2025-09-22", 20, interpretation="high"), "high", "subtherapeutic_ada_high"),
        (_ada("2025-09-21", 20, interpretation="high"), "not_measured",
         "subtherapeutic_ada_unknown"),  # 8 days apart: not paired
        (_ada("2025-09-29", 2, assay="Prometheus Anser IFX (HMSA)"), "negative",
         "subtherapeutic_ada_low_or_absent"),
        (_ada("2025-09-29", 3.1, assay="HMSA"), "negative", "subtherapeutic_ada_low_or_absent"),
        (_ada("2025-09-29", 5, assay="HMSA"), "low", "subtherapeutic_ada_low_or_absent"),
        (_ada("2025-09-29", 12, assay="HMSA"), "high", "subtherapeutic_ada_high"),
        (_ada("2025-09-29", 60, assay="Mayo"), "unclassified", "subtherapeutic_ada_unknown"),
        (_ada("2025-09-29", 40, assay="Mayo"), "negative", "subtherapeutic_ada_low_or_absent"),
        (_ada("2025-09-29", 9, assay="Mystery kit"), "unclassified",
         "subtherapeutic_ada_unknown"),
        (_ada("2025-09-29", 12, unit="AU/mL", assay="HMSA"), "unclassified",
         "subtherapeutic_ada_unknown"),  # HMSA cut-offs are in U/mL, never compared across units
    ],
)  # fmt: skip
def test_antibody_levels(ada: r.LabResult, level: str, row: str) -> None:
    result = evaluate(_cd_case(_ifx("2025-09-29", 2.8), ada), AS_OF)
    assert (result.antibodies.level, result.row["id"]) == (level, row)


def test_drug_sensitive_negative_with_detectable_drug_is_inconclusive() -> None:
    ada = _ada("2025-09-29", 0, interpretation="negative", assay="drug-sensitive ELISA")
    detectable = evaluate(_cd_case(_ifx("2025-09-29", 2.8), ada), AS_OF)
    assert detectable.antibodies.level == "inconclusive"
    assert detectable.row["id"] == "subtherapeutic_ada_unknown"
    undetectable = evaluate(_cd_case(_ifx("2025-09-29", 0.4, "<"), ada), AS_OF)
    assert undetectable.antibodies.level == "negative"
    tolerant = dataclasses.replace(ada, assay="drug-tolerant ELISA")
    assert evaluate(_cd_case(_ifx("2025-09-29", 2.8), tolerant), AS_OF).antibodies.level == (
        "negative"
    )


def test_assay_names_match_exactly_or_by_distinctive_alias() -> None:
    assert match_assay("prometheus anser ifx v2")["name"].startswith("Prometheus")
    assert match_assay("EIA")["name"] == "drug-sensitive ELISA"
    assert match_assay("criteria kit") is None  # "ria" never matches inside a word
    assert match_assay(None) is None


def test_therapeutic_rows() -> None:
    high = _ada("2025-09-29", 20, interpretation="high")
    assert evaluate(_cd_case(_ifx("2025-09-29", 9), high), AS_OF).row["id"] == (
        "therapeutic_ada_high"
    )
    assert evaluate(_cd_case(_ifx("2025-09-29", 9)), AS_OF).row["id"] == (
        "therapeutic_ada_low_or_absent"
    )


def test_inflammation_readings() -> None:
    def crp(value: float, unit: str = "mg/L", comparator: str | None = None) -> r.LabResult:
        return r.LabResult(
            sampled_at=dt.date(2025, 9, 29), test="crp", value=value, unit=unit,
            comparator=comparator,
        )  # fmt: skip

    def status(*labs: r.LabResult) -> str:
        return evaluate(_cd_case(*labs), AS_OF).inflammation.status

    assert status(crp(14)) == "present"
    assert status(crp(5)) == "not_shown"  # at the upper normal
    assert status(crp(0.6, "mg/dL")) == "present"  # 6 mg/L
    assert status(crp(3, comparator="<")) == "not_shown"
    assert status(crp(3, comparator=">")) == "unknown"  # cannot tell
    assert status() == "unknown"
    fcp = r.LabResult(
        sampled_at=dt.date(2025, 9, 29), test="fecal_calprotectin", value=150, unit="ug/g"
    )
    assert status(fcp) == "present"  # normal is below 150
    assert status(dataclasses.replace(fcp, value=149)) == "not_shown"
    old = dataclasses.replace(fcp, sampled_at=dt.date(2025, 6, 1), value=900)
    assert status(old) == "unknown"  # older than 90 days


def test_trough_notes_flag_induction_and_non_trough_timing() -> None:
    case = _cd_case(_ifx("2024-10-28", 12))
    result = evaluate(case, dt.date(2024, 11, 1))
    assert any("first 14 weeks" in note for note in result.trough.notes)
    assert any("Timing not stated" in note for note in result.trough.notes)


def test_days_after_infusion_counts_from_the_infusion_before_the_trough() -> None:
    case = parse_case(json.loads((CASES / "cd-low-trough.json").read_text()), today=TODAY)
    result = evaluate(case, dt.date(2025, 9, 29))  # trough drawn the morning of an infusion
    assert result.trough.days_after_infusion == 56  # since 2025-08-04, not 0
