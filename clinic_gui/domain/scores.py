"""Disease-activity scores for the symptom diary, as pure functions over plain values.

Every formula coefficient, input range, activity-state cut-off and change criterion is read
from ``resources/scores.json`` (versioned, one citation per item, ``"verified": false`` where
the shared clinical reference marks a value unverified). Nothing clinical is a literal here.

Each score function returns a :class:`ScoreResult`: the unrounded value, the plain-language
activity state, the inputs used (with their units), notes on anything partial or
substituted, the citation and whether every threshold used is verified.

Units are never guessed. Functions that take CRP name the unit in the parameter
(``crp_mg_l`` for ASDAS-CRP and DAS28-CRP, ``crp_mg_dl`` for SDAI); convert a lab result
with :func:`crp_mg_l`, :func:`crp_mg_dl` or :func:`esr_mm_h`, which refuse a unit that is
not one of the test's accepted units.

States and changes are judged on the value rounded to the score's reporting decimals (the
number a person sees), so the number shown and its state always agree; see the
``conventions`` of the data file.
"""

from __future__ import annotations

import dataclasses
import itertools
import math
import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from clinic_gui.domain.formatting import fmt_number
from clinic_gui.domain.records import (
    DiaryEntry,
    HarveyBradshawItems,
    LabResult,
    PartialMayoItems,
)
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.resources import load_json

SCORES_FILE = "scores.json"

BASDAI = "BASDAI"
ASDAS_CRP = "ASDAS-CRP"
ASDAS_ESR = "ASDAS-ESR"
DAS28_CRP = "DAS28-CRP"
DAS28_CRP_3 = "DAS28-CRP (3 variables)"
DAS28_ESR = "DAS28-ESR"
DAS28_ESR_3 = "DAS28-ESR (3 variables)"
CDAI = "CDAI"
SDAI = "SDAI"
HBI = "HBI"
PARTIAL_MAYO = "partial Mayo"
PARTIAL_MAYO_6 = "partial Mayo (6-point)"

MAJOR_IMPROVEMENT = "major improvement"
IMPORTANT_IMPROVEMENT = "clinically important improvement"
NO_IMPORTANT_CHANGE = "no important change"
WORSENING = "worsening"


# ---------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True, slots=True, kw_only=True)
class ScoreResult:
    """One computed score.

    ``value`` is unrounded; ``display_value`` is what to show (no trailing zeros) and
    ``rounded`` the number the state was judged on. ``inputs`` maps a readable input name
    (with its scale) to the value used, with its unit. ``partial`` is True when items of the
    named score were missing (e.g. HBI without the abdominal mass); the notes say which.
    ``verified`` is False when any threshold or coefficient used is marked unverified.
    """

    name: str
    value: float
    state: str | None
    inputs: dict[str, str]
    notes: tuple[str, ...]
    source: str
    verified: bool
    partial: bool = False
    decimals: int = 2
    version: str = ""

    @property
    def rounded(self) -> float:
        return round(self.value, self.decimals)

    @property
    def display_value(self) -> str:
        return fmt_number(self.value, self.decimals)

    @property
    def summary(self) -> str:
        """E.g. ``"ASDAS-CRP 3.49 (high disease activity)"``."""
        text = f"{self.name} {self.display_value}"
        if self.partial:
            text += " (partial)"
        return f"{text} ({self.state})" if self.state else text


@dataclass(frozen=True, slots=True, kw_only=True)
class ChangeResult:
    """A change between two values of one score, judged on the rounded values."""

    score: str
    category: str
    before: float
    after: float
    delta: float
    notes: tuple[str, ...]
    source: str
    verified: bool


# ---------------------------------------------------------------------------------------------
# The data file


@dataclass(frozen=True, slots=True)
class Band:
    state: str
    min: float | None
    min_inclusive: bool
    max: float | None
    max_inclusive: bool

    def contains(self, value: float) -> bool:
        if self.min is not None and (
            value < self.min or (value == self.min and not self.min_inclusive)
        ):
            return False
        return not (
            self.max is not None
            and (value > self.max or (value == self.max and not self.max_inclusive))
        )


@dataclass(frozen=True, slots=True)
class StateTable:
    key: str
    bands: tuple[Band, ...]
    source: str
    verified: bool
    note: str | None

    def index(self, value: float) -> int:
        for i, band in enumerate(self.bands):
            if band.contains(value):
                return i
        raise ValueError(f"{self.key}: no band holds {value}")  # the loader rules this out

    def classify(self, value: float) -> str:
        return self.bands[self.index(value)].state


_OPERATORS: dict[str, Callable[[float, float], bool]] = {
    "ge": operator.ge,
    "gt": operator.gt,
    "le": operator.le,
    "lt": operator.lt,
}
_QUANTITIES = ("decrease", "increase", "relative_decrease", "after")


@dataclass(frozen=True, slots=True)
class Condition:
    quantity: str
    op: str
    threshold: float

    def holds(self, quantities: Mapping[str, float | None]) -> bool:
        value = quantities[self.quantity]
        return value is not None and _OPERATORS[self.op](value, self.threshold)


