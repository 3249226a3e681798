"""Users, passwords, sign-in and the permission check every write goes through.

- Passwords are hashed with argon2id (argon2-cffi's RFC 9106 low-memory profile: t=3,
  64 MiB, p=4) and never stored, logged or audited in clear. A hash made with weaker
  parameters is upgraded at the next successful sign-in.
- Sign-in: after ``MAX_FAILURES`` failed attempts for one user name within
  ``LOCKOUT_MINUTES``, further attempts are refused until that much time has passed
  since the last failure. Every attempt, good or bad, is in the audit trail.
- ``authorize`` re-reads the acting user's roles *from the database* inside the caller's
  transaction, so a disabled account or a role taken away takes effect at the next save,
  and a ``User`` object made up in code grants nothing the database does not.
- The demo clinic has one user, ``demo``, with every role and no usable password; it is
  signed in without a password only on a database marked as the demo clinic that has no
  other users (``demo_user``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlite_utils import Database

from clinic_gui.domain.access import ADMIN, ROLES, Permission, User, refusal
from clinic_gui.store.audit import record_event
from clinic_gui.store.connection import utc_now, write_transaction

HASHER = PasswordHasher()  # argon2id, RFC 9106 low-memory profile (the library's default)
MIN_PASSWORD_LENGTH = 10
MAX_FAILURES = 5
LOCKOUT_MINUTES = 5
DEMO_USERNAME = "demo"
NO_PASSWORD = "!"  # never matches: an account that cannot sign in with a password


class PermissionRefused(PermissionError):
    """The acting user may not do this; the message names the action and the role needed."""


class SignInRefused(Exception):
    """Wrong user name or password, a disabled account, or too many attempts."""


class UserRefused(ValueError):
    """A user account change that cannot be made; ``problems`` lists 'field: message'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("not saved:\n  " + "\n  ".join(problems))


def _user(row: Any) -> User:
    return User(
        id=int(row["id"]),
        username=row["username"],
        full_name=row["full_name"],
        roles=frozenset(json.loads(row["roles"])),
        demo=bool(row["is_demo"]),
    )


def _row(db: Database, where: str, params: list[Any]) -> dict[str, Any] | None:
    rows = list(db.query(f"SELECT * FROM app_user WHERE {where}", params))
    return rows[0] if rows else None


