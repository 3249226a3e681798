"""The ``clinic-case/1`` file: one patient's record as JSON, read and written losslessly.

Reading happens in two passes, and every problem found is reported with the field's
path (``labs[2].unit``) so a person can fix the file:

1. structure, against ``resources/schema/clinic-case-1.schema.json`` (types, required
   fields, codes, date and time shapes);
2. meaning, here: real calendar dates, nothing dated in the future or before birth,
   units accepted for each lab test, plausible ranges from ``resources/vocabulary.json``,
   an infusion ending after it starts, enough vials for the dose.

Field names in the file are the dataclass field names in ``records``; writing omits
empty optional fields and keeps dates, times and date-times in the form they were read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import types
import typing
from functools import cache
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.dosing import vial_mg
from clinic_gui.domain.formatting import fmt_number
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.resources import load_json

FORMAT = "clinic-case/1"


class CaseFileError(ValueError):
    """A case file that cannot be accepted; ``problems`` lists each as 'path: what is wrong'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        super().__init__(f"case file refused ({count}):\n  " + "\n  ".join(problems))


# ---------------------------------------------------------------------------------------------
# Reading


def parse_case(data: Any, *, today: dt.date | None = None) -> r.Case:
    """Validate a decoded case file and return the record it holds, or raise CaseFileError."""
    problems = _schema_problems(data)
    if problems:
        raise CaseFileError(problems)
    reader = _Reader()
    case = r.Case(
        patient=reader.build(r.Patient, data["patient"], "patient"),
        weights=reader.build_list(r.Weight, data.get("weights", []), "weights"),
        regimens=reader.build_list(r.Regimen, data.get("regimens", []), "regimens"),
        infusions=reader.build_list(r.Infusion, data.get("infusions", []), "infusions"),
        diary=reader.build_list(r.DiaryEntry, data.get("diary", []), "diary"),
        labs=reader.build_list(r.LabResult, data.get("labs", []), "labs"),
    )
    if reader.problems:
        raise CaseFileError(reader.problems)
    problems = check_case(case, today=today or dt.date.today())
    if problems:
        raise CaseFileError(problems)
    return case.in_date_order()


@cache
def _validator() -> Any:
    import jsonschema

    schema = load_json("schema", "clinic-case-1.schema.json")
    return jsonschema.Draft202012Validator(schema)


def _schema_problems(data: Any) -> list[str]:
    errors = sorted(_validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    return [_describe_schema_error(e) for e in errors]


def _json_path(parts: Any) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def _describe_schema_error(error: Any) -> str:
    path = _json_path(error.absolute_path)
    kind, value = error.validator, error.instance
    if kind == "required":
        missing = next((n for n in error.validator_value if n not in value), "?")
        where = f"{path}.{missing}" if error.absolute_path else missing
        return f"{where}: required field is missing"
    if kind == "additionalProperties":
        extra = sorted(set(value) - set(error.schema.get("properties", {})))
        where = ", ".join(f"{path}.{n}" if error.absolute_path else n for n in extra)
        return f"{where}: unknown field (not part of {FORMAT})"
    if kind == "type":
        return f"{path}: expected {error.validator_value}, got {_json_type(value)} {value!r}"
    if kind in ("enum", "const"):
        allowed = error.validator_value if kind == "enum" else [error.validator_value]
        return f"{path}: {value!r} is not one of: {', '.join(map(str, allowed))}"
    if kind == "pattern":
        return f"{path}: {value!r} is not in the form {error.schema.get('description', kind)}"
    if kind == "minLength":
        return f"{path}: must not be empty"
    return f"{path}: {error.message}"


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", list: "array", dict: "object", type(None): "null"}.get(
        type(value), type(value).__name__
    )


