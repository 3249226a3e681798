"""End-of-dose wearing-off: does the diary (or the nurse) show symptoms returning before each dose?

This is a project rule, not a validated instrument (shared clinical reference §5: no
validated definition exists). Its result is support for the clinician — "possible
wearing-off, consider a trough level" — never a diagnosis. Every number of the rule is
read from ``resources/wearing_off.json``, which also gives each number's rationale.

The rule, on an assessment date ``as_of``:

* A **cycle** is the interval between two consecutive infusion dates, both on or before
  ``as_of``; its length ``L`` is in days, and **day d** of the cycle is the date
  ``start + d``. (Two infusions on the same day are one dosing date: a zero-day cycle is
  not a cycle.)
* The **planned** length is ``interval_weeks × 7`` of the regimen in effect on the cycle's
  first infusion date. A cycle is **delayed** when ``L`` exceeds the planned length by more
  than ``delay_tolerance_days``; delayed cycles are shown but not evaluated, because a late
  infusion mimics wearing-off. Without a regimen in effect the planned length is unknown:
  the cycle says so and is never marked delayed.
* An entry's **diary score** is its ``symptom_score`` when present, else its BASDAI when
  all six items are present, else the entry is unscored.
* **Early window:** days ``1 … ⌊L/2⌋``. **Late window:** days ``L − late_window_days …
  L − 1`` (never before day 1). For cycles of 14 days or less the two windows share days;
  an entry on a shared day counts in both, as the rule is written.
* A cycle is **evaluable** when it is not delayed and each window holds at least
  ``min_scored_entries_per_window`` scored entries; it is **positive** when
  ``median(late) − median(early) ≥ positive_delta_points``.
* **Diary flag:** at least ``positive_cycles_needed`` of the last
  ``evaluable_cycles_considered`` evaluable cycles are positive. **Nurse flag:** the nurse
  recorded "symptoms returned before this infusion" = yes at at least
  ``nurse_reports_needed`` of the last ``nurse_reports_considered`` infusions on or before
  ``as_of``. ``source`` is ``"diary"``, ``"nurse_report"``, ``"both"`` or ``"none"``.

**Rise day** (defined here; the rule leaves it open). For a positive cycle, with
``threshold = median(early) + positive_delta_points``: the rise day is the earliest day
``d`` of the second half of the cycle (``⌊L/2⌋ + 1 ≤ d ≤ L − 1``) on which there is a
scored entry and from which *every* scored entry up to the next infusion (days ``d …
L − 1``) is at or above the threshold. It is reported as ``L − d`` days before the next
infusion. It is ``None`` when the last scored entry of the cycle is below the threshold
(symptoms did not stay up), and for cycles that are not positive (nothing rose by the
rule). The result's ``mean_rise_days_before`` is the mean over the positive cycles that
have a rise day.

Scores are recorded to one decimal, so differences are rounded to 6 decimals before they
are compared with a threshold (``6.3 − 4.3`` is 2.0, not 1.9999999999999996).
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import math
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.formatting import fmt_number
from clinic_gui.domain.history import regimen_in_effect
from clinic_gui.resources import load_json

RESOURCE = "wearing_off.json"
SOURCES = ("diary", "nurse_report", "both", "none")

# Display and comparison precision, not rule numbers.
_COMPARE_DECIMALS = 6
_DISPLAY_STEP = Decimal("0.1")


# ---------------------------------------------------------------------------------------------
# Settings


@dataclass(frozen=True, slots=True, kw_only=True)
class WearingOffSettings:
    """The numbers of the rule. Use ``load_settings()``; ``dataclasses.replace`` to override."""

    version: str
    verified: bool
    delay_tolerance_days: int
    late_window_days: int
    min_scored_entries_per_window: int
    positive_delta_points: float
    evaluable_cycles_considered: int
    positive_cycles_needed: int
    nurse_reports_considered: int
    nurse_reports_needed: int
    rule_template: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WearingOffSettings:
        values = {name: spec["value"] for name, spec in data["settings"].items()}
        settings = cls(
            version=str(data["version"]),
            verified=bool(data["verified"]),
            delay_tolerance_days=int(values["delay_tolerance_days"]),
            late_window_days=int(values["late_window_days"]),
            min_scored_entries_per_window=int(values["min_scored_entries_per_window"]),
            positive_delta_points=float(values["positive_delta_points"]),
            evaluable_cycles_considered=int(values["evaluable_cycles_considered"]),
            positive_cycles_needed=int(values["positive_cycles_needed"]),
            nurse_reports_considered=int(values["nurse_reports_considered"]),
            nurse_reports_needed=int(values["nurse_reports_needed"]),
            rule_template=str(data["rule_text"]),
        )
        settings.check()
        return settings

    def check(self) -> None:
        """Raise ValueError when the numbers cannot work together."""
        problems = []
        if self.delay_tolerance_days < 0:
            problems.append("delay_tolerance_days must be >= 0")
        if self.late_window_days < 1:
            problems.append("late_window_days must be >= 1")
        if self.min_scored_entries_per_window < 1:
            problems.append("min_scored_entries_per_window must be >= 1")
        if self.positive_delta_points <= 0:
            problems.append("positive_delta_points must be > 0")
        if not 1 <= self.positive_cycles_needed <= self.evaluable_cycles_considered:
            problems.append("need 1 <= positive_cycles_needed <= evaluable_cycles_considered")
        if not 1 <= self.nurse_reports_needed <= self.nurse_reports_considered:
            problems.append("need 1 <= nurse_reports_needed <= nurse_reports_considered")
        if problems:
            raise ValueError("wearing-off settings: " + "; ".join(problems))

    def rule_text(self) -> str:
        """The plain-language rule with the actual numbers, for display."""
        return self.rule_template.format(
            delay_tolerance_days=self.delay_tolerance_days,
            late_window_days=self.late_window_days,
            min_scored_entries_per_window=self.min_scored_entries_per_window,
            positive_delta_points=fmt_number(self.positive_delta_points),
            evaluable_cycles_considered=self.evaluable_cycles_considered,
            positive_cycles_needed=self.positive_cycles_needed,
            nurse_reports_considered=self.nurse_reports_considered,
            nurse_reports_needed=self.nurse_reports_needed,
        )


def load_settings() -> WearingOffSettings:
    """The settings shipped in ``resources/wearing_off.json``."""
    return WearingOffSettings.from_json(load_json(RESOURCE))


# ---------------------------------------------------------------------------------------------
# Result types


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleEvidence:
    """One cycle between two infusions, as the rule saw it (oldest cycles first in results)."""

    start: dt.date  # infusion that opens the cycle
    end: dt.date  # next infusion
    length_days: int
    planned_days: float | None  # None: no regimen in effect on ``start``
    days_late: float | None  # length - planned (negative when early)
    early_median: float | None
    early_count: int
    late_median: float | None
    late_count: int
    delta: float | None  # late median - early median, when both windows have entries
    delayed: bool
    evaluable: bool
    positive: bool
    rise_day: int | None  # day of the cycle (start + rise_day); see the module docstring
    rise_days_before: int | None  # length_days - rise_day
    notes: tuple[str, ...] = ()

    @property
    def rise_date(self) -> dt.date | None:
        return None if self.rise_day is None else self.start + dt.timedelta(days=self.rise_day)

    def summary(self) -> str:
        """One compact line, e.g. ``2025-09-08 → 2025-10-20 (42 d): early 2.5, late 6.3, +3.8 —
        positive, rose 9 days before``."""
        span = f"{self.start.isoformat()} → {self.end.isoformat()}"
        if self.planned_days is None:
            length = f"({self.length_days} d, planned interval unknown)"
        elif self.delayed:
            length = f"({self.length_days} d, planned {fmt_number(self.planned_days)})"
        else:
            length = f"({self.length_days} d)"
        show_n = not self.evaluable and not self.delayed  # counts explain "not evaluable"
        scores = (
            f"early {_window_text(self.early_median, self.early_count, show_n)}, "
            f"late {_window_text(self.late_median, self.late_count, show_n)}"
        )
        if self.delta is not None:
            scores += f", {_signed(self.delta)}"
        if self.delayed:
            verdict = f"delayed {_days(self.days_late or 0)}, not evaluated"
        elif not self.evaluable:
            verdict = "not evaluable"
        elif self.positive:
            verdict = "positive"
            if self.rise_days_before is not None:
                verdict += f", rose {_days(self.rise_days_before)} before"
        else:
            verdict = "not positive"
        return f"{span} {length}: {scores} — {verdict}"

    def to_json(self) -> dict[str, Any]:
        rise_date = self.rise_date
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "length_days": self.length_days,
            "planned_days": _json_number(self.planned_days),
            "days_late": _json_number(self.days_late),
            "early_median": _json_number(self.early_median),
            "early_count": self.early_count,
            "late_median": _json_number(self.late_median),
            "late_count": self.late_count,
            "delta": _json_number(self.delta),
            "delayed": self.delayed,
            "evaluable": self.evaluable,
            "positive": self.positive,
            "rise_day": self.rise_day,
            "rise_days_before": self.rise_days_before,
            "rise_date": None if rise_date is None else rise_date.isoformat(),
            "notes": list(self.notes),
            "summary": self.summary(),
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class NurseReport:
    """What the nurse recorded at one infusion: did symptoms return before it?"""

    date: dt.date
    symptoms_returned_before: bool | None  # None: not asked / not recorded
    symptoms_days_before: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "symptoms_returned_before": self.symptoms_returned_before,
            "symptoms_days_before": self.symptoms_days_before,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class WearingOffResult:
    as_of: dt.date
    flagged: bool
    source: str  # "diary" | "nurse_report" | "both" | "none"
    cycles_evaluated: int  # evaluable cycles among all cycles
    cycles_positive: int  # positive cycles among the evaluable ones
    cycles: tuple[CycleEvidence, ...]  # every cycle, delayed ones included, oldest first
    last_evaluable_considered: tuple[CycleEvidence, ...]  # the cycles the diary flag used
    nurse_reports: tuple[NurseReport, ...]  # the infusions the nurse flag used, oldest first
    mean_rise_days_before: float | None
    rule: str
    message: str
    settings_version: str
    verified: bool  # False: a project rule, not a validated instrument

    @property
    def diary_positive_considered(self) -> int:
        return sum(c.positive for c in self.last_evaluable_considered)

    @property
    def nurse_reports_yes(self) -> int:
        return sum(n.symptoms_returned_before is True for n in self.nurse_reports)

    @property
    def informative(self) -> bool:
        """Was there anything to judge from: an evaluable cycle or a nurse's answer?"""
        return _informative(self.last_evaluable_considered, self.nurse_reports)

    def to_json(self) -> dict[str, Any]:
        considered = {(c.start, c.end) for c in self.last_evaluable_considered}
        return {
            "as_of": self.as_of.isoformat(),
            "flagged": self.flagged,
            "source": self.source,
            "cycles_evaluated": self.cycles_evaluated,
            "cycles_positive": self.cycles_positive,
            "cycles": [
                c.to_json() | {"considered": (c.start, c.end) in considered} for c in self.cycles
            ],
            "last_evaluable_considered": [
                {"start": c.start.isoformat(), "end": c.end.isoformat()}
                for c in self.last_evaluable_considered
            ],
            "diary_positive_considered": self.diary_positive_considered,
            "nurse_reports": [n.to_json() for n in self.nurse_reports],
            "nurse_reports_yes": self.nurse_reports_yes,
            "mean_rise_days_before": _json_number(self.mean_rise_days_before),
            "rule": self.rule,
            "message": self.message,
            "settings_version": self.settings_version,
            "verified": self.verified,
        }


