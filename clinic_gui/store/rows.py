"""Record dataclasses <-> table rows.

Column names follow the record field names; a nested record's fields are prefixed with
its field name (``basdai.q1`` -> ``basdai_q1``, ``reaction.grade`` -> ``reaction_grade``).
Dates are ISO text, times ``HH:MM``, a lab's date-time ``YYYY-MM-DDTHH:MM``;
premedications are a JSON list; "symptoms returned before" is ``yes``/``no``/``unknown``.
Vital signs are rows of their own (``vital_sign``), so they are left to the caller.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import typing
from functools import cache
from typing import Any

from clinic_gui.domain import records as r

_TRISTATE_TO_ROW = {True: "yes", False: "no", None: "unknown"}
_TRISTATE_FROM_ROW = {v: k for k, v in _TRISTATE_TO_ROW.items()}

# Fields kept out of the main row.
_CHILD_FIELDS = {(r.Infusion, "vitals")}


def to_row(record: Any) -> dict[str, Any]:
    row: dict[str, Any] = {}
    cls: type = type(record)
    for f in dataclasses.fields(record):
        if (cls, f.name) in _CHILD_FIELDS:
            continue
        value = getattr(record, f.name)
        if f.name == "symptoms_returned_before":
            row[f.name] = _TRISTATE_TO_ROW[value]
        elif f.name == "premedication":
            row[f.name] = json.dumps(list(value)) if value else None
        elif (nested_cls := _nested_type(cls, f.name)) is not None:
            for sub in dataclasses.fields(nested_cls):
                sub_value = getattr(value, sub.name) if value is not None else None
                row[f"{f.name}_{sub.name}"] = _scalar_to_row(sub_value)
        else:
            row[f.name] = _scalar_to_row(value)
    return row


def from_row(cls: type, row: dict[str, Any]) -> Any:
    hints = _hints(cls)
    kwargs: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if (cls, f.name) in _CHILD_FIELDS:
            continue
        if f.name == "symptoms_returned_before":
            kwargs[f.name] = _TRISTATE_FROM_ROW[row[f.name]]
        elif f.name == "premedication":
            kwargs[f.name] = tuple(json.loads(row[f.name])) if row[f.name] else ()
        elif (nested_cls := _nested_type(cls, f.name)) is not None:
            sub_values = {
                sub.name: _scalar_from_row(
                    _hints(nested_cls)[sub.name], row[f"{f.name}_{sub.name}"]
                )
                for sub in dataclasses.fields(nested_cls)
            }
            if any(v is not None for v in sub_values.values()):
                kwargs[f.name] = nested_cls(**sub_values)
        else:
            kwargs[f.name] = _scalar_from_row(hints[f.name], row[f.name])
    return cls(**kwargs)


def columns(cls: type) -> list[str]:
    """The table columns a record type maps to, in field order."""
    names: list[str] = []
    for f in dataclasses.fields(cls):
        if (cls, f.name) in _CHILD_FIELDS:
            continue
        nested_cls = _nested_type(cls, f.name)
        if nested_cls is not None:
            names += [f"{f.name}_{sub.name}" for sub in dataclasses.fields(nested_cls)]
        else:
            names.append(f.name)
    return names


@cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


@cache
def _nested_type(cls: type, name: str) -> Any:
    hint = _hints(cls)[name]
    for arg in typing.get_args(hint) or (hint,):
        if dataclasses.is_dataclass(arg):
            return arg
    return None


def _scalar_to_row(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    return value


def _scalar_from_row(hint: Any, value: Any) -> Any:
    if value is None:
        return None
    args = set(typing.get_args(hint)) - {type(None)} or {hint}
    if dt.datetime in args and isinstance(value, str) and "T" in value:
        return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M")
    if dt.date in args:
        return dt.date.fromisoformat(value)
    if dt.time in args:
        return dt.time.fromisoformat(value)
    if float in args and isinstance(value, int):
        return float(value)
    return value
