"""End-of-dose wearing-off: the founding cases, the rule's boundaries, and robustness."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import pytest
from conftest import load_case_json
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import case_documents

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.domain.wearing_off import (
    SOURCES,
    CycleEvidence,
    WearingOffResult,
    WearingOffSettings,
    assess_wearing_off,
    load_settings,
)
from clinic_gui.resources import load_json

TODAY = dt.date(2026, 11, 22)
D0 = dt.date(2025, 1, 6)
PATIENT = r.Patient(
    mrn="WO-1",
    name="Test Patient",
    birth_date=dt.date(1980, 1, 1),
    sex="female",
    indication="ankylosing_spondylitis",
)

# A cycle's diary pattern: (early scores, late scores); None = no diary in that cycle.
Pattern = tuple[Sequence[float | None], Sequence[float | None]] | None
POSITIVE: Pattern = ((2.5, 2.5, 2.5), (6.5, 6.5, 6.5))
NEGATIVE: Pattern = ((2.5, 2.5, 2.5), (2.8, 2.8, 2.8))


# ---------------------------------------------------------------------------------------------
# Helpers: small synthetic cases built from the record dataclasses


def day(n: int) -> dt.date:
    return D0 + dt.timedelta(days=n)


def entry(on: dt.date, score: float | None = None, basdai: r.Basdai | None = None) -> r.DiaryEntry:
    return r.DiaryEntry(date=on, symptom_score=score, basdai=basdai)


def cycle_entries(start: dt.date, length: int, pattern: Pattern) -> list[r.DiaryEntry]:
    """Early scores on days 1, 2, …; late scores on the last days before the next infusion."""
    if pattern is None:
        return []
    early, late = pattern
    entries = [entry(start + dt.timedelta(days=1 + i), s) for i, s in enumerate(early)]
    first_late = length - len(late)
    entries += [entry(start + dt.timedelta(days=first_late + i), s) for i, s in enumerate(late)]
    return entries


def build(
    lengths: Sequence[int],
    patterns: Sequence[Pattern] | None = None,
    *,
    weeks: float | None = 6,
    returned: Sequence[bool | None] | None = None,
    extra_diary: Sequence[r.DiaryEntry] = (),
    regimens: Sequence[r.Regimen] | None = None,
) -> tuple[r.Case, list[dt.date]]:
    """Infusions from D0 separated by ``lengths`` days, with a diary pattern per cycle."""
    dates = [D0]
    for length in lengths:
        dates.append(dates[-1] + dt.timedelta(days=length))
    answers = list(returned) if returned is not None else [None] * len(dates)
    infusions = tuple(
        r.Infusion(date=d, product="Remicade", dose_mg=400, symptoms_returned_before=a)
        for d, a in zip(dates, answers, strict=True)
    )
    diary: list[r.DiaryEntry] = []
    for start, length, pattern in zip(dates, lengths, patterns or [], strict=False):
        diary += cycle_entries(start, length, pattern)
    if regimens is None:
        regimens = [] if weeks is None else [regimen(D0, weeks)]
    case = r.Case(
        patient=PATIENT,
        regimens=tuple(regimens),
        infusions=infusions,
        diary=tuple(diary) + tuple(extra_diary),
    )
    return case, dates


def regimen(start: dt.date, weeks: float) -> r.Regimen:
    return r.Regimen(start_date=start, product="Remicade", dose_mg_per_kg=5, interval_weeks=weeks)


def assess(case: r.Case, as_of: dt.date, **overrides: Any) -> WearingOffResult:
    s = dataclasses.replace(load_settings(), **overrides) if overrides else None
    return assess_wearing_off(case, as_of, s)


def only_cycle(result: WearingOffResult) -> CycleEvidence:
    assert len(result.cycles) == 1
    return result.cycles[0]


# ---------------------------------------------------------------------------------------------
# The founding cases


def founding() -> r.Case:
    return parse_case(load_case_json("seed-as-wearing-off.json"), today=TODAY)


def test_founding_case_is_flagged_from_both_sources() -> None:
    result = assess_wearing_off(founding(), dt.date(2025, 12, 1))

    assert result.flagged
    assert result.source == "both"
    assert len(result.cycles) == 6
    assert result.cycles_evaluated == 5
    assert result.cycles_positive == 5
    assert [c.start for c in result.last_evaluable_considered] == [
        dt.date(2025, 7, 28),
        dt.date(2025, 9, 8),
        dt.date(2025, 10, 20),
    ]
    assert [n.symptoms_returned_before for n in result.nurse_reports] == [True, True, True]
    assert result.mean_rise_days_before == 9
    assert result.message == (
        "Possible end-of-dose wearing off (diary: 3 of the last 3 evaluable cycles; "
        "nurse reports: 3 of the last 3 infusions). In the positive cycles symptoms return "
        "on average 9 days before the infusion. "
        "Consider a trough level just before the next infusion."
    )
    assert result.verified is False


def test_founding_case_delayed_cycle_is_shown_but_not_evaluated() -> None:
    result = assess_wearing_off(founding(), dt.date(2025, 12, 1))
    delayed = [c for c in result.cycles if c.delayed]

    assert [(c.start, c.end) for c in delayed] == [(dt.date(2025, 5, 26), dt.date(2025, 7, 28))]
    cycle = delayed[0]
    assert cycle.length_days == 63
    assert cycle.planned_days == 42
    assert cycle.days_late == 21
    assert not cycle.evaluable
    assert not cycle.positive
    assert cycle.rise_days_before is None
    assert cycle not in result.last_evaluable_considered
    assert "late infusion mimics wearing-off" in cycle.notes[0]
    assert cycle.summary() == (
        "2025-05-26 → 2025-07-28 (63 d, planned 42): early 2.6, late 6.1, +3.5 — "
        "delayed 21 days, not evaluated"
    )


def test_founding_case_cycle_summary() -> None:
    result = assess_wearing_off(founding(), dt.date(2025, 12, 1))
    cycle = next(c for c in result.cycles if c.start == dt.date(2025, 9, 8))

    assert cycle.early_median == 2.5
    assert cycle.early_count == 11
    assert cycle.late_median == 6.25
    assert cycle.late_count == 4
    assert cycle.delta == 3.75
    assert cycle.rise_day == 33
    assert cycle.rise_date == dt.date(2025, 10, 11)
    assert cycle.summary() == (
        "2025-09-08 → 2025-10-20 (42 d): early 2.5, late 6.3, +3.8 — positive, rose 9 days before"
    )


def test_founding_case_to_json_follows_the_contract() -> None:
    data = assess_wearing_off(founding(), dt.date(2025, 12, 1)).to_json()

    assert json.loads(json.dumps(data)) == data  # plain JSON values only
    assert {"flagged", "source", "cycles_evaluated", "cycles_positive", "cycles"} <= set(data)
    assert (data["flagged"], data["source"]) == (True, "both")
    assert (data["cycles_evaluated"], data["cycles_positive"]) == (5, 5)
    delayed = data["cycles"][2]
    assert delayed["start"] == "2025-05-26"
    assert delayed["end"] == "2025-07-28"
    assert (delayed["delayed"], delayed["evaluable"], delayed["considered"]) == (True, False, False)
    assert delayed["planned_days"] == 42
    assert [c["considered"] for c in data["cycles"]] == [False] * 3 + [True] * 3
    assert data["nurse_reports"][-1] == {
        "date": "2025-12-01",
        "symptoms_returned_before": True,
        "symptoms_days_before": 7,
    }
    assert data["mean_rise_days_before"] == 9
    assert "not a validated test" in data["rule"]


def test_founding_case_before_the_nurse_reports_is_flagged_from_the_diary() -> None:
    result = assess_wearing_off(founding(), dt.date(2025, 9, 7))

    assert result.source == "diary"
    assert result.cycles[-1].end == dt.date(2025, 7, 28)


def test_crohns_low_trough_case_is_flagged() -> None:
    case = parse_case(load_case_json("cd-low-trough.json"), today=TODAY)
    result = assess_wearing_off(case, dt.date(2025, 9, 29))

    assert result.flagged
    assert result.source == "diary"
    assert result.cycles_evaluated == 7
    assert all(c.planned_days == 56 and not c.delayed for c in result.cycles)
    assert "3 not recorded" in result.message


# ---------------------------------------------------------------------------------------------
# Delay


def test_cycle_exactly_tolerance_days_late_is_not_delayed() -> None:
    case, dates = build([42 + 7], [POSITIVE])
    cycle = only_cycle(assess(case, dates[-1]))

    assert cycle.days_late == 7
    assert not cycle.delayed
    assert cycle.evaluable and cycle.positive


def test_cycle_one_day_more_than_tolerance_is_delayed_and_not_evaluated() -> None:
    case, dates = build([42 + 8, 42, 42], [POSITIVE, NEGATIVE, POSITIVE])
    result = assess(case, dates[-1])

    assert result.cycles[0].delayed
    assert not result.cycles[0].evaluable
    assert result.cycles_evaluated == 2
    assert result.source == "none"  # only 1 positive among the evaluable cycles


def test_early_infusion_is_not_delayed() -> None:
    cycle = only_cycle(assess(*_last(build([30], [POSITIVE]))))

    assert cycle.days_late == -12
    assert not cycle.delayed


def test_every_cycle_delayed_is_explained() -> None:
    case, dates = build([60, 60], [POSITIVE, POSITIVE])
    result = assess(case, dates[-1])

    assert not result.flagged
    assert "every cycle was delayed" in result.message


def test_regimen_in_effect_on_the_cycle_start_sets_the_plan() -> None:
    # 8-weekly from D0, changed to 6-weekly the day after the first infusion: the first
    # cycle was planned at 8 weeks, the second at 6 weeks.
    regimens = [regimen(D0, 8), regimen(day(1), 6)]
    case, dates = build([56, 56], [POSITIVE, POSITIVE], regimens=regimens)
    result = assess(case, dates[-1])

    assert [c.planned_days for c in result.cycles] == [56, 42]
    assert [c.delayed for c in result.cycles] == [False, True]


def test_no_regimen_means_planned_interval_unknown_and_never_delayed() -> None:
    case, dates = build([120, 42], [POSITIVE, POSITIVE], weeks=None)
    result = assess(case, dates[-1])

    assert [c.planned_days for c in result.cycles] == [None, None]
    assert not any(c.delayed for c in result.cycles)
    assert result.source == "diary"
    assert "planned interval unknown" in result.cycles[0].notes[0]
    assert "planned interval unknown" in result.cycles[0].summary()


# ---------------------------------------------------------------------------------------------
# Windows, evaluability and positivity


def test_window_with_one_scored_entry_is_not_evaluable() -> None:
    for pattern in [((2.5,), (6.5, 6.5)), ((2.5, 2.5), (6.5,))]:
        case, dates = build([42], [pattern])
        cycle = only_cycle(assess(case, dates[-1]))
        assert not cycle.evaluable
        assert not cycle.positive
        assert "need 2 in each window" in cycle.notes[0]
        assert "(n=1)" in cycle.summary()


def test_two_scored_entries_per_window_are_enough() -> None:
    case, dates = build([42], [((2.5, 2.5), (6.5, 6.5))])
    cycle = only_cycle(assess(case, dates[-1]))

    assert (cycle.early_count, cycle.late_count) == (2, 2)
    assert cycle.evaluable and cycle.positive


@pytest.mark.parametrize(
    ("early", "late", "positive"),
    [
        (2.5, 4.5, True),  # exactly 2.0
        (4.3, 6.3, True),  # 2.0 that floating point makes 1.9999999999999996
        (2.5, 4.4, False),  # 1.9
        (2.5, 2.5, False),
        (6.5, 2.5, False),  # symptoms fall: never positive
    ],
)
def test_positive_threshold(early: float, late: float, positive: bool) -> None:
    case, dates = build([42], [((early, early), (late, late))])
    cycle = only_cycle(assess(case, dates[-1]))

    assert cycle.evaluable
    assert cycle.delta == round(late - early, 6)
    assert cycle.positive is positive


def test_windows_use_the_cycle_days() -> None:
    start_entries = [
        entry(D0, 9),  # day 0 (the infusion day): in no window
        entry(day(1), 2),  # early window starts at day 1
        entry(day(21), 2),  # early window ends at day 21 = 42 // 2
        entry(day(22), 9),  # day 22 to 34: in neither window
        entry(day(34), 9),
        entry(day(35), 6),  # late window: days 35 … 41
        entry(day(41), 6),
        entry(day(42), 9),  # the next infusion day: in no window
    ]
    case, dates = build([42, 42], extra_diary=start_entries)
    cycle = assess(case, dates[-1]).cycles[0]

    assert (cycle.early_count, cycle.early_median) == (2, 2)
    assert (cycle.late_count, cycle.late_median) == (2, 6)


def test_late_window_length_comes_from_the_settings() -> None:
    case, dates = build([42], [((2.5, 2.5), (6.5, 6.5, 6.5, 6.5, 6.5, 6.5, 6.5, 2.5, 2.5))])

    assert only_cycle(assess(case, dates[-1])).late_count == 7
    wide = only_cycle(assess(case, dates[-1], late_window_days=14))
    assert wide.late_count == 9
    assert "last 14 days" in assess(case, dates[-1], late_window_days=14).rule


def test_unscored_entries_are_ignored() -> None:
    unscored = [entry(day(d)) for d in (36, 38)]  # no symptom score, no BASDAI
    case, dates = build([42], [((2.5, 2.5), ())], extra_diary=unscored)
    cycle = only_cycle(assess(case, dates[-1]))

    assert cycle.late_count == 0
    assert not cycle.evaluable


# ---------------------------------------------------------------------------------------------
# BASDAI as the diary score


def basdai(*items: float | None) -> r.Basdai:
    q1, q2, q3, q4, q5, q6 = items
    return r.Basdai(q1=q1, q2=q2, q3=q3, q4=q4, q5=q5, q6=q6)


def test_basdai_used_when_symptom_score_missing_and_all_items_present() -> None:
    # clinical reference §6.1 worked example: Q = 6, 5, 4, 3, 7, 5 -> BASDAI 4.8
    late = [entry(day(d), basdai=basdai(6, 5, 4, 3, 7, 5)) for d in (38, 40)]
    case, dates = build([42], [((2.8, 2.8), ())], extra_diary=late)
    cycle = only_cycle(assess(case, dates[-1]))

    assert cycle.late_count == 2
    assert cycle.late_median == 4.8
    assert cycle.delta == 2.0
    assert cycle.positive


def test_basdai_not_used_when_an_item_is_missing() -> None:
    late = [entry(day(d), basdai=basdai(6, 5, 4, 3, 7, None)) for d in (38, 40)]
    case, dates = build([42], [((2.8, 2.8), ())], extra_diary=late)
    cycle = only_cycle(assess(case, dates[-1]))

    assert cycle.late_count == 0
    assert not cycle.evaluable


def test_symptom_score_wins_over_basdai() -> None:
    late = [entry(day(d), 3.0, basdai=basdai(9, 9, 9, 9, 9, 9)) for d in (38, 40)]
    case, dates = build([42], [((2.8, 2.8), ())], extra_diary=late)

    assert only_cycle(assess(case, dates[-1])).late_median == 3.0


# ---------------------------------------------------------------------------------------------
# The diary flag


def test_one_positive_of_the_last_three_evaluable_is_not_flagged() -> None:
    case, dates = build([42] * 4, [POSITIVE, POSITIVE, NEGATIVE, NEGATIVE])
    result = assess(case, dates[-1])

    assert result.cycles_positive == 2
    assert len(result.last_evaluable_considered) == 3
    assert result.source == "none"
    assert not result.flagged
    assert result.message.startswith("No end-of-dose pattern found (diary: 1 of the last 3")


def test_two_positive_of_the_last_three_evaluable_is_flagged() -> None:
    case, dates = build([42] * 4, [NEGATIVE, POSITIVE, NEGATIVE, POSITIVE])
    result = assess(case, dates[-1])

    assert result.source == "diary"
    assert result.flagged
    assert "diary: 2 of the last 3 evaluable cycles" in result.message
    assert "Consider a trough level" in result.message


def test_cycles_that_are_not_evaluable_are_skipped_not_counted_as_negative() -> None:
    case, dates = build([42] * 4, [POSITIVE, POSITIVE, None, NEGATIVE])
    result = assess(case, dates[-1])

    assert [c.start for c in result.last_evaluable_considered] == [dates[0], dates[1], dates[3]]
    assert result.source == "diary"


def test_two_evaluable_cycles_both_positive_are_enough() -> None:
    case, dates = build([42, 42], [POSITIVE, POSITIVE])
    result = assess(case, dates[-1])

    assert result.source == "diary"
    assert "2 of the last 2 evaluable cycles" in result.message


def test_one_evaluable_positive_cycle_is_not_enough() -> None:
    case, dates = build([42], [POSITIVE])
    result = assess(case, dates[-1])

    assert result.cycles_positive == 1
    assert result.source == "none"


# ---------------------------------------------------------------------------------------------
# The nurse flag


def test_nurse_reports_two_of_last_three_flag_with_source_nurse_report() -> None:
    case, dates = build([42] * 3, returned=[None, True, False, True])
    result = assess(case, dates[-1])

    assert result.flagged
    assert result.source == "nurse_report"
    assert [n.date for n in result.nurse_reports] == dates[1:]
    assert "nurse reports: 2 of the last 3 infusions" in result.message


def test_nurse_reports_older_than_the_last_three_do_not_count() -> None:
    case, dates = build([42] * 3, returned=[True, True, False, None])
    result = assess(case, dates[-1])

    assert result.source == "none"
    assert "nurse reports: 1 of the last 3 infusions, 1 not recorded" in result.message


def test_infusions_after_the_assessment_date_are_ignored() -> None:
    case, dates = build([42] * 3, [NEGATIVE, NEGATIVE, POSITIVE], returned=[None, None, True, True])

    before = assess(case, dates[-1] - dt.timedelta(days=1))
    assert [c.end for c in before.cycles] == dates[1:3]
    assert [n.date for n in before.nurse_reports] == dates[:3]
    assert before.source == "none"

    on_the_day = assess(case, dates[-1])
    assert on_the_day.cycles[-1].end == dates[-1]
    assert on_the_day.source == "nurse_report"


# ---------------------------------------------------------------------------------------------
# Rise day


def test_rise_day_is_the_start_of_the_last_run_at_or_above_threshold() -> None:
    # early median 2.5, threshold 4.5. Second half: day 30 high, day 32 dips, then high from 34.
    late = [(30, 5.0), (32, 3.0), (34, 4.5), (36, 6.5), (38, 6.5), (40, 6.5)]
    extra = [entry(day(d), s) for d, s in late]
    case, dates = build([42], [((2.5, 2.5, 2.5), ())], extra_diary=extra)
    cycle = only_cycle(assess(case, dates[-1]))

    assert cycle.positive
    assert cycle.rise_day == 34  # 4.5 is exactly at the threshold: counts
    assert cycle.rise_days_before == 8
    assert cycle.summary().endswith("positive, rose 8 days before")


def test_no_rise_day_when_the_last_entry_is_below_threshold() -> None:
    case, dates = build([42], [((2.5, 2.5, 2.5), (6.5, 6.5, 6.5, 2.6))])
    cycle = only_cycle(assess(case, dates[-1]))

    assert cycle.positive
    assert cycle.rise_day is None
    assert cycle.summary().endswith("— positive")


def test_no_rise_day_for_cycles_that_are_not_positive() -> None:
    case, dates = build([42], [((2.5, 2.5), (2.5, 2.5, 9.0))])
    cycle = only_cycle(assess(case, dates[-1]))

    assert not cycle.positive
    assert cycle.rise_day is None


def test_rise_day_stays_in_the_second_half() -> None:
    # High from day 18 on, but the rise is reported from day 22 (first day after 42 // 2).
    extra = [entry(day(d), 6.5) for d in range(18, 42)]
    case, dates = build([42], [((2.5,) * 5, ())], extra_diary=extra)
    cycle = only_cycle(assess(case, dates[-1]))

    assert cycle.rise_day == 22
    assert cycle.rise_days_before == 20


def test_mean_rise_over_positive_cycles() -> None:
    rise_9 = ((2.5, 2.5), (6.5,) * 9)
    rise_8 = ((2.5, 2.5), (6.5,) * 8)
    case, dates = build([42, 42, 42], [rise_9, rise_8, NEGATIVE])
    result = assess(case, dates[-1])

    assert [c.rise_days_before for c in result.cycles] == [9, 8, None]
    assert result.mean_rise_days_before == 8.5
    assert "on average 8.5 days before the infusion" in result.message


# ---------------------------------------------------------------------------------------------
# Nothing to assess: an explanation, never a crash


def test_no_infusions() -> None:
    case = r.Case(patient=PATIENT, diary=(entry(D0, 5),))
    result = assess(case, D0)

    assert not result.flagged
    assert result.source == "none"
    assert result.cycles == ()
    assert result.nurse_reports == ()
    assert result.message == (
        "Not enough information to look for end-of-dose wearing off (diary: no evaluable "
        "cycle — no infusion on or before 2025-01-06; nurse reports: no infusion recorded)."
    )


def test_one_infusion() -> None:
    case, dates = build([], returned=[None])
    result = assess(case, dates[-1])

    assert not result.flagged
    assert result.cycles == ()
    assert "only one infusion date so far" in result.message


def test_no_diary() -> None:
    case, dates = build([42, 42, 42])
    result = assess(case, dates[-1])

    assert not result.flagged
    assert result.cycles_evaluated == 0
    assert len(result.cycles) == 3
    assert "no scored diary entries" in result.message
    assert result.message.startswith("Not enough information")


def test_no_diary_in_the_late_window() -> None:
    case, dates = build([42, 42], [((2.5, 2.5), ()), ((2.5, 2.5), ())])
    result = assess(case, dates[-1])

    assert not result.flagged
    assert "no diary entries in the late window" in result.message


def test_nurse_answers_without_diary_give_a_finding() -> None:
    case, dates = build([42, 42], returned=[False, False, False])
    result = assess(case, dates[-1])

    assert result.message.startswith("No end-of-dose pattern found")
    assert "nurse reports: 0 of the last 3 infusions" in result.message


def test_same_day_infusions_make_no_zero_day_cycle() -> None:
    case, dates = build([0, 42], [None, POSITIVE])
    result = assess(case, dates[-1])

    assert [c.length_days for c in result.cycles] == [42]
    assert len(result.nurse_reports) == 3


def test_unordered_case_is_handled() -> None:
    case, dates = build([42, 42], [POSITIVE, POSITIVE])
    shuffled = dataclasses.replace(case, infusions=case.infusions[::-1], diary=case.diary[::-1])

    assert assess(shuffled, dates[-1]) == assess(case, dates[-1])


# ---------------------------------------------------------------------------------------------
# Settings


def test_settings_file_documents_every_number() -> None:
    data = load_json("wearing_off.json")
    expected = {
        "delay_tolerance_days": 7,
        "late_window_days": 7,
        "min_scored_entries_per_window": 2,
        "positive_delta_points": 2.0,
        "evaluable_cycles_considered": 3,
        "positive_cycles_needed": 2,
        "nurse_reports_considered": 3,
        "nurse_reports_needed": 2,
    }

    assert data["verified"] is False
    assert data["version"]
    assert {k: v["value"] for k, v in data["settings"].items()} == expected
    assert all(v["rationale"].strip() for v in data["settings"].values())
    assert "§5" in data["sources"]["definition"]
    assert "Hibi" in data["sources"]["plausibility"]
    s = load_settings()
    assert {k: getattr(s, k) for k in expected} == expected
    assert s.verified is False


def test_rule_text_carries_the_numbers() -> None:
    text = load_settings().rule_text()

    assert "{" not in text
    assert "last 7 days" in text
    assert "at least 2 points" in text
    assert "2 of the last 3 evaluable cycles" in text
    assert "more than 7 days longer than planned" in text


def test_settings_overrides_change_the_rule() -> None:
    case, dates = build([42] * 3, [POSITIVE, NEGATIVE, NEGATIVE])

    assert assess(case, dates[-1]).source == "none"
    assert assess(case, dates[-1], positive_cycles_needed=1).source == "diary"


def test_inconsistent_settings_are_refused() -> None:
    data = json.loads(json.dumps(load_json("wearing_off.json")))
    data["settings"]["positive_cycles_needed"]["value"] = 4

    with pytest.raises(ValueError, match="positive_cycles_needed"):
        WearingOffSettings.from_json(data)


# ---------------------------------------------------------------------------------------------
# Properties


def _check_invariants(result: WearingOffResult, s: WearingOffSettings) -> None:
    assert result.source in SOURCES
    assert result.flagged == (result.source != "none")
    assert result.cycles_evaluated == sum(c.evaluable for c in result.cycles)
    assert result.cycles_positive <= result.cycles_evaluated
    assert len(result.last_evaluable_considered) <= s.evaluable_cycles_considered
    assert len(result.nurse_reports) <= s.nurse_reports_considered
    assert [c.start for c in result.cycles] == sorted(c.start for c in result.cycles)
    for c in result.cycles:
        assert c.length_days > 0
        assert not (c.delayed and c.evaluable)
        assert not c.positive or (c.evaluable and (c.delta or 0) >= s.positive_delta_points)
        if c.rise_days_before is not None:
            assert c.positive
            assert 1 <= c.rise_days_before < c.length_days - c.length_days // 2
        c.summary()
    assert result.message
    assert json.loads(json.dumps(result.to_json())) == result.to_json()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(case_documents(), st.dates(dt.date(1930, 1, 1), dt.date(2027, 12, 31)))
def test_any_valid_case_and_date_never_raises(document: dict[str, Any], as_of: dt.date) -> None:
    case = parse_case(document, today=TODAY)
    result = assess_wearing_off(case, as_of)
    _check_invariants(result, load_settings())


_score = st.one_of(st.none(), st.integers(0, 100).map(lambda n: n / 10))


@settings(max_examples=150, deadline=None)
@given(
    lengths=st.lists(st.integers(0, 80), max_size=6),
    diary=st.lists(st.tuples(st.integers(-5, 400), _score), max_size=60),
    answers=st.lists(st.sampled_from([None, True, False]), min_size=7, max_size=7),
    weeks=st.one_of(st.none(), st.integers(1, 12)),
    as_of_offset=st.integers(-10, 420),
)
def test_dense_synthetic_cases_never_raise(
    lengths: list[int],
    diary: list[tuple[int, float | None]],
    answers: list[bool | None],
    weeks: int | None,
    as_of_offset: int,
) -> None:
    entries = [entry(day(d), s) for d, s in diary]
    case, _ = build(lengths, weeks=weeks, returned=answers[: len(lengths) + 1], extra_diary=entries)
    result = assess_wearing_off(case, day(as_of_offset))
    _check_invariants(result, load_settings())


def _last(built: tuple[r.Case, list[dt.date]]) -> tuple[r.Case, dt.date]:
    case, dates = built
    return case, dates[-1]
