"""The clinic worklist: who needs what, today and this week.

Built from each patient's assessment, so it shows exactly what the chart shows:

- **due**: the next infusion falls today or within the coming week, with the dose to prepare
  (mg and vials of the regimen in effect at the latest weight, and its label status);
- **overdue**: the next infusion date has passed;
- **wearing off without a trough**: wearing-off is flagged but there is no current trough
  (the decision table's ``no_tdm`` row), so a trough before the next infusion may help;
- **results to review**: a drug level or antibody result sampled in the last
  ``REVIEW_DAYS`` days. The record has no "reviewed" mark yet, so recency stands in for it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
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


def items_for(assessment: Assessment) -> list[WorklistItem]:
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
            add(
                "overdue",
                a.next_due,
                f"due {-days} days ago; {dose}" if dose else f"due {-days} days ago",
            )
        elif days <= DUE_WITHIN_DAYS:
            when = "today" if days == 0 else f"in {days} days"
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
        age = (a.as_of - lab.sample_date).days
        if 0 <= age <= REVIEW_DAYS:
            what = "trough" if lab.test == "infliximab" else "antibodies"
            value = f"{lab.comparator or ''}{fmt_quantity(lab.value, lab.unit)}"
            add("results", lab.sample_date, f"{what} {value}; decision row {a.tdm.row['id']}")
    return items


def build_worklist(cases: Iterable[r.Case], as_of: dt.date) -> list[WorklistItem]:
    """Every patient's entries, ordered by category (overdue first), then date, then name."""
    items = [item for case in cases for item in items_for(assess(case, as_of))]
    order = list(CATEGORIES)
    return sorted(
        items,
        key=lambda i: (order.index(i.category), i.day or dt.date.max, i.name.lower(), i.mrn),
    )
