"""The one entry point: ``clinic-gui`` opens the window; subcommands work without one.

Exit codes: 0 done; 1 the input was refused (nothing was written; for ``restore``, a file
that is not a sound clinic_gui backup; for ``import-case`` of several files, at least one
file was refused and the others were imported); 2 bad command line; 3 the database could
not be opened (not ours, newer schema, unreadable, damaged) or a backup of it failed its
check; 4 sign-in or permission refused; 5 the audit trail did not verify.

Commands that change the record or take data out of it act as a signed-in user:
``--user NAME``, with the password asked for on the terminal or read from the
``CLINIC_GUI_PASSWORD`` environment variable (for scripts). On the demo clinic the demo
user acts without a password.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from clinic_gui import __version__

if TYPE_CHECKING:
    from clinic_gui.domain.access import User
    from clinic_gui.domain.records import Case
    from clinic_gui.store.connection import ClinicDatabase

EXIT_REFUSED = 1
EXIT_USAGE = 2
EXIT_DATABASE = 3
EXIT_ACCESS = 4
EXIT_AUDIT = 5
PASSWORD_VARIABLE = "CLINIC_GUI_PASSWORD"
RECORD_LISTS = ("weights", "regimens", "infusions", "diary", "labs")  # of a case file


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clinic-gui",
        description="Infliximab infusion clinic: the clinical record, end-of-dose wearing-off "
        "and TDM decision support. With no subcommand, opens the main window.",
    )
    parser.add_argument("--version", action="version", version=f"clinic_gui {__version__}")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--db", type=Path, help="clinic database file (default: the user data folder)"
    )
    parser.add_argument(
        "--safe-mode",
        action="store_true",
        help="force software rendering (for PCs whose graphics driver shows a black or "
        "garbled window; also CLINIC_GUI_SAFE_MODE=1)",
    )
    parser.add_argument(
        "--self-test",
        action="store_true",
        help="check, headless, that the app works here (temporary demo clinic, chart, "
        "recommendation, recording an infusion); exit 0 when it does",
    )
    where.add_argument(
        "--demo",
        action="store_true",
        help="open the demo clinic (synthetic patients), creating it on first use",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(
        name: str, help_text: str, *, needs_db: bool = True, acts: bool = False, parent: Any = sub
    ) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=help_text, description=help_text)
        if needs_db:
            p.add_argument(
                "--db", type=Path, default=argparse.SUPPRESS, help="clinic database file"
            )
        if acts:
            p.add_argument(
                "--user",
                default=None,
                help=f"act as this user (password asked for, or read from {PASSWORD_VARIABLE})",
            )
        return p

    p = command(
        "import-case",
        "import patients' clinic-case/1 JSON files, one patient per file",
        acts=True,
    )
    p.epilog = (
        "Each file is checked and written in its own transaction: a refused file (unreadable, "
        "invalid, or a patient already in the database) is named with its problem and nothing "
        "of it is written, and the other files still go in. Exit code 0 when every file was "
        "imported; 1 when any was refused, so that a script can tell an incomplete run (the "
        "files that were imported stay imported)."
    )
    p.add_argument(
        "files",
        nargs="+",
        type=Path,
        metavar="FILE",
        help="a case file ('-' reads standard input, and is then the only FILE)",
    )
    p.add_argument(
        "--replace",
        action="store_true",
        help="supersede an existing patient with the same MRN "
        "(their old rows are voided, not deleted)",
    )
    p = command(
        "export-case",
        "print one patient's record as clinic-case/1 JSON on standard output",
        acts=True,
    )
    p.add_argument("mrn")
    p = command("assess", "assess one patient: wearing-off, TDM decision row, dose options")
    p.add_argument("--mrn", required=True)
    p.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="assessment date (YYYY-MM-DD, default today)",
    )
    p.add_argument(
        "--propose",
        action="append",
        default=[],
        metavar="REGIMEN",
        help="a regimen to work out, e.g. '7 mg/kg q6w' (may be repeated)",
    )
    p.add_argument("--json", action="store_true", help="print only the assessment JSON")
    p = command("demo", "fill a database with a deterministic synthetic clinic")
    p.add_argument("--patients", type=int, default=120, help="number of patients (default 120)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="the demo's 'today' (YYYY-MM-DD, default today); same seed + date = same clinic",
    )
    p = command(
        "overview",
        "bring the stored clinic overview (worklist and patient-list flags) up to date, as a "
        "nightly task; writes only derived rows, so needs no --user",
    )
    p.epilog = (
        "Meant for a nightly scheduled task, so that the first worklist of the day opens from "
        "stored rows instead of assessing every patient: run it the evening before with "
        "tomorrow's date as --as-of. Prints one line: patients, worklist entries per "
        "category and the seconds taken."
    )
    p.add_argument(
        "--as-of",
        type=dt.date.fromisoformat,
        default=None,
        help="the day to work the overview out for (YYYY-MM-DD, default today)",
    )
    p.add_argument(
        "--workers",
        type=int,
        default=2,
        metavar="N",
        help="processes that assess the patients when many need it (default 2)",
    )
    p = command(
        "screenshot",
        "render the main screens to PNG files (works without a display); without --db, of a "
        "temporary demo clinic",
    )
    p.add_argument("directory", type=Path)

    users = sub.add_parser("user", help="user accounts", description="user accounts")
    users_sub = users.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    p = command(
        "add",
        "add a user account (the first administrator of a new database needs no --user)",
        acts=True,
        parent=users_sub,
    )
    p.add_argument("username", help="lower-case sign-in name, e.g. rn.kim")
    p.add_argument("--full-name", required=True, help="the person's name as printed")
    p.add_argument(
        "--role",
        action="append",
        required=True,
        choices=["nurse", "physician", "admin"],
        help="a role (may be repeated)",
    )
    p.add_argument(
        "--new-password-from-env",
        metavar="VARIABLE",
        default=None,
        help="read the new account's password from this environment variable (else asked)",
    )
    command("list", "list the user accounts and their roles", parent=users_sub)

    p = command(
        "backup",
        "copy the database, verified, into the backups folder beside it (or to --to FILE); "
        "prints the copy and the audit chain head (administrators; the demo user on the demo "
        "clinic)",
        acts=True,
    )
    p.add_argument(
        "--to", type=Path, default=None, help="write the backup to this new file instead"
    )
    p = command(
        "restore",
        "replace the database with a backup; the database replaced is kept in the backups "
        "folder (an administrator of the backup)",
        acts=True,
    )
    p.add_argument("file", type=Path, help="the backup file to restore")

    audit = sub.add_parser("audit", help="the audit trail", description="the audit trail")
    audit_sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    command(
        "verify",
        "check the audit trail's hash chain; exit 5 and name the first broken row if not intact",
        parent=audit_sub,
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.self_test:
        from clinic_gui.ui.self_test import run_self_test

        return run_self_test()
    handlers: dict[str | None, Callable[[argparse.Namespace], int]] = {
        None: _run_gui,
        "import-case": _import_case,
        "export-case": _export_case,
        "assess": _assess,
        "demo": _demo,
        "overview": _overview,
        "screenshot": _screenshot,
        "user": _user_command,
        "audit": _audit_command,
        "backup": _backup_command,
        "restore": _restore_command,
    }
    from clinic_gui.store.cases import PatientNotFound
    from clinic_gui.store.connection import DatabaseRefused, WriteFailed
    from clinic_gui.store.users import PermissionRefused, SignInRefused

    try:
        return handlers[args.command](args)
    except DatabaseRefused as exc:
        print(f"clinic-gui: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    except PatientNotFound as exc:
        return _refuse(str(exc), writes=False)
    except (SignInRefused, PermissionRefused) as exc:
        print(f"clinic-gui: {exc}\nNothing was written.", file=sys.stderr)
        return EXIT_ACCESS
    except WriteFailed as exc:
        return _refuse(str(exc), writes=False)


def _database_path(args: argparse.Namespace) -> Path:
    from clinic_gui import paths

    if getattr(args, "db", None):
        return Path(args.db)
    return paths.demo_database() if getattr(args, "demo", False) else paths.default_database()


def _acting_user(db: ClinicDatabase, args: argparse.Namespace) -> User:
    """The demo user on the demo clinic; otherwise ``--user`` signed in with a password."""
    from clinic_gui.store.users import SignInRefused, demo_user, needs_first_admin, sign_in

    user = demo_user(db)
    if user is not None:
        return user
    if needs_first_admin(db):
        raise SignInRefused(
            "this database has no users yet: create the first administrator with "
            "'clinic-gui user add NAME --full-name \"...\" --role admin'"
        )
    if not getattr(args, "user", None):
        raise SignInRefused(
            f"this command acts on the record: give --user NAME (the password is asked for, "
            f"or read from {PASSWORD_VARIABLE})"
        )
    return sign_in(db, args.user, _password(f"Password for {args.user}: ", PASSWORD_VARIABLE))


def _password(prompt: str, variable: str) -> str:
    import getpass
    import os

    from clinic_gui.store.users import SignInRefused

    if variable in os.environ:
        return os.environ[variable]
    if not sys.stdin.isatty():
        raise SignInRefused(f"no password: set {variable} or run the command in a terminal")
    return getpass.getpass(prompt)


def _user_command(args: argparse.Namespace) -> int:
    from clinic_gui.domain.access import ROLE_LABELS
    from clinic_gui.store.connection import open_database
    from clinic_gui.store.users import UserRefused, create_user, list_users, needs_first_admin

    db = open_database(_database_path(args), create=args.user_command == "add")
    try:
        if args.user_command == "list":
            for user, disabled in list_users(db):
                roles = ", ".join(ROLE_LABELS[r] for r in sorted(user.roles))
                state = f"disabled {disabled}" if disabled else "active"
                print(f"{user.username}\t{user.full_name}\t{roles}\t{state}")
            return 0
        actor = None if needs_first_admin(db) else _acting_user(db, args)
        variable = args.new_password_from_env
        if variable:
            import os

            if variable not in os.environ:
                return _refuse(f"--new-password-from-env: {variable} is not set")
            password = os.environ[variable]
        else:
            password = _password(f"New password for {args.username}: ", "")
        try:
            user = create_user(
                db,
                actor,
                username=args.username,
                full_name=args.full_name,
                roles=args.role,
                password=password,
            )
        except UserRefused as exc:
            return _refuse("\n  ".join(["user not added:", *exc.problems]))
    finally:
        db.close()
    print(f"Added {user.username} ({user.role_text}).", file=sys.stderr)
    return 0


def _audit_command(args: argparse.Namespace) -> int:
    from clinic_gui.store.audit import verify_chain
    from clinic_gui.store.connection import open_database

    db = open_database(_database_path(args), create=False)
    try:
        report = verify_chain(db)
    finally:
        db.close()
    print(report.text())
    return 0 if report.ok else EXIT_AUDIT


def _backup_command(args: argparse.Namespace) -> int:
    from clinic_gui.store.backup import BackupRefused, backup_chain_head, backup_now
    from clinic_gui.store.connection import open_database

    path = _database_path(args)
    db = open_database(path, create=False)
    try:
        actor = _acting_user(db, args)
        try:
            target = backup_now(db, path, actor=actor, kind="manual", target=args.to)
        except BackupRefused as exc:
            return _refuse(str(exc), writes=False)
    finally:
        db.close()
    head_id, head_hash = backup_chain_head(target)
    print(target)
    print(f"audit chain head: row {head_id}, hash {head_hash}")
    return 0


def _restore_command(args: argparse.Namespace) -> int:
    from clinic_gui.store.backup import BackupRefused, restore

    path = _database_path(args)
    username = args.user or ""
    password = _password(f"Password for {username}: ", PASSWORD_VARIABLE) if username else ""
    try:
        kept = restore(args.file, path, username=username, password=password)
    except BackupRefused as exc:
        return _refuse(str(exc), writes=False)
    print(f"Restored {args.file} into {path}.")
    if kept is None:
        print(f"There was no database at {path} to replace.")
    else:
        print(f"The database it replaced was kept as {kept}")
    return 0


def _import_case(args: argparse.Namespace) -> int:
    """One file keeps the single-patient messages; several get a line each and a summary."""
    files: list[Path] = args.files
    if len(files) > 1 and any(str(f) == "-" for f in files):
        print(
            "clinic-gui: import-case: '-' (standard input) can only be given as the one FILE",
            file=sys.stderr,
        )
        return EXIT_USAGE
    target = _ImportTarget(args)
    try:
        if len(files) == 1:
            return _import_one(target, files[0])
        return _import_many(target, files)
    finally:
        target.close()


class _FileRefused(Exception):
    """One case file that was not imported; the message names the file and the problem."""


class _ImportTarget:
    """The database the case files go into, opened and signed in to once, when the first file
    passes its checks: a run whose every file is refused creates no database and asks for no
    password."""

    def __init__(self, args: argparse.Namespace):
        self._args = args
        self._db: ClinicDatabase | None = None
        self._actor: User | None = None

    def import_file(self, path: Path) -> Case:
        """Read, check and write one file in its own transaction; ``_FileRefused`` if the file
        is unreadable, invalid or names a patient already there (nothing of it written)."""
        from clinic_gui.store.cases import DuplicatePatient, insert_case

        case = _load_case(path)
        db, actor = self._signed_in()
        try:
            insert_case(db, case, replace=self._args.replace, actor=actor)
        except DuplicatePatient as exc:
            raise _FileRefused(f"{_source(path)}: {exc}") from None
        return case

    def _signed_in(self) -> tuple[ClinicDatabase, User]:
        from clinic_gui.store.connection import open_database

        if self._db is None:
            self._db = open_database(_database_path(self._args))
        if self._actor is None:
            self._actor = _acting_user(self._db, self._args)
        return self._db, self._actor

    def close(self) -> None:
        if self._db is not None:
            self._db.close()


def _source(path: Path) -> str:
    return "standard input" if str(path) == "-" else str(path)


def _load_case(path: Path) -> Case:
    """The checked case in one file (or standard input), or ``_FileRefused``."""
    from clinic_gui.domain.case_file import CaseFileError, load_case_file, read_case_bytes

    source = _source(path)
    try:
        if str(path) == "-":
            data = read_case_bytes(sys.stdin.buffer)
        else:
            with path.open("rb") as stream:
                data = read_case_bytes(stream)
        return load_case_file(data, source)
    except OSError as exc:
        raise _FileRefused(f"cannot read {source}: {exc.strerror or exc}") from None
    except CaseFileError as exc:
        raise _FileRefused(str(exc)) from None


def _import_one(target: _ImportTarget, path: Path) -> int:
    try:
        case = target.import_file(path)
    except _FileRefused as exc:
        return _refuse(str(exc))
    print(f"Imported {case.patient.mrn} ({_lists_text(_record_counts(case))}).", file=sys.stderr)
    return 0


def _import_many(target: _ImportTarget, files: list[Path]) -> int:
    """Every file in turn, each on its own: a refused file is reported and the rest go on
    (exit 1 if any was refused, so a script sees the run was incomplete)."""
    from clinic_gui.store.connection import WriteFailed

    totals: Counter[str] = Counter()
    imported = 0
    for path in files:
        try:
            case = target.import_file(path)
        except (_FileRefused, WriteFailed) as exc:
            problem = str(exc) if isinstance(exc, _FileRefused) else f"{path}: {exc}"
            print(
                f"clinic-gui: {_one_line(problem)} Nothing of this file was written.",
                file=sys.stderr,
            )
            continue
        imported += 1
        counts = _record_counts(case)
        totals += counts
        print(f"Imported {case.patient.mrn} from {path} ({_lists_text(counts)}).", file=sys.stderr)
    refused = len(files) - imported
    print(_import_summary(imported, len(files), totals, refused), file=sys.stderr)
    return EXIT_REFUSED if refused else 0


def _record_counts(case: Case) -> Counter[str]:
    """The case's rows by list, with its infusions' vital signs (rows of their own)."""
    counts = Counter({name: len(getattr(case, name)) for name in RECORD_LISTS})
    counts["vital signs"] = sum(len(i.vitals) for i in case.infusions)
    return counts


def _lists_text(counts: Counter[str]) -> str:
    """ "3 weights, 1 regimens, ...": the five lists of a case file, as a single import says."""
    return ", ".join(f"{counts[name]} {name}" for name in RECORD_LISTS)


def _import_summary(imported: int, files: int, totals: Counter[str], refused: int) -> str:
    breakdown = ", ".join(f"{totals[name]} {name}" for name in (*RECORD_LISTS, "vital signs"))
    text = (
        f"Imported {imported} of {files} files: {imported} patient{'' if imported == 1 else 's'}, "
        f"{sum(totals.values())} records ({breakdown})"
    )
    return text + (f"; {refused} refused (see above)." if refused else ".")


def _one_line(message: str) -> str:
    """A refusal on one line (a case file's problems are listed one per line)."""
    head, *problems = message.splitlines()
    return " ".join([head, "; ".join(p.strip() for p in problems)]).strip().rstrip(".") + "."


def _read_case(args: argparse.Namespace) -> Case:
    """The patient's record from the database named on the command line (never created)."""
    from clinic_gui.store.cases import read_case
    from clinic_gui.store.connection import open_database

    db = open_database(_database_path(args), create=False)
    try:
        return read_case(db, args.mrn)
    finally:
        db.close()


def _export_case(args: argparse.Namespace) -> int:
    from clinic_gui.domain.case_file import case_to_json
    from clinic_gui.store.cases import read_case
    from clinic_gui.store.connection import open_database
    from clinic_gui.store.entries import record_export

    db = open_database(_database_path(args), create=False)
    try:
        actor = _acting_user(db, args)
        case = read_case(db, args.mrn)
        record_export(db, args.mrn, actor=actor, where="standard output (command line)")
    finally:
        db.close()
    json.dump(case_to_json(case), sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0


def _assess(args: argparse.Namespace) -> int:
    from clinic_gui.domain.assessment import assess, assessment_json, assessment_text
    from clinic_gui.domain.dosing import parse_regimen

    for text in args.propose:
        try:
            parse_regimen(text)
        except ValueError as exc:
            return _refuse(f"--propose: {exc}", writes=False)
    case = _read_case(args)
    result = assess(case, args.as_of or dt.date.today(), proposals=args.propose)
    if args.json:
        json.dump(assessment_json(result), sys.stdout, indent=1, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(assessment_text(result))
    return 0


def _demo(args: argparse.Namespace) -> int:
    from clinic_gui.store.demo_clinic import write_demo_clinic

    if args.patients < 1:
        return _refuse("--patients must be at least 1")
    path = _database_path(args)
    summary = write_demo_clinic(path, patients=args.patients, seed=args.seed, as_of=args.as_of)
    print(summary, file=sys.stderr)
    return 0


def _overview(args: argparse.Namespace) -> int:
    """Work out and store the overview of every patient whose stored row is not current, so
    the next worklist for ``--as-of`` opens from stored rows."""
    from clinic_gui.domain.worklist import CATEGORIES
    from clinic_gui.store.overview import current_overview

    if args.workers < 1:
        return _refuse("--workers must be at least 1", writes=False)
    as_of = args.as_of or dt.date.today()
    started = time.perf_counter()
    overview = current_overview(_database_path(args), as_of, workers=args.workers)
    seconds = time.perf_counter() - started
    entries = Counter(item.category for item in overview.items)
    worklist = "; ".join(f"{label}: {entries[key]}" for key, label in CATEGORIES.items())
    print(
        f"Clinic overview for {as_of}: {len(overview.flags)} patients; worklist entries: "
        f"{worklist} ({seconds:.1f} s).",
        file=sys.stderr,
    )
    return 0


def _run_gui(args: argparse.Namespace) -> int:
    path = _database_path(args)
    if getattr(args, "demo", False) and not path.exists():
        from clinic_gui.store.demo_clinic import write_demo_clinic

        print(f"Creating the demo clinic at {path} ...", file=sys.stderr)
        write_demo_clinic(path, patients=120, seed=1, as_of=None)
    from clinic_gui.ui.app import run

    return run(path, safe_mode=args.safe_mode)


def _screenshot(args: argparse.Namespace) -> int:
    """Screens of the given database, or of a throwaway demo clinic (never the clinic's own)."""
    import tempfile

    from clinic_gui.ui.app import screenshot

    with tempfile.TemporaryDirectory() as folder:
        if getattr(args, "db", None) or getattr(args, "demo", False):
            path = _database_path(args)
        else:
            from clinic_gui.store.demo_clinic import write_demo_clinic

            path = Path(folder) / "demo.sqlite"
            write_demo_clinic(path, patients=120, seed=1, as_of=None)
        written = screenshot(path, args.directory)
    for file in written:
        print(file)
    return 0


def _refuse(message: str, *, writes: bool = True) -> int:
    tail = "\nNothing was written." if writes else ""
    print(f"clinic-gui: {message}{tail}", file=sys.stderr)
    return EXIT_REFUSED


if __name__ == "__main__":
    # In the frozen app, a worker process of the clinic overview (spawned) starts this same
    # program: freeze_support runs the worker's task there instead of the app.
    import multiprocessing

    multiprocessing.freeze_support()
    sys.exit(main())
