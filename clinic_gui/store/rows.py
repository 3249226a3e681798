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
# A stored value -> the field's value, for values that are not None.
Convert = Callable[[Any], Any]


@cache
def _reader(cls: type) -> Reader:
    """Work out once per record type how each field is read back.

    Reading then takes the plain columns as one tuple and each nested record's columns as
    another (``operator.itemgetter``), converts only the fields whose stored form differs
    (dates, times, floats, the tristate and the JSON list) and builds the record. A nested
    record is present when any of its columns is not None (0 counts as present).
    """
    plain: list[str] = []
    converted: list[tuple[str, Convert]] = []  # applied to values that are not None
    always: list[tuple[str, Convert]] = []  # applied to every value, None included
    nested: list[tuple[str, type, Callable[[Any], tuple[Any, ...]], _Fields]] = []
    for f in dataclasses.fields(cls):
        if (cls, f.name) in _CHILD_FIELDS:
            continue
        if f.name == "symptoms_returned_before":
            always.append((f.name, _TRISTATE_FROM_ROW.__getitem__))
        elif f.name == "premedication":
            always.append((f.name, _json_list_from_row))
        elif (nested_cls := _nested_type(cls, f.name)) is not None:
            subs = _Fields.of(nested_cls)
            getter = _tuple_getter([f"{f.name}_{sub}" for sub in subs.names])
            nested.append((f.name, nested_cls, getter, subs))
            continue
        elif (convert := _converter(_hints(cls)[f.name])) is not None:
            converted.append((f.name, convert))
        plain.append(f.name)
    plain_names = tuple(plain)
    get_plain = _tuple_getter(plain)
    # Most rows hold none of their nested records (a diary entry is mostly just a score): one
    # look at all those columns together settles it for them.
    get_all_nested = _tuple_getter(
        [f"{name}_{sub}" for name, _, _, subs in nested for sub in subs.names]
    )
    no_nested = (None,) * sum(subs.size for *_, subs in nested)

    def read(row: dict[str, Any]) -> Any:
        kwargs = dict(zip(plain_names, get_plain(row), strict=True))
        for name, convert in converted:
            if (value := kwargs[name]) is not None:
                kwargs[name] = convert(value)
        for name, convert in always:
            kwargs[name] = convert(kwargs[name])
        if nested and get_all_nested(row) != no_nested:
            for name, nested_cls, get, subs in nested:
                values = get(row)  # stored values: None, int, float, str, bytes
                if values.count(None) != subs.size:
                    kwargs[name] = nested_cls(**subs.kwargs(values))
        return cls(**kwargs)

    return read


class _Fields:
    """A nested record type's field names, and which of them need converting."""

    def __init__(self, names: tuple[str, ...], converted: tuple[tuple[str, Convert], ...]):
        self.names = names
        self.size = len(names)
        self.converted = converted

    @classmethod
    def of(cls, record_cls: type) -> _Fields:
        hints = _hints(record_cls)
        names = tuple(f.name for f in dataclasses.fields(record_cls))
        converted = tuple(
            (name, convert) for name in names if (convert := _converter(hints[name])) is not None
        )
        return cls(names, converted)

    def kwargs(self, values: tuple[Any, ...]) -> dict[str, Any]:
        kwargs = dict(zip(self.names, values, strict=True))
        for name, convert in self.converted:
            if (value := kwargs[name]) is not None:
                kwargs[name] = convert(value)
        return kwargs


def _tuple_getter(keys: list[str]) -> Callable[[Any], tuple[Any, ...]]:
    """``itemgetter`` that always gives a tuple (also for none or one key)."""
    if len(keys) > 1:
        return operator.itemgetter(*keys)
    if keys:
        key = keys[0]
        return lambda row: (row[key],)
    return lambda row: ()


def _json_list_from_row(text: Any) -> tuple[Any, ...]:
    return tuple(json.loads(text)) if text else ()


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


def _converter(hint: Any) -> Convert | None:
    """The function that turns a stored value (not None) back into the field's type; None
    when the value is kept as stored."""
    args = set(typing.get_args(hint)) - {type(None)} or {hint}
    if dt.datetime in args:
        return _date_or_datetime
    if dt.date in args:
        return dt.date.fromisoformat
    if dt.time in args:
        return dt.time.fromisoformat
    if float in args:
        return float
    return None


def _date_or_datetime(value: Any) -> Any:
    if "T" in value:
        return dt.datetime.fromisoformat(value)
    return dt.date.fromisoformat(value)
