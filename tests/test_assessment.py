"""One patient's assessment and `clinic-gui assess`: the founding cases and the JSON contract."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CASES, load_case_json, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import case_documents

from clinic_gui.__main__ import main
from clinic_gui.domain import records as r
from clinic_gui.domain.assessment import assess, assessment_json, assessment_text
from clinic_gui.domain.case_file import parse_case

TODAY = dt.date(2026, 11, 22)
SEED_DAY = dt.date(2025, 12, 1)
CD_DAY = dt.date(2025, 9, 29)


def _case(name: str) -> r.Case:
    return parse_case(load_case_json(name), today=TODAY)


def _option(result: Any, kind: str) -> Any:
    return next(o for o in result.dose_options if o.kind == kind)


def test_founding_case() -> None:
    result = assess(_case("seed-as-wearing-off.json"), SEED_DAY, proposals=["7 mg/kg q6w"])
    assert result.wearing_off.flagged and result.wearing_off.source == "both"
    assert result.tdm.row["id"] == "no_tdm"
    current = _option(result, "current")
    assert (current.dose_mg, current.vials, current.within_label) == (412, 5, True)
    proposed = _option(result, "proposed")
    assert (proposed.dose_mg, proposed.vials, proposed.within_label) == (577, 6, False)
    assert proposed.label_note.startswith("Above the labelled AS dose of 5 mg/kg every 6 weeks")
    assert [o.kind for o in result.dose_options] == ["current", "proposed"]  # no escalation row
    assert result.next_due == dt.date(2026, 1, 12)
    assert result.warnings == ()


def test_crohns_example() -> None:
    result = assess(_case("cd-low-trough.json"), CD_DAY)
    assert result.wearing_off.flagged and result.wearing_off.source == "diary"
    assert result.tdm.row["id"] == "subtherapeutic_ada_low_or_absent"
    assert result.tdm.target.mcg_per_ml == 5
    increase = _option(result, "increase_dose")
    assert (increase.dose_mg_per_kg, increase.interval_weeks, increase.dose_mg) == (7.5, 8, 480)
    assert increase.within_label
    shorter = _option(result, "shorten_interval")
    assert (shorter.dose_mg_per_kg, shorter.interval_weeks, shorter.within_label) == (5, 6, False)


def test_scores_pair_the_nearest_crp_in_its_unit() -> None:
    # full-record (RA): TJC 8, SJC 5, GH 60 on 2024-06-01 and CRP 1.5 mg/dL (= 15 mg/L) on
    # 2024-06-03: DAS28-CRP example 1 of the clinical reference, 5.008 (moderate).
    result = assess(_case("full-record.json"), dt.date(2024, 6, 10))
    assert result.scores is not None
    assert result.scores.date == dt.date(2024, 6, 1)  # the 06-03 entry has no RA items
    assert result.scores.primary is not None
    assert result.scores.primary.name == "DAS28-CRP"
    assert result.scores.primary.value == pytest.approx(5.008, abs=0.001)
    assert "moderate" in (result.scores.primary.state or "")
    assert "15 mg/L" in json.dumps(result.scores.primary.inputs)
    cdai = next(s for s in result.scores.results if s.name == "CDAI")
    assert cdai.value == 24  # 8 + 5 + 7 + 4


def test_scores_never_use_a_lab_from_after_the_assessment_date() -> None:
    result = assess(_case("full-record.json"), dt.date(2024, 6, 2))
    assert result.scores is not None
    names = [s.name for s in result.scores.results]
    assert "DAS28-CRP" not in names and "SDAI" not in names
    assert "CDAI" in names


def test_heart_failure_escalation_is_marked_contraindicated() -> None:
    case = _case("cd-low-trough.json")
    case = dataclasses.replace(case, patient=dataclasses.replace(case.patient, nyha_class=3))
    result = assess(case, CD_DAY)
    increase = _option(result, "increase_dose")
    assert increase.contraindicated and not increase.within_label
    assert increase.label_note.startswith("Contraindicated: doses above 5 mg/kg")
    assert not _option(result, "current").contraindicated


def test_subcutaneous_regimen_gets_no_iv_options() -> None:
    case = _case("cd-low-trough.json")
    sc = dataclasses.replace(case.regimens[0], product="Zymfentra", start_date=dt.date(2025, 9, 1))
    result = assess(dataclasses.replace(case, regimens=(*case.regimens, sc)), CD_DAY)
    assert result.dose_options == ()
    assert result.tdm.target.mcg_per_ml is None
    assert result.tdm.row["id"] == "no_tdm"
    assert any("Zymfentra is a fixed 120 mg" in w for w in result.warnings)


def test_overdue_and_old_weight_are_warned() -> None:
    result = assess(_case("cd-low-trough.json"), dt.date(2026, 1, 10))
    assert "The next infusion was due on 2025-11-24 (47 days ago)." in result.warnings
    assert any("103 days old" in w for w in result.warnings)


def test_bad_proposal_is_refused() -> None:
    with pytest.raises(ValueError, match="not a regimen"):
        assess(_case("cd-low-trough.json"), CD_DAY, proposals=["double it"])


CONTRACT = {
    "": {"mrn", "as_of", "regimen", "next_due", "wearing_off", "tdm", "decision", "dose_options",
         "scores", "warnings"},
    "wearing_off": {"flagged", "source", "cycles_evaluated", "cycles_positive", "cycles"},
    "tdm": {"target_ug_ml", "target_source", "trough", "ada", "inflammation"},
    "decision": {"row", "likely_cause", "options", "citations", "rule_version"},
    "dose_options": {"kind", "dose_mg_per_kg", "interval_weeks", "dose_mg", "vials", "waste_mg",
                     "mg_per_kg_per_week", "within_label", "label_note"},
}  # fmt: skip


def _check_contract(doc: dict[str, Any]) -> None:
    assert CONTRACT[""] <= set(doc)
    for key in ("wearing_off", "tdm", "decision"):
        assert CONTRACT[key] <= set(doc[key]), key
    for option in doc["dose_options"]:
        assert CONTRACT["dose_options"] <= set(option)
    assert all(c["text"] for c in doc["decision"]["citations"])


def test_assess_json_command(tmp_path: Path, capsys: Any) -> None:
    db = tmp_path / "c.sqlite"
    assert run_cli("import-case", CASES / "seed-as-wearing-off.json", "--db", db) == 0
    capsys.readouterr()
    args = ["assess", "--db", str(db), "--mrn", "AS-0001", "--as-of", "2025-12-01", "--json"]
    assert main([*args, "--propose", "7 mg/kg q6w", "--propose", "5 mg/kg q4w"]) == 0
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert err == ""
    _check_contract(doc)
    assert doc["wearing_off"]["flagged"] is True
    assert doc["decision"]["row"] == "no_tdm"
    assert [(o["kind"], o["dose_mg"], o["vials"]) for o in doc["dose_options"]] == [
        ("current", 412, 5), ("proposed", 577, 6), ("proposed", 412, 5),
    ]  # fmt: skip
    assert doc["dose_options"][1]["within_label"] is False
    assert doc["tdm"]["target_ug_ml"] == 3 and doc["tdm"]["target_extrapolated"] is True
    assert doc["regimen"]["dose_mg"] == 412


def test_assess_text_command_and_refusals(tmp_path: Path, capsys: Any) -> None:
    db = tmp_path / "c.sqlite"
    run_cli("import-case", CASES / "cd-low-trough.json", "--db", db)
    capsys.readouterr()
    assert main(["assess", "--db", str(db), "--mrn", "CD-0101", "--as-of", "2025-09-29"]) == 0
    text = capsys.readouterr().out
    assert "row subtherapeutic_ada_low_or_absent" in text
    assert "End-of-dose wearing off: FLAGGED (source: diary)" in text
    assert "decision support" in text
    assert "[hibi2012] Hibi T" in text
    assert main(["assess", "--db", str(db), "--mrn", "CD-0101", "--propose", "lots"]) == 1
    assert "--propose: 'lots' is not a regimen" in capsys.readouterr().err
    assert main(["assess", "--db", str(db), "--mrn", "NOPE"]) == 1
    assert "no patient with MRN 'NOPE'" in capsys.readouterr().err


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    document=case_documents(),
    as_of=st.dates(dt.date(1990, 1, 1), dt.date(2026, 11, 22)),
    proposal=st.sampled_from([[], ["7 mg/kg q6w"], ["10 mg/kg q4w", "3 mg/kg q8w"]]),
)
def test_assessment_never_crashes_and_always_serialises(
    document: dict[str, Any], as_of: dt.date, proposal: list[str]
) -> None:
    case = parse_case(document, today=TODAY)
    result = assess(case, as_of, proposals=proposal)
    doc = json.loads(json.dumps(assessment_json(result)))
    _check_contract(doc)
    assert assessment_text(result)
    assert doc["wearing_off"]["flagged"] == (doc["wearing_off"]["source"] != "none")
    for option in result.dose_options:
        if option.dose_mg is not None:
            assert option.vials * 100 >= option.dose_mg
