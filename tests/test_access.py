"""Users and roles: permissions enforced by the store itself, sign-in, passwords."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from conftest import PASSWORD, Staff, load_case_json, run_cli

from clinic_gui.domain import records as r
from clinic_gui.domain.access import ROLES, Permission, User, permissions_of, refusal
from clinic_gui.domain.case_file import parse_case
from clinic_gui.store import entries, users
from clinic_gui.store.cases import insert_case
from clinic_gui.store.connection import open_database

TODAY = dt.date(2026, 11, 22)
MRN = "AS-0001"
REGIMEN = r.Regimen(
    start_date=dt.date(2026, 11, 20),
    product="Remicade",
    dose_mg_per_kg=5,
    interval_weeks=4,
    reason="wearing off",
)


@pytest.fixture
def seeded(db: Any, staff: Staff) -> Any:
    insert_case(
        db, parse_case(load_case_json("seed-as-wearing-off.json"), today=TODAY), actor=staff.nurse
    )
    return db


def test_role_table() -> None:
    assert Permission.CHANGE_REGIMEN not in permissions_of({"nurse"})
    assert Permission.CHANGE_REGIMEN in permissions_of({"physician"})
    assert permissions_of({"nurse"}) < permissions_of({"physician"})
    assert Permission.RECORD_ENTRY not in permissions_of({"admin"})
    assert Permission.MANAGE_USERS in permissions_of({"admin"})
    assert set(ROLES) == {"nurse", "physician", "admin"}
    assert refusal("rn.kim", Permission.SIGN_OFF) == (
        "rn.kim may not sign off a recommendation: that needs the physician role"
    )


def test_a_nurse_calling_the_store_directly_is_refused_a_regimen_change(
    seeded: Any, staff: Staff, db_path: Path
) -> None:
    from conftest import snapshot

    before = snapshot(db_path)
    with pytest.raises(users.PermissionRefused, match="needs the physician role"):
        entries.add_regimen(seeded, MRN, REGIMEN, actor=staff.nurse, today=TODAY)
    with pytest.raises(users.PermissionRefused):
        entries.review_results(seeded, [1], actor=staff.nurse)
    with pytest.raises(users.PermissionRefused):
        entries.sign_off(
            seeded, MRN, decision_row="no_tdm", assessment_json="{}", note=None, actor=staff.nurse
        )
    assert snapshot(db_path) == before
    entries.add_regimen(seeded, MRN, REGIMEN, actor=staff.physician, today=TODAY)


def test_the_admin_role_alone_writes_nothing_clinical(seeded: Any, staff: Staff) -> None:
    weight = r.Weight(date=dt.date(2026, 11, 20), kg=80)
    with pytest.raises(users.PermissionRefused, match="needs the nurse or physician role"):
        entries.add_weight(seeded, MRN, weight, actor=staff.admin, today=TODAY)


def test_roles_come_from_the_database_not_from_the_caller(seeded: Any, staff: Staff) -> None:
    forged = dataclasses.replace(staff.nurse, roles=frozenset(ROLES))
    with pytest.raises(users.PermissionRefused, match="needs the physician role"):
        entries.add_regimen(seeded, MRN, REGIMEN, actor=forged, today=TODAY)
    stranger = User(id=99, username="ghost", full_name="Ghost", roles=frozenset(ROLES))
    with pytest.raises(users.PermissionRefused, match="not a user of this database"):
        entries.add_regimen(seeded, MRN, REGIMEN, actor=stranger, today=TODAY)


def test_a_role_taken_away_or_a_disabled_account_takes_effect_at_the_next_save(
    seeded: Any, staff: Staff
) -> None:
    users.set_roles(seeded, staff.admin, "dr.lee", ["nurse"])
    with pytest.raises(users.PermissionRefused):
        entries.add_regimen(seeded, MRN, REGIMEN, actor=staff.physician, today=TODAY)
    users.disable_user(seeded, staff.admin, "rn.kim", reason="left the clinic")
    weight = r.Weight(date=dt.date(2026, 11, 20), kg=80)
    with pytest.raises(users.PermissionRefused, match="disabled"):
        entries.add_weight(seeded, MRN, weight, actor=staff.nurse, today=TODAY)
    with pytest.raises(users.SignInRefused):
        users.sign_in(seeded, "rn.kim", PASSWORD)


def test_only_an_admin_manages_users(db: Any, staff: Staff) -> None:
    with pytest.raises(users.PermissionRefused, match="manage users"):
        users.create_user(
            db, staff.nurse, username="rn.new", full_name="New", roles=["nurse"], password="x" * 12
        )
    with pytest.raises(users.PermissionRefused):
        users.create_user(
            db, None, username="rn.new", full_name="New", roles=["admin"], password="x" * 12
        )


def test_the_first_user_must_be_an_administrator(db: Any) -> None:
    assert users.needs_first_admin(db)
    with pytest.raises(users.UserRefused, match="first user must be an administrator"):
        users.create_user(
            db, None, username="rn.kim", full_name="Kim", roles=["nurse"], password="x" * 12
        )
    users.create_user(
        db, None, username="boss", full_name="Boss", roles=["admin", "physician"], password="x" * 12
    )
    assert not users.needs_first_admin(db)


def test_account_checks_name_each_problem(db: Any, staff: Staff) -> None:
    with pytest.raises(users.UserRefused) as refused:
        users.create_user(
            db, staff.admin, username="RN Kim", full_name=" ", roles=["cook"], password="short"
        )
    assert refused.value.problems == [
        "username: lower-case letters, digits, '.', '_' and '-' only",
        "full_name: required (it is printed on sign-offs)",
        "roles: unknown role cook",
        "password: at least 10 characters",
    ]
    with pytest.raises(users.UserRefused, match="already taken"):
        users.create_user(
            db, staff.admin, username="rn.kim", full_name="K", roles=["nurse"], password="x" * 12
        )


def test_sign_in_and_its_audit(db: Any, staff: Staff) -> None:
    user = users.sign_in(db, " RN.Kim ", PASSWORD)
    assert (user.username, user.roles) == ("rn.kim", frozenset({"nurse"}))
    with pytest.raises(users.SignInRefused, match="Wrong user name or password"):
        users.sign_in(db, "rn.kim", "not it at all")
    with pytest.raises(users.SignInRefused, match="Wrong user name or password"):
        users.sign_in(db, "nobody", PASSWORD)
    actions = [
        row[0]
        for row in db.execute(
            "SELECT action || ':' || actor FROM audit WHERE action LIKE 'sign_in%' ORDER BY id"
        )
    ]
    assert actions == ["sign_in:rn.kim", "sign_in_failed:rn.kim", "sign_in_failed:nobody"]


def test_five_failures_lock_the_name_for_a_while(db: Any, staff: Staff) -> None:
    for _ in range(users.MAX_FAILURES):
        with pytest.raises(users.SignInRefused, match="Wrong"):
            users.sign_in(db, "dr.lee", "wrong password")
    with pytest.raises(users.SignInRefused, match="Too many failed attempts"):
        users.sign_in(db, "dr.lee", PASSWORD)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=users.LOCKOUT_MINUTES + 1)
    assert users.sign_in(db, "dr.lee", PASSWORD, now=later).username == "dr.lee"
    assert users.sign_in(db, "rn.kim", PASSWORD).username == "rn.kim"  # others unaffected


def test_passwords_are_stored_only_as_argon2id_hashes(db_path: Path, db: Any, staff: Staff) -> None:
    stored = [row[0] for row in db.execute("SELECT password_hash FROM app_user")]
    assert all(h.startswith("$argon2id$") for h in stored)
    db.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw = db_path.read_bytes()
    assert PASSWORD.encode() not in raw


def test_a_weak_hash_is_upgraded_at_sign_in(db: Any, staff: Staff, monkeypatch: Any) -> None:
    from argon2 import PasswordHasher

    before = db.execute("SELECT password_hash FROM app_user WHERE username = 'rn.kim'").fetchone()
    monkeypatch.setattr(
        users, "HASHER", PasswordHasher(time_cost=2, memory_cost=128, parallelism=1)
    )
    users.sign_in(db, "rn.kim", PASSWORD)
    after = db.execute("SELECT password_hash FROM app_user WHERE username = 'rn.kim'").fetchone()
    assert before != after and "t=2" in after[0]


def test_own_password_change_needs_the_old_one(db: Any, staff: Staff) -> None:
    with pytest.raises(users.UserRefused, match="not your current password"):
        users.set_password(db, staff.nurse, "rn.kim", "a new password", old_password="guess")
    users.set_password(db, staff.nurse, "rn.kim", "a new password", old_password=PASSWORD)
    assert users.sign_in(db, "rn.kim", "a new password").username == "rn.kim"
    with pytest.raises(users.PermissionRefused):
        users.set_password(db, staff.nurse, "dr.lee", "a new password")


def test_the_demo_user_exists_only_on_the_demo_clinic(tmp_path: Path, db: Any) -> None:
    from clinic_gui.store.demo_clinic import write_demo_clinic

    assert users.demo_user(db) is None
    demo = tmp_path / "demo.sqlite"
    write_demo_clinic(demo, patients=3, seed=1, as_of=TODAY)
    database = open_database(demo)
    try:
        user = users.demo_user(database)
        assert user is not None and user.demo and user.roles == frozenset(ROLES)
        with pytest.raises(users.SignInRefused):  # no password opens the demo account
            users.sign_in(database, "demo", "")
        users.create_user(
            database, user, username="real", full_name="Real", roles=["nurse"], password="x" * 12
        )
        assert users.demo_user(database) is None  # a clinic with real users is not a demo
    finally:
        database.close()


def test_command_line_acts_as_a_signed_in_user(
    tmp_path: Path, capsys: Any, monkeypatch: Any
) -> None:
    path = tmp_path / "c.sqlite"
    case = Path(__file__).parent / "fixtures" / "cases" / "cd-low-trough.json"
    assert run_cli("import-case", case, "--db", path, user="nobody") == 4
    assert "Wrong user name or password" in capsys.readouterr().err
    assert run_cli("import-case", case, "--db", path, user="admin") == 4
    assert "may not import a case file" in capsys.readouterr().err
    assert run_cli("import-case", case, "--db", path, user="rn.kim") == 0
    monkeypatch.setenv("NEW_PASSWORD", "x" * 12)
    from clinic_gui.__main__ import main

    assert (
        main(["user", "add", "rn.two", "--db", str(path), "--full-name", "Two", "--role", "nurse",
              "--user", "admin", "--new-password-from-env", "NEW_PASSWORD"])
        == 0
    )  # fmt: skip
    assert main(["user", "list", "--db", str(path)]) == 0
    assert "rn.two\tTwo\tNurse\tactive" in capsys.readouterr().out


def test_a_new_database_asks_for_the_first_administrator(tmp_path: Path, capsys: Any) -> None:
    from clinic_gui.__main__ import main

    path = tmp_path / "new.sqlite"
    case = Path(__file__).parent / "fixtures" / "cases" / "cd-low-trough.json"
    assert main(["import-case", str(case), "--db", str(path), "--user", "x"]) == 4
    assert "create the first administrator" in capsys.readouterr().err


def test_signing_in_to_a_read_only_database_works_and_writes_nothing(
    db: Any, db_path: Path, staff: Staff
) -> None:
    from conftest import snapshot

    before = snapshot(db_path)
    reader = open_database(db_path, read_only=True)
    try:
        assert users.sign_in(reader, "rn.kim", PASSWORD).username == "rn.kim"
        with pytest.raises(users.SignInRefused):
            users.sign_in(reader, "rn.kim", "wrong password")
    finally:
        reader.close()
    assert snapshot(db_path) == before
