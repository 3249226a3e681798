"""One patient's assessment on a date: everything the chart's recommendation panel shows.

It gathers, without judging further: the regimen in effect and its dose, the next due date,
the wearing-off evidence, the TDM decision row with its inputs and sources, the worked-out
dose options (current, the row's escalation steps, and any regimen the clinician proposes),
the disease-activity score that fits the indication, and warnings. ``assessment_json`` is the
contract of ``clinic-gui assess --json``; ``assessment_text`` is its readable form.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain import scores
from clinic_gui.domain.decision import TdmAssessment, citation, evaluate, table
from clinic_gui.domain.dosing import (
    DoseOption,
    DosingPolicy,
    dose_option,
    load_policy,
    next_due,
    next_step_down,
    next_step_up,
    parse_regimen,
    weight_warnings,
)
from clinic_gui.domain.formatting import fmt_number, fmt_quantity
from clinic_gui.domain.history import age_years, last_infusion, latest_weight, regimen_in_effect
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.domain.wearing_off import (
    WearingOffResult,
    WearingOffSettings,
    assess_wearing_off,
)
from clinic_gui.resources import load_json


@dataclass(frozen=True, slots=True)
class ScoreSummary:
    date: dt.date
    results: tuple[scores.ScoreResult, ...]
    primary: scores.ScoreResult | None
    change: scores.ChangeResult | None
    previous_date: dt.date | None


@dataclass(frozen=True, slots=True)
class Assessment:
    case: r.Case
    as_of: dt.date
    age_years: int
    regimen: r.Regimen | None
    weight: r.Weight | None
    last_infusion: r.Infusion | None
    next_due: dt.date | None
    wearing_off: WearingOffResult
    tdm: TdmAssessment
    dose_options: tuple[DoseOption, ...]
    scores: ScoreSummary | None
    warnings: tuple[str, ...]
    policy: DosingPolicy

    @property
    def current_option(self) -> DoseOption | None:
        return next((o for o in self.dose_options if o.kind == "current"), None)


def assess(
    case: r.Case,
    as_of: dt.date,
    *,
    proposals: Sequence[str] = (),
    policy: DosingPolicy | None = None,
    wearing_off_settings: WearingOffSettings | None = None,
) -> Assessment:
    """Assess ``case`` as of ``as_of``; ValueError names a proposal that is not a regimen."""
    parsed = [parse_regimen(text) for text in proposals]
    policy = policy or load_policy()
    patient = case.patient
    age = age_years(patient.birth_date, as_of)
    regimen = regimen_in_effect(case, as_of)
    weight = latest_weight(case, as_of)
    tdm = evaluate(case, as_of)
    warnings: list[str] = []
    options: list[DoseOption] = []

    def option(kind: str, mg_per_kg: float, weeks: float) -> DoseOption:
        return dose_option(
            kind, mg_per_kg, weeks, indication=patient.indication, age_years=age,
            nyha_class=patient.nyha_class, weight_kg=weight.kg if weight else None, policy=policy,
        )  # fmt: skip

    subcutaneous = regimen is not None and vocabulary().product_routes.get(regimen.product) == "sc"
    if regimen is None:
        warnings.append("No regimen recorded on or before this date: no dose options.")
    elif subcutaneous:
        warnings.append(load_json("label.json")["subcutaneous"][regimen.product]["text"] + ".")
    else:
        current = option("current", regimen.dose_mg_per_kg, regimen.interval_weeks)
        options.append(current)
        if not current.within_label:
            warnings.append(f"The regimen in effect is outside the label: {current.label_note}.")
        offered = tdm.row["dose_options"]
        if "increase_dose" in offered:
            step = next_step_up(regimen.dose_mg_per_kg, policy.escalation_ladder_mg_per_kg)
            if step is not None:
                options.append(option("increase_dose", step, regimen.interval_weeks))
            else:
                warnings.append(
                    f"The dose is already at the top of the clinic's ladder "
                    f"({fmt_number(policy.escalation_ladder_mg_per_kg[-1])} mg/kg)."
                )
        if "shorten_interval" in offered:
            step = next_step_down(regimen.interval_weeks, policy.interval_ladder_weeks)
            if step is not None:
                options.append(option("shorten_interval", regimen.dose_mg_per_kg, step))
            else:
                warnings.append(
                    f"The interval is already at the shortest step of the clinic's ladder "
                    f"(every {fmt_number(policy.interval_ladder_weeks[-1])} weeks)."
                )
    options += [option("proposed", mg, weeks) for mg, weeks in parsed]

    due = next_due(case, as_of)
    if due is not None and due < as_of:
        warnings.append(
            f"The next infusion was due on {due.isoformat()} ({(as_of - due).days} days ago)."
        )
    if options or parsed:
        warnings += weight_warnings(case, as_of, policy)
    return Assessment(
        case=case,
        as_of=as_of,
        age_years=age,
        regimen=regimen,
        weight=weight,
        last_infusion=last_infusion(case, as_of),
        next_due=due,
        wearing_off=assess_wearing_off(case, as_of, wearing_off_settings),
        tdm=tdm,
        dose_options=tuple(options),
        scores=latest_scores(case, as_of),
        warnings=tuple(warnings),
        policy=policy,
    )


# ---------------------------------------------------------------------------------------------
# Scores


def _pairing_days() -> int:
    return int(load_json("assessment.json")["score_lab_pairing_days"]["value"])


class LabPairing:
    """Pairs diary entries with laboratory results for their scores.

    A ``test`` result (e.g. ``"crp"``) pairs with a diary entry of ``day`` when sampled on or
    before ``as_of`` and within ``score_lab_pairing_days`` of ``day``
    (``resources/assessment.json``): the nearest one, the earlier of two equally near. The
    results are sorted once, so pairing every entry of a long diary stays fast.
    """

    def __init__(self, case: r.Case, as_of: dt.date) -> None:
        self.window = _pairing_days()
        self.case = case
        self.as_of = as_of
        self._sorted: dict[str, tuple[list[int], list[r.LabResult]]] = {}
        for lab in sorted(case.labs, key=lambda item: item.sort_key):
            if lab.sample_date <= as_of:
                days, labs = self._sorted.setdefault(lab.test, ([], []))
                days.append(lab.sample_date.toordinal())
                labs.append(lab)

    def nearest(self, test: str, day: dt.date) -> r.LabResult | None:
        days, labs = self._sorted.get(test, ([], []))
        ordinal = day.toordinal()
        low = bisect.bisect_left(days, ordinal - self.window)
        high = bisect.bisect_right(days, ordinal + self.window)
        return min(
            labs[low:high],
            key=lambda lab: (abs(lab.sample_date.toordinal() - ordinal), lab.sort_key),
            default=None,
        )

    def scores(self, entry: r.DiaryEntry) -> list[scores.ScoreResult]:
        """The indication's scores for ``entry``, with its paired CRP and ESR."""
        return scores.scores_for_entry(
            self.case.patient.indication,
            entry,
            crp=self.nearest("crp", entry.date),
            esr=self.nearest("esr", entry.date),
        )


