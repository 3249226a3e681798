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
import operator
import typing
from collections.abc import Callable
from functools import cache
from typing import Any

from clinic_gui.domain import records as r

_TRISTATE_TO_ROW = {True: "yes", False: "no", None: "unknown"}
_TRISTATE_FROM_ROW = {v: k for k, v in _TRISTATE_TO_ROW.items()}

# Fields kept out of the main row.
_CHILD_FIELDS = {(r.Infusion, "vitals")}


def to_row(record: Any) -> dict[str, Any]:
    """The record as a column -> value dict."""
    cls: type = type(record)
    return dict(zip(columns(cls), _writer(cls)(record), strict=True))


def row_values(record: Any) -> tuple[Any, ...]:
    """The record's values in ``columns(type(record))`` order (for bulk inserts)."""
    cls: type = type(record)
    return _writer(cls)(record)


Writer = Callable[[Any], tuple[Any, ...]]


@cache
def _writer(cls: type) -> Writer:
    """Work out once per record type how each column's value is taken from a record."""
    getters: list[Callable[[Any], Any]] = []
    for f in dataclasses.fields(cls):
        if (cls, f.name) in _CHILD_FIELDS:
            continue
        if f.name == "symptoms_returned_before":
            getters.append(_tristate_getter(f.name))
        elif f.name == "premedication":
            getters.append(_json_list_getter(f.name))
        elif (nested_cls := _nested_type(cls, f.name)) is not None:
            getters += [
                _nested_getter(f.name, sub.name, _to_text(_hints(nested_cls)[sub.name]))
                for sub in dataclasses.fields(nested_cls)
            ]
        else:
            getters.append(_scalar_getter(f.name, _to_text(_hints(cls)[f.name])))

    def write(record: Any) -> tuple[Any, ...]:
        return tuple(get(record) for get in getters)

    return write


def _to_text(hint: Any) -> Callable[[Any], Any] | None:
    """How a field of this declared type is stored: dates and times as text, else as is."""
    args = set(typing.get_args(hint)) - {type(None)} or {hint}
    if args & {dt.date, dt.datetime, dt.time}:
        return _scalar_to_row
    return None


def _scalar_getter(name: str, convert: Callable[[Any], Any] | None) -> Callable[[Any], Any]:
    if convert is None:
        return operator.attrgetter(name)
    return lambda record: convert(getattr(record, name))


def _tristate_getter(name: str) -> Callable[[Any], Any]:
    return lambda record: _TRISTATE_TO_ROW[getattr(record, name)]


def _json_list_getter(name: str) -> Callable[[Any], Any]:
    return lambda record: json.dumps(list(getattr(record, name))) if getattr(record, name) else None


def _nested_getter(
    name: str, sub: str, convert: Callable[[Any], Any] | None
) -> Callable[[Any], Any]:
    def get(record: Any) -> Any:
        group = getattr(record, name)
        if group is None:
            return None
        value = getattr(group, sub)
        return value if convert is None else convert(value)

    return get


def from_row(cls: type, row: dict[str, Any]) -> Any:
    return _reader(cls)(row)


Reader = Callable[[dict[str, Any]], Any]


@cache
def _reader(cls: type) -> Reader:
    """Work out once per record type how each field is read back; reading is then a loop."""
    plain: list[tuple[str, Callable[[Any], Any]]] = []
    nested: list[tuple[str, type, list[tuple[str, str, Callable[[Any], Any]]]]] = []
    for f in dataclasses.fields(cls):
        if (cls, f.name) in _CHILD_FIELDS:
            continue
        if f.name == "symptoms_returned_before":
            plain.append((f.name, _TRISTATE_FROM_ROW.__getitem__))
        elif f.name == "premedication":
            plain.append((f.name, lambda text: tuple(json.loads(text)) if text else ()))
        elif (nested_cls := _nested_type(cls, f.name)) is not None:
            subs = [
                (sub.name, f"{f.name}_{sub.name}", _converter(_hints(nested_cls)[sub.name]))
                for sub in dataclasses.fields(nested_cls)
            ]
            nested.append((f.name, nested_cls, subs))
        else:
            plain.append((f.name, _converter(_hints(cls)[f.name])))

    def read(row: dict[str, Any]) -> Any:
        kwargs = {name: convert(row[name]) for name, convert in plain}
        for name, nested_cls, subs in nested:
            if any(row[column] is not None for _, column, _ in subs):
                kwargs[name] = nested_cls(
                    **{sub: convert(row[column]) for sub, column, convert in subs}
                )
        return cls(**kwargs)

    return read


@cache
def columns(cls: type) -> tuple[str, ...]:
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
    return tuple(names)


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


def _converter(hint: Any) -> Callable[[Any], Any]:
    """The function that turns a stored value back into the field's type (None stays None)."""
    args = set(typing.get_args(hint)) - {type(None)} or {hint}
    if dt.datetime in args:

        def date_or_datetime(value: Any) -> Any:
            if value is None:
                return None
            if "T" in value:
                return dt.datetime.fromisoformat(value)
            return dt.date.fromisoformat(value)

        return date_or_datetime
    if dt.date in args:
        return lambda value: None if value is None else dt.date.fromisoformat(value)
    if dt.time in args:
        return lambda value: None if value is None else dt.time.fromisoformat(value)
    if float in args:
        return lambda value: None if value is None else float(value)
    return lambda value: value
