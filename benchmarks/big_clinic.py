"""The large demo clinic the benchmarks measure: 50,000 patients, built once and kept.

    .venv/bin/python benchmarks/big_clinic.py [--patients N] [--seed S]

prints the path of the clinic, building it first when there is none for these arguments and
this version of the generator and schema. It is the ordinary demo clinic
(``clinic_gui.store.demo_clinic.write_demo_clinic``) at a fixed date, ``AS_OF``: about a
tenth of the patients have ten years of treatment with their whole symptom diary, the
others the last 6-9 months of it, which makes some ten million diary rows. Building it takes
minutes, so it is kept under ``benchmarks/.cache/`` (not in version control) with the
figures of its build beside it (``*.json``); a change to the generator, the record types or
the schema makes a new one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from clinic_gui.store.demo_clinic import write_demo_clinic  # noqa: E402
from clinic_gui.store.migrations import SCHEMA_VERSION  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache"
AS_OF = dt.date(2026, 11, 1)
PATIENTS = 50_000
SEED = 1
# What the clinic's content depends on, besides the arguments.
SOURCES = ("clinic_gui/domain/demo.py", "clinic_gui/domain/records.py")


def clinic_key(patients: int, seed: int) -> str:
    digest = hashlib.sha256(f"{patients}/{seed}/{AS_OF}/v{SCHEMA_VERSION}".encode())
    for name in SOURCES:
        digest.update((ROOT / name).read_bytes())
    return f"clinic-{patients}-seed{seed}-{AS_OF}-{digest.hexdigest()[:12]}"


def big_clinic(patients: int = PATIENTS, seed: int = SEED, cache: Path = CACHE) -> Path:
    """The clinic's path, built first if needed (into a temporary name, then renamed, so an
    interrupted build is never taken for a finished one)."""
    key = clinic_key(patients, seed)
    path = cache / f"{key}.sqlite"
    if path.exists():
        return path
    cache.mkdir(parents=True, exist_ok=True)
    partial = cache / f"{key}.partial.sqlite"
    for leftover in cache.glob(f"{key}.partial.sqlite*"):
        leftover.unlink()
    started = time.perf_counter()
    summary = write_demo_clinic(partial, patients=patients, seed=seed, as_of=AS_OF)
    seconds = time.perf_counter() - started
    build = {"seconds": round(seconds, 1), "summary": summary, "bytes": partial.stat().st_size}
    (cache / f"{key}.json").write_text(json.dumps(build, indent=1), encoding="utf-8")
    os.replace(partial, path)
    return path


def build_figures(path: Path) -> dict[str, Any]:
    """How the clinic at ``path`` was built: seconds, the summary line, file size."""
    return dict(json.loads(path.with_suffix(".json").read_text(encoding="utf-8")))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=PATIENTS)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--cache", type=Path, default=CACHE)
    args = parser.parse_args(argv)
    print(big_clinic(args.patients, args.seed, args.cache))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