def nearest_lab(case: r.Case, test: str, day: dt.date, as_of: dt.date) -> r.LabResult | None:
    """One pairing (see ``LabPairing``; build one of those to pair many entries)."""
    return LabPairing(case, as_of).nearest(test, day)


def latest_scores(case: r.Case, as_of: dt.date) -> ScoreSummary | None:
    """The indication's scores on the latest diary entry that has their inputs, and the change
    in the primary score since the previous entry that had it."""
    pairing = LabPairing(case, as_of)
    entries = sorted((d for d in case.diary if d.date <= as_of), key=lambda d: d.date, reverse=True)
    latest: tuple[r.DiaryEntry, list[scores.ScoreResult]] | None = None
    for entry in entries:
        results = pairing.scores(entry)
        if results:
            latest = (entry, results)
            break
    if latest is None:
        return None
    entry, results = latest
    primary = _primary(case, results)
    change: scores.ChangeResult | None = None
    previous_date: dt.date | None = None
    if primary is not None and scores.has_change_criteria(primary.name):
        for earlier in entries:
            if earlier.date >= entry.date:
                continue
            match = next((s for s in pairing.scores(earlier) if s.name == primary.name), None)
            if match is not None:
                change = scores.assess_change(primary.name, match.value, primary.value)
                previous_date = earlier.date
                break
    return ScoreSummary(entry.date, tuple(results), primary, change, previous_date)


def _primary(case: r.Case, results: list[scores.ScoreResult]) -> scores.ScoreResult | None:
    preferred = scores.PREFERRED_SCORES.get(case.patient.indication, ())
    for name in preferred:
        for result in results:
            if result.name == name:
                return result
    return results[0] if results else None


# ---------------------------------------------------------------------------------------------
# JSON


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _sampled(lab: r.LabResult) -> str:
    if isinstance(lab.sampled_at, dt.datetime):
        return lab.sampled_at.strftime("%Y-%m-%dT%H:%M")
    return lab.sampled_at.isoformat()


