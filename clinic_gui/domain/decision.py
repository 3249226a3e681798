"""The reactive TDM decision table: which row a patient is in, and why.

The table, targets, pairing windows, wording and citations are data
(``resources/tdm_decision_table.json``; antibody assays in ``resources/ada_assays.json``).
This module finds the inputs in the record (current trough, paired antibodies, objective
inflammation), classifies them, and picks the one row whose conditions they meet.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.formatting import fmt_number, fmt_quantity
from clinic_gui.domain.history import regimen_in_effect
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.resources import load_json

TROUGH_STATES = ("none", "below", "at_or_above")
ANTIBODY_LEVELS = ("negative", "low", "high", "inconclusive", "unclassified", "not_measured")


@cache
def table() -> dict[str, Any]:
    return load_json("tdm_decision_table.json")


@cache
def assays() -> list[dict[str, Any]]:
    return list(load_json("ada_assays.json")["assays"])


def citation(key: str) -> dict[str, Any]:
    entry = table()["citations"][key]
    return {"id": key, **entry}


@dataclass(frozen=True, slots=True)
class Target:
    mcg_per_ml: float | None
    extrapolated: bool
    note: str
    citations: tuple[str, ...]

    @property
    def source(self) -> str:
        return "; ".join(table()["citations"][c]["text"].split(".")[0] for c in self.citations)


def target_for(indication: str, product: str | None = None) -> Target:
    if product and vocabulary().product_routes.get(product) == "sc":
        return Target(
            None,
            False,
            f"No trough target applies to subcutaneous {product}: its steady-state levels are "
            "higher and flatter than with IV dosing, and IV targets do not transfer",
            (),
        )
    spec = table()["targets"][indication]
    return Target(
        float(spec["mcg_per_ml"]),
        bool(spec["extrapolated"]),
        spec["note"],
        tuple(spec["citations"]),
    )


# ---------------------------------------------------------------------------------------------
# The trough


@dataclass(frozen=True, slots=True)
class TroughFinding:
    state: str  # none | below | at_or_above
    lab: r.LabResult | None
    value_mcg_ml: float | None
    reason: str
    days_after_infusion: int | None = None
    notes: tuple[str, ...] = ()

    @property
    def detectable(self) -> bool:
        lab = self.lab
        if lab is None or self.value_mcg_ml is None or lab.comparator == "<":
            return False
        return self.value_mcg_ml > 0 and (lab.lloq is None or lab.value >= lab.lloq)


def find_trough(case: r.Case, as_of: dt.date, target: Target) -> TroughFinding:
    rules = table()["current_trough"]
    regimen = regimen_in_effect(case, as_of)
    levels = [
        lab
        for lab in case.labs
        if lab.test == "infliximab" and lab.sample_date <= as_of and lab.timing != "non_trough"
    ]
    if not levels:
        return TroughFinding("none", None, None, "no infliximab level on record")
    candidates = [
        lab
        for lab in levels
        if (as_of - lab.sample_date).days <= rules["max_age_days"]
        and (regimen is None or lab.sample_date > regimen.start_date)
    ]
    if not candidates:
        latest = max(levels, key=lambda lab: lab.sort_key)
        why = f"the latest level ({latest.sample_date.isoformat()}) is not current: "
        if (as_of - latest.sample_date).days > rules["max_age_days"]:
            why += f"older than {rules['max_age_days']} days"
        else:
            why += (
                f"drawn before the regimen now in effect started ({regimen and regimen.start_date})"
            )
        return TroughFinding("none", latest, None, why)
    lab = max(candidates, key=lambda item: item.sort_key)
    value = vocabulary().lab_tests["infliximab"].to_canonical(lab.value, lab.unit)
    shown = f"{lab.comparator or ''}{fmt_quantity(value or 0, 'mcg/mL')}"
    notes = _trough_notes(case, lab)
    # A trough is drawn before that day's infusion: count from the infusion before it.
    before = [i.date for i in case.infusions if i.date < lab.sample_date]
    days_after = (lab.sample_date - max(before)).days if before else None
    if target.mcg_per_ml is None:
        return TroughFinding("none", lab, value, target.note, days_after, notes)
    assert value is not None
    goal = fmt_quantity(target.mcg_per_ml, "mcg/mL")
    if lab.comparator == "<" or (lab.comparator is None and value < target.mcg_per_ml):
        return TroughFinding(
            "below", lab, value, f"trough {shown} is below the target of {goal}", days_after, notes
        )
    if lab.comparator == ">" and value < target.mcg_per_ml:
        return TroughFinding(
            "none",
            lab,
            value,
            f"trough reported as {shown} cannot be compared with the target of {goal}",
            days_after,
            notes,
        )
    return TroughFinding(
        "at_or_above", lab, value, f"trough {shown} is at or above the target of {goal}",
        days_after, notes,
    )  # fmt: skip


def _trough_notes(case: r.Case, lab: r.LabResult) -> tuple[str, ...]:
    notes = []
    first = min((i.date for i in case.infusions), default=None)
    if first is not None and (lab.sample_date - first).days < 14 * 7:
        notes.append(
            "Drawn within the first 14 weeks of treatment: levels stabilise after about 14 "
            "weeks, and maintenance targets may not apply"
        )
    if lab.timing is None:
        notes.append("Timing not stated: read as a trough")
    same_day = [i for i in case.infusions if i.date == lab.sample_date]
    if (
        same_day
        and isinstance(lab.sampled_at, dt.datetime)
        and same_day[0].start_time
        and lab.sampled_at.time() > same_day[0].start_time
    ):
        notes.append("Sampled after the infusion started that day: not a true trough")
    return tuple(notes)


# ---------------------------------------------------------------------------------------------
# Antibodies


@dataclass(frozen=True, slots=True)
class AntibodyFinding:
    level: str
    lab: r.LabResult | None
    basis: str
    assay: dict[str, Any] | None = None
    notes: tuple[str, ...] = ()


def match_assay(name: str | None) -> dict[str, Any] | None:
    if not name:
        return None
    wanted = name.strip().lower()
    for entry in assays():
        if wanted in (entry["name"].lower(), *entry.get("aliases", [])):
            return entry
    # A longer name that contains a distinctive alias ("Prometheus Anser IFX v2"); short
    # aliases ("eia", "ria") only ever match exactly.
    for entry in assays():
        if any(len(alias) >= 5 and alias in wanted for alias in entry.get("aliases", [])):
            return entry
    return None


def classify_antibodies(case: r.Case, trough: TroughFinding, as_of: dt.date) -> AntibodyFinding:
    window = table()["current_trough"]["antibody_pairing_days"]
    if trough.lab is None or trough.state == "none":
        anchor = as_of
        results = [
            lab
            for lab in case.labs
            if lab.test == "anti_infliximab_antibody"
            and lab.sample_date <= as_of
            and (as_of - lab.sample_date).days <= table()["current_trough"]["max_age_days"]
        ]
    else:
        anchor = trough.lab.sample_date
        results = [
            lab
            for lab in case.labs
            if lab.test == "anti_infliximab_antibody"
            and abs((lab.sample_date - anchor).days) <= window
            and lab.sample_date <= as_of
        ]
    if not results:
        where = (
            f"within {window} days of the trough"
            if trough.state != "none"
            else f"in the last {table()['current_trough']['max_age_days']} days"
        )
        return AntibodyFinding("not_measured", None, f"no antibody result {where}")
    lab = min(results, key=lambda item: (abs((item.sample_date - anchor).days), item.sort_key))
    assay = match_assay(lab.assay)
    notes: list[str] = []
    if lab.interpretation:
        level, basis = lab.interpretation, "the laboratory's interpretation"
    else:
        level, basis = _from_cut_offs(lab, assay)
        if assay is not None and not assay.get("verified", True):
            notes.append(f"Cut-offs for {assay['name']} are not verified: {assay['source']}")
    drug_sensitive = assay is not None and assay["drug_tolerant"] is False
    if level == "negative" and drug_sensitive and trough.detectable:
        level = "inconclusive"
        basis += "; a drug-sensitive assay cannot exclude antibodies while drug is detectable"
    if level == "low":
        notes.append("A single low-titer result may be transient: consider repeating it")
    return AntibodyFinding(level, lab, basis, assay, tuple(notes))


def _from_cut_offs(lab: r.LabResult, assay: dict[str, Any] | None) -> tuple[str, str]:
    if assay is None:
        return "unclassified", f"no interpretation from the lab and no cut-offs for {lab.assay!r}"
    unit = assay.get("unit")
    if unit is None or unit.lower() != lab.unit.strip().lower():
        return "unclassified", (
            f"no interpretation from the lab, and {assay['name']} cut-offs are not in {lab.unit}"
        )
    if "positive_above" in assay:
        cut, positive = assay["positive_above"], lab.value > assay["positive_above"]
        rule = f"positive above {fmt_number(cut)} {unit}"
    else:
        cut, positive = assay["positive_at_or_above"], lab.value >= assay["positive_at_or_above"]
        rule = f"positive at or above {fmt_number(cut)} {unit}"
    if lab.comparator == "<" and lab.value <= cut:
        positive = False
    basis = f"{assay['name']} cut-off ({rule})"
    if not positive:
        return "negative", basis
    high = assay.get("high_at_or_above")
    if high is None:
        return "unclassified", basis + "; no high-titer cut-off is defined for this assay"
    if lab.value >= high:
        return "high", basis + f"; high titer at or above {fmt_number(high)} {unit}"
    return "low", basis + f"; high titer at or above {fmt_number(high)} {unit}"


# ---------------------------------------------------------------------------------------------
# Step 1: objective inflammation


@dataclass(frozen=True, slots=True)
class EvidenceItem:
    test: str
    lab: r.LabResult
    canonical_value: float | None
    canonical_unit: str | None
    reading: str | None  # "elevated" | "normal" | None (no threshold)

    def describe(self) -> str:
        lab = self.lab
        text = f"{vocabulary().lab_tests[self.test].label} {lab.comparator or ''}"
        text += fmt_quantity(lab.value, lab.unit)
        if (
            self.canonical_unit
            and lab.unit != self.canonical_unit
            and self.canonical_value is not None
        ):
            same = vocabulary().lab_tests[self.test].match_unit(self.canonical_unit)
            if same != vocabulary().lab_tests[self.test].match_unit(lab.unit):
                text += f" (= {fmt_quantity(self.canonical_value, self.canonical_unit)})"
        text += f" on {lab.sample_date.isoformat()}"
        return text + (f": {self.reading}" if self.reading else "")


@dataclass(frozen=True, slots=True)
class Inflammation:
    status: str  # present | absent | not_shown | unknown
    items: tuple[EvidenceItem, ...]
    notes: tuple[str, ...] = field(default=())


def inflammation_evidence(case: r.Case, as_of: dt.date) -> Inflammation:
    spec = table()["inflammation"]
    window = spec["window_days"]
    vocab = vocabulary()
    items = []
    for test in ("crp", "esr", "fecal_calprotectin", "albumin"):
        recent = [
            lab
            for lab in case.labs
            if lab.test == test
            and lab.sample_date <= as_of
            and (as_of - lab.sample_date).days <= window
        ]
        if not recent:
            continue
        lab = max(recent, key=lambda item: item.sort_key)
        spec_test = vocab.lab_tests[test]
        canonical = spec_test.to_canonical(lab.value, lab.unit)
        reading = None
        if test == "crp" and canonical is not None:
            upper = spec["crp_upper_normal_mg_l"]["value"]
            reading = _reading(canonical, lab.comparator, upper, limit_is_normal=True)
        elif test == "fecal_calprotectin" and canonical is not None:
            limit = spec["calprotectin_normal_below_mcg_g"]["value"]
            reading = _reading(canonical, lab.comparator, limit, limit_is_normal=False)
        items.append(EvidenceItem(test, lab, canonical, spec_test.canonical_unit, reading))
    notes = [spec["step_1"]]
    readings = [i.reading for i in items if i.reading]
    if "elevated" in readings:
        status = "present"
    elif readings:
        status = "not_shown"
    else:
        status = "unknown"
        notes.append(f"No CRP or calprotectin in the last {window} days")
    if case.patient.indication == "ankylosing_spondylitis" and status != "present":
        notes.append(spec["axial_spa_note"]["text"] + " (ACR/SAA/SPARTAN 2019)")
    crp = next((i for i in items if i.test == "crp"), None)
    if crp is not None and crp.reading and not spec["crp_upper_normal_mg_l"]["verified"]:
        upper = fmt_number(spec["crp_upper_normal_mg_l"]["value"])
        notes.append(
            f"CRP read against an upper normal of {upper} mg/L "
            "(laboratory-specific; check your laboratory's range)"
        )
    return Inflammation(status, tuple(items), tuple(notes))


# ---------------------------------------------------------------------------------------------
# The row


def _reading(
    value: float, comparator: str | None, limit: float, *, limit_is_normal: bool
) -> str | None:
    """'elevated', 'normal', or None when a censored result ('<x', '>x') cannot tell.

    ``limit_is_normal``: a value exactly at the limit is normal (CRP "upper normal") or
    not (calprotectin "normal below 150").
    """
    if comparator == ">":
        return "elevated" if value >= limit else None
    if comparator == "<":
        return "normal" if value <= limit else None
    normal = value <= limit if limit_is_normal else value < limit
    return "normal" if normal else "elevated"


def row_for(trough_state: str, antibody_level: str) -> dict[str, Any]:
    matches = [
        row
        for row in table()["rows"]
        if trough_state in row["when"]["trough"] and antibody_level in row["when"]["antibodies"]
    ]
    if len(matches) != 1:
        raise LookupError(
            f"decision table {table()['version']}: {len(matches)} rows match "
            f"trough={trough_state}, antibodies={antibody_level}"
        )
    return matches[0]


@dataclass(frozen=True, slots=True)
class TdmAssessment:
    target: Target
    trough: TroughFinding
    antibodies: AntibodyFinding
    inflammation: Inflammation
    row: dict[str, Any]
    missing: tuple[str, ...]

    @property
    def why(self) -> str:
        level_text = table()["antibody_levels"][self.antibodies.level]
        return f"{self.trough.reason}; antibodies {level_text} ({self.antibodies.basis})"


def evaluate(case: r.Case, as_of: dt.date) -> TdmAssessment:
    regimen = regimen_in_effect(case, as_of)
    target = target_for(case.patient.indication, regimen.product if regimen else None)
    trough = find_trough(case, as_of, target)
    antibodies = classify_antibodies(case, trough, as_of)
    inflammation = inflammation_evidence(case, as_of)
    missing = []
    if trough.state == "none":
        missing.append(f"a current trough level ({trough.reason})")
    if antibodies.level in ("not_measured", "unclassified", "inconclusive"):
        missing.append(f"an interpretable antibody result ({antibodies.basis})")
    if inflammation.status == "unknown":
        missing.append("objective evidence of inflammation (CRP, calprotectin, imaging, endoscopy)")
    return TdmAssessment(
        target,
        trough,
        antibodies,
        inflammation,
        row_for(trough.state, antibodies.level),
        tuple(missing),
    )