# ---------------------------------------------------------------------------------------------
# The assessment


def _informative(considered: Sequence[CycleEvidence], reports: Sequence[NurseReport]) -> bool:
    return bool(considered) or any(n.symptoms_returned_before is not None for n in reports)


def assess_wearing_off(
    case: r.Case, as_of: dt.date, settings: WearingOffSettings | None = None
) -> WearingOffResult:
    """Look for an end-of-dose pattern in ``case`` as of ``as_of`` (see the module docstring)."""
    s = settings or load_settings()
    infusions = sorted((i for i in case.infusions if i.date <= as_of), key=lambda i: i.date)
    scored = _scored_entries(case.diary, as_of)

    dates = sorted({i.date for i in infusions})
    cycles = tuple(_cycle(case, start, end, scored, s) for start, end in itertools.pairwise(dates))
    evaluable = [c for c in cycles if c.evaluable]
    considered = tuple(evaluable[-s.evaluable_cycles_considered :])
    diary_flag = sum(c.positive for c in considered) >= s.positive_cycles_needed

    reports = tuple(
        NurseReport(
            date=i.date,
            symptoms_returned_before=i.symptoms_returned_before,
            symptoms_days_before=i.symptoms_days_before,
        )
        for i in infusions[-s.nurse_reports_considered :]
    )
    nurse_yes = sum(n.symptoms_returned_before is True for n in reports)
    nurse_flag = nurse_yes >= s.nurse_reports_needed

    source = {
        (True, True): "both",
        (True, False): "diary",
        (False, True): "nurse_report",
        (False, False): "none",
    }[(diary_flag, nurse_flag)]

    rises = [c.rise_days_before for c in evaluable if c.positive and c.rise_days_before is not None]
    mean_rise = statistics.fmean(rises) if rises else None

    message = _message(
        flagged=source != "none",
        diary_part=_diary_text(considered, cycles, infusions, scored, as_of, s),
        nurse_part=_nurse_text(reports, nurse_yes),
        mean_rise=mean_rise,
        informative=_informative(considered, reports),
    )
    return WearingOffResult(
        as_of=as_of,
        flagged=source != "none",
        source=source,
        cycles_evaluated=len(evaluable),
        cycles_positive=sum(c.positive for c in evaluable),
        cycles=cycles,
        last_evaluable_considered=considered,
        nurse_reports=reports,
        mean_rise_days_before=mean_rise,
        rule=s.rule_text(),
        message=message,
        settings_version=s.version,
        verified=s.verified,
    )


