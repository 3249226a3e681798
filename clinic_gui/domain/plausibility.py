"""Plausibility warnings: values that are possible but suspicious, confirmed before saving.

A value outside the accepted ranges is refused (``validation``); a value inside them can
still be unlikely enough to be a slip of the keyboard or of the unit. These checks find
such values in one new entry, read against the patient's record as it stands, and return
each as ``"field: check before saving: …"``: the field named as in ``validation``, the
message written for the clinician who entered it. The entry is saved only once every
warning has been confirmed (``store.entries``). A warning never changes a value and never
judges the treatment: it asks for a second look at what was typed.

- weight: more than ``weight_change_percent`` away from the previous weight;
- infusion: above the highest labelled dose in mg/kg; shorter than the labelled minimum
  infusion time;
- lab: an infliximab trough above ``trough_max``.

The thresholds, each with its unit, rationale and source, are in
``resources/plausibility.json``. Two of them are read from where the same figure already
lives (the weight change from ``dosing_policy.json``, the highest dose from ``label.json``),
so the rule cannot say two different things. Comparisons are made in decimal arithmetic on
the values as typed, so a value exactly at a threshold is never flagged by a rounding error.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.dosing import label
from clinic_gui.domain.formatting import display_unit, fmt_number
from clinic_gui.domain.history import latest_weight
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.resources import load_json

SETTINGS_FILE = "plausibility.json"
CHECK = "check before saving: "


@dataclass(frozen=True, slots=True)
class Thresholds:
    weight_change_percent: float
    dose_mg_per_kg_max: float
    trough_max_mcg_per_ml: float
    infusion_min_minutes: int
    dose_note: str
    trough_note: str
    duration_note: str


@cache
def thresholds() -> Thresholds:
    settings = load_json(SETTINGS_FILE)["settings"]
    trough = settings["trough_max"]
    if trough["unit"] != "mcg/mL" or settings["infusion_min_minutes"]["unit"] != "min":
        raise ValueError(f"{SETTINGS_FILE}: trough_max is in mcg/mL, infusion_min_minutes in min")
    return Thresholds(
        weight_change_percent=float(_value(settings["weight_change_percent"])),
        dose_mg_per_kg_max=float(_value(settings["dose_mg_per_kg_max"])),
        trough_max_mcg_per_ml=float(_value(trough)),
        infusion_min_minutes=int(_value(settings["infusion_min_minutes"])),
        dose_note=settings["dose_mg_per_kg_max"]["note"],
        trough_note=trough["note"],
        duration_note=settings["infusion_min_minutes"]["note"],
    )


def _value(setting: dict[str, Any]) -> Any:
    """A setting's own ``value``, or the figure its ``value_from`` names."""
    if "value" in setting:
        return setting["value"]
    source = setting["value_from"]
    if source["file"] == "label.json":
        return highest_labelled_mg_per_kg()
    return load_json(source["file"])[source["key"]]["value"]


def highest_labelled_mg_per_kg() -> float:
    """The highest dose in mg/kg the label allows for any indication (escalation included)."""
    doses = []
    for spec in label()["indications"].values():
        doses.append(float(spec["maintenance"]["mg_per_kg"]))
        if spec["escalation"]:
            doses.append(float(spec["escalation"]["max_mg_per_kg"]))
    return max(doses)


# ---------------------------------------------------------------------------------------------
# One entry each


def plausibility_warnings(
    record: Any, case: r.Case, *, limits: Thresholds | None = None
) -> list[str]:
    """The warnings of a new weight, infusion or lab result; other records have none."""
    if isinstance(record, r.Weight):
        return weight_warnings(record, case, limits=limits)
    if isinstance(record, r.Infusion):
        return infusion_warnings(record, case, limits=limits)
    if isinstance(record, r.LabResult):
        return lab_warnings(record, case, limits=limits)
    return []


def weight_warnings(
    weight: r.Weight, case: r.Case, *, limits: Thresholds | None = None
) -> list[str]:
    """A weight that changed by more than the policy from the previous one.

    The previous weight is the latest in ``case`` dated on or before the new one; when there
    is none (a weight entered for an earlier date), the earliest one after it.
    """
    limit = Decimal(repr((limits or thresholds()).weight_change_percent))
    before = [w for w in case.weights if w.date <= weight.date]
    after = [w for w in case.weights if w.date > weight.date]
    if before:
        other, which = max(before, key=lambda w: w.date), "previous"
    elif after:
        other, which = min(after, key=lambda w: w.date), "next"
    else:
        return []
    new, old = _exact(weight.kg), _exact(other.kg)
    if old <= 0:
        return []
    change = abs(new - old) * 100 / old
    if change <= limit:
        return []
    direction = "more" if new > old else "less"
    return [
        f"kg: {CHECK}{fmt_number(weight.kg)} kg is {_beyond(change, limit)}% {direction} than "
        f"the {which} weight ({fmt_number(other.kg)} kg on {other.date.isoformat()}); a change "
        f"of more than {fmt_number(float(limit))}% is often a typing or unit slip "
        "(pounds for kilograms). Confirm the weight."
    ]


