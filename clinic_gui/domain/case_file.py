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

Before either pass, ``load_case_file`` turns the file's bytes into JSON and refuses what no
case file holds: more than ``MAX_CASE_FILE_BYTES``, bytes that are not UTF-8, text that is
not JSON, nesting deeper than ``MAX_NESTING``, more than ``MAX_JSON_VALUES`` values,
``NaN``/``Infinity``, numbers beyond ``MAX_NUMBER``, a field named twice in one object and
unpaired surrogates. Every way into the app reads a file through it; whatever the bytes, it
returns a case or raises ``CaseFileError`` naming the file and each problem.

Field names in the file are the dataclass field names in ``records``; writing omits
empty optional fields and keeps dates, times and date-times in the form they were read.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import json
import math
import re
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


# At most this many problems are listed in the message (``problems`` keeps them all).
_SHOWN_PROBLEMS = 50


class CaseFileError(ValueError):
    """A case file that cannot be accepted; ``problems`` lists each as 'path: what is wrong'.

    With ``source`` (the file's name, or "standard input") the message starts with it.
    """

    def __init__(self, problems: list[str], *, source: str | None = None):
        self.problems = problems
        self.source = source
        count = f"{len(problems)} problem{'s' if len(problems) != 1 else ''}"
        shown = problems[:_SHOWN_PROBLEMS]
        if len(problems) > len(shown):
            shown = [*shown, f"... and {len(problems) - len(shown)} more"]
        where = f"{source}: " if source else ""
        super().__init__(f"{where}case file refused ({count}):\n  " + "\n  ".join(shown))


# ---------------------------------------------------------------------------------------------
# From bytes to JSON

# The largest case file is far smaller than this. Measured (2026-11-22): the largest case of a
# 120-patient demo clinic (10.5 years of history) is 224 KB, and a made-up extreme case (11
# years with a diary entry every day, every score filled in, a 200-character note on every
# entry, an infusion every 4 weeks with three sets of vital signs) is 4.2 MB written with
# indentation. Five times that leaves room for any real record, while a bigger file is
# refused before it is decoded, instead of tying up memory and time.
MAX_CASE_FILE_BYTES = 20 * 1024 * 1024

# A case file nests 6 levels at most (the document, infusions, an infusion, vitals, a set of
# vital signs, its values). Deeper nesting is refused before parsing: Python's json module
# recurses once per level and fails with RecursionError near 1,000 levels.
MAX_NESTING = 64

# JSON values (objects, arrays, strings, numbers, literals) in one file. The made-up extreme
# case above holds 128,000 (the largest demo case 8,400); a file within the size limit
# could hold 10 million, and each record costs time to check (165,000 weights, 500,000
# values, took 15 s), so the count is bounded too.
MAX_JSON_VALUES = 300_000

# No quantity in a case file comes near this (the largest accepted is a fecal calprotectin of
# 100,000 mcg/g), and beyond 2**53 (about 9e15) whole numbers are no longer exact as floats.
MAX_NUMBER = 1e15

_BOM = b"\xef\xbb\xbf"
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class _Refused(Exception):
    """A JSON literal no case file holds, raised from inside ``json.loads`` hooks."""

    def __init__(self, literal: str, why: str):
        super().__init__(why)
        self.literal = literal
        self.why = why


def load_case_file(data: bytes, source: str, *, today: dt.date | None = None) -> r.Case:
    """Read a ``clinic-case/1`` file from its bytes: every import goes through here.

    Returns the case, or raises ``CaseFileError`` (its message starts with ``source``) for
    any input at all: too big, not UTF-8, not JSON, too deep, too many values, non-numbers,
    numbers too big to be real, a field given twice, then every problem of structure and
    meaning that ``parse_case`` finds.
    """
    document = decode_case_file(data, source)
    try:
        return parse_case(document, today=today)
    except CaseFileError as exc:
        raise CaseFileError(exc.problems, source=source) from None


def read_case_bytes(stream: typing.BinaryIO) -> bytes:
    """A case file's bytes from an open binary stream (a file, standard input), reading no
    more than one byte past ``MAX_CASE_FILE_BYTES``: an enormous file is refused by
    ``load_case_file`` without first being read whole into memory."""
    return stream.read(MAX_CASE_FILE_BYTES + 1)