def _diary_score(entry: r.DiaryEntry) -> float | None:
    """The symptom score, else the BASDAI when all six items are present, else None."""
    if entry.symptom_score is not None:
        return float(entry.symptom_score)
    return _basdai(entry.basdai)


def _basdai(items: r.Basdai | None) -> float | None:
    """BASDAI = [Q1 + Q2 + Q3 + Q4 + (Q5 + Q6)/2] / 5 (clinical reference §6.1)."""
    if items is None:
        return None
    q = (items.q1, items.q2, items.q3, items.q4, items.q5, items.q6)
    if any(v is None for v in q):
        return None
    q1, q2, q3, q4, q5, q6 = (float(v) for v in q if v is not None)
    return (q1 + q2 + q3 + q4 + (q5 + q6) / 2) / 5


def _scored_entries(diary: Iterable[r.DiaryEntry], as_of: dt.date) -> list[tuple[dt.date, float]]:
    scored = []
    for entry in diary:
        score = _diary_score(entry)
        if score is not None and entry.date <= as_of:
            scored.append((entry.date, score))
    scored.sort(key=lambda item: item[0])
    return scored


def _cycle(
    case: r.Case,
    start: dt.date,
    end: dt.date,
    scored: Sequence[tuple[dt.date, float]],
    s: WearingOffSettings,
) -> CycleEvidence:
    length = (end - start).days
    regimen = regimen_in_effect(case, start)
    planned = None if regimen is None else float(regimen.interval_weeks) * 7
    days_late = None if planned is None else length - planned
    delayed = days_late is not None and days_late > s.delay_tolerance_days

    # ``scored`` is in date order: take the cycle's entries by binary search, not a scan.
    inside = scored[
        bisect.bisect_right(scored, (start, math.inf)) : bisect.bisect_left(
            scored, (end, -math.inf)
        )
    ]
    by_day = [((day - start).days, score) for day, score in inside]
    half = length // 2
    late_first = max(1, length - s.late_window_days)
    early = [score for d, score in by_day if 1 <= d <= half]
    late = [score for d, score in by_day if late_first <= d <= length - 1]
    early_median = _median(early)
    late_median = _median(late)
    delta = (
        None
        if early_median is None or late_median is None
        else round(late_median - early_median, _COMPARE_DECIMALS)
    )
    enough = min(len(early), len(late)) >= s.min_scored_entries_per_window
    evaluable = enough and not delayed
    positive = evaluable and delta is not None and delta >= s.positive_delta_points

    rise_day = None
    if positive and early_median is not None:
        rise_day = _rise_day(by_day, half, length, early_median + s.positive_delta_points)

    notes = []
    if planned is None:
        notes.append("planned interval unknown: no regimen in effect on " + start.isoformat())
    if delayed and planned is not None:
        notes.append(
            f"delayed: {length} days against {fmt_number(planned)} planned "
            f"({_days(days_late or 0)} late) — a late infusion mimics wearing-off"
        )
    if not enough:
        need = s.min_scored_entries_per_window
        notes.append(
            f"too few scored diary entries: {len(early)} early, {len(late)} late "
            f"(need {need} in each window)"
        )
    return CycleEvidence(
        start=start,
        end=end,
        length_days=length,
        planned_days=planned,
        days_late=days_late,
        early_median=early_median,
        early_count=len(early),
        late_median=late_median,
        late_count=len(late),
        delta=delta,
        delayed=delayed,
        evaluable=evaluable,
        positive=positive,
        rise_day=rise_day,
        rise_days_before=None if rise_day is None else length - rise_day,
        notes=tuple(notes),
    )


