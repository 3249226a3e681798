"""The clinic worklist: who needs what, today and this week.

Built from each patient's assessment, so it shows exactly what the chart shows:

- **due**: the next infusion falls today or within the coming week, with the dose to prepare
  (mg and vials of the regimen in effect at the latest weight, and its label status);
- **overdue**: the next infusion date has passed;
- **wearing off without a trough**: wearing-off is flagged but there is no current trough
  (the decision table's ``no_tdm`` row), so a trough before the next infusion may help;
- **results to review**: a drug level or antibody result sampled in the last
  ``REVIEW_DAYS`` days that no physician has marked as reviewed yet (``reviewed``: per MRN,
  the (sampled at, test) of the results already reviewed, read by the store).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from clinic_gui.domain import records as r
from clinic_gui.domain.assessment import Assessment, assess
from clinic_gui.domain.formatting import fmt_quantity

DUE_WITHIN_DAYS = 7
REVIEW_DAYS = 14

CATEGORIES = {
    "overdue": "Overdue",
    "due": "Due this week",
    "wearing_off_no_trough": "Possible wearing off, no current trough",
    "results": "Results to review",
}


@dataclass(frozen=True, slots=True)
class WorklistItem:
    category: str  # a key of CATEGORIES
    mrn: str
    name: str
    indication: str
    day: dt.date | None  # due date, or the result's sample date
    detail: str

    @property
    def category_label(self) -> str:
        return CATEGORIES[self.category]


def _days(n: int) -> str:
    return f"{n} day" if n == 1 else f"{n} days"


ReviewedResults = Mapping[str, frozenset[tuple[dt.date | dt.datetime, str]]]


def items_for(
    assessment: Assessment, reviewed: frozenset[tuple[dt.date | dt.datetime, str]] = frozenset()
) -> list[WorklistItem]:
    """The worklist entries one patient's assessment calls for (often none)."""
    a = assessment
    p = a.case.patient
    items: list[WorklistItem] = []

    def add(category: str, day: dt.date | None, detail: str) -> None:
        items.append(WorklistItem(category, p.mrn, p.name, p.indication, day, detail))

    if a.next_due is not None:
        days = (a.next_due - a.as_of).days
        current = a.current_option
        dose = ""
        if current is not None and current.dose_mg is not None:
            dose = f"{fmt_quantity(current.dose_mg, 'mg')}, {current.vials} vials"
            if not current.within_label:
                dose += " (outside label)"
        if days < 0:
            late = f"due {_days(-days)} ago"
            add("overdue", a.next_due, f"{late}; {dose}" if dose else late)
        elif days <= DUE_WITHIN_DAYS:
            when = {0: "today", 1: "tomorrow"}.get(days, f"in {_days(days)}")
            add("due", a.next_due, f"{when}; prepare {dose}" if dose else when)
    if a.wearing_off.flagged and a.tdm.row["id"] == "no_tdm":
        add(
            "wearing_off_no_trough",
            a.next_due,
            f"source: {a.wearing_off.source.replace('_', ' ')}; consider a trough level just "
            "before the next infusion",
        )
    for lab in a.case.labs:
        if lab.test not in ("infliximab", "anti_infliximab_antibody"):
            continue
        if (lab.sampled_at, lab.test) in reviewed:
            continue
        age = (a.as_of - lab.sample_date).days
        if 0 <= age <= REVIEW_DAYS:
            what = "trough" if lab.test == "infliximab" else "antibodies"
            value = f"{lab.comparator or ''}{fmt_quantity(lab.value, lab.unit)}"
            add("results", lab.sample_date, f"{what} {value}; decision row {a.tdm.row['id']}")
    return items


@dataclass(frozen=True, slots=True)
class PatientFlags:
    """What the patient list shows beside a name, from the same assessment."""

    wearing_off: bool
    tdm_row: str
    overdue: bool
    due_soon: bool
    tdm_attention: bool  # wearing off without a current trough, or results to review

    @property
    def badges(self) -> tuple[str, ...]:
        shown = []
        if self.overdue:
            shown.append("overdue")
        if self.wearing_off:
            shown.append("wearing off")
        if self.tdm_attention:
            shown.append("TDM")
        return tuple(shown)


@dataclass(frozen=True, slots=True)
class ClinicOverview:
    as_of: dt.date
    items: tuple[WorklistItem, ...]
    flags: dict[str, PatientFlags]


def flags_for(assessment: Assessment, items: list[WorklistItem]) -> PatientFlags:
    categories = {i.category for i in items}
    return PatientFlags(
        wearing_off=assessment.wearing_off.flagged,
        tdm_row=assessment.tdm.row["id"],
        overdue="overdue" in categories,
        due_soon="due" in categories,
        tdm_attention=bool(categories & {"wearing_off_no_trough", "results"}),
    )


def build_overview(
    cases: Iterable[r.Case], as_of: dt.date, reviewed: ReviewedResults | None = None
) -> ClinicOverview:
    """Every patient's worklist entries (overdue first, then by date and name) and flags."""
    items: list[WorklistItem] = []
    flags: dict[str, PatientFlags] = {}
    for case in cases:
        assessment = assess(case, as_of)
        mine = items_for(assessment, (reviewed or {}).get(case.patient.mrn, frozenset()))
        items += mine
        flags[case.patient.mrn] = flags_for(assessment, mine)
    items.sort(key=_item_order)
    return ClinicOverview(as_of, tuple(items), flags)


def _item_order(item: WorklistItem) -> tuple[int, dt.date, str, str]:
    """Overdue first, then by date and name."""
    return (
        list(CATEGORIES).index(item.category),
        item.day or dt.date.max,
        item.name.lower(),
        item.mrn,
    )


def merge_overviews(as_of: dt.date, parts: Iterable[ClinicOverview]) -> ClinicOverview:
    """One overview from those of disjoint groups of patients (the same as built at once)."""
    items: list[WorklistItem] = []
    flags: dict[str, PatientFlags] = {}
    for part in parts:
        items += part.items
        flags.update(part.flags)
    items.sort(key=_item_order)
    return ClinicOverview(as_of, tuple(items), flags)


def build_worklist(cases: Iterable[r.Case], as_of: dt.date) -> list[WorklistItem]:
    return list(build_overview(cases, as_of).items)
