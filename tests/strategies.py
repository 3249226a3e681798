"""Hypothesis strategies: random *valid* clinic-case/1 documents.

Ranges, units and codes come from the same vocabulary the app validates against, so a
change there is exercised here too.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from hypothesis import strategies as st

from clinic_gui.domain.vocabulary import vocabulary

VOCAB = vocabulary()
LAST_DAY = dt.date(2026, 6, 30)

_text_chars = st.characters(
    blacklist_categories=("Cs", "Cc"), blacklist_characters="\u2028\u2029"
) | st.sampled_from("\t\n")
free_text = st.text(_text_chars, min_size=1, max_size=40)
label_text = st.text(_text_chars, min_size=1, max_size=20).filter(lambda s: s.strip() != "")


def in_range(key: str, *, integer: bool = False, decimals: int | None = None) -> Any:
    low, high = VOCAB.ranges[key]
    if integer:
        return st.integers(math.ceil(low), math.floor(high))
    values = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if decimals is not None:
        values = values.map(lambda v: min(max(round(v, decimals), low), high))
    return values


def optional(fields: dict[str, Any]) -> Any:
    """A dict strategy in which every key may be absent."""
    return st.fixed_dictionaries({}, optional=fields)


def _dates_between(first: dt.date, last: dt.date) -> Any:
    return st.dates(min_value=first, max_value=max(first, last))


@st.composite
def case_documents(draw: Any) -> dict[str, Any]:
    birth = draw(_dates_between(dt.date(1930, 1, 1), dt.date(2015, 12, 31)))
    day = _dates_between(birth, LAST_DAY)
    products = st.sampled_from(sorted(VOCAB.products))
    times = st.times().map(lambda t: t.replace(second=0, microsecond=0))

    patient = {
        "mrn": draw(label_text),
        "name": draw(label_text),
        "birth_date": birth.isoformat(),
        "sex": draw(st.sampled_from(VOCAB.sexes)),
        "indication": draw(st.sampled_from(sorted(VOCAB.indications))),
        **draw(
            optional(
                {
                    "height_cm": in_range("height_cm", decimals=1),
                    "nyha_class": st.integers(1, 4),
                    "notes": free_text,
                }
            )
        ),
    }
    weights = draw(
        st.lists(
            st.fixed_dictionaries({"date": day.map(str), "kg": in_range("weight_kg", decimals=1)}),
            max_size=4,
        )
    )
    regimens = draw(
        st.lists(
            st.fixed_dictionaries(
                {
                    "start_date": day.map(str),
                    "product": products,
                    "dose_mg_per_kg": in_range("dose_mg_per_kg", decimals=1),
                    "interval_weeks": in_range("interval_weeks", integer=True),
                },
                optional={"reason": free_text, "ordered_by": label_text},
            ),
            max_size=3,
        )
    )
    infusions = draw(st.lists(infusion(day, products, times), max_size=4))
    diary = draw(st.lists(diary_entry(day), max_size=5))
    labs = draw(st.lists(lab_result(day, times), max_size=6))
    document = {"format": "clinic-case/1", "patient": patient}
    for name, items in (
        ("weights", weights),
        ("regimens", regimens),
        ("infusions", infusions),
        ("diary", diary),
        ("labs", labs),
    ):
        document[name] = items
    return document


@st.composite
def infusion(draw: Any, day: Any, products: Any, times: Any) -> dict[str, Any]:
    product = draw(products)
    dose = draw(in_range("dose_mg", decimals=0))
    item: dict[str, Any] = {"date": str(draw(day)), "product": product, "dose_mg": dose}
    start, end = sorted(draw(st.lists(times, min_size=2, max_size=2, unique=True)))
    if draw(st.booleans()):
        item["start_time"] = start.strftime("%H:%M")
        item["end_time"] = end.strftime("%H:%M")
    if VOCAB.product_routes[product] == "iv" and draw(st.booleans()):
        needed = max(1, math.ceil(dose / 100))
        item["vials"] = draw(st.integers(needed, max(needed, 50)))
    returned = draw(st.sampled_from([None, True, False]))
    if returned is not None:
        item["symptoms_returned_before"] = returned
        if returned and draw(st.booleans()):
            item["symptoms_days_before"] = draw(in_range("symptoms_days_before", integer=True))
    item |= draw(
        optional(
            {
                "weight_kg": in_range("weight_kg", decimals=1),
                "lot": label_text,
                "lot_expiry": st.dates(dt.date(2000, 1, 1), dt.date(2035, 1, 1)).map(str),
                "premedication": st.lists(label_text, min_size=1, max_size=3),
                "reaction": optional({"description": free_text}).map(
                    lambda d: d | {"grade": "mild"}
                ),
                "nurse": label_text,
                "notes": free_text,
                "vitals": st.lists(vital_signs(times), min_size=1, max_size=3),
            }
        )
    )
    return item


def vital_signs(times: Any) -> Any:
    return st.fixed_dictionaries(
        {"phase": st.sampled_from(VOCAB.vital_phases)},
        optional={
            "time": times.map(lambda t: t.strftime("%H:%M")),
            "systolic_mmhg": in_range("systolic_mmhg", integer=True),
            "diastolic_mmhg": in_range("diastolic_mmhg", integer=True),
            "pulse_bpm": in_range("pulse_bpm", integer=True),
            "temperature_c": in_range("temperature_c", decimals=1),
            "respiratory_rate": in_range("respiratory_rate", integer=True),
            "spo2_pct": in_range("spo2_pct", integer=True),
        },
    )


def diary_entry(day: Any) -> Any:
    score = in_range("score_0_10", decimals=1)
    return st.fixed_dictionaries(
        {"date": day.map(str)},
        optional={
            "symptom_score": score,
            "morning_stiffness_min": in_range("morning_stiffness_min", integer=True),
            "basdai": optional({f"q{i}": score for i in range(1, 7)}).filter(bool),
            "patient_global": score,
            "hbi": optional(
                {
                    "wellbeing": in_range("hbi_wellbeing", integer=True),
                    "abdominal_pain": in_range("hbi_abdominal_pain", integer=True),
                    "liquid_stools": in_range("hbi_liquid_stools", integer=True),
                    "abdominal_mass": in_range("hbi_abdominal_mass", integer=True),
                    "complications": in_range("hbi_complications", integer=True),
                }
            ).filter(bool),
            "partial_mayo": optional(
                {
                    name: in_range("mayo_subscore", integer=True)
                    for name in ("stool_frequency", "rectal_bleeding", "physician_global")
                }
            ).filter(bool),
            "das28": optional(
                {
                    "tender_joints": in_range("joint_count_28", integer=True),
                    "swollen_joints": in_range("joint_count_28", integer=True),
                    "global_health_mm": in_range("global_health_mm", decimals=0),
                    "evaluator_global": score,
                }
            ).filter(bool),
            "source": st.sampled_from(VOCAB.diary_sources),
            "notes": free_text,
        },
    )


@st.composite
def lab_result(draw: Any, day: Any, times: Any) -> dict[str, Any]:
    test = VOCAB.lab_tests[draw(st.sampled_from(sorted(VOCAB.lab_tests)))]
    unit = draw(st.sampled_from(sorted(test.units)))
    factor = test.units[unit] or 1
    ceiling = (test.plausible_max_canonical or 1000) / factor
    sampled = draw(day)
    if draw(st.booleans()):
        sampled_at = f"{sampled}T{draw(times).strftime('%H:%M')}"
    else:
        sampled_at = str(sampled)
    item = {
        "sampled_at": sampled_at,
        "test": test.code,
        "value": draw(st.floats(0, ceiling, allow_nan=False).map(lambda v: round(v, 2))),
        "unit": unit,
    }
    optional_fields: dict[str, Any] = {
        "comparator": st.sampled_from(["<", ">"]),
        "assay": label_text,
        "timing": st.sampled_from(VOCAB.lab_timings),
        "lloq": st.floats(0, 10, allow_nan=False).map(lambda v: round(v, 2)),
        "notes": free_text,
    }
    if test.code == "anti_infliximab_antibody":
        optional_fields["interpretation"] = st.sampled_from(VOCAB.antibody_interpretations)
    return item | draw(optional(optional_fields))