def user_count(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM app_user WHERE is_demo = 0").fetchone()[0])


def needs_first_admin(db: Database) -> bool:
    """True until the first administrator exists (a new clinic database)."""
    return user_count(db) == 0 and not is_demo_clinic(db)


def list_users(db: Database) -> list[tuple[User, str | None]]:
    """Every account with the time it was disabled (None while active)."""
    return [
        (_user(row), row["disabled_at"])
        for row in db.query("SELECT * FROM app_user ORDER BY username")
    ]


def authorize(db: Database, actor: User, permission: Permission) -> None:
    """Refuse unless ``actor`` is an active account whose stored roles grant ``permission``."""
    row = _row(db, "id = ?", [actor.id])
    if row is None or row["username"] != actor.username:
        raise PermissionRefused(f"{actor.username} is not a user of this database")
    if row["disabled_at"] is not None:
        raise PermissionRefused(f"{actor.username}'s account was disabled at {row['disabled_at']}")
    stored = _user(row)
    if not stored.can(permission):
        raise PermissionRefused(refusal(stored.username, permission))


def _check_new(
    db: Database, username: str, full_name: str, roles: Iterable[str], password: str
) -> list[str]:
    problems = []
    if not (2 <= len(username) <= 40) or not username[:1].isalpha():
        problems.append("username: 2 to 40 characters, starting with a letter")
    elif username != username.lower() or any(
        not (c.isascii() and (c.isalnum() or c in "._-")) for c in username
    ):
        problems.append("username: lower-case letters, digits, '.', '_' and '-' only")
    elif _row(db, "username = ?", [username]) is not None:
        problems.append(f"username: {username!r} is already taken (names are never reused)")
    if not full_name.strip():
        problems.append("full_name: required (it is printed on sign-offs)")
    problems += _check_roles(roles)
    problems += check_password(password)
    return problems


def _check_roles(roles: Iterable[str]) -> list[str]:
    roles = list(roles)
    if not roles:
        return ["roles: choose at least one role"]
    unknown = [r for r in roles if r not in ROLES]
    return [f"roles: unknown role {', '.join(unknown)}"] if unknown else []


def check_password(password: str) -> list[str]:
    if len(password) < MIN_PASSWORD_LENGTH:
        return [f"password: at least {MIN_PASSWORD_LENGTH} characters"]
    if password.strip() != password:
        return ["password: must not start or end with a space"]
    return []


def create_user(
    db: Database,
    actor: User | None,
    *,
    username: str,
    full_name: str,
    roles: Iterable[str],
    password: str,
) -> User:
    """Add an account. ``actor`` may be None only for the first administrator of a new
    database (no accounts yet), whose roles must include admin."""
    roles = sorted(set(roles))
    with write_transaction(db):
        if actor is None:
            if user_count(db) > 0:
                raise PermissionRefused("only an administrator may add users")
            if ADMIN not in roles:
                raise UserRefused(["roles: the first user must be an administrator"])
            created_by = username
        else:
            authorize(db, actor, Permission.MANAGE_USERS)
            created_by = actor.username
        problems = _check_new(db, username, full_name, roles, password)
        if problems:
            raise UserRefused(problems)
        now = utc_now()
        db.table("app_user").insert(
            {
                "username": username,
                "full_name": full_name.strip(),
                "roles": json.dumps(roles),
                "password_hash": HASHER.hash(password),
                "password_changed_at": now,
                "created_at": now,
                "created_by": created_by,
            }
        )
        row = _row(db, "username = ?", [username])
        assert row is not None
        return _user(row)


def _failures_since_success(db: Database, username: str) -> tuple[int, str | None]:
    rows = db.execute(
        "SELECT action, at FROM audit WHERE actor = ? AND action IN ('sign_in', "
        "'sign_in_failed') ORDER BY id DESC LIMIT ?",
        [username, MAX_FAILURES],
    ).fetchall()
    failures = 0
    for action, _at in rows:
        if action != "sign_in_failed":
            break
        failures += 1
    return failures, (rows[0][1] if rows else None)


def sign_in(db: Database, username: str, password: str, *, now: dt.datetime | None = None) -> User:
    """The signed-in user, or SignInRefused with a message that does not say which part
    was wrong. Every attempt is audited (except on a database opened read-only, where
    nothing can be written)."""
    username = username.strip().lower()
    now = now or dt.datetime.now(dt.UTC)
    failures, last = _failures_since_success(db, username)
    if failures >= MAX_FAILURES and last is not None:
        wait = _parse(last) + dt.timedelta(minutes=LOCKOUT_MINUTES) - now
        if wait > dt.timedelta(0):
            minutes = max(1, round(wait.total_seconds() / 60))
            raise SignInRefused(
                f"Too many failed attempts for {username!r}: try again in about "
                f"{minutes} minute{'s' if minutes != 1 else ''}, or ask an administrator."
            )
    row = _row(db, "username = ?", [username])
    if row is None or row["disabled_at"] is not None or not _verify(row, password):
        record_event(db, username or "(blank)", "sign_in_failed", "wrong user name or password")
        raise SignInRefused("Wrong user name or password.")
    if record_event(db, username, "sign_in", "signed in") and HASHER.check_needs_rehash(
        row["password_hash"]
    ):
        with write_transaction(db):
            db.execute(
                "UPDATE app_user SET password_hash = ?, updated_at = ?, updated_by = ?, "
                "row_version = row_version + 1 WHERE id = ?",
                [HASHER.hash(password), utc_now(), username, row["id"]],
            )
    return _user(row)


def _parse(stamp: str) -> dt.datetime:
    return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))


def _verify(row: dict[str, Any], password: str) -> bool:
    if row["password_hash"] == NO_PASSWORD:
        return False
    try:
        return HASHER.verify(row["password_hash"], password)
    except (VerificationError, InvalidHashError):
        return False


def check_own_password(db: Database, user: User, password: str) -> bool:
    """Re-authentication (unlocking the screen): True when the password is the user's."""
    row = _row(db, "id = ?", [user.id])
    ok = row is not None and row["disabled_at"] is None and _verify(row, password)
    record_event(
        db, user, "unlock" if ok else "sign_in_failed", "unlocked" if ok else "wrong password"
    )
    return ok


