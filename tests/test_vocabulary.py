"""The vocabulary file, the case-file schema that repeats its codes, and number formatting."""

from __future__ import annotations

import pytest

from clinic_gui.domain.formatting import display_unit, fmt_number, fmt_quantity
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.resources import load_json


def _schema() -> dict:
    return load_json("schema", "clinic-case-1.schema.json")


def test_schema_codes_match_the_vocabulary() -> None:
    vocab = vocabulary()
    props = _schema()["properties"]
    patient = props["patient"]["properties"]
    assert patient["indication"]["enum"] == list(vocab.indications)
    assert patient["sex"]["enum"] == list(vocab.sexes)
    assert props["regimens"]["items"]["properties"]["product"]["enum"] == list(vocab.products)
    assert props["infusions"]["items"]["properties"]["product"]["enum"] == list(vocab.products)
    labs = props["labs"]["items"]["properties"]
    assert labs["test"]["enum"] == list(vocab.lab_tests)
    assert labs["timing"]["enum"] == list(vocab.lab_timings)
    assert labs["interpretation"]["enum"] == list(vocab.antibody_interpretations)


def test_contract_field_names_are_present() -> None:
    props = _schema()["properties"]
    expected = {
        "patient": {
            "mrn",
            "name",
            "birth_date",
            "sex",
            "indication",
            "height_cm",
            "nyha_class",
            "notes",
        },
        "weights": {"date", "kg"},
        "regimens": {
            "start_date",
            "product",
            "dose_mg_per_kg",
            "interval_weeks",
            "reason",
            "ordered_by",
        },
        "infusions": {
            "date",
            "start_time",
            "end_time",
            "product",
            "dose_mg",
            "weight_kg",
            "lot",
            "lot_expiry",
            "vials",
            "premedication",
            "reaction",
            "symptoms_returned_before",
            "symptoms_days_before",
            "nurse",
            "notes",
        },
        "diary": {
            "date",
            "symptom_score",
            "morning_stiffness_min",
            "basdai",
            "patient_global",
            "source",
        },
        "labs": {
            "sampled_at",
            "test",
            "value",
            "unit",
            "comparator",
            "assay",
            "timing",
            "interpretation",
            "lloq",
        },
    }
    for section, names in expected.items():
        holder = props[section]
        fields = holder["properties"] if section == "patient" else holder["items"]["properties"]
        assert names <= set(fields), section


@pytest.mark.parametrize(
    ("test", "unit", "value", "canonical"),
    [
        ("crp", "mg/dL", 0.2, 2.0),
        ("crp", "mg/L", 14, 14),
        ("infliximab", "ng/mL", 5000, 5.0),
        ("infliximab", "ug/mL", 2.8, 2.8),
        ("albumin", "g/dL", 3.8, 38.0),
        ("anti_infliximab_antibody", "U/mL", 12, None),
    ],
)
def test_conversion_to_canonical_units(
    test: str, unit: str, value: float, canonical: float | None
) -> None:
    converted = vocabulary().lab_tests[test].to_canonical(value, unit)
    assert converted == pytest.approx(canonical) if canonical is not None else converted is None


def test_crp_units_are_never_confused() -> None:
    crp = vocabulary().lab_tests["crp"]
    assert crp.match_unit("MG/DL") == "mg/dL"
    assert crp.match_unit("mg/l") == "mg/L"
    assert crp.match_unit("mg") is None
    assert crp.match_unit("g/L") is None


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (412.0, "412"),
        (0.2, "0.2"),
        (5, "5"),
        (0.5, "0.5"),
        (82.40, "82.4"),
        (100, "100"),
        (1e-7, "0"),
        (10.53, "10.53"),
        (-3.0, "-3"),
    ],
)
def test_numbers_have_no_trailing_zeros_and_a_leading_zero(value: float, text: str) -> None:
    assert fmt_number(value) == text


def test_units_are_spelled_for_safety() -> None:
    assert fmt_quantity(2.80, "ug/mL") == "2.8 mcg/mL"
    assert display_unit("µg/g") == "mcg/g"
    assert fmt_quantity(5.0, "mg/kg") == "5 mg/kg"