def decode_case_file(data: bytes, source: str) -> Any:
    """The JSON document in a case file's bytes, or CaseFileError saying what is wrong."""

    def refuse(problem: str) -> typing.NoReturn:
        raise CaseFileError([problem], source=source)

    if len(data) > MAX_CASE_FILE_BYTES:
        refuse(
            f"the file is {_megabytes(len(data))}, more than the "
            f"{_megabytes(MAX_CASE_FILE_BYTES)} a case file may be"
        )
    raw = bytes(data[len(_BOM) :] if data.startswith(_BOM) else data)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff")
        hint = " (it looks like UTF-16: save it as UTF-8)" if utf16 else ""
        offset = exc.start + (len(data) - len(raw))
        refuse(
            f"not UTF-8 text: the byte 0x{raw[exc.start]:02x} at offset {offset} is not "
            f"valid UTF-8 ({exc.reason}){hint}"
        )
    if not text.strip():
        refuse("the file is empty")
    _check_size_of_tree(text, refuse)
    try:
        document = json.loads(
            text,
            object_pairs_hook=_object,
            parse_constant=_constant,
            parse_float=_float,
            parse_int=_int,
        )
    except json.JSONDecodeError as exc:
        message = exc.msg.removesuffix(" at")  # "Invalid control character at"
        refuse(f"not valid JSON: {message} at line {exc.lineno}, column {exc.colno}")
    except _Refused as exc:
        refuse(f"{exc.why}{_position(text, exc.literal)}")
    except (RecursionError, ValueError) as exc:  # not reached after the checks above
        refuse(f"not valid JSON: {_short(str(exc))}")
    problems = _tree_problems(document)
    if problems:
        raise CaseFileError(problems, source=source)
    return document