def infusion_warnings(
    infusion: r.Infusion, case: r.Case, *, limits: Thresholds | None = None
) -> list[str]:
    """An IV dose above the highest labelled mg/kg, or an infusion shorter than labelled."""
    limits = limits or thresholds()
    if vocabulary().product_routes.get(infusion.product) != "iv":
        return []
    warnings = []
    kg = infusion.weight_kg
    weighed = "the weight used"
    if kg is None:
        latest = latest_weight(case, infusion.date)
        kg = latest.kg if latest is not None else None
        weighed = "the latest weight" if latest is not None else weighed
    highest = _exact(limits.dose_mg_per_kg_max)
    if kg is not None and kg > 0:
        per_kg = _exact(infusion.dose_mg) / _exact(kg)
        if per_kg > highest:
            warnings.append(
                f"dose_mg: {CHECK}{fmt_number(infusion.dose_mg)} mg at {fmt_number(kg)} kg "
                f"({weighed}) is {_beyond(per_kg, highest)} mg/kg, above "
                f"{fmt_number(float(highest))} mg/kg, the highest infliximab dose in the US "
                f"label. {limits.dose_note}"
            )
    if infusion.start_time is not None and infusion.end_time is not None:
        minutes = _minutes(infusion.end_time) - _minutes(infusion.start_time)
        if 0 < minutes < limits.infusion_min_minutes:
            warnings.append(
                f"end_time: {CHECK}the infusion ran {_duration(minutes)} "
                f"({infusion.start_time:%H:%M} to {infusion.end_time:%H:%M}), shorter than "
                f"the {_duration(limits.infusion_min_minutes)} the US label sets as the "
                f"shortest infusion time. {limits.duration_note}"
            )
    return warnings


def lab_warnings(lab: r.LabResult, case: r.Case, *, limits: Thresholds | None = None) -> list[str]:
    """An infliximab trough above the threshold (a '<' result or a non-trough is not)."""
    limits = limits or thresholds()
    if lab.test != "infliximab" or lab.timing == "non_trough" or lab.comparator == "<":
        return []
    test = vocabulary().lab_tests[lab.test]
    accepted = test.match_unit(lab.unit)
    factor = test.units.get(accepted) if accepted is not None else None
    if factor is None:
        return []
    level = _exact(lab.value) * _exact(factor)
    highest = _exact(limits.trough_max_mcg_per_ml)
    if level <= highest:
        return []
    shown = f"{fmt_number(lab.value)} {display_unit(lab.unit)}"
    if factor != 1:
        shown += f" ({_beyond(level, highest)} mcg/mL)"
    timing = "trough" if lab.timing == "trough" else "trough (timing not stated)"
    return [
        f"value: {CHECK}an infliximab {timing} of {shown} is above "
        f"{fmt_number(float(highest))} mcg/mL. Maintenance troughs are a few mcg/mL; a level "
        "this high is more often a sample drawn during or soon after an infusion, or ng/mL "
        "entered as mcg/mL. If the sample was not a trough, record its timing as not a "
        f"trough. {limits.trough_note}"
    ]


# ---------------------------------------------------------------------------------------------
# Arithmetic and wording


def _exact(value: float | int) -> Decimal:
    """The value as typed (its shortest repr), not its binary approximation."""
    return Decimal(repr(float(value)))


def _beyond(value: Decimal, limit: Decimal) -> str:
    """``value`` to 1 decimal, or more where 1 decimal would show it equal to ``limit``."""
    for decimals in range(1, 7):
        text = fmt_number(float(value), decimals)
        if Decimal(text) != limit:
            return text
    return fmt_number(float(value))


def _minutes(time: dt.time) -> int:
    return time.hour * 60 + time.minute


def _duration(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    unit = "hour" if hours == 1 else "hours"
    return f"{hours} {unit}" + (f" {rest} min" if rest else "")