def _rise_day(
    by_day: Sequence[tuple[int, float]], half: int, length: int, threshold: float
) -> int | None:
    """The earliest second-half day from which every scored entry to the end is >= threshold."""
    second_half = sorted((d, score) for d, score in by_day if half < d <= length - 1)
    rise = None
    for d, score in reversed(second_half):
        if round(score - threshold, _COMPARE_DECIMALS) < 0:
            break
        rise = d
    return rise


def _median(values: Sequence[float]) -> float | None:
    if not values:
        return None
    return round(statistics.median(values), _COMPARE_DECIMALS)


# ---------------------------------------------------------------------------------------------
# Wording


def _message(
    *, flagged: bool, diary_part: str, nurse_part: str, mean_rise: float | None, informative: bool
) -> str:
    evidence = f"({diary_part}; {nurse_part})"
    if flagged:
        text = f"Possible end-of-dose wearing off {evidence}."
        if mean_rise is not None:
            text += (
                f" In the positive cycles symptoms return on average "
                f"{_days(mean_rise)} before the infusion."
            )
        return text + " Consider a trough level just before the next infusion."
    if not informative:
        return f"Not enough information to look for end-of-dose wearing off {evidence}."
    return f"No end-of-dose pattern found {evidence}."


def _diary_text(
    considered: Sequence[CycleEvidence],
    cycles: Sequence[CycleEvidence],
    infusions: Sequence[r.Infusion],
    scored: Sequence[tuple[dt.date, float]],
    as_of: dt.date,
    s: WearingOffSettings,
) -> str:
    if considered:
        positive = sum(c.positive for c in considered)
        return f"diary: {positive} of the last {_count(len(considered), 'evaluable cycle')}"
    return "diary: no evaluable cycle — " + _why_nothing_evaluable(
        cycles, infusions, scored, as_of, s
    )


