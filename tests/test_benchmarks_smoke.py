"""The benchmark code runs (timings are measured by `benchmarks/`, never asserted here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

from conftest import ROOT


def _load(name: str):  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


def test_engine_benchmark_runs(tmp_path: Path) -> None:
    engine = _load("engine")
    out = tmp_path / "bench.md"
    assert (
        engine.main(["--clinic", "12", "--patients", "12", "--repeat", "2", "--out", str(out)]) == 0
    )
    text = out.read_text()
    assert "12 patients" in text
    for step in ("read_case (SQLite)", "assess (domain)", "assessment_json"):
        assert f"| {step} |" in text


def test_chart_benchmark_runs(tmp_path: Path, qapp: object) -> None:
    chart = _load("chart_open")
    out = tmp_path / "chart.md"
    assert chart.main(["--patients", "12", "--repeat", "2", "--out", str(out)]) == 0
    assert "| next 2 |" in out.read_text()


def test_bundle_benchmark_dry_run(tmp_path: Path) -> None:
    bundle = _load("bundle")
    assert bundle.main(["--dry-run", "--out", str(tmp_path / "packaging.md")]) == 0


def test_search_benchmark_runs(tmp_path: Path, qapp: object) -> None:
    search = _load("search")
    out = tmp_path / "search.md"
    args = ["--patients", "200", "--repeat", "2", "--cache", str(tmp_path), "--out", str(out)]
    assert search.main(args) == 0
    text = out.read_text()
    assert "200 patients (198 not voided)" in text
    for label, shown, _indication in search.KEYSTROKES:
        assert f"| {label} | {f'`{shown}`' if shown else '(empty)'} |" in text
        assert f"**{label}**" in text  # its query plan
    assert "| count_patients |" in text
    for shown in search.WINDOW_TEXTS:
        assert f"| {f'`{shown}`' if shown else '(empty)'} |" in text
    assert "SCAN p USING COVERING INDEX patient_list" in text
    assert "SEARCH patient USING COVERING INDEX patient_mrn_nocase" in text


def test_worklist_benchmark_runs(tmp_path: Path) -> None:
    worklist = _load("worklist")
    out = tmp_path / "worklist.md"
    assert worklist.main(["--patients", "8", "--repeat", "2", "--out", str(out)]) == 0
    text = out.read_text()
    assert "8 current patients" in text
    assert "Every repeated overview equal to the first: yes" in text
    assert "each saved patient's flags equal to a fresh assessment: yes" in text
    for step in ("open: every patient's overview stored", "after that save: overview up to date"):
        assert f"| {step} |" in text


def test_import_benchmark_runs(tmp_path: Path) -> None:
    import_cases = _load("import_cases")
    out = tmp_path / "import.md"
    assert import_cases.main(["--cases", "5", "--demo-patients", "5", "--out", str(out)]) == 0
    text = out.read_text()
    assert "| one `clinic-gui import-case` process, new database | 5 |" in text
    assert "Every file imported, every record stored: yes (5 patients," in text
    for step in ("load_case_file (decode, check)", "insert_case (one transaction)", "both"):
        assert f"| {step} |" in text
    assert "| demo clinic, 5 patients | 5 |" in text


def test_startup_benchmark_runs(tmp_path: Path) -> None:
    from clinic_gui.store.demo_clinic import write_demo_clinic

    startup = _load("startup")
    db = tmp_path / "clinic.sqlite"
    write_demo_clinic(db, patients=6, seed=1)
    out = tmp_path / "startup.md"
    assert startup.main(["--db", str(db), "--runs", "1", "--out", str(out)]) == 0
    text = out.read_text()
    assert "6 patients" in text
    for label in (
        "bare PySide6 QMainWindow",
        "clinic_gui",
        "clinic_gui, until the worklist is built",
        "clinic_gui, until the database check ends",
    ):
        assert text.count(f"| {label} |") == 2  # its time row and its memory row
    assert "| ratio clinic_gui / bare, first paint (medians) |" in text


def test_benchmark_suite_collects_the_headlines(tmp_path: Path) -> None:
    from clinic_gui.store.demo_clinic import write_demo_clinic

    suite = _load("suite")
    clinic = tmp_path / "clinic.sqlite"
    write_demo_clinic(clinic, patients=8, seed=1, as_of=suite.AS_OF)
    out = tmp_path / "benchmarks.md"
    args = ["--only", "worklist", "--clinic", str(clinic), "--pages", str(tmp_path)]
    args += ["--kept", str(tmp_path / "kept")]
    assert suite.main([*args, "--out", str(out)]) == 0
    text = out.read_text()
    assert "Worklist open (overview stored for the day), 8 patients" in text
    assert "[benchmarks-worklist.md](benchmarks-worklist.md)" in text
    assert (tmp_path / "benchmarks-worklist.md").exists()
