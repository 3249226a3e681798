"""Dose arithmetic, label checks and dose options.

- dose mg = mg/kg x the latest weight on or before the date, to the nearest whole mg (half up);
- vials = ceil(mg / 100); waste = vials x 100 - mg;
- optional whole-vial rounding (clinic policy, off by default, never silent), after which the
  delivered mg/kg is recomputed and re-checked against the label;
- intensity in mg/kg per week; next due = last infusion + the interval in effect.

The label (``resources/label.json``) and the clinic policy (``resources/dosing_policy.json``)
are data. Label comparisons are made in whole mg for the patient's weight, so rounding to the
nearest mg never pushes a labelled dose "over" its limit, while rounding to a whole vial can
(95 kg x 10 mg/kg = 950 mg; 1,000 mg = 10.53 mg/kg is above the labelled maximum).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.formatting import fmt_number
from clinic_gui.domain.history import latest_weight, regimen_in_effect
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.resources import load_json


@cache
def label() -> dict[str, Any]:
    return load_json("label.json")


@dataclass(frozen=True, slots=True)
class DosingPolicy:
    vial_rounding_percent: float | None = None
    weight_max_age_days: int = 90
    weight_change_percent: float = 10
    escalation_ladder_mg_per_kg: tuple[float, ...] = (5, 7.5, 10)
    interval_ladder_weeks: tuple[float, ...] = (8, 6, 4)


def load_policy() -> DosingPolicy:
    raw = load_json("dosing_policy.json")
    return DosingPolicy(
        vial_rounding_percent=raw["vial_rounding_percent"]["value"],
        weight_max_age_days=raw["weight_max_age_days"]["value"],
        weight_change_percent=raw["weight_change_percent"]["value"],
        escalation_ladder_mg_per_kg=tuple(raw["escalation_ladder_mg_per_kg"]["value"]),
        interval_ladder_weeks=tuple(raw["interval_ladder_weeks"]["value"]),
    )


def vial_mg() -> int:
    return int(label()["vial_mg"])


# ---------------------------------------------------------------------------------------------
# Arithmetic


def dose_mg(mg_per_kg: float, weight_kg: float) -> int:
    """mg/kg x kg to the nearest whole mg, halves rounded up (decimal, not binary, arithmetic)."""
    exact = Decimal(repr(float(mg_per_kg))) * Decimal(repr(float(weight_kg)))
    return int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def vials_for(mg: float) -> int:
    return max(1, math.ceil(mg / vial_mg()))


def waste_mg(mg: float) -> float:
    return vials_for(mg) * vial_mg() - mg


def mg_per_kg_per_week(mg_per_kg: float, interval_weeks: float) -> float:
    return mg_per_kg / interval_weeks


def next_due(case: r.Case, as_of: dt.date) -> dt.date | None:
    """The last infusion on or before ``as_of`` plus the interval of the regimen in effect."""
    given = [i.date for i in case.infusions if i.date <= as_of]
    regimen = regimen_in_effect(case, as_of)
    if not given or regimen is None:
        return None
    return max(given) + dt.timedelta(days=round(regimen.interval_weeks * 7))


@dataclass(frozen=True, slots=True)
class Rounding:
    """What whole-vial rounding did (or why it did not), in words for the record."""

    applied: bool
    from_mg: int
    to_mg: int
    change_percent: float
    note: str


def round_to_vials(mg: int, policy_percent: float | None) -> Rounding | None:
    """Round to the nearest whole vial when within ``policy_percent``; None when policy is off."""
    if policy_percent is None:
        return None
    size = vial_mg()
    lower, upper = (mg // size) * size, -(-mg // size) * size
    candidates = [c for c in (lower, upper) if c > 0]
    nearest = min(candidates, key=lambda c: (abs(c - mg), c))
    change = (nearest - mg) / mg * 100
    sign = "+" if change >= 0 else "-"
    pct = f"{sign}{fmt_number(abs(change), 1)}%"
    if nearest == mg:
        return Rounding(False, mg, mg, 0.0, f"{mg} mg is already whole vials")
    if abs(change) <= policy_percent:
        note = (
            f"rounded {mg} mg to {nearest} mg ({pct}; clinic policy: whole vials within "
            f"±{fmt_number(policy_percent)}%)"
        )
        return Rounding(True, mg, nearest, change, note)
    note = (
        f"not rounded: {nearest} mg would be {pct}, outside the clinic policy of "
        f"±{fmt_number(policy_percent)}%"
    )
    return Rounding(False, mg, mg, change, note)


# ---------------------------------------------------------------------------------------------
# Label


@dataclass(frozen=True, slots=True)
class LabelCheck:
    within_label: bool
    contraindicated: bool
    notes: tuple[str, ...]

    @property
    def label_note(self) -> str | None:
        return "; ".join(self.notes) if self.notes else None


def check_label(
    *,
    indication: str,
    age_years: int,
    nyha_class: int | None,
    interval_weeks: float,
    mg_per_kg: float,
    weight_kg: float | None = None,
    delivered_mg: float | None = None,
) -> LabelCheck:
    """Is this regimen within the US label for this patient? Notes say why not, in plain words.

    With a weight and a delivered dose the comparison is in whole mg (so the delivered dose is
    what is checked after any rounding); without them, in mg/kg.
    """
    spec = label()["indications"][indication]
    short = vocabulary().indication_short[indication]
    maint = spec["maintenance"]
    base_dose, base_interval = float(maint["mg_per_kg"]), float(maint["interval_weeks"])
    adult = age_years >= label()["adult_age_years"]
    escalation = spec["escalation"]
    if escalation and escalation["adults_only"] and not adult:
        escalation = None

    def over(limit_mg_per_kg: float) -> bool:
        if weight_kg is not None and delivered_mg is not None:
            return delivered_mg > dose_mg(limit_mg_per_kg, weight_kg)
        return mg_per_kg > limit_mg_per_kg + 1e-9

    def under(limit_mg_per_kg: float) -> bool:
        if weight_kg is not None and delivered_mg is not None:
            return delivered_mg < dose_mg(limit_mg_per_kg, weight_kg)
        return mg_per_kg < limit_mg_per_kg - 1e-9

    notes: list[str] = []
    regimen_text = f"{fmt_number(base_dose)} mg/kg every {fmt_number(base_interval)} weeks"
    if age_years < spec["min_age_years"]:
        notes.append(
            f"Not labelled for {short} below age {spec['min_age_years']} (patient is {age_years})"
        )
    max_dose = float(escalation["max_mg_per_kg"]) if escalation else base_dose
    min_interval = float(escalation["min_interval_weeks"]) if escalation else base_interval
    if over(max_dose):
        if escalation:
            notes.append(f"Above the highest labelled {short} dose of {fmt_number(max_dose)} mg/kg")
        elif not adult and indication in ("crohns_disease", "ulcerative_colitis"):
            notes.append(
                f"Above the labelled {short} dose for children of {regimen_text}; "
                "no escalation is labelled for children"
            )
        else:
            notes.append(
                f"Above the labelled {short} dose of {regimen_text}; up to 10 mg/kg is "
                "labelled for adult Crohn's disease and RA"
            )
    if under(base_dose):
        notes.append(f"Below the labelled {short} dose of {fmt_number(base_dose)} mg/kg")
    if interval_weeks < min_interval - 1e-9:
        if escalation and escalation["min_interval_weeks"] == base_interval:
            notes.append(
                f"Shorter than the labelled {short} interval of every "
                f"{fmt_number(base_interval)} weeks (the label allows a higher dose, not a "
                "shorter interval)"
            )
        else:
            notes.append(
                f"Shorter than the labelled {short} interval of every "
                f"{fmt_number(min_interval)} weeks; every 4 weeks is labelled only for RA"
            )
    if interval_weeks > base_interval + 1e-9:
        notes.append(
            f"Longer than the labelled {short} interval of every {fmt_number(base_interval)} weeks"
        )
    contraindicated = False
    for rule in label()["contraindications"]:
        failing_heart = nyha_class is not None and nyha_class >= rule["min_nyha_class"]
        if failing_heart and over(float(rule["max_mg_per_kg"])):
            contraindicated = True
            notes.insert(0, f"Contraindicated: {rule['text']}")
    return LabelCheck(not notes, contraindicated, tuple(notes))


# ---------------------------------------------------------------------------------------------
# Dose options

_REGIMEN_TEXT = re.compile(
    r"^\s*(?P<dose>\d+(?:\.\d+)?)\s*mg\s*/\s*kg\s*(?:q|every\s*)\s*(?P<weeks>\d+(?:\.\d+)?)\s*"
    r"(?:w|wk|wks|week|weeks)?\s*$",
    re.IGNORECASE,
)


def parse_regimen(text: str) -> tuple[float, float]:
    """'7 mg/kg q6w' or '7.5 mg/kg every 6 weeks' -> (mg/kg, weeks); ValueError says why not."""
    match = _REGIMEN_TEXT.match(text)
    if not match:
        raise ValueError(
            f"{text!r} is not a regimen; write it as '7 mg/kg q6w' or '7.5 mg/kg every 6 weeks'"
        )
    dose, weeks = float(match["dose"]), float(match["weeks"])
    low, high = vocabulary().ranges["dose_mg_per_kg"]
    if not low <= dose <= high:
        raise ValueError(
            f"{fmt_number(dose)} mg/kg is outside {fmt_number(low)}-{fmt_number(high)}"
        )
    low, high = vocabulary().ranges["interval_weeks"]
    if not low <= weeks <= high:
        raise ValueError(
            f"every {fmt_number(weeks)} weeks is outside {fmt_number(low)}-{fmt_number(high)}"
        )
    return dose, weeks


@dataclass(frozen=True, slots=True)
class DoseOption:
    kind: str  # current | increase_dose | shorten_interval | proposed
    dose_mg_per_kg: float
    interval_weeks: float
    weight_kg: float | None
    dose_mg: int | None
    vials: int | None
    waste_mg: float | None
    delivered_mg_per_kg: float | None
    mg_per_kg_per_week: float
    within_label: bool
    contraindicated: bool
    label_note: str | None
    rounding_note: str | None = None
    label_text: str = field(default="")

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "dose_mg_per_kg": self.dose_mg_per_kg,
            "interval_weeks": self.interval_weeks,
            "dose_mg": self.dose_mg,
            "vials": self.vials,
            "waste_mg": self.waste_mg,
            "mg_per_kg_per_week": round(self.mg_per_kg_per_week, 4),
            "within_label": self.within_label,
            "label_note": self.label_note,
            "contraindicated": self.contraindicated,
            "weight_kg": self.weight_kg,
            "delivered_mg_per_kg": (
                None if self.delivered_mg_per_kg is None else round(self.delivered_mg_per_kg, 3)
            ),
            "rounding_note": self.rounding_note,
            "regimen": self.label_text,
        }


def dose_option(
    kind: str,
    mg_per_kg: float,
    interval_weeks: float,
    *,
    indication: str,
    age_years: int,
    nyha_class: int | None,
    weight_kg: float | None,
    policy: DosingPolicy,
) -> DoseOption:
    text = f"{fmt_number(mg_per_kg)} mg/kg every {fmt_number(interval_weeks)} weeks"
    delivered: int | None = None
    delivered_per_kg: float | None = None
    rounding_note: str | None = None
    if weight_kg is None:
        rounding_note = "no weight recorded: mg not calculated"
    else:
        rounding = round_to_vials(dose_mg(mg_per_kg, weight_kg), policy.vial_rounding_percent)
        delivered = rounding.to_mg if rounding else dose_mg(mg_per_kg, weight_kg)
        delivered_per_kg = delivered / weight_kg
        if rounding is not None and rounding.applied:
            rounding_note = f"{rounding.note}; delivered {fmt_number(delivered_per_kg, 2)} mg/kg"
        elif rounding is not None:
            rounding_note = rounding.note
    check = check_label(
        indication=indication,
        age_years=age_years,
        nyha_class=nyha_class,
        interval_weeks=interval_weeks,
        mg_per_kg=mg_per_kg if delivered_per_kg is None else delivered_per_kg,
        weight_kg=weight_kg,
        delivered_mg=delivered,
    )
    return DoseOption(
        kind=kind,
        dose_mg_per_kg=mg_per_kg,
        interval_weeks=interval_weeks,
        weight_kg=weight_kg,
        dose_mg=delivered,
        vials=None if delivered is None else vials_for(delivered),
        waste_mg=None if delivered is None else waste_mg(delivered),
        delivered_mg_per_kg=delivered_per_kg,
        mg_per_kg_per_week=mg_per_kg_per_week(
            mg_per_kg if delivered_per_kg is None else delivered_per_kg, interval_weeks
        ),
        within_label=check.within_label,
        contraindicated=check.contraindicated,
        label_note=check.label_note,
        rounding_note=rounding_note,
        label_text=text,
    )


def next_step_up(current: float, ladder: tuple[float, ...]) -> float | None:
    higher = [step for step in ladder if step > current + 1e-9]
    return min(higher) if higher else None


def next_step_down(current: float, ladder: tuple[float, ...]) -> float | None:
    lower = [step for step in ladder if step < current - 1e-9]
    return max(lower) if lower else None


# ---------------------------------------------------------------------------------------------
# Weight


def weight_warnings(case: r.Case, on: dt.date, policy: DosingPolicy) -> list[str]:
    """Warnings about the weight a dose on ``on`` would use."""
    weight = latest_weight(case, on)
    if weight is None:
        return ["No weight recorded on or before this date: the dose in mg cannot be calculated."]
    warnings = []
    age = (on - weight.date).days
    if age > policy.weight_max_age_days:
        warnings.append(
            f"The latest weight ({fmt_number(weight.kg)} kg, {weight.date.isoformat()}) is {age} "
            f"days old; clinic policy is to weigh within {policy.weight_max_age_days} days of "
            "dosing."
        )
    earlier = [w for w in case.weights if w.date < weight.date]
    if earlier:
        previous = max(earlier, key=lambda w: w.date)
        change = (weight.kg - previous.kg) / previous.kg * 100
        if abs(change) > policy.weight_change_percent:
            warnings.append(
                f"The latest weight ({fmt_number(weight.kg)} kg) differs by "
                f"{fmt_number(abs(change), 1)}% from the previous one ({fmt_number(previous.kg)} "
                f"kg, {previous.date.isoformat()}); confirm it before dosing."
            )
    return warnings