@dataclass(frozen=True, slots=True)
class ChangeRule:
    category: str
    any_of: tuple[tuple[Condition, ...], ...]
    source: str
    verified: bool

    def matches(self, quantities: Mapping[str, float | None]) -> bool:
        return any(all(c.holds(quantities) for c in alt) for alt in self.any_of)


@dataclass(frozen=True, slots=True)
class ChangeRules:
    key: str
    rules: tuple[ChangeRule, ...]
    otherwise: str
    otherwise_if_increase: str | None


@dataclass(frozen=True, slots=True)
class ScoreDefinition:
    name: str
    formula: str
    source: str
    verified: bool
    decimals: int
    ranges: Mapping[str, tuple[float, float | None]]
    integers: frozenset[str]
    coefficients: Mapping[str, float]
    states: StateTable | None
    change: ChangeRules | None
    raw: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class ScoreTable:
    version: str
    scores: Mapping[str, ScoreDefinition]


@cache
def score_table() -> ScoreTable:
    """The parsed, checked ``resources/scores.json`` (read once per process)."""
    return _parse_table(load_json(SCORES_FILE))


def definition(score_name: str) -> ScoreDefinition:
    scores = score_table().scores
    if score_name not in scores:
        raise ValueError(f"unknown score {score_name!r}; known: {', '.join(scores)}")
    return scores[score_name]


def _parse_table(raw: Mapping[str, Any]) -> ScoreTable:
    states = {key: _parse_states(key, spec) for key, spec in raw["state_tables"].items()}
    changes = {key: _parse_changes(key, spec) for key, spec in raw["change_rules"].items()}
    scores: dict[str, ScoreDefinition] = {}
    for name, spec in raw["scores"].items():
        _require_citation(name, spec)
        state_key = spec.get("states")
        change_key = spec.get("change")
        if state_key is not None and state_key not in states:
            raise ValueError(f"scores.json: {name} names unknown state table {state_key!r}")
        if change_key is not None and change_key not in changes:
            raise ValueError(f"scores.json: {name} names unknown change rules {change_key!r}")
        for key in ("crp_floor_mg_l", "remission"):
            if key in spec:
                _require_citation(f"{name} {key}", spec[key])
        inputs = spec["inputs"]
        scores[name] = ScoreDefinition(
            name=name,
            formula=spec["formula"],
            source=spec["source"],
            verified=spec["verified"],
            decimals=int(spec["reporting_decimals"]),
            ranges={
                k: (float(lo), None if hi is None else float(hi))
                for k, (lo, hi) in inputs["ranges"].items()
            },
            integers=frozenset(inputs["integers"]),
            coefficients={k: float(v) for k, v in spec.get("coefficients", {}).items()},
            states=None if state_key is None else states[state_key],
            change=None if change_key is None else changes[change_key],
            raw=spec,
        )
    return ScoreTable(version=raw["version"], scores=scores)


def _require_citation(where: str, spec: Mapping[str, Any]) -> None:
    if not isinstance(spec.get("source"), str) or not spec["source"].strip():
        raise ValueError(f"scores.json: {where} has no source")
    if not isinstance(spec.get("verified"), bool):
        raise ValueError(f"scores.json: {where} has no verified flag")


def _parse_states(key: str, spec: Mapping[str, Any]) -> StateTable:
    _require_citation(f"state table {key}", spec)
    bands = tuple(
        Band(
            state=b["state"],
            min=None if b["min"] is None else float(b["min"]),
            min_inclusive=bool(b["min_inclusive"]),
            max=None if b["max"] is None else float(b["max"]),
            max_inclusive=bool(b["max_inclusive"]),
        )
        for b in spec["bands"]
    )
    if not bands or bands[0].min is not None or bands[-1].max is not None:
        raise ValueError(f"scores.json: state table {key} must be unbounded at both ends")
    for lower, upper in itertools.pairwise(bands):
        if lower.max is None or lower.max != upper.min:
            raise ValueError(f"scores.json: state table {key} has a gap at {lower.state}")
        if lower.max_inclusive == upper.min_inclusive:
            raise ValueError(
                f"scores.json: state table {key}: exactly one of {lower.state!r} and "
                f"{upper.state!r} must include {lower.max}"
            )
    return StateTable(
        key=key,
        bands=bands,
        source=spec["source"],
        verified=spec["verified"],
        note=spec.get("note"),
    )


def _parse_changes(key: str, spec: Mapping[str, Any]) -> ChangeRules:
    rules = []
    for rule in spec["rules"]:
        _require_citation(f"change rule {key} {rule['category']}", rule)
        alternatives = []
        for alt in rule["any_of"]:
            conditions = []
            for cond_key, threshold in alt.items():
                quantity, _, op = cond_key.rpartition("_")
                if quantity not in _QUANTITIES or op not in _OPERATORS:
                    raise ValueError(f"scores.json: change rule {key}: bad condition {cond_key!r}")
                conditions.append(Condition(quantity, op, float(threshold)))
            alternatives.append(tuple(conditions))
        rules.append(
            ChangeRule(
                category=rule["category"],
                any_of=tuple(alternatives),
                source=rule["source"],
                verified=rule["verified"],
            )
        )
    return ChangeRules(
        key=key,
        rules=tuple(rules),
        otherwise=spec["otherwise"],
        otherwise_if_increase=spec.get("otherwise_if_increase"),
    )


