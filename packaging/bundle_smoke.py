"""Smoke test of the frozen bundle: does what was built actually run?

Run after `make bundle` (`make bundle-test` does both; CI runs it). With the console twin
`dist/clinic-gui/clinic-gui-cli`, headless, it checks:

1. `--self-test`: a temporary demo clinic, the main window, the founding-case chart and its
   recommendation, an infusion recorded through the dialog;
2. `import-case` then `assess --json` on the founding case: wearing off flagged, row `no_tdm`,
   412 mg in 5 vials, and the proposal 7 mg/kg q6w = 577 mg in 6 vials outside the label;
3. the upgrade path: a copy of the committed schema-v1 database (what an older app wrote) is
   opened by this bundle; it must come out at the bundle's schema version with every case
   exported unchanged, and with a backup beside it whenever a migration ran;
4. the clinic overview in two worker processes (a demo clinic large enough for the
   overview to use them): a frozen worker must run its task, not the program again.

Prints one line per check; exits 1 on the first failure. Nothing outside a temporary folder
is written.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLI = ROOT / "dist" / "clinic-gui" / ("clinic-gui-cli.exe" if os.name == "nt" else "clinic-gui-cli")
CASES = ROOT / "tests" / "fixtures" / "cases"
V1_DATABASE = ROOT / "tests" / "fixtures" / "schema-v1.sqlite"


class SmokeFailure(Exception):
    pass


PASSWORD = "smoke-test password"


def run(*args: str | Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": "offscreen",
        "HOME": str(home),
        "CLINIC_GUI_PASSWORD": PASSWORD,
    }
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[var] = str(home / var.lower())
    result = subprocess.run(
        [str(CLI), *map(str, args)], capture_output=True, text=True, env=env, timeout=300
    )
    # An error the app survived (e.g. in a Qt slot) is still an error in the bundle.
    if "Traceback" in result.stdout + result.stderr:
        raise SmokeFailure(f"a traceback from {' '.join(map(str, args))}:\n{result.stderr[-3000:]}")
    return result


def check(condition: bool, step: str, detail: str = "") -> None:
    if not condition:
        raise SmokeFailure(f"{step}{': ' + detail if detail else ''}")
    print(f"ok: {step}")


def main() -> int:
    if not CLI.exists():
        print(f"FAILED: no bundle at {CLI}; run `make bundle` first")
        return 1
    try:
        with tempfile.TemporaryDirectory() as folder:
            _smoke(Path(folder))
    except SmokeFailure as exc:
        print(f"FAILED: {exc}")
        return 1
    print("bundle smoke test passed")
    return 0


def _smoke(tmp: Path) -> None:
    home = tmp / "home"
    home.mkdir()
    result = run("--self-test", home=home)
    check(
        result.returncode == 0, "frozen --self-test", result.stdout[-2000:] + result.stderr[-2000:]
    )

    db = tmp / "clinic.sqlite"
    _first_admin(db, home)
    result = run(
        "import-case", CASES / "seed-as-wearing-off.json", "--db", db, "--user", "admin",
        home=home,
    )  # fmt: skip
    check(result.returncode == 0, "frozen import-case of the founding case", result.stderr)
    result = run("audit", "verify", "--db", db, home=home)
    check(
        result.returncode == 0 and "chain intact" in result.stdout,
        "frozen audit verify: the import is in an intact hash chain",
        result.stdout + result.stderr,
    )
    result = run(
        "assess", "--db", db, "--mrn", "AS-0001", "--as-of", "2025-12-01",
        "--propose", "7 mg/kg q6w", "--json", home=home,
    )  # fmt: skip
    check(result.returncode == 0, "frozen assess --json", result.stderr)
    doc = json.loads(result.stdout)
    options = [
        (o["kind"], o["dose_mg"], o["vials"], o["within_label"]) for o in doc["dose_options"]
    ]
    check(
        doc["wearing_off"]["flagged"]
        and doc["decision"]["row"] == "no_tdm"
        and options == [("current", 412, 5, True), ("proposed", 577, 6, False)],
        "the founding case is assessed as in the clinical reference",
        json.dumps(options),
    )

    old = tmp / "upgrade" / "clinic.sqlite"
    old.parent.mkdir()
    shutil.copyfile(V1_DATABASE, old)
    expected = {}
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        expected[case["patient"]["mrn"]] = case
    _first_admin(old, home)
    for mrn, case in expected.items():
        result = run("export-case", mrn, "--db", old, "--user", "admin", home=home)
        check(
            result.returncode == 0, f"the bundle opens a schema-v1 database ({mrn})", result.stderr
        )
        check(json.loads(result.stdout) == case, f"{mrn} comes through the upgrade unchanged")
    conn = sqlite3.connect(old)
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    check(integrity == "ok", "the upgraded database passes integrity_check")
    backups = list((old.parent / "backups").glob("*.sqlite"))
    check(
        (version == 1 and not backups) or (version > 1 and len(backups) == 1),
        f"schema v{version}, with a backup when a migration ran ({len(backups)} backups)",
    )
    _overview_in_workers(tmp, home)


def _overview_in_workers(tmp: Path, home: Path) -> None:
    from clinic_gui.store.overview import PARALLEL_FROM

    db = tmp / "overview" / "demo.sqlite"
    db.parent.mkdir()
    result = run("demo", "--patients", PARALLEL_FROM, "--db", db, home=home)
    check(result.returncode == 0, f"frozen demo clinic of {PARALLEL_FROM} patients", result.stderr)
    result = run("overview", "--workers", "2", "--db", db, home=home)
    check(
        result.returncode == 0 and f"{PARALLEL_FROM} patients" in result.stderr,
        "frozen clinic overview in two worker processes",
        result.stderr[-2000:],
    )


def _first_admin(db: Path, home: Path) -> None:
    """The first administrator (argon2id hashing in the frozen app), also a nurse."""
    result = run(
        "user", "add", "admin", "--db", db, "--full-name", "Smoke Test", "--role", "admin",
        "--role", "nurse", "--new-password-from-env", "CLINIC_GUI_PASSWORD", home=home,
    )  # fmt: skip
    check(
        result.returncode == 0, f"frozen user add: first administrator of {db.name}", result.stderr
    )


if __name__ == "__main__":
    sys.exit(main())