class _Reader:
    """Turns schema-valid JSON into record dataclasses, collecting conversion problems."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def build_list(self, cls: type, items: list[Any], path: str) -> tuple[Any, ...]:
        return tuple(self.build(cls, item, f"{path}[{i}]") for i, item in enumerate(items))

    def build(self, cls: type, data: dict[str, Any], path: str) -> Any:
        hints = _hints(cls)
        kwargs = {
            name: self.convert(hints[name], value, f"{path}.{name}")
            for name, value in data.items()
            if value is not None
        }
        return cls(**kwargs)

    def convert(self, hint: Any, value: Any, path: str) -> Any:
        hint = _strip_optional(hint)
        if dataclasses.is_dataclass(hint):
            return self.build(typing.cast(type, hint), value, path)
        if typing.get_origin(hint) is tuple:
            item = typing.get_args(hint)[0]
            return tuple(self.convert(item, v, f"{path}[{i}]") for i, v in enumerate(value))
        try:
            return _convert_scalar(hint, value)
        except ValueError as exc:
            self.problems.append(f"{path}: {exc}")
            return None


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _strip_optional(hint: Any) -> Any:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        if len(args) == 1:
            return args[0]
        return tuple(args)
    return hint


def _convert_scalar(hint: Any, value: Any) -> Any:
    if hint == (dt.date, dt.datetime):
        return parse_datetime(value) if "T" in value else parse_date(value)
    if hint is dt.date:
        return parse_date(value)
    if hint is dt.time:
        return dt.time.fromisoformat(value)
    if hint is float:
        if not math.isfinite(value):
            raise ValueError(f"{value!r} is not a finite number")
        return float(value)
    if hint is int:
        return int(value)
    if isinstance(value, str) and _CONTROL.search(value):
        raise ValueError("contains a control character (only tab and line breaks are allowed)")
    return value


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_MONTH_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def parse_date(text: str) -> dt.date:
    """An ISO date that exists on the calendar, with a message that says why not."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        year, month, _day = (int(p) for p in text.split("-"))
        if not 1 <= month <= 12:
            raise ValueError(f"{text!r} is not a real date (month {month})") from None
        last = _MONTH_DAYS[month - 1]
        if month == 2 and not (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)):
            last = 28
        raise ValueError(
            f"{text!r} is not a real date ({dt.date(2000, month, 1):%B} {year} has {last} days)"
        ) from None


def parse_datetime(text: str) -> dt.datetime:
    day, _, clock = text.partition("T")
    return dt.datetime.combine(parse_date(day), dt.time.fromisoformat(clock))


# ---------------------------------------------------------------------------------------------
# Meaning


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


def range_problems(record: Any, path: str) -> list[str]:
    """Plausible-range problems of one record and the records nested in it."""
    problems: list[str] = []
    for f in dataclasses.fields(record):
        value = getattr(record, f.name)
        where = f"{path}.{f.name}"
        if dataclasses.is_dataclass(value):
            problems += range_problems(value, where)
        elif isinstance(value, tuple) and value and dataclasses.is_dataclass(value[0]):
            for i, item in enumerate(value):
                problems += range_problems(item, f"{where}[{i}]")
        elif isinstance(value, int | float) and not isinstance(value, bool):
            check = _RANGE_CHECKS.get((type(record), f.name))
            if check:
                low, high = _ranges()[check[0]]
                if not low <= value <= high:
                    unit = f" {check[1]}" if check[1] else ""
                    problems.append(
                        f"{where}: {fmt_number(value)}{unit} is outside the accepted range "
                        f"{fmt_number(low)} to {fmt_number(high)}{unit}"
                    )
    return problems