# ---------------------------------------------------------------------------------------------
# Lab values in the unit a formula needs


def crp_mg_l(lab: LabResult) -> float:
    """A CRP result in mg/L (ASDAS-CRP, DAS28-CRP); ValueError if its unit is not a CRP unit."""
    return _lab_value(lab, "crp", "mg/L")


def crp_mg_dl(lab: LabResult) -> float:
    """A CRP result in mg/dL (SDAI); ValueError if its unit is not a CRP unit."""
    return _lab_value(lab, "crp", "mg/dL")


def esr_mm_h(lab: LabResult) -> float:
    """An ESR result in mm/h; ValueError if its unit is not an ESR unit."""
    return _lab_value(lab, "esr", "mm/h")


def _lab_value(lab: LabResult, test_code: str, target_unit: str) -> float:
    test = vocabulary().lab_tests[test_code]
    if lab.test != test_code:
        raise ValueError(f"expected a {test.label} result, got a {lab.test!r} result")
    accepted = test.match_unit(lab.unit) if lab.unit and lab.unit.strip() else None
    if accepted is None:
        raise ValueError(
            f"{test.label}: unit {lab.unit!r} is not accepted (accepted: "
            f"{', '.join(test.units)}); a unit is never guessed"
        )
    value = float(lab.value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"{test.label}: value must be a number of at least 0, got {lab.value!r}")
    canonical = test.to_canonical(value, accepted)
    factor = test.units[target_unit]
    if canonical is None or factor is None:  # not for CRP/ESR, whose units all convert
        raise ValueError(f"{test.label}: {lab.unit} cannot be converted to {target_unit}")
    return canonical / factor


# ---------------------------------------------------------------------------------------------
# Input checking and description

_LABELS = {
    "q1": "Q1 fatigue",
    "q2": "Q2 spinal pain",
    "q3": "Q3 peripheral joint pain/swelling",
    "q4": "Q4 tender areas (enthesitis)",
    "q5": "Q5 morning stiffness severity",
    "q6": "Q6 morning stiffness duration",
    "back_pain": "back pain (BASDAI Q2)",
    "stiffness_duration": "morning stiffness duration (BASDAI Q6)",
    "patient_global": "patient global assessment",
    "peripheral_pain": "peripheral pain/swelling (BASDAI Q3)",
    "crp_mg_l": "CRP",
    "crp_mg_dl": "CRP",
    "esr_mm_h": "ESR",
    "tender": "tender joint count (TJC28)",
    "swollen": "swollen joint count (SJC28)",
    "global_health_mm": "patient global health (GH)",
    "evaluator_global": "evaluator global assessment",
    "wellbeing": "general well-being",
    "abdominal_pain": "abdominal pain",
    "liquid_stools": "liquid or soft stools per day",
    "abdominal_mass": "abdominal mass",
    "complications": "complications (1 point each)",
    "stool_frequency": "stool frequency",
    "rectal_bleeding": "rectal bleeding",
    "physician_global": "physician global assessment",
}
_UNITS = {"crp_mg_l": "mg/L", "crp_mg_dl": "mg/dL", "esr_mm_h": "mm/h", "global_health_mm": "mm"}
_LAB_KEYS = frozenset({"crp_mg_l", "crp_mg_dl", "esr_mm_h"})


def _checked(d: ScoreDefinition, key: str, value: Any) -> float:
    label = _LABELS[key]
    unit = f" {_UNITS[key]}" if key in _UNITS else ""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"{d.name}: {label} must be a number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{d.name}: {label} must be a finite number, got {value!r}")
    low, high = d.ranges[key]
    if number < low or (high is not None and number > high):
        if high is None:
            wanted = f"at least {fmt_number(low)}{unit}"
        else:
            wanted = f"between {fmt_number(low)} and {fmt_number(high)}{unit}"
        hint = " (ln(ESR) is undefined at 0)" if key == "esr_mm_h" and low > 0 else ""
        raise ValueError(
            f"{d.name}: {label} must be {wanted}, got {fmt_number(number)}{unit}{hint}"
        )
    if key in d.integers and not number.is_integer():
        raise ValueError(f"{d.name}: {label} must be a whole number, got {fmt_number(number)}")
    return number


def _input_name(d: ScoreDefinition, key: str) -> str:
    label = _LABELS[key]
    if key in _LAB_KEYS:
        return label
    low, high = d.ranges[key]
    if high is None:
        return label
    unit = f" {_UNITS[key]}" if key in _UNITS else ""
    return f"{label}, {fmt_number(low)}–{fmt_number(high)}{unit}"


