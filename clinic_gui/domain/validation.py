"""Checks of one clinical record in the context of its patient.

Each check returns the record's problems as ``"field: message"``, the field named relative
to the record (``kg``, ``vitals[0].pulse_bpm``). ``case_file.check_case`` runs them over a
whole case and puts each record's place in front (``weights[0].kg``); the store runs them
on every entry it saves. One set of rules guards both ways in, so whatever the app stores
exports as a case file that reads back.

- Shape: codes, text that must not be blank, text lengths, whole and finite numbers, times
  to the minute. A case file's JSON Schema has refused these before the checks run; an entry
  typed into a dialog has not, so the rules are read from that same schema
  (``resources/schema/clinic-case-1.schema.json``) and cannot drift from it.
- Plausible ranges, from ``resources/vocabulary.json``.
- Dates: nothing before the birth date or in the future (a regimen may start ahead).
- Per record: an infusion ends after it starts and has enough vials for its dose; a lab
  result's unit is accepted for its test and its value is plausible in that unit.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import typing
from functools import cache
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.dosing import vial_mg
from clinic_gui.domain.formatting import fmt_number
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.resources import load_json

CONTROL_CHARACTER = "contains a control character (only tab and line breaks are allowed)"
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def has_control_character(text: str) -> bool:
    return _CONTROL.search(text) is not None


# ---------------------------------------------------------------------------------------------
# One record each


def check_patient(patient: r.Patient, *, today: dt.date) -> list[str]:
    problems = range_problems(patient) + _shape_problems(patient)
    if patient.nyha_class is not None and not 1 <= patient.nyha_class <= 4:
        problems.append(f"nyha_class: {patient.nyha_class} is not a NYHA class (1 to 4)")
    birth = _day(patient.birth_date)
    if birth > today:
        problems.append(f"birth_date: {birth} is in the future")
    if birth.year < 1900:
        problems.append(f"birth_date: {birth} is before 1900")
    return problems


def check_weight(weight: r.Weight, patient: r.Patient, *, today: dt.date) -> list[str]:
    problems = range_problems(weight) + _shape_problems(weight)
    return problems + _date_problems("date", weight.date, patient, today)


def check_regimen(
    regimen: r.Regimen, patient: r.Patient, *, today: dt.date, require_reason: bool = False
) -> list[str]:
    """With ``require_reason`` (every regimen the app itself records) the change must say why."""
    problems = range_problems(regimen) + _shape_problems(regimen)
    problems += _date_problems("start_date", regimen.start_date, patient, today, future_ok=True)
    if require_reason and (regimen.reason is None or not regimen.reason.strip()):
        missing = "required" if regimen.reason is None else "must not be blank"
        problems.append(f"reason: {missing}: say why this regimen starts or changes")
    return problems


def check_infusion(infusion: r.Infusion, patient: r.Patient, *, today: dt.date) -> list[str]:
    """The infusion and the vital signs recorded with it (``vitals[0].pulse_bpm``)."""
    inf = infusion
    problems = range_problems(inf) + _shape_problems(inf)
    problems += _date_problems("date", inf.date, patient, today)
    times = (inf.start_time, inf.end_time)
    comparable = all(t is not None and t.tzinfo is None for t in times)  # zones: refused above
    if comparable and inf.start_time and inf.end_time and inf.end_time <= inf.start_time:
        problems.append(
            f"end_time: {inf.end_time:%H:%M} is not after the start {inf.start_time:%H:%M}"
        )
    if (
        inf.vials is not None
        and vocabulary().product_routes.get(inf.product) == "iv"
        and inf.vials * vial_mg() < inf.dose_mg
    ):
        problems.append(
            f"vials: {inf.vials} x {vial_mg()} mg vials cannot hold {fmt_number(inf.dose_mg)} mg"
        )
    if inf.symptoms_days_before is not None and inf.symptoms_returned_before is not True:
        problems.append("symptoms_days_before: given, but symptoms_returned_before is not true")
    return problems


def check_diary_entry(entry: r.DiaryEntry, patient: r.Patient, *, today: dt.date) -> list[str]:
    problems = range_problems(entry) + _shape_problems(entry)
    return problems + _date_problems("date", entry.date, patient, today)


def check_lab_result(lab: r.LabResult, patient: r.Patient, *, today: dt.date) -> list[str]:
    problems = _shape_problems(lab)
    test = vocabulary().lab_tests.get(lab.test)
    if test is not None:
        problems += _lab_value_problems(lab, test)
    return problems + _date_problems("sampled_at", lab.sample_date, patient, today)


def check_void_reason(reason: str) -> list[str]:
    """Why an entry is voided: required, and kept with the voided row for good."""
    if not reason.strip():
        return ["reason: must not be blank: say why the entry is voided"]
    if has_control_character(reason):
        return [f"reason: {CONTROL_CHARACTER}"]
    return []


def _date_problems(
    field: str, day: dt.date, patient: r.Patient, today: dt.date, *, future_ok: bool = False
) -> list[str]:
    problems = []
    day, birth = _day(day), _day(patient.birth_date)
    if day < birth:
        problems.append(f"{field}: {day} is before the birth date {birth}")
    if not future_ok and day > today:
        problems.append(f"{field}: {day} is in the future (today is {today})")
    return problems


def _day(value: dt.date) -> dt.date:
    """The calendar day, also of a date-time given where a date belongs (refused as such)."""
    return value.date() if isinstance(value, dt.datetime) else value


def _lab_value_problems(lab: r.LabResult, test: Any) -> list[str]:
    problems = []
    if lab.unit.strip() and test.match_unit(lab.unit) is None:
        problems.append(
            f"unit: {lab.unit!r} is not an accepted unit for {lab.test} "
            f"(accepted: {', '.join(test.units)})"
        )
    if lab.value < 0:
        problems.append(f"value: {fmt_number(lab.value)} is negative")
    canonical = test.to_canonical(lab.value, lab.unit)
    if (
        canonical is not None
        and test.plausible_max_canonical is not None
        and canonical > test.plausible_max_canonical
    ):
        problems.append(
            f"value: {fmt_number(lab.value)} {lab.unit} is implausibly high for "
            f"{lab.test} (more than {fmt_number(test.plausible_max_canonical)} "
            f"{test.canonical_unit}); check the value and unit"
        )
    if lab.lloq is not None and lab.lloq < 0:
        problems.append(f"lloq: {fmt_number(lab.lloq)} is negative")
    if lab.interpretation is not None and lab.test != "anti_infliximab_antibody":
        problems.append("interpretation: only anti_infliximab_antibody results carry one")
    return problems


# ---------------------------------------------------------------------------------------------
# Plausible ranges


def _ranges() -> dict[str, tuple[float, float]]:
    return vocabulary().ranges


# (record type, field) -> (range key in vocabulary.json, unit shown in messages)
_RANGE_CHECKS: dict[tuple[type, str], tuple[str, str]] = {
    (r.Patient, "height_cm"): ("height_cm", "cm"),
    (r.Weight, "kg"): ("weight_kg", "kg"),
    (r.Regimen, "dose_mg_per_kg"): ("dose_mg_per_kg", "mg/kg"),
    (r.Regimen, "interval_weeks"): ("interval_weeks", "weeks"),
    (r.Infusion, "dose_mg"): ("dose_mg", "mg"),
    (r.Infusion, "weight_kg"): ("weight_kg", "kg"),
    (r.Infusion, "vials"): ("vials", "vials"),
    (r.Infusion, "symptoms_days_before"): ("symptoms_days_before", "days"),
    (r.VitalSigns, "systolic_mmhg"): ("systolic_mmhg", "mmHg"),
    (r.VitalSigns, "diastolic_mmhg"): ("diastolic_mmhg", "mmHg"),
    (r.VitalSigns, "pulse_bpm"): ("pulse_bpm", "/min"),
    (r.VitalSigns, "temperature_c"): ("temperature_c", "°C"),
    (r.VitalSigns, "respiratory_rate"): ("respiratory_rate", "/min"),
    (r.VitalSigns, "spo2_pct"): ("spo2_pct", "%"),
    (r.DiaryEntry, "symptom_score"): ("score_0_10", ""),
    (r.DiaryEntry, "patient_global"): ("score_0_10", ""),
    (r.DiaryEntry, "morning_stiffness_min"): ("morning_stiffness_min", "min"),
    **{(r.Basdai, f"q{i}"): ("score_0_10", "") for i in range(1, 7)},
    (r.HarveyBradshawItems, "wellbeing"): ("hbi_wellbeing", ""),
    (r.HarveyBradshawItems, "abdominal_pain"): ("hbi_abdominal_pain", ""),
    (r.HarveyBradshawItems, "liquid_stools"): ("hbi_liquid_stools", ""),
    (r.HarveyBradshawItems, "abdominal_mass"): ("hbi_abdominal_mass", ""),
    (r.HarveyBradshawItems, "complications"): ("hbi_complications", ""),
    (r.PartialMayoItems, "stool_frequency"): ("mayo_subscore", ""),
    (r.PartialMayoItems, "rectal_bleeding"): ("mayo_subscore", ""),
    (r.PartialMayoItems, "physician_global"): ("mayo_subscore", ""),
    (r.JointAssessment, "tender_joints"): ("joint_count_28", ""),
    (r.JointAssessment, "swollen_joints"): ("joint_count_28", ""),
    (r.JointAssessment, "global_health_mm"): ("global_health_mm", "mm"),
    (r.JointAssessment, "evaluator_global"): ("score_0_10", ""),
}


def range_problems(record: Any, path: str = "") -> list[str]:
    """Plausible-range problems of one record and the records nested in it.

    Fields are named relative to the record, or under ``path`` when one is given. A number
    that is not finite is left to the shape checks ("is not a finite number").
    """
    problems: list[str] = []
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        where = _at(path, f.name)
        if dataclasses.is_dataclass(value):
            problems += range_problems(value, where)
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for i, item in enumerate(value):
                problems += range_problems(item, f"{where}[{i}]")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            check = _RANGE_CHECKS.get((type(record), f.name))
            if check and math.isfinite(value):
                low, high = _ranges()[check[0]]
                if not low <= value <= high:
                    unit = f" {check[1]}" if check[1] else ""
                    problems.append(
                        f"{where}: {fmt_number(value)}{unit} is outside the accepted range "
                        f"{fmt_number(low)} to {fmt_number(high)}{unit}"
                    )
    return problems


def _at(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


# ---------------------------------------------------------------------------------------------
# Shape, by the case-file schema

SCHEMA_FILE = ("schema", "clinic-case-1.schema.json")

# Where each top-level record type is described in the case-file schema.
_SCHEMA_PROPERTY: dict[type, str] = {
    r.Patient: "patient",
    r.Weight: "weights",
    r.Regimen: "regimens",
    r.Infusion: "infusions",
    r.DiaryEntry: "diary",
    r.LabResult: "labs",
}


@cache
def _record_schema(cls: type) -> dict[str, Any]:
    node: dict[str, Any] = load_json(*SCHEMA_FILE)["properties"][_SCHEMA_PROPERTY[cls]]
    return node.get("items", node)


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _shape_problems(record: Any) -> list[str]:
    cls: type = type(record)
    return _fields_shape(record, _record_schema(cls), "")


def _fields_shape(record: Any, schema: dict[str, Any], path: str) -> list[str]:
    problems: list[str] = []
    properties = schema.get("properties", {})
    cls: type = type(record)
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        if value is None:
            continue
        rule = properties.get(f.name, {})
        where = _at(path, f.name)
        if dataclasses.is_dataclass(value):
            problems += _fields_shape(value, rule, where)
        elif isinstance(value, tuple):
            items = rule.get("items", {})
            for i, item in enumerate(value):
                if dataclasses.is_dataclass(item):
                    problems += _fields_shape(item, items, f"{where}[{i}]")
                else:
                    problems += _value_shape(item, items, f"{where}[{i}]", hint=None)
        else:
            problems += _value_shape(value, rule, where, hint=_hints(cls)[f.name])
    return problems


def _value_shape(value: Any, rule: dict[str, Any], where: str, *, hint: Any) -> list[str]:
    if "enum" in rule:
        if value not in rule["enum"]:
            return [f"{where}: {value!r} is not one of: {', '.join(map(str, rule['enum']))}"]
        return []
    if isinstance(value, str):
        if rule.get("minLength") and not value.strip():
            return [f"{where}: must not be blank"]
        if has_control_character(value):
            return [f"{where}: {CONTROL_CHARACTER}"]
        limit = rule.get("maxLength")
        if limit is not None and len(value) > limit:
            return [f"{where}: {len(value)} characters is more than the {limit} allowed"]
        return []
    if isinstance(value, bool):
        return []
    if rule.get("type") == "integer" and not isinstance(value, int):
        return [f"{where}: {value!r} is not a whole number"]
    if isinstance(value, float) and not math.isfinite(value):
        return [f"{where}: {value!r} is not a finite number"]
    if isinstance(value, dt.datetime) and dt.datetime not in typing.get_args(hint):
        return [f"{where}: {value.isoformat()} is a date and time; a date is expected"]
    if isinstance(value, dt.datetime | dt.time):
        if value.tzinfo is not None:
            return [f"{where}: {value.isoformat()} carries a time zone; local times are recorded"]
        if value.second or value.microsecond:
            return [f"{where}: {value.isoformat()} has seconds; times are recorded to the minute"]
    return []
