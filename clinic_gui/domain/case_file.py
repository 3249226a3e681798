"""The ``clinic-case/1`` file: one patient's record as JSON, read and written losslessly.

Reading happens in two passes, and every problem found is reported with the field's
path (``labs[2].unit``) so a person can fix the file:

1. structure, against ``resources/schema/clinic-case-1.schema.json`` (types, required
   fields, codes, date and time shapes);
2. meaning, by the checks of one record in ``validation`` (the same checks guard an
   entry typed into the app): nothing dated in the future or before birth, units
   accepted for each lab test, plausible ranges from ``resources/vocabulary.json``, an
   infusion ending after it starts, enough vials for the dose. ``check_case`` runs them
   over the case and puts each record's place in front of its problems.

Real calendar dates are checked while reading, where the text of the date is at hand.

Field names in the file are the dataclass field names in ``records``; writing omits
empty optional fields and keeps dates, times and date-times in the form they were read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import types
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.validation import (
    CONTROL_CHARACTER,
    SCHEMA_FILE,
    check_diary_entry,
    check_infusion,
    check_lab_result,
    check_patient,
    check_regimen,
    check_weight,
    has_control_character,
)
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

    schema = load_json(*SCHEMA_FILE)
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
    if isinstance(value, str) and has_control_character(value):
        raise ValueError(CONTROL_CHARACTER)
    return value


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

# The list fields of a case and the check of one of their entries, in reporting order.
_ENTRY_CHECKS: tuple[tuple[str, Callable[..., list[str]]], ...] = (
    ("weights", check_weight),
    ("regimens", check_regimen),
    ("infusions", check_infusion),
    ("diary", check_diary_entry),
    ("labs", check_lab_result),
)


def check_case(case: r.Case, *, today: dt.date) -> list[str]:
    """Every problem of meaning in a structurally valid case, as 'path: message'."""
    return _under("patient", check_patient(case.patient, today=today)) + check_entries(
        case, today=today
    )


def check_entries(case: r.Case, *, today: dt.date) -> list[str]:
    """The problems of every list entry, each checked against the case's patient."""
    problems: list[str] = []
    for name, check in _ENTRY_CHECKS:
        for i, entry in enumerate(getattr(case, name)):
            problems += _under(f"{name}[{i}]", check(entry, case.patient, today=today))
    return problems


def _under(path: str, problems: list[str]) -> list[str]:
    return [f"{path}.{problem}" for problem in problems]


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