def _input_value(key: str, value: float) -> str:
    unit = f" {_UNITS[key]}" if key in _UNITS else ""
    return f"{fmt_number(value)}{unit}"


def _describe(d: ScoreDefinition, values: Mapping[str, float]) -> dict[str, str]:
    return {_input_name(d, key): _input_value(key, value) for key, value in values.items()}


def _lab_text(
    key: str, entered: float, used: float, lab: LabResult | None, *, floor_applied: bool = False
) -> str:
    """E.g. ``"2 mg/L (floor applied; measured 0.5 mg/L on 2025-12-01)"``."""
    unit = _UNITS[key]
    details = ["floor applied"] if floor_applied else []
    if lab is not None:
        measured = f"measured {lab.comparator or ''}{fmt_number(lab.value)} {lab.unit}"
        if lab.unit != unit or lab.comparator:
            measured += f" = {fmt_number(entered)} {unit}"
        details.append(f"{measured} on {lab.sample_date.isoformat()}")
    elif floor_applied:
        details.append(f"entered {fmt_number(entered)} {unit}")
    text = f"{fmt_number(used)} {unit}"
    return f"{text} ({'; '.join(details)})" if details else text


def _check_lab(name: str, key: str, value: float, lab: LabResult | None) -> None:
    if lab is None:
        return
    converter = {"crp_mg_l": crp_mg_l, "crp_mg_dl": crp_mg_dl, "esr_mm_h": esr_mm_h}[key]
    converted = converter(lab)
    if not math.isclose(converted, value, rel_tol=1e-9, abs_tol=1e-12):
        raise ValueError(
            f"{name}: {_LABELS[key]} {fmt_number(value)} {_UNITS[key]} does not match the lab "
            f"result given ({fmt_number(lab.value)} {lab.unit} = {fmt_number(converted)} "
            f"{_UNITS[key]})"
        )


def _comparator_note(key: str, lab: LabResult | None) -> tuple[str, ...]:
    if lab is None or not lab.comparator:
        return ()
    label = _LABELS[key]
    reported = f"{lab.comparator}{fmt_number(lab.value)} {lab.unit}"
    if lab.comparator == "<":
        return (f"{label} reported as {reported}: the limit was used, so the score may be high",)
    return (f"{label} reported as {reported}: the limit was used, so the score may be low",)


# ---------------------------------------------------------------------------------------------
# Assembling a result


@dataclass(frozen=True, slots=True)
class _Used:
    """A cited item a result relied on."""

    source: str
    role: str
    verified: bool


def _result(
    d: ScoreDefinition,
    value: float,
    inputs: dict[str, str],
    notes: tuple[str, ...] = (),
    *,
    state: str | None = None,
    used: tuple[_Used, ...] = (),
    partial: bool = False,
) -> ScoreResult:
    cited = (_Used(d.source, "formula", d.verified), *used)
    return ScoreResult(
        name=d.name,
        value=value,
        state=state,
        inputs=inputs,
        notes=notes,
        source="; ".join(f"{u.source} ({u.role})" for u in cited),
        verified=all(u.verified for u in cited),
        partial=partial,
        decimals=d.decimals,
        version=score_table().version,
    )


def _with_states(
    d: ScoreDefinition,
    value: float,
    inputs: dict[str, str],
    notes: tuple[str, ...] = (),
    *,
    used: tuple[_Used, ...] = (),
) -> ScoreResult:
    table = d.states
    if table is None:
        return _result(d, value, inputs, notes, used=used)
    state = table.classify(round(value, d.decimals))
    extra = (table.note,) if table.note else ()
    return _result(
        d,
        value,
        inputs,
        notes + extra,
        state=state,
        used=(_Used(table.source, "states", table.verified), *used),
    )


def activity_state(score_name: str, value: float) -> str | None:
    """The state for a value of a score with a state table (judged on the rounded value)."""
    d = definition(score_name)
    if d.states is None:
        if "remission" in d.raw:
            raise ValueError(f"{score_name}: the state depends on the subscores; use the function")
        return None
    return d.states.classify(round(float(value), d.decimals))


# ---------------------------------------------------------------------------------------------
# The scores


def basdai(q1: float, q2: float, q3: float, q4: float, q5: float, q6: float) -> ScoreResult:
    """BASDAI = [Q1 + Q2 + Q3 + Q4 + (Q5 + Q6) / 2] / 5; items 0-10, Q6 = stiffness duration."""
    d = definition(BASDAI)
    v = {
        k: _checked(d, k, x)
        for k, x in zip(("q1", "q2", "q3", "q4", "q5", "q6"), (q1, q2, q3, q4, q5, q6), strict=True)
    }
    value = (v["q1"] + v["q2"] + v["q3"] + v["q4"] + (v["q5"] + v["q6"]) / 2) / 5
    return _with_states(d, value, _describe(d, v))


_ASDAS_ITEMS = ("back_pain", "stiffness_duration", "patient_global", "peripheral_pain")


