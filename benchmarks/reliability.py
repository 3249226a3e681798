"""Crash safety and concurrent writers, proved by experiment (``docs/reliability.md``).

``run`` is the whole experiment; it prints the figures, rewrites the figures section of
``docs/reliability.md`` with ``--doc``, and exits 1 if any check failed. ``worker`` and
``writer`` are the child processes it starts (the same script).

Kill trials. A worker opens the database, signs in, reports ``ready`` and then saves in a
loop through the store API: infusions with vital signs, diary entries, lab results and
whole case files under a fresh MRN (hundreds of rows in one transaction). Before each save
it appends ``start <kind> <key>`` to an acknowledgement log; after the save returns it
appends ``ack <kind> <key>`` and fsyncs the log, so an ``ack`` line means the user was told
"saved". The parent SIGKILLs the worker at a random moment (seeded; uniform in 0 to
``--max-delay-ms`` after ``ready``), opens the database as the app does on its next start
(which recovers the WAL), and checks it: ``integrity_check``, ``foreign_key_check``, the
audit chain, every acknowledged save complete, the save that was cut off all there or not
there at all, no save that was never started, and an audit row for exactly the rows that
exist. Trials run in blocks: each block starts from a fresh copy of one prepared database,
and within a block the state accumulates (every later check re-checks every earlier save).

Concurrent writers. Two processes, each with its own connection and its own user, start
together and each save ``--saves`` diary entries through ``entries.add_diary_entry``, most
for their own patient and every ``--shared-every``-th for a patient they share. Any
exception reaching the caller counts as an error. Then every row must be there once, with
its audit row, and the audit chain must verify (one line, no fork).
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import itertools
import json
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.store import audit, cases, entries, users
from clinic_gui.store.connection import ClinicDatabase, open_database

sys.path.insert(0, str(Path(__file__).resolve().parent))  # measure.py, shared by the benchmarks
from measure import machine as shared_machine

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = Path(__file__).resolve()
CASES_DIR = ROOT / "tests" / "fixtures" / "cases"
CASE_FILES = ("cd-low-trough.json", "full-record.json", "seed-as-wearing-off.json")

PASSWORD = "reliability trial 1"
ADMIN = "admin"
WRITERS = ("rn.one", "rn.two")  # the kill worker signs in as the first
BASE_PATIENTS = ("BASE-1", "BASE-2", "BASE-3")
SHARED_PATIENT = BASE_PATIENTS[0]
KINDS = ("infusion", "diary", "lab", "case")
KIND_WEIGHTS = (4, 4, 4, 1)
PHASES = ("before", "during", "after")
DAY = dt.date(2024, 6, 3)

# Keys the kill worker writes into notes (or uses as the MRN of an imported case).
KEY_GLOB = "K[0-9][0-9][0-9][0-9]-[0-9]*"
CONCURRENT_GLOB = "C[12]-[0-9]*"
AUDITED_TABLES = ("patient", "weight", "regimen", "infusion", "vital_sign", "diary", "lab")
FAILURE_KINDS = (
    "integrity",  # PRAGMA integrity_check other than ok
    "foreign_keys",  # rows from PRAGMA foreign_key_check
    "audit_chain",  # audit.verify_chain not ok
    "audit_rows",  # a row without its audit row, or an audit row without its row
    "lost",  # an acknowledged save missing
    "partial",  # a save present in part (any save, acknowledged or not)
    "changed",  # a cut-off save found committed once and rolled back later, or the reverse
    "phantom",  # rows of a save that was never started
    "worker_errors",  # a save refused, or a worker that died before it was killed
)
FIGURES_START = "<!-- reliability-figures:start -->"
FIGURES_END = "<!-- reliability-figures:end -->"


# ---------------------------------------------------------------------------------------------
# What a save writes


@functools.cache
def case_templates() -> tuple[r.Case, ...]:
    return tuple(
        parse_case(json.loads((CASES_DIR / name).read_text(encoding="utf-8")))
        for name in CASE_FILES
    )


def key_for(trial: int, seq: int) -> str:
    return f"K{trial:04d}-{seq:05d}"


def _seq(key: str) -> int:
    return int(key.rsplit("-", 1)[1])


def vitals_for(key: str) -> int:
    """How many vital-sign rows the infusion saved under ``key`` has (1 to 3)."""
    return 1 + _seq(key) % len(PHASES)


def case_for(key: str) -> r.Case:
    """The case file imported under ``key``, with ``key`` as its MRN."""
    template = case_templates()[_seq(key) % len(CASE_FILES)]
    return replace(template, patient=replace(template.patient, mrn=key))


def expected_rows(kind: str, key: str) -> dict[str, int]:
    """The rows one complete save leaves in the database (``import``: its audit event)."""
    if kind == "infusion":
        return {"infusion": 1, "vital_sign": vitals_for(key)}
    if kind in ("diary", "lab"):
        return {kind: 1}
    case = case_for(key)
    return {
        "patient": 1,
        "weight": len(case.weights),
        "regimen": len(case.regimens),
        "infusion": len(case.infusions),
        "vital_sign": sum(len(i.vitals) for i in case.infusions),
        "diary": len(case.diary),
        "lab": len(case.labs),
        "import": 1,
    }


def save(db: ClinicDatabase, actor: Any, kind: str, key: str, rng: random.Random) -> None:
    """One save through the store API, as the app makes it."""
    if kind == "case":
        cases.insert_case(db, case_for(key), actor=actor)
        return
    mrn = BASE_PATIENTS[_seq(key) % len(BASE_PATIENTS)]
    if kind == "infusion":
        vitals = tuple(
            r.VitalSigns(
                phase=PHASES[i],
                time=dt.time(9 + i, 0),
                systolic_mmhg=rng.randint(100, 150),
                diastolic_mmhg=rng.randint(60, 95),
                pulse_bpm=rng.randint(55, 100),
            )
            for i in range(vitals_for(key))
        )
        infusion = r.Infusion(
            date=DAY,
            product="Avsola",
            dose_mg=350,
            start_time=dt.time(9, 0),
            end_time=dt.time(11, 0),
            vials=4,
            notes=key,
            vitals=vitals,
        )
        entries.record_infusion(db, mrn, infusion, actor=actor)
    elif kind == "diary":
        entry = r.DiaryEntry(
            date=DAY, symptom_score=round(rng.uniform(0, 10), 1), source="patient", notes=key
        )
        entries.add_diary_entry(db, mrn, entry, actor=actor)
    elif kind == "lab":
        lab = r.LabResult(
            sampled_at=DAY, test="crp", value=round(rng.uniform(0.1, 9), 1), unit="mg/dL", notes=key
        )
        entries.add_lab_result(db, mrn, lab, actor=actor)
    else:
        raise ValueError(f"unknown kind {kind!r}")


# ---------------------------------------------------------------------------------------------
# The prepared database


def prepare(path: Path) -> Path:
    """A new clinic database with an administrator, two nurses and the shared patients."""
    db = open_database(path)
    try:
        admin = users.create_user(
            db, None, username=ADMIN, full_name="Ada Admin", roles=["admin"], password=PASSWORD
        )
        nurses = [
            users.create_user(
                db,
                admin,
                username=name,
                full_name=f"Nurse {name}",
                roles=["nurse"],
                password=PASSWORD,
            )
            for name in WRITERS
        ]
        template = case_templates()[CASE_FILES.index("full-record.json")]
        for mrn in (*BASE_PATIENTS, "CONC-1", "CONC-2"):
            case = replace(template, patient=replace(template.patient, mrn=mrn))
            cases.insert_case(db, case, actor=nurses[0])
        db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        db.close()
    return path


def _copy_database(source: Path, target: Path) -> Path:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(source, target)
    return target


# ---------------------------------------------------------------------------------------------
# Checking a database


@dataclass
class Inspection:
    integrity: list[str]
    foreign_key_rows: int
    chain: audit.ChainReport
    audit_problems: list[str]
    # (kind, key) -> rows found, for every save the kill worker's keys name
    saves: dict[tuple[str, str], dict[str, int]]


def inspect(path: Path) -> Inspection:
    """Open the database as the app does after a crash (WAL recovery) and read its state."""
    db = open_database(path, create=False)
    try:
        return Inspection(
            integrity=[row[0] for row in db.execute("PRAGMA integrity_check").fetchall()],
            foreign_key_rows=len(db.execute("PRAGMA foreign_key_check").fetchall()),
            chain=audit.verify_chain(db),
            audit_problems=audit_mismatches(db),
            saves=observe_saves(db),
        )
    finally:
        db.close()


def audit_mismatches(db: ClinicDatabase) -> list[str]:
    """Each clinical row is audited exactly once as created, by its own ``create`` row or
    within the id range an ``import`` event names (schema v4), and each such audit row or
    range has its rows; each patient has exactly one ``import`` event (every patient here
    came from a case)."""
    problems = []
    ranges = [
        json.loads(after)["created"]
        for (after,) in db.execute("SELECT after_json FROM audit WHERE action = 'import'")
        if after
    ]
    for table in AUDITED_TABLES:
        rows = Counter(i for (i,) in db.execute(f"SELECT id FROM {table}"))
        logged = Counter(
            i
            for (i,) in db.execute(
                "SELECT row_id FROM audit WHERE action = 'create' AND table_name = ?", [table]
            )
        )
        for created in ranges:
            if table in created:
                first, last = created[table]
                logged.update(range(first, last + 1))
        if rows != logged:
            problems.append(
                f"{table}: {sum((rows - logged).values())} rows without their audit row, "
                f"{sum((logged - rows).values())} audit rows without their row"
            )
    patients = Counter(mrn for (mrn,) in db.execute("SELECT mrn FROM patient"))
    imports = _imports(db)
    if patients != imports:
        problems.append(
            f"import events: {sum((patients - imports).values())} patients without one, "
            f"{sum((imports - patients).values())} without their patient"
        )
    return problems


def _imports(db: ClinicDatabase) -> Counter[str]:
    return Counter(
        str(detail).removeprefix("case file for ")
        for (detail,) in db.execute("SELECT detail FROM audit WHERE action = 'import'")
    )


def observe_saves(db: ClinicDatabase) -> dict[tuple[str, str], dict[str, int]]:
    """The rows of every save keyed ``K....-.....``: what ``expected_rows`` describes."""
    out: dict[tuple[str, str], dict[str, int]] = {}
    for notes, infusions, vitals in db.execute(
        "SELECT i.notes, count(*), sum((SELECT count(*) FROM vital_sign v "
        "WHERE v.infusion_id = i.id)) FROM infusion i WHERE i.notes GLOB ? GROUP BY i.notes",
        [KEY_GLOB],
    ):
        out["infusion", notes] = {"infusion": infusions, "vital_sign": vitals}
    for table in ("diary", "lab"):
        for notes, count in db.execute(
            f"SELECT notes, count(*) FROM {table} WHERE notes GLOB ? GROUP BY notes", [KEY_GLOB]
        ):
            out[table, notes] = {table: count}
    imports = _imports(db)
    per_table = ", ".join(
        f"(SELECT count(*) FROM {t} WHERE patient_id = p.id)"
        for t in ("weight", "regimen", "infusion", "diary", "lab")
    )
    for mrn, *counts, vitals in db.execute(
        f"SELECT p.mrn, {per_table}, (SELECT count(*) FROM vital_sign v JOIN infusion i "
        "ON i.id = v.infusion_id WHERE i.patient_id = p.id) FROM patient p WHERE p.mrn GLOB ?",
        [KEY_GLOB],
    ):
        found = dict(zip(("weight", "regimen", "infusion", "diary", "lab"), counts, strict=True))
        out["case", mrn] = {
            "patient": 1,
            **found,
            "vital_sign": vitals,
            "import": imports.get(mrn, 0),
        }
    for mrn, count in imports.items():
        if re.fullmatch(r"K\d{4}-\d+", mrn) and ("case", mrn) not in out:
            out["case", mrn] = {"import": count}
    return out


def classify(kind: str, key: str, saves: dict[tuple[str, str], dict[str, int]]) -> str:
    """``complete``, ``absent`` or ``partial``."""
    found = saves.get((kind, key))
    if not found or not any(found.values()):
        return "absent"
    return "complete" if found == expected_rows(kind, key) else "partial"


# ---------------------------------------------------------------------------------------------
# Kill trials


@dataclass
class AckLog:
    started: dict[str, str]  # key -> kind, in order
    acked: set[str]
    errors: list[str]

    @property
    def cut_off(self) -> list[str]:
        """Saves started and neither acknowledged nor refused: the kill landed in them."""
        refused = {line.split()[2] for line in self.errors}
        return [k for k in self.started if k not in self.acked and k not in refused]


def read_ack_log(path: Path) -> AckLog:
    log = AckLog({}, set(), [])
    if not path.exists():
        return log
    text = path.read_text(encoding="utf-8")
    complete = text if text.endswith("\n") else text.rsplit("\n", 1)[0]
    for line in complete.splitlines():
        what, _, rest = line.partition(" ")
        if what == "start":
            kind, key = rest.split()
            log.started[key] = kind
        elif what == "ack":
            log.acked.add(rest.split()[1])
        elif what == "error":
            log.errors.append(line)
    return log


@dataclass
class KillFigures:
    trials: int = 0
    blocks: int = 0
    per_block: int = 0
    seed: int = 0
    max_delay_ms: float = 0.0
    saves_started: int = 0
    acknowledged: Counter[str] = field(default_factory=Counter)  # acknowledged saves by kind
    ack_checks: int = 0  # acknowledged saves checked, summed over every check
    cut_off: Counter[str] = field(default_factory=Counter)  # kills inside a save, by kind
    cut_off_committed: int = 0  # ... of which the save was found whole
    cut_off_rolled_back: int = 0  # ... of which nothing of it was found
    wal_left: int = 0  # kills after which a non-empty WAL file had to be recovered
    largest_rows: int = 0  # audit rows in the largest block database at its last check
    seconds: float = 0.0
    failures: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)
    _seen: set[tuple[str, str]] = field(default_factory=set, repr=False)

    @property
    def failed(self) -> int:
        return sum(self.failures.values())

    def fail(self, kind: str, message: str, *, once_for: str | None = None) -> None:
        """Count a failure (a save's failure of one kind only once, however often seen)."""
        if once_for is not None:
            if (kind, once_for) in self._seen:
                return
            self._seen.add((kind, once_for))
        self.failures[kind] += 1
        if len(self.problems) < 50:
            self.problems.append(message)


class Ledger:
    """What one block database must hold: every acknowledged save complete, every cut-off
    save as it was first found (whole or absent), nothing that was never started."""

    def __init__(self, figures: KillFigures) -> None:
        self.figures = figures
        self.started: dict[str, str] = {}
        self.acked: dict[str, str] = {}
        self.settled: dict[str, tuple[str, str]] = {}  # cut-off key -> (kind, state)
        self.refused: set[str] = set()

    def record(self, trial: int, log: AckLog) -> None:
        self.started.update(log.started)
        for key in log.acked:
            self.acked[key] = log.started.get(key, "?")
        for line in log.errors:
            self.refused.add(line.split()[2])
            self.figures.fail("worker_errors", f"trial {trial}: {line}")

    def check(self, trial: int, found: Inspection, cut_off: Iterable[str] = ()) -> None:
        fig = self.figures
        if found.integrity != ["ok"]:
            fig.fail("integrity", f"trial {trial}: integrity_check: {found.integrity[:5]}")
        if found.foreign_key_rows:
            fig.fail("foreign_keys", f"trial {trial}: {found.foreign_key_rows} foreign key rows")
        if not found.chain.ok:
            fig.fail("audit_chain", f"trial {trial}: {found.chain.text()}")
        fig.largest_rows = max(fig.largest_rows, found.chain.rows)
        for problem in found.audit_problems:
            fig.fail("audit_rows", f"trial {trial}: {problem}")
        for key, kind in self.acked.items():
            fig.ack_checks += 1
            state = classify(kind, key, found.saves)
            if state == "absent":
                fig.fail(
                    "lost", f"trial {trial}: acknowledged {kind} {key} is missing", once_for=key
                )
            elif state == "partial":
                message = f"trial {trial}: acknowledged {kind} {key}: {_rows(found, kind, key)}"
                fig.fail("partial", message, once_for=key)
        for key in cut_off:
            kind = self.started[key]
            state = classify(kind, key, found.saves)
            self.settled[key] = (kind, state)
            fig.cut_off[kind] += 1
            if state == "complete":
                fig.cut_off_committed += 1
            elif state == "absent":
                fig.cut_off_rolled_back += 1
        for key, (kind, state) in self.settled.items():
            now = classify(kind, key, found.saves)
            if now == "partial":
                message = f"trial {trial}: cut-off {kind} {key}: {_rows(found, kind, key)}"
                fig.fail("partial", message, once_for=key)
            elif now != state:
                message = f"trial {trial}: cut-off {kind} {key} was {state}, now {now}"
                fig.fail("changed", message, once_for=key)
        for key in self.refused:
            if classify(self.started.get(key, "?"), key, found.saves) != "absent":
                message = f"trial {trial}: refused save {key} left rows behind"
                fig.fail("partial", message, once_for=key)
        for kind, key in found.saves:
            if self.started.get(key) != kind:
                message = f"trial {trial}: rows of {kind} {key}, never started"
                fig.fail("phantom", message, once_for=key)


def _rows(found: Inspection, kind: str, key: str) -> str:
    return f"found {found.saves.get((kind, key))}, expected {expected_rows(kind, key)}"


def kill_trials(
    workdir: Path,
    *,
    trials: int,
    per_block: int = 20,
    seed: int = 2026,
    max_delay: float = 0.4,
    max_seconds: float = 30.0,
) -> KillFigures:
    """``trials`` workers, each SIGKILLed at a random moment; the database checked after each."""
    workdir.mkdir(parents=True, exist_ok=True)
    figures = KillFigures(per_block=per_block, seed=seed, max_delay_ms=max_delay * 1000)
    rng = random.Random(seed)
    template = prepare(workdir / "prepared.sqlite")
    began = time.perf_counter()
    ledger = Ledger(figures)
    path = workdir / "block.sqlite"
    for trial in range(trials):
        if trial % per_block == 0:
            _copy_database(template, path)
            ledger = Ledger(figures)
            figures.blocks += 1
        log_path = workdir / f"acks-{trial:04d}.log"
        delay = rng.uniform(0, max_delay)
        _one_kill(path, log_path, trial, seed, delay, max_seconds, figures)
        wal = Path(f"{path}-wal")
        if wal.exists() and wal.stat().st_size > 0:
            figures.wal_left += 1
        log = read_ack_log(log_path)
        figures.trials += 1
        figures.saves_started += len(log.started)
        figures.acknowledged.update(log.started[k] for k in log.acked)
        ledger.record(trial, log)
        ledger.check(trial, inspect(path), log.cut_off)
        log_path.unlink()
    figures.seconds = time.perf_counter() - began
    return figures


def _one_kill(
    path: Path,
    log_path: Path,
    trial: int,
    seed: int,
    delay: float,
    max_seconds: float,
    figures: KillFigures,
) -> None:
    command = [
        sys.executable, str(SCRIPT), "worker", "--db", str(path), "--log", str(log_path),
        "--trial", str(trial), "--seed", str(seed), "--max-seconds", str(max_seconds),
    ]  # fmt: skip
    proc = subprocess.Popen(
        command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert proc.stdout is not None
    ready = proc.stdout.readline().strip() == "ready"
    if ready:
        time.sleep(delay)  # the experiment: where in the worker's saves the kill lands
        proc.send_signal(signal.SIGKILL)
    try:
        _, stderr = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, stderr = proc.communicate()
    if not ready or proc.returncode != -signal.SIGKILL:
        tail = stderr.strip().splitlines()[-3:]
        figures.fail("worker_errors", f"trial {trial}: worker ended with {proc.returncode}: {tail}")


def worker(db_path: Path, log_path: Path, trial: int, seed: int, max_seconds: float) -> int:
    """Save in a loop until killed (or ``max_seconds``), logging each save's start and ack."""
    db = open_database(db_path, create=False)
    actor = users.sign_in(db, WRITERS[0], PASSWORD)
    rng = random.Random(f"{seed}-{trial}")
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    print("ready", flush=True)
    deadline = time.monotonic() + max_seconds
    seq = 0
    while time.monotonic() < deadline:
        seq += 1
        kind = rng.choices(KINDS, KIND_WEIGHTS)[0]
        key = key_for(trial, seq)
        os.write(fd, f"start {kind} {key}\n".encode())
        try:
            save(db, actor, kind, key, rng)
        except Exception as exc:
            message = f"{type(exc).__name__}: {exc}".replace("\n", " ")
            os.write(fd, f"error {kind} {key} {message}\n".encode())
            os.fsync(fd)
            continue
        os.write(fd, f"ack {kind} {key}\n".encode())
        os.fsync(fd)
    os.close(fd)
    db.close()
    return 0


# ---------------------------------------------------------------------------------------------
# Two writers at once


@dataclass
class ConcurrencyFigures:
    writers: int = 2
    saves_each: int = 0
    shared_every: int = 0
    rows_expected: int = 0
    rows_found: int = 0  # distinct keys found
    duplicates: int = 0
    shared_rows: int = 0
    errors: list[str] = field(default_factory=list)  # what reached either caller
    integrity: list[str] = field(default_factory=list)
    foreign_key_rows: int = 0
    chain_ok: bool = False
    chain_rows: int = 0
    chain_problem: str | None = None
    audit_problems: list[str] = field(default_factory=list)
    switches: int = 0  # places where the chain passes from one writer's save to the other's
    seconds: float = 0.0  # the whole run: both processes started, saves made, both exited
    saving_seconds: float = 0.0  # from "go" until both writers finished
    latency_ms: dict[str, tuple[float, float]] = field(default_factory=dict)  # median, max

    @property
    def ok(self) -> bool:
        return (
            self.rows_found == self.rows_expected
            and not self.duplicates
            and not self.errors
            and self.integrity == ["ok"]
            and not self.foreign_key_rows
            and self.chain_ok
            and not self.audit_problems
        )


def concurrent_writers(
    workdir: Path, *, saves: int, shared_every: int = 5, path: Path | None = None
) -> ConcurrencyFigures:
    """Two writer processes saving ``saves`` diary entries each into one database at once."""
    workdir.mkdir(parents=True, exist_ok=True)
    path = path or prepare(workdir / "concurrent.sqlite")
    figures = ConcurrencyFigures(
        saves_each=saves, shared_every=shared_every, rows_expected=2 * saves
    )
    began = time.perf_counter()
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                str(SCRIPT),
                "writer",
                "--db",
                str(path),
                "--writer",
                str(i),
                "--saves",
                str(saves),
                "--shared-every",
                str(shared_every),
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for i in (1, 2)
    ]
    for proc in procs:
        assert proc.stdout is not None
        line = proc.stdout.readline().strip()
        if line != "ready":
            figures.errors.append(f"a writer did not start ({line!r})")
    for proc in procs:
        assert proc.stdin is not None
        proc.stdin.write("go\n")
        proc.stdin.flush()
    reports = []
    for i, proc in enumerate(procs, 1):
        out, err = proc.communicate(timeout=600)
        if proc.returncode != 0:
            figures.errors.append(f"writer {i} exited with {proc.returncode}: {err[-500:]}")
            continue
        report = json.loads(out.strip().splitlines()[-1])
        reports.append(report)
        figures.errors += [f"writer {i}: {e}" for e in report["errors"]]
        figures.latency_ms[WRITERS[i - 1]] = (report["median_ms"], report["max_ms"])
    figures.saving_seconds = max((rep["seconds"] for rep in reports), default=0.0)
    figures.seconds = time.perf_counter() - began
    db = open_database(path, create=False)
    try:
        keys = Counter(
            notes
            for (notes,) in db.execute(
                "SELECT notes FROM diary WHERE notes GLOB ?", [CONCURRENT_GLOB]
            )
        )
        wanted = {f"C{i}-{seq:05d}" for i in (1, 2) for seq in range(1, saves + 1)}
        figures.rows_found = len(wanted & set(keys))
        figures.duplicates = sum(n - 1 for n in keys.values()) + len(set(keys) - wanted)
        figures.shared_rows = db.execute(
            "SELECT count(*) FROM diary WHERE notes GLOB ? AND patient_id = "
            "(SELECT id FROM patient WHERE mrn = ?)",
            [CONCURRENT_GLOB, SHARED_PATIENT],
        ).fetchone()[0]
        figures.integrity = [row[0] for row in db.execute("PRAGMA integrity_check")]
        figures.foreign_key_rows = len(db.execute("PRAGMA foreign_key_check").fetchall())
        chain = audit.verify_chain(db)
        figures.chain_ok, figures.chain_rows, figures.chain_problem = (
            chain.ok, chain.rows, chain.problem,
        )  # fmt: skip
        figures.audit_problems = audit_mismatches(db)
        actors = [
            a
            for (a,) in db.execute(
                "SELECT actor FROM audit WHERE action = 'create' AND table_name = 'diary' "
                "ORDER BY id"
            )
            if a in WRITERS
        ]
        figures.switches = sum(1 for a, b in itertools.pairwise(actors) if a != b)
    finally:
        db.close()
    return figures


def writer(db_path: Path, index: int, saves: int, shared_every: int) -> int:
    """One workstation: sign in, wait for "go", then ``saves`` diary entries; report JSON."""
    db = open_database(db_path, create=False)
    actor = users.sign_in(db, WRITERS[index - 1], PASSWORD)
    rng = random.Random(index)
    print("ready", flush=True)
    sys.stdin.readline()
    go = time.perf_counter()
    errors: list[str] = []
    latencies: list[float] = []
    for seq in range(1, saves + 1):
        mrn = SHARED_PATIENT if seq % shared_every == 0 else f"CONC-{index}"
        key = f"C{index}-{seq:05d}"
        entry = r.DiaryEntry(
            date=DAY, symptom_score=round(rng.uniform(0, 10), 1), source="patient", notes=key
        )
        start = time.perf_counter()
        try:
            entries.add_diary_entry(db, mrn, entry, actor=actor)
        except Exception as exc:  # any error reaching the caller is what is counted
            errors.append(f"{key}: {type(exc).__name__}: {exc}")
        latencies.append((time.perf_counter() - start) * 1000)
        cases.read_case(db, mrn)  # the window shows the chart again after each save
    seconds = time.perf_counter() - go
    db.close()
    report = {
        "errors": errors,
        "median_ms": round(statistics.median(latencies), 2),
        "max_ms": round(max(latencies), 2),
        "seconds": round(seconds, 3),
    }
    print(json.dumps(report), flush=True)
    return 0


# ---------------------------------------------------------------------------------------------
# The figures and the document


def machine() -> str:
    """What the figures were measured on, without naming the host, with the load."""
    load = ""
    if hasattr(os, "getloadavg"):
        load = f", load average {os.getloadavg()[1]:.1f} over the last 5 minutes of the run"
    return shared_machine() + load


def render(kill: KillFigures, conc: ConcurrencyFigures, *, when: dt.date | None = None) -> str:
    when = when or dt.date.today()
    acked = sum(kill.acknowledged.values())
    cut = sum(kill.cut_off.values())
    by_kind = ", ".join(f"{kind} {kill.acknowledged[kind]}" for kind in KINDS)
    cut_kind = ", ".join(f"{kind} {kill.cut_off[kind]}" for kind in KINDS)
    f = kill.failures
    errors = len(conc.errors)
    lat = "; ".join(
        f"{who}: median {m:.1f} ms, longest {x:.0f} ms" for who, (m, x) in conc.latency_ms.items()
    )
    lines = [
        f"Measured on {when.isoformat()}: {machine()}; the databases on a local disk.",
        "",
        "### Kill trials",
        "",
        "| | |",
        "|---|---|",
        f"| trials (worker SIGKILLed) | {kill.trials} ({kill.blocks} blocks of "
        f"{kill.per_block}, seed {kill.seed}, kill 0–{kill.max_delay_ms:.0f} ms after ready) |",
        f"| saves started | {kill.saves_started} |",
        f"| acknowledged saves checked | {acked} ({by_kind}) |",
        f"| checks of acknowledged saves (each re-checked after every later kill in its "
        f"block) | {kill.ack_checks} |",
        f"| kills that landed inside a save (started, not acknowledged) | {cut} of "
        f"{kill.trials} ({cut_kind}) |",
        f"| ... the save found whole (committed before the ack was written) | "
        f"{kill.cut_off_committed} |",
        f"| ... the save found absent (rolled back) | {kill.cut_off_rolled_back} |",
        f"| kills that left a WAL file to recover | {kill.wal_left} |",
        f"| integrity failures (`integrity_check`, `foreign_key_check`) | "
        f"{f['integrity'] + f['foreign_keys']} |",
        f"| audit chain broken | {f['audit_chain']} |",
        f"| rows and audit rows not matching | {f['audit_rows']} |",
        f"| lost acknowledged writes | {f['lost']} |",
        f"| partial writes | {f['partial']} |",
        f"| cut-off saves that changed state later | {f['changed']} |",
        f"| rows of saves never started | {f['phantom']} |",
        f"| saves refused, workers that died before the kill | {f['worker_errors']} |",
        f"| largest audit trail checked | {kill.largest_rows} rows |",
        f"| time | {kill.seconds / 60:.1f} min |",
        "",
        "### Two writers at once",
        "",
        "| | |",
        "|---|---|",
        f"| writers × saves | {conc.writers} × {conc.saves_each} diary entries (every "
        f"{conc.shared_every}th for a shared patient) |",
        f"| rows found | {conc.rows_found} of {conc.rows_expected} "
        f"({conc.shared_rows} for the shared patient), {conc.duplicates} duplicates |",
        f"| errors reaching either caller | {errors} |",
        f"| integrity | {', '.join(conc.integrity)}; foreign key rows: {conc.foreign_key_rows} |",
        f"| audit chain | {'verified' if conc.chain_ok else 'BROKEN: ' + str(conc.chain_problem)},"
        f" {conc.chain_rows} rows; rows and audit rows match: "
        f"{'yes' if not conc.audit_problems else '; '.join(conc.audit_problems)} |",
        f"| the chain passes from one writer to the other | {conc.switches} times |",
        f"| whole run (two processes started, signed in, saved, exited) | {conc.seconds:.1f} s |",
        f"| saving (from go until both finished; each save followed by a re-read of the "
        f"record) | {conc.saving_seconds:.1f} s "
        f"({conc.rows_expected / max(conc.saving_seconds, 1e-9):.0f} saves/s) |",
        f"| one save, as its caller waited | {lat} |",
        "",
    ]
    return "\n".join(lines)


def figures_json(kill: KillFigures, conc: ConcurrencyFigures) -> dict[str, Any]:
    """Both sets of figures as plain values (``run --json``)."""

    def plain(figures: Any) -> dict[str, Any]:
        return {
            f.name: getattr(figures, f.name) for f in fields(figures) if not f.name.startswith("_")
        }

    return {
        "kill": {**plain(kill), "failed": kill.failed},
        "concurrent": {**plain(conc), "ok": conc.ok},
    }


def write_figures(doc: Path, text: str) -> None:
    """Replace what stands between the figure markers of ``doc`` (the rest is kept)."""
    content = doc.read_text(encoding="utf-8")
    start, end = content.find(FIGURES_START), content.find(FIGURES_END)
    if start < 0 or end < start:
        raise SystemExit(f"{doc}: the figure markers {FIGURES_START} ... {FIGURES_END} are missing")
    head = content[: start + len(FIGURES_START)]
    doc.write_text(head + "\n" + text + "\n" + content[end:], encoding="utf-8")


def experiment(
    workdir: Path, *, trials: int, per_block: int, saves: int, seed: int, max_delay: float
) -> tuple[KillFigures, ConcurrencyFigures]:
    kill = kill_trials(
        workdir / "kill", trials=trials, per_block=per_block, seed=seed, max_delay=max_delay
    )
    conc = concurrent_writers(workdir / "concurrent", saves=saves)
    return kill, conc


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="the whole experiment")
    run.add_argument("--trials", type=int, default=200)
    run.add_argument("--per-block", type=int, default=20)
    run.add_argument("--saves", type=int, default=500)
    run.add_argument("--seed", type=int, default=2026)
    run.add_argument("--max-delay-ms", type=float, default=400)
    run.add_argument("--doc", type=Path, help="rewrite the figures section of this file")
    run.add_argument("--json", type=Path, help="also write the figures to this file as JSON")
    run.add_argument("--workdir", type=Path, help="keep the databases here (default: temporary)")
    w = sub.add_parser("worker", help="(started by run) save until killed")
    w.add_argument("--db", type=Path, required=True)
    w.add_argument("--log", type=Path, required=True)
    w.add_argument("--trial", type=int, required=True)
    w.add_argument("--seed", type=int, required=True)
    w.add_argument("--max-seconds", type=float, default=30)
    c = sub.add_parser("writer", help="(started by run) one of the concurrent writers")
    c.add_argument("--db", type=Path, required=True)
    c.add_argument("--writer", type=int, choices=(1, 2), required=True)
    c.add_argument("--saves", type=int, required=True)
    c.add_argument("--shared-every", type=int, default=5)
    args = parser.parse_args(argv)
    if args.command == "worker":
        return worker(args.db, args.log, args.trial, args.seed, args.max_seconds)
    if args.command == "writer":
        return writer(args.db, args.writer, args.saves, args.shared_every)
    with tempfile.TemporaryDirectory() as scratch:
        kill, conc = experiment(
            args.workdir or Path(scratch),
            trials=args.trials,
            per_block=args.per_block,
            saves=args.saves,
            seed=args.seed,
            max_delay=args.max_delay_ms / 1000,
        )
    text = render(kill, conc)
    print(text)
    for problem in kill.problems:
        print("FAILED:", problem, file=sys.stderr)
    for error in conc.errors:
        print("FAILED:", error, file=sys.stderr)
    if args.doc:
        write_figures(args.doc, text)
    if args.json:
        args.json.write_text(json.dumps(figures_json(kill, conc), indent=1), encoding="utf-8")
    return 0 if kill.failed == 0 and conc.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