def _why_nothing_evaluable(
    cycles: Sequence[CycleEvidence],
    infusions: Sequence[r.Infusion],
    scored: Sequence[tuple[dt.date, float]],
    as_of: dt.date,
    s: WearingOffSettings,
) -> str:
    if not infusions:
        return f"no infusion on or before {as_of.isoformat()}"
    if not cycles:
        return "only one infusion date so far, so no complete cycle"
    on_time = [c for c in cycles if not c.delayed]
    if not on_time:
        return "every cycle was delayed (a late infusion mimics wearing-off)"
    if not scored:
        return "no scored diary entries (a symptom score, or all six BASDAI items)"
    need = s.min_scored_entries_per_window
    early_short = all(c.early_count < need for c in on_time)
    late_short = all(c.late_count < need for c in on_time)
    if early_short and late_short:
        if all(c.early_count == 0 and c.late_count == 0 for c in on_time):
            return "no scored diary entries in the early or late window"
        where = "the early and late windows"
    elif late_short:
        if all(c.late_count == 0 for c in on_time):
            return "no diary entries in the late window"
        where = "the late window"
    elif early_short:
        if all(c.early_count == 0 for c in on_time):
            return "no diary entries in the early window"
        where = "the early window"
    else:
        where = "one of the two windows of each cycle"
    return f"too few scored diary entries in {where} (need {need} per window)"


def _nurse_text(reports: Sequence[NurseReport], yes: int) -> str:
    if not reports:
        return "nurse reports: no infusion recorded"
    text = f"nurse reports: {yes} of the last {_count(len(reports), 'infusion')}"
    unknown = sum(n.symptoms_returned_before is None for n in reports)
    if unknown:
        text += f", {unknown} not recorded"
    return text


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _days(n: float) -> str:
    return f"{_one_decimal(n)} day" if n == 1 else f"{_one_decimal(n)} days"


def _one_decimal(value: float) -> str:
    """Half-up to one decimal for display (6.25 -> "6.3"), no trailing zeros."""
    rounded = Decimal(repr(float(value))).quantize(_DISPLAY_STEP, rounding=ROUND_HALF_UP)
    return fmt_number(float(rounded))


def _signed(value: float) -> str:
    text = _one_decimal(abs(value))
    if text == "0":
        return "±0"
    return f"+{text}" if value > 0 else f"−{text}"


def _window_text(median: float | None, count: int, show_count: bool) -> str:
    if median is None:
        return "no entries"
    return f"{_one_decimal(median)} (n={count})" if show_count else _one_decimal(median)


def _json_number(value: float | None) -> float | int | None:
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value