def asdas_crp(
    back_pain: float,
    stiffness_duration: float,
    patient_global: float,
    peripheral_pain: float,
    crp_mg_l: float,
    *,
    lab: LabResult | None = None,
) -> ScoreResult:
    """ASDAS-CRP with CRP in mg/L; CRP below 2 mg/L (or below detection) counts as 2 mg/L.

    ``lab``, when given, is the CRP result the value came from: it is shown among the inputs,
    and a result reported below the detection limit ("<") takes the floor.
    """
    d = definition(ASDAS_CRP)
    items = dict(
        zip(
            _ASDAS_ITEMS,
            (back_pain, stiffness_duration, patient_global, peripheral_pain),
            strict=True,
        )
    )
    v = {k: _checked(d, k, x) for k, x in items.items()}
    crp = _checked(d, "crp_mg_l", crp_mg_l)
    _check_lab(d.name, "crp_mg_l", crp, lab)
    floor_spec = d.raw["crp_floor_mg_l"]
    floor = float(floor_spec["value"])
    notes: list[str] = []
    used_crp = crp
    if crp < floor:
        used_crp = floor
        notes.append(
            f"CRP below {fmt_number(floor)} mg/L: {fmt_number(floor)} mg/L used (ASDAS rule)"
        )
    elif lab is not None and lab.comparator == "<":
        used_crp = floor
        notes.append(
            f"CRP reported below the detection limit ({lab.comparator}{fmt_number(lab.value)} "
            f"{lab.unit}): {fmt_number(floor)} mg/L used (ASDAS rule)"
        )
    elif lab is not None and lab.comparator:
        notes.extend(_comparator_note("crp_mg_l", lab))
    c = d.coefficients
    value = sum(c[k] * v[k] for k in _ASDAS_ITEMS) + c["ln_crp_plus_1"] * math.log(used_crp + 1)
    value = value * c["multiplier"] + c["constant"]
    inputs = _describe(d, v)
    inputs["CRP"] = _lab_text("crp_mg_l", crp, used_crp, lab, floor_applied=used_crp != crp)
    floor_used = _Used(floor_spec["source"], "CRP floor", floor_spec["verified"])
    return _with_states(d, value, inputs, tuple(notes), used=(floor_used,))


def asdas_esr(
    back_pain: float,
    stiffness_duration: float,
    patient_global: float,
    peripheral_pain: float,
    esr_mm_h: float,
    *,
    lab: LabResult | None = None,
) -> ScoreResult:
    """ASDAS-ESR with ESR in mm/h."""
    d = definition(ASDAS_ESR)
    items = dict(
        zip(
            _ASDAS_ITEMS,
            (back_pain, stiffness_duration, patient_global, peripheral_pain),
            strict=True,
        )
    )
    v = {k: _checked(d, k, x) for k, x in items.items()}
    esr = _checked(d, "esr_mm_h", esr_mm_h)
    _check_lab(d.name, "esr_mm_h", esr, lab)
    c = d.coefficients
    value = sum(c[k] * v[k] for k in _ASDAS_ITEMS) + c["sqrt_esr"] * math.sqrt(esr)
    value = value * c["multiplier"] + c["constant"]
    inputs = _describe(d, v)
    inputs["ESR"] = _lab_text("esr_mm_h", esr, esr, lab)
    return _with_states(d, value, inputs, _comparator_note("esr_mm_h", lab))


def das28_crp(
    tender: int,
    swollen: int,
    crp_mg_l: float,
    global_health_mm: float | None = None,
    *,
    lab: LabResult | None = None,
) -> ScoreResult:
    """DAS28-CRP with CRP in mg/L (no floor); the 3-variable version when GH is None."""
    name = DAS28_CRP if global_health_mm is not None else DAS28_CRP_3
    return _das28(name, tender, swollen, "crp_mg_l", crp_mg_l, global_health_mm, lab)


def das28_esr(
    tender: int,
    swollen: int,
    esr_mm_h: float,
    global_health_mm: float | None = None,
    *,
    lab: LabResult | None = None,
) -> ScoreResult:
    """DAS28-ESR with ESR in mm/h (at least 1: ln(ESR)); the 3-variable version when GH is None."""
    name = DAS28_ESR if global_health_mm is not None else DAS28_ESR_3
    return _das28(name, tender, swollen, "esr_mm_h", esr_mm_h, global_health_mm, lab)


def _das28(
    name: str,
    tender: float,
    swollen: float,
    lab_key: str,
    lab_value: float,
    global_health_mm: float | None,
    lab: LabResult | None,
) -> ScoreResult:
    d = definition(name)
    v = {"tender": _checked(d, "tender", tender), "swollen": _checked(d, "swollen", swollen)}
    measured = _checked(d, lab_key, lab_value)
    _check_lab(d.name, lab_key, measured, lab)
    c = d.coefficients
    if lab_key == "crp_mg_l":
        marker = c["ln_crp_plus_1"] * math.log(measured + 1)
    else:
        marker = c["ln_esr"] * math.log(measured)
    total = c["sqrt_tender"] * math.sqrt(v["tender"]) + c["sqrt_swollen"] * math.sqrt(v["swollen"])
    total += marker
    notes: list[str] = []
    if global_health_mm is not None:
        v["global_health_mm"] = _checked(d, "global_health_mm", global_health_mm)
        total += c["global_health_mm"] * v["global_health_mm"]
    else:
        notes.append("3-variable version: patient global health (GH) not recorded")
    value = total * c["multiplier"] + c["constant"]
    inputs = _describe(d, v)
    inputs[_LABELS[lab_key]] = _lab_text(lab_key, measured, measured, lab)
    notes.extend(_comparator_note(lab_key, lab))
    return _with_states(d, value, inputs, tuple(notes))