def set_password(
    db: Database, actor: User, username: str, new_password: str, *, old_password: str | None = None
) -> None:
    """A user changes their own password (``old_password`` required) or an admin resets one."""
    with write_transaction(db):
        row = _row(db, "username = ?", [username])
        if row is None:
            raise UserRefused([f"username: no user {username!r}"])
        if username == actor.username and not actor.can(Permission.MANAGE_USERS):
            if old_password is None or not _verify(row, old_password):
                raise UserRefused(["old_password: that is not your current password"])
        elif username != actor.username:
            authorize(db, actor, Permission.MANAGE_USERS)
        problems = check_password(new_password)
        if problems:
            raise UserRefused(problems)
        now = utc_now()
        db.execute(
            "UPDATE app_user SET password_hash = ?, password_changed_at = ?, updated_at = ?, "
            "updated_by = ?, row_version = row_version + 1 WHERE id = ?",
            [HASHER.hash(new_password), now, now, actor.username, row["id"]],
        )


def set_roles(db: Database, actor: User, username: str, roles: Iterable[str]) -> None:
    roles = sorted(set(roles))
    with write_transaction(db):
        authorize(db, actor, Permission.MANAGE_USERS)
        problems = _check_roles(roles)
        row = _row(db, "username = ?", [username])
        if row is None:
            problems.append(f"username: no user {username!r}")
        elif username == actor.username and ADMIN not in roles:
            problems.append("roles: you cannot take the admin role from yourself")
        if problems:
            raise UserRefused(problems)
        assert row is not None
        db.execute(
            "UPDATE app_user SET roles = ?, updated_at = ?, updated_by = ?, "
            "row_version = row_version + 1 WHERE id = ?",
            [json.dumps(roles), utc_now(), actor.username, row["id"]],
        )


def disable_user(db: Database, actor: User, username: str, *, reason: str) -> None:
    """Disable an account (kept for the record; it can no longer sign in or write)."""
    with write_transaction(db):
        authorize(db, actor, Permission.MANAGE_USERS)
        row = _row(db, "username = ?", [username])
        problems = []
        if row is None:
            problems.append(f"username: no user {username!r}")
        elif row["disabled_at"] is not None:
            problems.append(f"username: {username!r} is already disabled")
        elif username == actor.username:
            problems.append("username: you cannot disable your own account")
        if not reason.strip():
            problems.append("reason: say why the account is disabled")
        if problems:
            raise UserRefused(problems)
        assert row is not None
        now = utc_now()
        db.execute(
            "UPDATE app_user SET disabled_at = ?, disabled_by = ?, disable_reason = ?, "
            "updated_at = ?, updated_by = ?, row_version = row_version + 1 WHERE id = ?",
            [now, actor.username, reason.strip(), now, actor.username, row["id"]],
        )


# ---------------------------------------------------------------------------------------------
# The demo clinic


def is_demo_clinic(db: Database) -> bool:
    row = db.execute("SELECT value FROM setting WHERE key = 'demo_clinic'").fetchone()
    return row is not None and json.loads(row[0]) is True


def add_demo_user(db: Database) -> None:
    """Mark the database as the demo clinic and add the demo user (caller's transaction)."""
    now = utc_now()
    db.execute(
        "INSERT INTO setting (key, value, updated_at, updated_by) VALUES ('demo_clinic', "
        "'true', ?, ?)",
        [now, DEMO_USERNAME],
    )
    db.table("app_user").insert(
        {
            "username": DEMO_USERNAME,
            "full_name": "Demo user (synthetic patients)",
            "roles": json.dumps(list(ROLES)),
            "password_hash": NO_PASSWORD,
            "password_changed_at": now,
            "is_demo": 1,
            "created_at": now,
            "created_by": DEMO_USERNAME,
        }
    )


def demo_mode(db: Database) -> bool:
    """The demo clinic with no real accounts: the demo user needs no password here."""
    return is_demo_clinic(db) and user_count(db) == 0


def demo_user(db: Database) -> User | None:
    """The demo user, signed in without a password, on the demo clinic only."""
    if not demo_mode(db):
        return None
    row = _row(db, "username = ? AND is_demo = 1", [DEMO_USERNAME])
    if row is None:
        return None
    record_event(db, DEMO_USERNAME, "sign_in", "demo clinic: signed in without a password")
    return _user(row)