def _score_json(result: scores.ScoreResult) -> dict[str, Any]:
    return {
        "name": result.name,
        "value": round(result.value, result.decimals),
        "state": result.state,
        "inputs": result.inputs,
        "notes": list(result.notes),
        "source": result.source,
        "verified": result.verified,
        "partial": result.partial,
    }


def assessment_json(a: Assessment) -> dict[str, Any]:
    tdm = a.tdm
    current = a.current_option
    regimen = None
    if a.regimen is not None:
        regimen = {
            "product": a.regimen.product,
            "dose_mg_per_kg": a.regimen.dose_mg_per_kg,
            "interval_weeks": a.regimen.interval_weeks,
            "start_date": a.regimen.start_date.isoformat(),
            "reason": a.regimen.reason,
            "ordered_by": a.regimen.ordered_by,
            "dose_mg": current.dose_mg if current else None,
            "vials": current.vials if current else None,
            "weight_kg": a.weight.kg if a.weight else None,
            "weight_date": _date(a.weight.date if a.weight else None),
            "within_label": current.within_label if current else None,
            "label_note": current.label_note if current else None,
        }
    trough = tdm.trough
    ada = tdm.antibodies
    row = tdm.row
    return {
        "mrn": a.case.patient.mrn,
        "as_of": a.as_of.isoformat(),
        "patient": {
            "name": a.case.patient.name,
            "age_years": a.age_years,
            "sex": a.case.patient.sex,
            "indication": a.case.patient.indication,
            "nyha_class": a.case.patient.nyha_class,
        },
        "regimen": regimen,
        "last_infusion": _date(a.last_infusion.date if a.last_infusion else None),
        "next_due": _date(a.next_due),
        "wearing_off": a.wearing_off.to_json(),
        "tdm": {
            "target_ug_ml": tdm.target.mcg_per_ml,
            "target_source": tdm.target.source or None,
            "target_extrapolated": tdm.target.extrapolated,
            "target_note": tdm.target.note,
            "trough": {
                "state": trough.state,
                "value_ug_ml": trough.value_mcg_ml,
                "comparator": trough.lab.comparator if trough.lab else None,
                "value_entered": trough.lab.value if trough.lab else None,
                "unit_entered": trough.lab.unit if trough.lab else None,
                "sampled_at": _sampled(trough.lab) if trough.lab else None,
                "assay": trough.lab.assay if trough.lab else None,
                "days_after_infusion": trough.days_after_infusion,
                "reason": trough.reason,
                "notes": list(trough.notes),
            },
            "ada": {
                "level": ada.level,
                "value": ada.lab.value if ada.lab else None,
                "comparator": ada.lab.comparator if ada.lab else None,
                "unit": ada.lab.unit if ada.lab else None,
                "assay": ada.lab.assay if ada.lab else None,
                "sampled_at": _sampled(ada.lab) if ada.lab else None,
                "basis": ada.basis,
                "notes": list(ada.notes),
            },
            "inflammation": {
                "status": tdm.inflammation.status,
                "evidence": [
                    {
                        "test": item.test,
                        "value": item.lab.value,
                        "comparator": item.lab.comparator,
                        "unit": item.lab.unit,
                        "value_canonical": item.canonical_value,
                        "unit_canonical": item.canonical_unit,
                        "sampled_at": _sampled(item.lab),
                        "reading": item.reading,
                        "text": item.describe(),
                    }
                    for item in tdm.inflammation.items
                ],
                "notes": list(tdm.inflammation.notes),
            },
        },
        "decision": {
            "row": row["id"],
            "situation": row["situation"],
            "likely_cause": row["likely_cause"],
            "options": list(row["options"]),
            "evidence": list(row["evidence"]),
            "citations": [citation(key) for key in row["citations"]],
            "rule_version": table()["version"],
            "why": tdm.why,
            "missing": list(tdm.missing),
        },
        "dose_options": [o.to_json() for o in a.dose_options],
        "scores": None
        if a.scores is None
        else {
            "date": a.scores.date.isoformat(),
            "primary": a.scores.primary.name if a.scores.primary else None,
            "results": [_score_json(s) for s in a.scores.results],
            "change": None
            if a.scores.change is None
            else {
                "since": _date(a.scores.previous_date),
                "before": round(a.scores.change.before, 2),
                "after": round(a.scores.change.after, 2),
                "delta": round(a.scores.change.delta, 2),
                "category": a.scores.change.category,
                "source": a.scores.change.source,
                "verified": a.scores.change.verified,
            },
        },
        "warnings": list(a.warnings),
        "policy": {
            "vial_rounding_percent": a.policy.vial_rounding_percent,
            "weight_max_age_days": a.policy.weight_max_age_days,
            "weight_change_percent": a.policy.weight_change_percent,
        },
    }