def cdai(tender: int, swollen: int, patient_global: float, evaluator_global: float) -> ScoreResult:
    """CDAI = TJC28 + SJC28 + patient global (0-10) + evaluator global (0-10)."""
    d = definition(CDAI)
    v = _cdai_inputs(d, tender, swollen, patient_global, evaluator_global)
    return _with_states(d, sum(v.values()), _describe(d, v))


def sdai(
    tender: int,
    swollen: int,
    patient_global: float,
    evaluator_global: float,
    crp_mg_dl: float,
    *,
    lab: LabResult | None = None,
) -> ScoreResult:
    """SDAI = CDAI + CRP in mg/dL (not mg/L)."""
    d = definition(SDAI)
    v = _cdai_inputs(d, tender, swollen, patient_global, evaluator_global)
    crp = _checked(d, "crp_mg_dl", crp_mg_dl)
    _check_lab(d.name, "crp_mg_dl", crp, lab)
    inputs = _describe(d, v)
    inputs["CRP"] = _lab_text("crp_mg_dl", crp, crp, lab)
    return _with_states(d, sum(v.values()) + crp, inputs, _comparator_note("crp_mg_dl", lab))


def _cdai_inputs(
    d: ScoreDefinition, tender: float, swollen: float, patient: float, evaluator: float
) -> dict[str, float]:
    keys = ("tender", "swollen", "patient_global", "evaluator_global")
    return {
        k: _checked(d, k, x)
        for k, x in zip(keys, (tender, swollen, patient, evaluator), strict=True)
    }


_HBI_REQUIRED = ("wellbeing", "abdominal_pain", "liquid_stools")
_HBI_OPTIONAL = {
    "abdominal_mass": "abdominal mass not assessed (needs a clinician's examination)",
    "complications": "complications not recorded",
}


def hbi(items: HarveyBradshawItems) -> ScoreResult:
    """Harvey-Bradshaw Index: an unweighted sum. Partial (and said so) without the mass item.

    A partial score's state covers what the full score could be: e.g. a partial 4 is
    "remission or mild disease", since the abdominal mass adds 0-3 points.
    """
    d = definition(HBI)
    missing = [_LABELS[k] for k in _HBI_REQUIRED if getattr(items, k) is None]
    if missing:
        raise ValueError(f"HBI: missing {', '.join(missing)}")
    v: dict[str, float] = {}
    inputs: dict[str, str] = {}
    notes: list[str] = []
    headroom = 0.0
    for key in (*_HBI_REQUIRED, *_HBI_OPTIONAL):
        raw = getattr(items, key)
        if raw is None:
            inputs[_input_name(d, key)] = (
                "not assessed" if key == "abdominal_mass" else "not recorded"
            )
            high = d.ranges[key][1]
            assert high is not None  # optional items have a top of scale in the data file
            headroom += high
            notes.append(
                f"partial: {_HBI_OPTIONAL[key]}; the full HBI may be up to {fmt_number(high)} "
                "points higher"
            )
            continue
        v[key] = _checked(d, key, raw)
        inputs[_input_name(d, key)] = _input_value(key, v[key])
    value = sum(v.values())
    if not headroom:
        return _with_states(d, value, inputs)
    table = d.states
    assert table is not None
    low = table.index(round(value, d.decimals))
    high_index = table.index(round(value + headroom, d.decimals))
    states = [band.state for band in table.bands[low : high_index + 1]]
    if len(states) == 1:
        state = states[0]
    elif len(states) == 2:
        state = f"{states[0]} or {states[1]}"
    else:
        state = f"{states[0]} to {states[-1]}"
    return _result(
        d,
        value,
        inputs,
        tuple(notes),
        state=state,
        used=(_Used(table.source, "states", table.verified),),
        partial=True,
    )


