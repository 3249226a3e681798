"""Reading and writing clinic-case/1 files: lossless round trips, clear refusals."""

from __future__ import annotations

import copy
import datetime as dt
import json
from typing import Any

import pytest
from conftest import CASE_FILES, load_case_json
from hypothesis import HealthCheck, given, settings
from strategies import case_documents

from clinic_gui.domain.case_file import CaseFileError, case_to_json, parse_case

TODAY = dt.date(2026, 11, 22)


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_fixture_cases_round_trip_exactly(path: Any) -> None:
    original = json.loads(path.read_text(encoding="utf-8"))
    assert case_to_json(parse_case(original, today=TODAY)) == original


def test_founding_case_reads_as_described() -> None:
    case = parse_case(load_case_json("seed-as-wearing-off.json"), today=TODAY)
    assert case.patient.indication == "ankylosing_spondylitis"
    assert [w.kg for w in case.weights] == [82.4, 82.4]
    assert {i.dose_mg for i in case.infusions} == {412}
    assert case.regimens[0].interval_weeks == 6
    crp = next(lab for lab in case.labs if lab.test == "crp")
    assert (crp.value, crp.unit) == (0.2, "mg/dL")
    assert crp.sampled_at == dt.datetime(2025, 12, 1, 8, 45)


def test_written_lists_are_in_date_order_and_omit_empty_fields() -> None:
    doc = load_case_json("full-record.json")
    doc["weights"].reverse()
    doc["labs"].reverse()
    out = case_to_json(parse_case(doc, today=TODAY))
    assert [w["date"] for w in out["weights"]] == ["2024-01-08", "2024-06-03"]
    assert out["labs"][0]["sampled_at"] == "2024-06-03"
    assert out["labs"][-1]["sampled_at"] == "2024-06-10T08:31"
    assert "comparator" not in out["labs"][0]
    assert (
        "symptoms_returned_before" not in load_case_json("seed-as-wearing-off.json")["infusions"][0]
    )