# ---------------------------------------------------------------------------------------------
# Text


def _option_line(o: DoseOption) -> str:
    kind = o.kind.replace("_", " ")
    if o.dose_mg is None:
        amount = "mg not calculated (no weight)"
    else:
        amount = (
            f"{o.dose_mg} mg, {o.vials} vials (waste {fmt_number(o.waste_mg or 0)} mg), "
            f"{fmt_number(o.mg_per_kg_per_week, 3)} mg/kg/week"
        )
    label = "within label" if o.within_label else f"OUTSIDE LABEL: {o.label_note}"
    line = f"  {kind:<17} {o.label_text}: {amount}; {label}"
    return line + (f"\n{'':20}{o.rounding_note}" if o.rounding_note else "")


def assessment_text(a: Assessment) -> str:
    p = a.case.patient
    vocab = vocabulary()
    lines = [
        f"{p.name} (MRN {p.mrn}), {a.age_years} years, {p.sex}, "
        f"{vocab.indications.get(p.indication, p.indication)}; "
        f"assessed as of {a.as_of.isoformat()}",
        "This is decision support for the treating clinician, not a directive.",
        "",
    ]
    if a.regimen:
        lines.append(
            f"Regimen: {a.regimen.product} {fmt_quantity(a.regimen.dose_mg_per_kg, 'mg/kg')} every "
            f"{fmt_number(a.regimen.interval_weeks)} weeks since {a.regimen.start_date.isoformat()}"
        )
    if a.weight:
        lines.append(f"Weight: {fmt_quantity(a.weight.kg, 'kg')} on {a.weight.date.isoformat()}")
    if a.last_infusion:
        lines.append(
            f"Last infusion: {a.last_infusion.date.isoformat()}; "
            f"next due: {_date(a.next_due) or 'unknown'}"
        )
    wo = a.wearing_off
    lines += [
        "",
        "End-of-dose wearing off: "
        + ("FLAGGED" if wo.flagged else "not flagged")
        + f" (source: {wo.source})",
    ]
    lines.append(f"  {wo.message}")
    lines += [f"  {cycle.summary()}" for cycle in wo.cycles[-6:]]
    lines.append(f"  Rule: {wo.rule}")
    tdm = a.tdm
    lines += ["", f"TDM decision table (version {table()['version']}): row {tdm.row['id']}"]
    lines.append(f"  {tdm.row['situation']}: {tdm.why}")
    target = tdm.target
    if target.mcg_per_ml is not None:
        mark = " (extrapolated)" if target.extrapolated else ""
        lines.append(f"  Target: {fmt_quantity(target.mcg_per_ml, 'mcg/mL')}{mark}. {target.note}")
    else:
        lines.append(f"  Target: none. {target.note}")
    if tdm.row["likely_cause"]:
        lines.append(f"  Likely cause: {tdm.row['likely_cause']}")
    lines += [f"  Option: {text}" for text in tdm.row["options"]]
    lines += [f"  Reported: {e['text']} [{e['citation']}]" for e in tdm.row["evidence"]]
    lines.append("  Inflammation: " + tdm.inflammation.status.replace("_", " "))
    lines += [f"    {item.describe()}" for item in tdm.inflammation.items]
    lines += [f"    {note}" for note in tdm.inflammation.notes]
    lines += [f"  Missing: {m}" for m in tdm.missing]
    lines += [f"  Note: {n}" for n in (*tdm.trough.notes, *tdm.antibodies.notes)]
    cited = list(
        dict.fromkeys([*tdm.row["citations"], *(e["citation"] for e in tdm.row["evidence"])])
    )
    lines.append("  Sources:")
    lines += [f"    [{key}] {citation(key)['text']}" for key in cited]
    if a.dose_options:
        lines += ["", "Dose options:"] + [_option_line(o) for o in a.dose_options]
    if a.scores:
        lines += ["", f"Scores (diary of {a.scores.date.isoformat()}):"]
        for s in a.scores.results:
            state = f" ({s.state})" if s.state else ""
            lines.append(f"  {s.name}: {fmt_number(s.value, s.decimals)}{state}")
        if a.scores.change:
            lines.append(
                f"  Change in {a.scores.change.score} since {_date(a.scores.previous_date)}: "
                f"{a.scores.change.category}"
            )
    if a.warnings:
        lines += ["", "Warnings:"] + [f"  {w}" for w in a.warnings]
    return "\n".join(lines)