def partial_mayo(items: PartialMayoItems) -> ScoreResult:
    """Partial Mayo (0-9), or the 6-point patient version (0-6) without the physician global."""
    full = items.physician_global is not None
    d = definition(PARTIAL_MAYO if full else PARTIAL_MAYO_6)
    keys = ("stool_frequency", "rectal_bleeding", *(("physician_global",) if full else ()))
    missing = [_LABELS[k] for k in keys if getattr(items, k) is None]
    if missing:
        raise ValueError(f"partial Mayo: missing {', '.join(missing)}")
    v = {k: _checked(d, k, getattr(items, k)) for k in keys}
    value = sum(v.values())
    rule_spec = d.raw["remission"]
    rule = definition(rule_spec.get("same_rule_as", PARTIAL_MAYO)).raw["remission"]
    total_le, each_le = float(rule["total_le"]), float(rule["each_subscore_le"])
    inputs = _describe(d, v)
    notes: list[str] = []
    used: tuple[_Used, ...] = (_Used(rule_spec["source"], "remission rule", rule_spec["verified"]),)
    met = value <= total_le and all(x <= each_le for x in v.values())
    if full:
        state: str | None = rule["state_if_met"] if met else rule["state_if_not_met"]
    else:
        inputs[_input_name(definition(PARTIAL_MAYO), "physician_global")] = "not assessed"
        notes.append(
            "physician global not assessed: 6-point patient-reported version (0–6), "
            "not comparable with the 9-point partial Mayo"
        )
        if met:
            state = None
            used = ()
            notes.append("remission cannot be judged without the physician global")
        else:
            state = rule_spec["state_if_excluded"]
    return _result(d, value, inputs, tuple(notes), state=state, used=used)


# ---------------------------------------------------------------------------------------------
# Change between two values


def has_change_criteria(score_name: str) -> bool:
    return definition(score_name).change is not None


def assess_change(
    score_name: str, before: float | ScoreResult, after: float | ScoreResult
) -> ChangeResult:
    """The category of a change (``before`` is the earlier value), with source and notes."""
    d = definition(score_name)
    rules = d.change
    if rules is None:
        raise ValueError(f"no change criteria are configured for {score_name}")
    notes: list[str] = []
    values = []
    for label, x in (("earlier", before), ("later", after)):
        if isinstance(x, ScoreResult):
            if x.name != score_name:
                raise ValueError(f"cannot judge a {score_name} change from a {x.name} result")
            if x.partial:
                notes.append(f"the {label} {score_name} is partial")
            x = x.value
        if isinstance(x, bool) or not isinstance(x, int | float) or not math.isfinite(x):
            raise ValueError(f"{score_name}: the {label} value must be a finite number")
        values.append(round(float(x), d.decimals))
    b, a = values
    decrease = round(b - a, d.decimals)
    quantities: dict[str, float | None] = {
        "decrease": decrease,
        "increase": -decrease,
        "relative_decrease": decrease / b if b > 0 else None,
        "after": a,
    }
    consulted: list[ChangeRule] = []
    category: str | None = None
    for rule in rules.rules:
        consulted.append(rule)
        if rule.matches(quantities):
            category = rule.category
            break
    if category is None:
        if decrease < 0 and rules.otherwise_if_increase:
            category = rules.otherwise_if_increase
        else:
            category = rules.otherwise
    sources = list(dict.fromkeys(rule.source for rule in consulted))
    return ChangeResult(
        score=score_name,
        category=category,
        before=b,
        after=a,
        delta=-decrease,
        notes=tuple(notes),
        source="; ".join(sources),
        verified=all(rule.verified for rule in consulted),
    )


def change(score_name: str, before: float | ScoreResult, after: float | ScoreResult) -> str:
    """The plain-language category of a change, e.g. "clinically important improvement"."""
    return assess_change(score_name, before, after).category


# ---------------------------------------------------------------------------------------------
# Scores for a diary entry


def indication_short(indication: str) -> str:
    """ "ankylosing_spondylitis", "AS" or "Ankylosing spondylitis" -> "AS"."""
    vocab = vocabulary()
    wanted = indication.strip().lower()
    if wanted == "psoriasis":
        wanted = "plaque_psoriasis"
    for code, short in vocab.indication_short.items():
        if wanted in (code.lower(), short.lower(), vocab.indications[code].lower()):
            return short
    known = ", ".join(f"{code} ({short})" for code, short in vocab.indication_short.items())
    raise ValueError(f"unknown indication {indication!r}; known: {known}")


def scores_for_entry(
    indication: str,
    entry: DiaryEntry,
    crp: LabResult | None = None,
    esr: LabResult | None = None,
) -> list[ScoreResult]:
    """Every score that fits the indication and whose inputs the entry (and labs) hold.

    AS: BASDAI, ASDAS-CRP, ASDAS-ESR. RA: DAS28-CRP, DAS28-ESR (4 variables when the GH is
    recorded, else 3), CDAI, SDAI. PsA: as RA, plus BASDAI. CD: HBI. UC: partial Mayo.
    Psoriasis: none (PASI is not recorded). A lab with a unit that is not accepted raises
    ValueError rather than being skipped.
    """
    short = indication_short(indication)
    uses_labs = short in ("AS", "RA", "PsA")
    crp_l = crp_mg_l(crp) if crp is not None and uses_labs else None
    esr_h = esr_mm_h(esr) if esr is not None and uses_labs else None
    results: list[ScoreResult] = []
    if short == "AS":
        results += _spondylitis_scores(entry, crp, crp_l, esr, esr_h)
    elif short in ("RA", "PsA"):
        results += _arthritis_scores(entry, crp, crp_l, esr, esr_h)
        if short == "PsA":
            results += _spondylitis_scores(entry, crp, crp_l, esr, esr_h, basdai_only=True)
    elif short == "CD":
        h = entry.hbi
        if h is not None and all(getattr(h, k) is not None for k in _HBI_REQUIRED):
            results.append(hbi(h))
    elif short == "UC":
        m = entry.partial_mayo
        if m is not None and m.stool_frequency is not None and m.rectal_bleeding is not None:
            results.append(partial_mayo(m))
    return [_note_lab_dates(r, entry, crp, esr) for r in results]