def check_case(case: r.Case, *, today: dt.date) -> list[str]:
    """Every problem of meaning in a structurally valid case, as 'path: message'."""
    vocab = vocabulary()
    p = case.patient
    problems = range_problems(p, "patient")
    for name in ("mrn", "name"):
        if not getattr(p, name).strip():
            problems.append(f"patient.{name}: must not be blank")
    if p.nyha_class is not None and not 1 <= p.nyha_class <= 4:
        problems.append(f"patient.nyha_class: {p.nyha_class} is not a NYHA class (1 to 4)")
    if p.birth_date > today:
        problems.append(f"patient.birth_date: {p.birth_date} is in the future")
    if p.birth_date.year < 1900:
        problems.append(f"patient.birth_date: {p.birth_date} is before 1900")

    def dated(path: str, day: dt.date, *, future_ok: bool = False) -> None:
        if day < p.birth_date:
            problems.append(f"{path}: {day} is before the birth date {p.birth_date}")
        if not future_ok and day > today:
            problems.append(f"{path}: {day} is in the future (today is {today})")

    for i, w in enumerate(case.weights):
        problems += range_problems(w, f"weights[{i}]")
        dated(f"weights[{i}].date", w.date)
    for i, reg in enumerate(case.regimens):
        problems += range_problems(reg, f"regimens[{i}]")
        dated(f"regimens[{i}].start_date", reg.start_date, future_ok=True)
    for i, inf in enumerate(case.infusions):
        path = f"infusions[{i}]"
        problems += range_problems(inf, path)
        dated(f"{path}.date", inf.date)
        if inf.start_time and inf.end_time and inf.end_time <= inf.start_time:
            problems.append(
                f"{path}.end_time: {inf.end_time:%H:%M} is not after "
                f"the start {inf.start_time:%H:%M}"
            )
        if (
            inf.vials is not None
            and vocab.product_routes.get(inf.product) == "iv"
            and inf.vials * vial_mg() < inf.dose_mg
        ):
            problems.append(
                f"{path}.vials: {inf.vials} x {vial_mg()} mg vials cannot hold "
                f"{fmt_number(inf.dose_mg)} mg"
            )
        if inf.symptoms_days_before is not None and inf.symptoms_returned_before is not True:
            problems.append(
                f"{path}.symptoms_days_before: given, but symptoms_returned_before is not true"
            )
    for i, d in enumerate(case.diary):
        problems += range_problems(d, f"diary[{i}]")
        dated(f"diary[{i}].date", d.date)
    for i, lab in enumerate(case.labs):
        problems += _lab_problems(lab, f"labs[{i}]")
        dated(f"labs[{i}].sampled_at", lab.sample_date)
    return problems


def _lab_problems(lab: r.LabResult, path: str) -> list[str]:
    test = vocabulary().lab_tests[lab.test]
    problems = []
    if test.match_unit(lab.unit) is None:
        problems.append(
            f"{path}.unit: {lab.unit!r} is not an accepted unit for {lab.test} "
            f"(accepted: {', '.join(test.units)})"
        )
    if lab.value < 0:
        problems.append(f"{path}.value: {fmt_number(lab.value)} is negative")
    canonical = test.to_canonical(lab.value, lab.unit)
    if (
        canonical is not None
        and test.plausible_max_canonical is not None
        and canonical > test.plausible_max_canonical
    ):
        problems.append(
            f"{path}.value: {fmt_number(lab.value)} {lab.unit} is implausibly high for "
            f"{lab.test} (more than {fmt_number(test.plausible_max_canonical)} "
            f"{test.canonical_unit}); check the value and unit"
        )
    if lab.lloq is not None and lab.lloq < 0:
        problems.append(f"{path}.lloq: {fmt_number(lab.lloq)} is negative")
    if lab.interpretation is not None and lab.test != "anti_infliximab_antibody":
        problems.append(f"{path}.interpretation: only anti_infliximab_antibody results carry one")
    return problems


# ---------------------------------------------------------------------------------------------
# Writing


def case_to_json(case: r.Case) -> dict[str, Any]:
    """The case as a ``clinic-case/1`` document: lists in date order, empty fields omitted."""
    ordered = case.in_date_order()
    doc: dict[str, Any] = {"format": FORMAT, "patient": _to_json(ordered.patient)}
    for name in ("weights", "regimens", "infusions", "diary", "labs"):
        doc[name] = [_to_json(item) for item in getattr(ordered, name)]
    return doc


def _to_json(record: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f in dataclasses.fields(record):
        value = _json_value(getattr(record, f.name))
        if value is not None and value != () and value != {}:
            out[f.name] = value
    return out


def _json_value(value: Any) -> Any:
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, float):
        return int(value) if value.is_integer() else value
    if isinstance(value, int):
        return value
    if isinstance(value, tuple):
        return [_json_value(v) for v in value] or ()
    if dataclasses.is_dataclass(value):
        return _to_json(value) or {}
    raise TypeError(f"cannot write {type(value).__name__} to a case file")
