"""The command line: import-case (one file or several), export-case, overview, and their
refusals (nothing of a refused file written)."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from conftest import CASE_FILES, CASES, load_case_json, run_cli, snapshot

from clinic_gui.__main__ import main

run = run_cli


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: p.name)
def test_import_then_export_prints_the_same_case(path: Path, db_path: Path, capsys: Any) -> None:
    assert run("import-case", path, "--db", db_path) == 0
    mrn = json.loads(path.read_text())["patient"]["mrn"]
    capsys.readouterr()
    assert run("export-case", mrn, "--db", db_path) == 0
    out, err = capsys.readouterr()
    assert json.loads(out) == json.loads(path.read_text())
    assert err == ""


def test_export_then_reimport_is_lossless(tmp_path: Path, db_path: Path, capsys: Any) -> None:
    run("import-case", CASES / "full-record.json", "--db", db_path)
    capsys.readouterr()
    run("export-case", "RA-7001", "--db", db_path)
    exported = tmp_path / "exported.json"
    exported.write_text(capsys.readouterr().out)
    other = tmp_path / "other.sqlite"
    assert run("import-case", exported, "--db", other) == 0
    capsys.readouterr()
    run("export-case", "RA-7001", "--db", other)
    assert capsys.readouterr().out == exported.read_text()


def _write(tmp_path: Path, text: str) -> Path:
    target = tmp_path / "case.json"
    target.write_text(text, encoding="utf-8")
    return target


def _seed_with(change: Any) -> str:
    doc = load_case_json("seed-as-wearing-off.json")
    change(doc)
    return json.dumps(doc)


BAD_INPUT = {
    "malformed JSON": ('{"format": "clinic-case/1",', "not valid JSON: Expecting"),
    "empty file": ("", "the file is empty"),
    "wrong type": (_seed_with(lambda d: d["weights"][0].update(kg="heavy")), "weights[0].kg"),
    "missing MRN": (_seed_with(lambda d: d["patient"].pop("mrn")), "patient.mrn: required"),
    "unknown indication": (
        _seed_with(lambda d: d["patient"].update(indication="gout")),
        "patient.indication: 'gout' is not one of",
    ),
    "unknown test": (_seed_with(lambda d: d["labs"][0].update(test="ldl")), "labs[0].test"),
    "CRP without a unit": (_seed_with(lambda d: d["labs"][0].pop("unit")), "labs[0].unit"),
    "impossible date": (
        _seed_with(lambda d: d["weights"][0].update(date="2025-02-30")),
        "weights[0].date: '2025-02-30' is not a real date",
    ),
    "weight of 0": (_seed_with(lambda d: d["weights"][0].update(kg=0)), "weights[0].kg: 0 kg"),
    "negative weight": (_seed_with(lambda d: d["weights"][0].update(kg=-1)), "weights[0].kg"),
}


@pytest.mark.parametrize("name", list(BAD_INPUT))
def test_bad_file_exits_non_zero_names_the_problem_and_writes_nothing(
    name: str, tmp_path: Path, db_path: Path, capsys: Any
) -> None:
    run("import-case", CASES / "cd-low-trough.json", "--db", db_path)
    before = snapshot(db_path)
    text, expected = BAD_INPUT[name]
    capsys.readouterr()
    assert run("import-case", _write(tmp_path, text), "--db", db_path) == 1
    out, err = capsys.readouterr()
    assert expected in err
    assert "Nothing was written." in err
    assert out == ""
    assert snapshot(db_path) == before


def test_refused_file_does_not_even_create_a_database(tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "never.sqlite"
    assert run("import-case", _write(tmp_path, "[]"), "--db", target) == 1
    assert not target.exists()


def test_duplicate_mrn_needs_replace(db_path: Path, capsys: Any) -> None:
    seed = CASES / "seed-as-wearing-off.json"
    assert run("import-case", seed, "--db", db_path) == 0
    before = snapshot(db_path)
    assert run("import-case", seed, "--db", db_path) == 1
    assert "already in this database (use --replace" in capsys.readouterr().err
    assert snapshot(db_path) == before
    assert run("import-case", seed, "--db", db_path, "--replace") == 0
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*), count(voided_at) FROM infusion").fetchone() == (14, 7)


def test_missing_file_and_unknown_patient(tmp_path: Path, db_path: Path, capsys: Any) -> None:
    assert run("import-case", tmp_path / "nope.json", "--db", db_path) == 1
    assert "cannot read" in capsys.readouterr().err
    run("import-case", CASES / "cd-low-trough.json", "--db", db_path)
    capsys.readouterr()
    assert run("export-case", "XX-9", "--db", db_path) == 1
    out, err = capsys.readouterr()
    assert (out, "no patient with MRN 'XX-9'" in err) == ("", True)


def test_newer_database_is_refused_with_exit_3(db_path: Path, capsys: Any) -> None:
    run("import-case", CASES / "cd-low-trough.json", "--db", db_path)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA user_version = 99")
    conn.close()
    capsys.readouterr()
    assert run("export-case", "CD-0101", "--db", db_path) == 3
    assert "newer version of clinic_gui (schema v99" in capsys.readouterr().err


def test_screenshot_without_a_database_uses_a_throwaway_demo(tmp_path: Path, capsys: Any) -> None:
    from clinic_gui import paths

    assert main(["screenshot", str(tmp_path / "shots")]) == 0
    written = capsys.readouterr().out.split()
    names = [Path(p).name for p in written]
    for size in ("1366x768", "1920x1080"):
        for screen in ("main-window", "chart-founding-case", "worklist"):
            assert f"{screen}-{size}.png" in names
    for kind in ("infusion", "weight", "diary", "lab", "regimen", "patient"):
        assert f"dialog-{kind}.png" in names
    from PySide6.QtGui import QImage

    for file in written:
        image = QImage(file)
        assert not image.isNull(), file
        for size in ("1366x768", "1920x1080"):
            if size in file:
                assert f"{image.width()}x{image.height()}" == size, file
    assert not paths.default_database().exists()


def _records(path: Path) -> int:
    """The rows a case file creates besides the patient: its lists and the vital signs."""
    doc = json.loads(path.read_text())
    lists = ("weights", "regimens", "infusions", "diary", "labs")
    return sum(len(doc[name]) for name in lists) + sum(
        len(i.get("vitals", [])) for i in doc["infusions"]
    )


def _patients(db_path: Path) -> list[str]:
    conn = sqlite3.connect(db_path)
    try:
        return [row[0] for row in conn.execute("SELECT mrn FROM patient ORDER BY mrn")]
    finally:
        conn.close()


def test_several_files_each_imported_and_audited_once(db_path: Path, capsys: Any) -> None:
    assert run("import-case", *CASE_FILES, "--db", db_path) == 0
    err = capsys.readouterr().err
    records = sum(_records(path) for path in CASE_FILES)
    assert f"Imported 3 of 3 files: 3 patients, {records} records (" in err
    assert "refused" not in err
    for path in CASE_FILES:
        mrn = json.loads(path.read_text())["patient"]["mrn"]
        assert f"Imported {mrn} from {path} (" in err
        assert run("export-case", mrn, "--db", db_path) == 0
        assert json.loads(capsys.readouterr().out) == json.loads(path.read_text())
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT count(*) FROM audit WHERE action = 'import'").fetchone() == (3,)


def test_malformed_file_among_several_is_refused_and_the_others_go_in(
    tmp_path: Path, db_path: Path, capsys: Any
) -> None:
    bad = _write(tmp_path, '{"format": "clinic-case/1",')
    files = [CASES / "cd-low-trough.json", bad, CASES / "full-record.json"]
    assert run("import-case", *files, "--db", db_path) == 1
    err = capsys.readouterr().err
    assert f"clinic-gui: {bad}: case file refused (1 problem): not valid JSON" in err
    assert "Nothing of this file was written." in err
    assert "Imported 2 of 3 files: 2 patients" in err
    assert err.rstrip().endswith("; 1 refused (see above).")
    assert _patients(db_path) == ["CD-0101", "RA-7001"]


def test_duplicate_mrn_among_several_leaves_that_patient_as_it_was(
    db_path: Path, capsys: Any
) -> None:
    seed = CASES / "seed-as-wearing-off.json"
    assert run("import-case", seed, "--db", db_path) == 0
    before = snapshot(db_path)["infusion"]
    assert run("import-case", CASES / "cd-low-trough.json", seed, "--db", db_path) == 1
    err = capsys.readouterr().err
    assert f"{seed}: patient.mrn: a patient with MRN 'AS-0001' is already in this database" in err
    assert "Imported 1 of 2 files: 1 patient, " in err
    assert snapshot(db_path)["infusion"][: len(before)] == before
    assert _patients(db_path) == ["AS-0001", "CD-0101"]


def test_several_files_all_refused_create_no_database(tmp_path: Path, capsys: Any) -> None:
    target = tmp_path / "never.sqlite"
    empty = tmp_path / "empty.json"
    empty.write_text("")
    assert run("import-case", empty, tmp_path / "missing.json", "--db", target) == 1
    err = capsys.readouterr().err
    assert f"cannot read {tmp_path / 'missing.json'}" in err
    assert "Imported 0 of 2 files" in err
    assert not target.exists()


def test_standard_input_only_as_the_one_file(db_path: Path, capsys: Any) -> None:
    assert run("import-case", "-", CASES / "cd-low-trough.json", "--db", db_path) == 2
    assert "'-' (standard input) can only be given as the one FILE" in capsys.readouterr().err
    assert not db_path.exists()


def test_overview_stores_the_clinic_overview_and_reports_it(db_path: Path, capsys: Any) -> None:
    from clinic_gui.domain.worklist import CATEGORIES

    assert main(["demo", "--patients", "30", "--db", str(db_path), "--as-of", "2026-11-01"]) == 0
    capsys.readouterr()
    summaries = []
    for _ in range(2):
        assert main(["overview", "--db", str(db_path), "--as-of", "2026-11-02"]) == 0
        out, err = capsys.readouterr()
        assert out == ""
        assert "Clinic overview for 2026-11-02: 30 patients; worklist entries: " in err
        for label in CATEGORIES.values():
            assert re.search(rf"{re.escape(label)}: \d+", err), label
        summaries.append(re.sub(r" \(\d+\.\d s\)", "", err))
    assert summaries[0] == summaries[1]
    conn = sqlite3.connect(db_path)
    stored = "SELECT count(*) FROM patient_overview WHERE data IS NOT NULL AND as_of = ?"
    assert conn.execute(stored, ["2026-11-02"]).fetchone() == (30,)