def _spondylitis_scores(
    entry: DiaryEntry,
    crp: LabResult | None,
    crp_l: float | None,
    esr: LabResult | None,
    esr_h: float | None,
    *,
    basdai_only: bool = False,
) -> list[ScoreResult]:
    b = entry.basdai
    if b is None:
        return []
    results = []
    items = (b.q1, b.q2, b.q3, b.q4, b.q5, b.q6)
    if all(q is not None for q in items):
        results.append(basdai(*(float(q) for q in items if q is not None)))
    if basdai_only or None in (b.q2, b.q3, b.q6, entry.patient_global):
        return results
    assert b.q2 is not None and b.q6 is not None and b.q3 is not None
    assert entry.patient_global is not None
    asdas_items = (b.q2, b.q6, entry.patient_global, b.q3)
    if crp_l is not None:
        results.append(asdas_crp(*asdas_items, crp_l, lab=crp))
    if esr_h is not None:
        results.append(asdas_esr(*asdas_items, esr_h, lab=esr))
    return results


def _arthritis_scores(
    entry: DiaryEntry,
    crp: LabResult | None,
    crp_l: float | None,
    esr: LabResult | None,
    esr_h: float | None,
) -> list[ScoreResult]:
    j = entry.das28
    if j is None or j.tender_joints is None or j.swollen_joints is None:
        return []
    results = []
    if crp_l is not None:
        results.append(
            das28_crp(j.tender_joints, j.swollen_joints, crp_l, j.global_health_mm, lab=crp)
        )
    if esr_h is not None:
        results.append(
            das28_esr(j.tender_joints, j.swollen_joints, esr_h, j.global_health_mm, lab=esr)
        )
    if entry.patient_global is not None and j.evaluator_global is not None:
        counts = (j.tender_joints, j.swollen_joints, entry.patient_global, j.evaluator_global)
        results.append(cdai(*counts))
        if crp is not None:
            results.append(sdai(*counts, crp_mg_dl(crp), lab=crp))
    return results


def _note_lab_dates(
    result: ScoreResult, entry: DiaryEntry, crp: LabResult | None, esr: LabResult | None
) -> ScoreResult:
    used = [
        lab
        for label, lab in (("CRP", crp), ("ESR", esr))
        if lab is not None and label in result.inputs
    ]
    notes = list(result.notes)
    for lab in used:
        days = (lab.sample_date - entry.date).days
        if days:
            plural = "s" if abs(days) != 1 else ""
            when = f"{abs(days)} day{plural} {'before' if days < 0 else 'after'}"
            label = vocabulary().lab_tests[lab.test].label
            notes.append(f"{label} sampled {lab.sample_date.isoformat()}, {when} this diary entry")
    return (
        dataclasses.replace(result, notes=tuple(notes))
        if len(notes) != len(result.notes)
        else result
    )


_PREFERRED_BY_SHORT: dict[str, tuple[str, ...]] = {
    "AS": (ASDAS_CRP, BASDAI),
    "RA": (DAS28_CRP, DAS28_CRP_3, DAS28_ESR, DAS28_ESR_3, CDAI),
    "PsA": (DAS28_CRP, DAS28_CRP_3, DAS28_ESR, DAS28_ESR_3, CDAI),
    "CD": (HBI,),
    "UC": (PARTIAL_MAYO, PARTIAL_MAYO_6),
    "PsO": (),
}

# The preferred scores in order, by indication code ("ankylosing_spondylitis") and short name.
PREFERRED_SCORES: Mapping[str, tuple[str, ...]] = {
    **{code: _PREFERRED_BY_SHORT[short] for code, short in vocabulary().indication_short.items()},
    **_PREFERRED_BY_SHORT,
}


def primary_score(
    indication: str,
    entry: DiaryEntry,
    crp: LabResult | None = None,
    esr: LabResult | None = None,
) -> ScoreResult | None:
    """The preferred score for the indication that the entry allows, or None.

    AS: ASDAS-CRP, else BASDAI. RA/PsA: DAS28-CRP, else DAS28-ESR, else CDAI. CD: HBI.
    UC: partial Mayo (the 6-point version when the physician global is missing).
    """
    by_name = {r.name: r for r in scores_for_entry(indication, entry, crp, esr)}
    for name in _PREFERRED_BY_SHORT[indication_short(indication)]:
        if name in by_name:
            return by_name[name]
    return None
