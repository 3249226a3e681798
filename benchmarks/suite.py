"""`make bench`: every benchmark on the 50,000-patient clinic, and docs/benchmarks.md.

    .venv/bin/python benchmarks/suite.py [--only NAME ...] [--out docs/benchmarks.md]

Builds (or reuses) the large demo clinic of ``big_clinic.py``, then runs each benchmark in
a process of its own (so one's memory and imports never colour another's), each writing its
own page under docs/ and reporting its headline figures (``measure.headline``). Writes
``docs/benchmarks.md``: every headline figure with its target and whether it is met, how the
clinic was built, and the machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from big_clinic import AS_OF, CACHE, big_clinic, build_figures
from measure import HEADLINES_ENV, headline, machine

HERE = Path(__file__).resolve().parent
# Benchmarks that write to the clinic they are given (the app signs in, stores its overview).
WRITES_TO_CLINIC = {"startup"}
ROOT = HERE.parent


def _benchmarks(clinic: Path, pages: Path) -> dict[str, list[str]]:
    """Name -> the script and its arguments, in the order they run."""
    on_clinic = ["--db", str(clinic)]
    runs = {
        "engine": (["engine.py"], "benchmarks-engine.md"),
        "chart_open": (["chart_open.py", *on_clinic], "benchmarks-chart.md"),
        "search": (["search.py"], "benchmarks-search.md"),
        "worklist": (["worklist.py", *on_clinic], "benchmarks-worklist.md"),
        "startup": (["startup.py", *on_clinic], "benchmarks-startup.md"),
        "import_cases": (["import_cases.py"], "benchmarks-import.md"),
    }
    return {name: [*command, "--out", str(pages / page)] for name, (command, page) in runs.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only these benchmarks")
    parser.add_argument("--clinic", type=Path, help="instead of the 50,000-patient clinic")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--pages", type=Path, default=ROOT / "docs", help="each one's page")
    parser.add_argument("--kept", type=Path, default=CACHE, help="each one's latest headlines")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch:
        headlines = Path(scratch) / "headlines.jsonl"
        env = {**os.environ, HEADLINES_ENV: str(headlines)}
        clinic = args.clinic or big_clinic()
        _report_build(clinic, args.kept / "headlines-build.jsonl")
        failed = []
        for name, command in _benchmarks(clinic, args.pages).items():
            if args.only and name not in args.only:
                continue
            print(f"== {name}", flush=True)
            if name in WRITES_TO_CLINIC:  # on a copy, so the kept clinic stays as built
                copy = Path(scratch) / "clinic-copy.sqlite"
                shutil.copyfile(clinic, copy)
                command = [str(copy) if part == str(clinic) else part for part in command]
            headlines.unlink(missing_ok=True)
            done = subprocess.run([sys.executable, str(HERE / command[0]), *command[1:]], env=env)
            if done.returncode != 0:
                failed.append(name)
            kept = args.kept / f"headlines-{name}.jsonl"
            if headlines.exists():  # this run's figures replace the kept ones
                args.kept.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(headlines, kept)
            elif done.returncode != 0:
                kept.unlink(missing_ok=True)
        entries = _kept_headlines(args.kept, [*_benchmarks(clinic, args.pages)])
    minutes = (time.perf_counter() - started) / 60
    _write(args.out, entries, clinic, failed, minutes)
    print(args.out.read_text(encoding="utf-8"))
    return 1 if failed else 0


def _kept_headlines(kept: Path, names: list[str]) -> list[dict[str, Any]]:
    """The latest headline figures of every benchmark, in suite order (a benchmark rerun
    with ``--only`` replaces its own; the others keep theirs), each with its date."""
    entries = []
    for name in ["build", *names]:
        path = kept / f"headlines-{name}.jsonl"
        if path.exists():
            day = dt.date.fromtimestamp(path.stat().st_mtime).isoformat()
            entries += [{**json.loads(line), "day": day} for line in path.read_text().splitlines()]
    return entries


def _report_build(clinic: Path, headlines: Path) -> None:
    try:
        build = build_figures(clinic)
    except FileNotFoundError:  # a clinic given with --clinic
        return
    headlines.parent.mkdir(parents=True, exist_ok=True)
    headlines.unlink(missing_ok=True)
    os.environ[HEADLINES_ENV] = str(headlines)  # headline() writes there, for this call only
    try:
        _build_headline(build)
    finally:
        del os.environ[HEADLINES_ENV]


def _build_headline(build: dict[str, Any]) -> None:
    summary = build["summary"]
    rates = summary[summary.rindex("(") + 1 : summary.rindex(")")]
    headline(
        "Demo clinic generation (50,000 patients, one transaction)",
        f"{build['seconds'] / 60:.1f} min ({rates}); file {build['bytes'] / 1e9:.2f} GB",
        "records per second (no target)",
        None,
        "benchmarks-import.md",
    )


def _write(out: Path, entries: list[dict], clinic: Path, failed: list[str], minutes: float) -> None:
    def met(value: bool | None) -> str:
        return "—" if value is None else ("**met**" if value else "**not met**")

    rows = [
        f"| {e['figure']} | {e['measured']} | {e['target']} | {met(e['met'])} | "
        f"[{e['page']}]({e['page']}), {e['day']} |"
        for e in entries
    ]
    try:
        clinic_line = build_figures(clinic)["summary"].split(": ", 1)[1]
    except FileNotFoundError:
        clinic_line = f"{clinic.name} (given with --clinic)"
    not_met = [e["figure"] for e in entries if e["met"] is False]
    lines = [
        "# Benchmarks",
        "",
        "Written by `benchmarks/suite.py` (`make bench`); figures from one machine. "
        "Each line links to the page with the method, the spread of the repeated runs and "
        "the query plans, and says when it was last run (`--only NAME` reruns one).",
        "",
        f"Machine: {machine()}. Last run {dt.date.today().isoformat()}, {minutes:.0f} min.",
        "",
        f"Clinic: the demo clinic as of {AS_OF}: {clinic_line.rsplit(' in ', 1)[0]}.",
        "",
        "| what | measured | target | | details, run on |",
        "|---|---|---|---|---|",
        *rows,
        "",
    ]
    if failed:
        lines += [f"Benchmarks that failed to run: {', '.join(failed)}.", ""]
    if not_met:
        lines += [
            "Targets not met: " + "; ".join(not_met) + ". Each page says why and what "
            "design change would meet it.",
            "",
        ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