def _megabytes(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB" if size >= 1024 * 1024 else f"{size:,} bytes"


def _check_size_of_tree(text: str, refuse: Callable[[str], typing.NoReturn]) -> None:
    """Nesting depth and value count, read off the text without parsing it (strings aside)."""
    outside = _STRING.sub('""', text)
    brackets = _NOT_BRACKET.sub("", outside)
    depth = max(itertools.accumulate(map(_STEP.__getitem__, brackets)), default=0)
    if depth > MAX_NESTING:
        refuse(
            f"nested more than {MAX_NESTING} levels deep{_deep_position(text)} "
            f"(a case file nests 6 levels)"
        )
    values = outside.count(",") + len(brackets) // 2 + 1
    if values > MAX_JSON_VALUES:
        refuse(f"about {values:,} values, more than the {MAX_JSON_VALUES:,} a case file may hold")


def _deep_position(text: str) -> str:
    depth = 0
    for match in re.finditer(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', text):
        token = match.group()
        if token in _STEP:
            depth += _STEP[token]
            if depth > MAX_NESTING:
                return _line_column(text, match.start())
    return ""


def _position(text: str, literal: str) -> str:
    """' at line L, column C' of the first ``literal`` outside a string, if it is found."""
    token = re.compile(
        r'"[^"\\]*(?:\\.[^"\\]*)*"|(?<![\w.+-])(' + re.escape(literal) + r")(?![\w.])"
    )
    for match in token.finditer(text):
        if match.group(1) is not None:
            return _line_column(text, match.start(1))
    return ""


def _line_column(text: str, offset: int) -> str:
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return f" at line {line}, column {column}"


def _constant(literal: str) -> Any:
    raise _Refused(literal, f"{literal} is not a number a case file may hold")


def _float(literal: str) -> float:
    value = float(literal)
    if not math.isfinite(value) or abs(value) > MAX_NUMBER:
        raise _Refused(literal, f"the number {_short(literal)} is too big to be a real value")
    return value


def _int(literal: str) -> int:
    # Compare the digits, not the value: int() of thousands of digits is itself refused.
    if len(literal.lstrip("-")) > len(str(int(MAX_NUMBER))) or abs(int(literal)) > MAX_NUMBER:
        raise _Refused(literal, f"the number {_short(literal)} is too big to be a real value")
    return int(literal)


class _Repeated(dict[str, Any]):
    """A JSON object that named some field more than once (kept to report where)."""

    repeated: tuple[str, ...] = ()


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    seen: set[str] = set()
    repeated: list[str] = []
    for key, _ in pairs:
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    marked = _Repeated(obj)
    marked.repeated = tuple(repeated)
    return marked


def _tree_problems(document: Any) -> list[str]:
    """Fields named twice and text that is not Unicode characters, by path (no recursion)."""
    problems: list[str] = []
    stack: list[tuple[Any, list[str | int]]] = [(document, [])]
    while stack:
        value, path = stack.pop()
        if isinstance(value, dict):
            for key in getattr(value, "repeated", ()):
                problems.append(
                    f"{_json_path([*path, key])}: given more than once in one object "
                    "(which one is meant cannot be told)"
                )
            for key, item in value.items():
                if _unpaired_surrogate(key):
                    problems.append(f"{_json_path(path)}: a field name {_UNPAIRED}")
                stack.append((item, [*path, key]))
        elif isinstance(value, list):
            stack.extend((item, [*path, i]) for i, item in enumerate(value))
        elif isinstance(value, str) and _unpaired_surrogate(value):
            problems.append(f"{_json_path(path)}: {_UNPAIRED}")
    return sorted(problems)


_UNPAIRED = "contains an unpaired surrogate (a \\ud800-\\udfff escape), which is not a character"
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _unpaired_surrogate(text: str) -> bool:
    return _SURROGATE.search(text) is not None


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[: limit - 3]}..."


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


# Structure problems collected from one document at most: a file of thousands of wrong
# entries is refused as surely with the first of them, and much sooner.
_MAX_SCHEMA_ERRORS = 500


def _schema_problems(data: Any) -> list[str]:
    found = itertools.islice(_validator().iter_errors(data), _MAX_SCHEMA_ERRORS)
    errors = sorted(found, key=lambda e: list(map(str, e.absolute_path)))
    # One error per missing or unknown field can name several of them: each is listed once.
    return list(dict.fromkeys(p for e in errors for p in _describe_schema_error(e)))


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Unknown fields listed by name in one object, at most.
_SHOWN_UNKNOWN = 10


def _json_path(parts: Any) -> str:
    """``labs[2].unit``; a name that is not a plain word is quoted: ``patient['a b']``."""
    text = ""
    for part in parts:
        if isinstance(part, int):
            text += f"[{part}]"
        elif not _NAME.fullmatch(part):
            text += (
                f"[{_short(repr(part), 40)}]" if text else f"(top level)[{_short(repr(part), 40)}]"
            )
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


def _describe_schema_error(error: Any) -> list[str]:
    """The structure problems of one error; a value is shown cut short, whatever its size."""
    parts = list(error.absolute_path)
    path = _json_path(parts)
    kind, value = error.validator, _Shown(error.instance)
    if kind == "required":
        missing = [n for n in error.validator_value if n not in error.instance]
        return [f"{_json_path([*parts, n])}: required field is missing" for n in missing]
    if kind == "additionalProperties":
        extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
        problems = [
            f"{_json_path([*parts, n])}: unknown field (not part of {FORMAT})"
            for n in extra[:_SHOWN_UNKNOWN]
        ]
        if len(extra) > _SHOWN_UNKNOWN:
            problems.append(f"{path}: {len(extra) - _SHOWN_UNKNOWN} more unknown fields")
        return problems
    return [_describe_one(error, kind, path, value)]


def _describe_one(error: Any, kind: str, path: str, value: _Shown) -> str:
    if kind == "type":
        got = _json_type(error.instance)
        return f"{path}: expected {error.validator_value}, got {got} {value!r}"
    if kind in ("enum", "const"):
        allowed = error.validator_value if kind == "enum" else [error.validator_value]
        return f"{path}: {value!r} is not one of: {', '.join(map(str, allowed))}"
    if kind == "pattern":
        return f"{path}: {value!r} is not in the form {error.schema.get('description', kind)}"
    if kind == "minLength":
        return f"{path}: must not be empty"
    if kind == "maxLength":
        limit = error.validator_value
        return f"{path}: {len(error.instance)} characters is more than the {limit} allowed"
    return _short(f"{path}: {error.message}", 300)


class _Shown:
    """A JSON value as a problem shows it: its repr, cut short."""

    def __init__(self, value: Any):
        self.value = value

    def __repr__(self) -> str:
        return _short(repr(self.value))


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
        except (ValueError, OverflowError) as exc:
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
        return _parse_time(value)
    if hint in (float, int) and isinstance(value, int) and abs(value) > MAX_NUMBER:
        raise ValueError(f"{_short(repr(value))} is too big to be a real value")
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


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_date(text: str) -> dt.date:
    """An ISO date that exists on the calendar, with a message that says why not."""
    if not _ISO_DATE.fullmatch(text):  # also other scripts' digits, a trailing line break
        raise ValueError(f"{_short(repr(text))} is not a date in the form YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        year, month, _day = (int(p) for p in text.split("-"))
        if year < 1:
            raise ValueError(f"{text!r} is not a real date (there is no year 0)") from None
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
    return dt.datetime.combine(parse_date(day), _parse_time(clock))


_ISO_TIME = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def _parse_time(text: str) -> dt.time:
    if not _ISO_TIME.fullmatch(text):
        raise ValueError(f"{_short(repr(text))} is not a time in the form HH:MM")
    return dt.time.fromisoformat(text)


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
