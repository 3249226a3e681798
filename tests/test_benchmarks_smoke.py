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
    args = ["--patients", "6", "--repeat", "1", "--workers", "2", "--out", str(out)]
    assert worklist.main(args) == 0
    text = out.read_text()
    assert "Every path gave the same overview: yes." in text
    assert "| old: `iter_cases` (whole records) |" in text
    assert "| new: `iter_recent_cases` |" in text
    assert "50,000 patients" in text
