"""Simple facts read off a patient's history on a given day (no judgement, no rules)."""

from __future__ import annotations

import datetime as dt

from clinic_gui.domain import records as r


def age_years(birth_date: dt.date, on: dt.date) -> int:
    before_birthday = (on.month, on.day) < (birth_date.month, birth_date.day)
    return on.year - birth_date.year - before_birthday


def latest_weight(case: r.Case, on: dt.date) -> r.Weight | None:
    """The most recent weight measured on or before ``on``."""
    eligible = [w for w in case.weights if w.date <= on]
    return max(eligible, key=lambda w: w.date, default=None)


def regimen_in_effect(case: r.Case, on: dt.date) -> r.Regimen | None:
    """The regimen with the latest start date on or before ``on``."""
    eligible = [g for g in case.regimens if g.start_date <= on]
    return max(eligible, key=lambda g: g.start_date, default=None)


def last_infusion(case: r.Case, on: dt.date) -> r.Infusion | None:
    eligible = [i for i in case.infusions if i.date <= on]
    return max(eligible, key=lambda i: i.date, default=None)