def _mutate(path: str, value: Any) -> Any:
    """A change to the founding case: set ``value`` at a dotted path; ``...`` deletes."""

    def apply(doc: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = doc
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        key: Any = int(last) if last.isdigit() else last
        if value is ...:
            del target[key]
        else:
            target[key] = value

    return apply


BAD_FILES = {
    "wrong type": (_mutate("weights.0.kg", "82.4"), "weights[0].kg: expected number, got string"),
    "missing MRN": (_mutate("patient.mrn", ...), "patient.mrn: required field is missing"),
    "blank MRN": (_mutate("patient.mrn", "   "), "patient.mrn: must not be blank"),
    "unknown indication": (
        _mutate("patient.indication", "lupus"),
        "patient.indication: 'lupus' is not one of: crohns_disease",
    ),
    "unknown test": (_mutate("labs.0.test", "ferritin"), "labs[0].test: 'ferritin' is not one of"),
    "CRP without a unit": (_mutate("labs.0.unit", ...), "labs[0].unit: required field is missing"),
    "CRP with an empty unit": (_mutate("labs.0.unit", ""), "labs[0].unit: must not be empty"),
    "CRP in a wrong unit": (
        _mutate("labs.0.unit", "mg"),
        "labs[0].unit: 'mg' is not an accepted unit for crp (accepted: mg/L, mg/dL)",
    ),
    "impossible date": (
        _mutate("infusions.2.date", "2025-02-30"),
        "infusions[2].date: '2025-02-30' is not a real date (February 2025 has 28 days)",
    ),
    "impossible month": (
        _mutate("weights.1.date", "2025-13-01"),
        "weights[1].date: '2025-13-01' is not a real date (month 13)",
    ),
    "badly formed date": (
        _mutate("patient.birth_date", "14/05/1971"),
        "patient.birth_date: '14/05/1971' is not in the form ISO date YYYY-MM-DD",
    ),
    "weight of 0": (
        _mutate("weights.0.kg", 0),
        "weights[0].kg: 0 kg is outside the accepted range 0.5 to 400 kg",
    ),
    "negative weight": (_mutate("weights.1.kg", -82.4), "weights[1].kg: -82.4 kg is outside"),
    "weight in grams": (_mutate("weights.1.kg", 82400), "weights[1].kg: 82400 kg is outside"),
    "future infusion": (
        _mutate("infusions.6.date", "2027-01-05"),
        "infusions[6].date: 2027-01-05 is in the future (today is 2026-11-22)",
    ),
    "event before birth": (
        _mutate("diary.0.date", "1960-01-01"),
        "diary[0].date: 1960-01-01 is before the birth date 1971-05-14",
    ),
    "infusion ends before it starts": (
        _mutate("infusions.0.end_time", "09:00"),
        "infusions[0].end_time: 09:00 is not after the start 09:30",
    ),
    "too few vials": (
        _mutate("infusions.0.vials", 4),
        "infusions[0].vials: 4 x 100 mg vials cannot hold 412 mg",
    ),
    "unknown field": (
        _mutate("infusions.0.dose", 412),
        "infusions[0].dose: unknown field (not part of clinic-case/1)",
    ),
    "diary score above 10": (
        _mutate("diary.3.symptom_score", 23),
        "diary[3].symptom_score: 23 is outside the accepted range 0 to 10",
    ),
    "implausible CRP": (
        _mutate("labs.0.value", 200),
        "labs[0].value: 200 mg/dL is implausibly high for crp",
    ),
    "negative lab value": (_mutate("labs.1.value", -3), "labs[1].value: -3 is negative"),
    "not a number": (_mutate("labs.1.value", float("nan")), "labs[1].value: nan is not a finite"),
    "control character": (
        _mutate("patient.name", "Seed\x00Case"),
        "patient.name: contains a control character",
    ),
    "wrong format tag": (
        _mutate("format", "clinic-case/2"),
        "format: 'clinic-case/2' is not one of: clinic-case/1",
    ),
    "NYHA class 5": (_mutate("patient.nyha_class", 5), "patient.nyha_class: 5 is not a NYHA class"),
    "days-before without symptoms": (
        _mutate("infusions.0.symptoms_days_before", 7),
        "infusions[0].symptoms_days_before: given, but symptoms_returned_before is not true",
    ),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_bad_file_is_refused_with_the_field_and_problem(name: str) -> None:
    mutate, expected = BAD_FILES[name]
    doc = copy.deepcopy(load_case_json("seed-as-wearing-off.json"))
    mutate(doc)
    with pytest.raises(CaseFileError) as refused:
        parse_case(doc, today=TODAY)
    assert any(p.startswith(expected) for p in refused.value.problems), refused.value.problems


def test_every_problem_is_reported_at_once() -> None:
    doc = copy.deepcopy(load_case_json("seed-as-wearing-off.json"))
    doc["weights"][0]["kg"] = 0
    doc["labs"][0]["unit"] = "mg"
    doc["diary"][0]["date"] = "2025-02-30"
    with pytest.raises(CaseFileError) as refused:
        parse_case(doc, today=TODAY)
    # The date is caught while reading; range and unit checks follow once the file reads.
    assert [p.split(":")[0] for p in refused.value.problems] == ["diary[0].date"]
    doc["diary"][0]["date"] = "2025-03-04"
    with pytest.raises(CaseFileError) as refused:
        parse_case(doc, today=TODAY)
    assert [p.split(":")[0] for p in refused.value.problems] == ["weights[0].kg", "labs[0].unit"]


@pytest.mark.parametrize("document", [[], "case", None, 42])
def test_a_document_that_is_not_an_object_is_refused(document: Any) -> None:
    with pytest.raises(CaseFileError, match=r"\(top level\): expected object"):
        parse_case(document, today=TODAY)


def test_units_match_case_and_micro_spellings_but_never_confuse_mg_dl_with_mg_l() -> None:
    doc = load_case_json("cd-low-trough.json")
    doc["labs"][0]["unit"] = "µg/mL"
    doc["labs"][2]["unit"] = "mg/l"
    case = parse_case(doc, today=TODAY)
    assert [lab.unit for lab in case.labs][:3] == ["µg/mL", "U/mL", "mg/l"]
    doc["labs"][2]["unit"] = "mg/d"
    with pytest.raises(CaseFileError, match=r"labs\[2\]\.unit: 'mg/d' is not an accepted unit"):
        parse_case(doc, today=TODAY)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_documents())
def test_any_valid_case_reads_and_writes_back_unchanged(document: dict[str, Any]) -> None:
    case = parse_case(document, today=TODAY)
    written = case_to_json(case)
    assert parse_case(written, today=TODAY) == case
    assert written == case_to_json(parse_case(json.loads(json.dumps(written)), today=TODAY))
