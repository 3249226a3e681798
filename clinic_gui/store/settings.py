"""The clinic's settings: one row per key in the ``setting`` table, shared by every workstation.

- Only the settings named in ``SETTINGS`` exist for the app; each has a default (used while
  nobody has changed it) and a check. ``get_setting`` never fails on a stored value the
  check refuses (a file edited by hand): it falls back to the default.
- ``set_setting`` is one transaction: the acting user's permission is read from the
  database (``Permission.CHANGE_SETTINGS``, the admin role), the value is checked, and the
  row is inserted or updated with ``updated_at``/``updated_by`` and ``row_version`` + 1.
  The audit trigger on ``setting`` records the change (before and after) in the same
  transaction.
- Settings the app writes for itself (``demo_clinic``) are not in ``SETTINGS`` and cannot
  be changed here.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlite_utils import Database

from clinic_gui.domain.access import Permission, User
from clinic_gui.store.connection import utc_now, write_transaction
from clinic_gui.store.users import authorize

IDLE_LOCK_MINUTES = "idle_lock_minutes"
IDLE_LOCK_RANGE = (1, 60)


class SettingRefused(ValueError):
    """A setting that cannot be saved; ``problems`` lists 'key: message'."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("not saved:\n  " + "\n  ".join(problems))


def _whole_minutes(value: Any) -> str | None:
    low, high = IDLE_LOCK_RANGE
    if isinstance(value, bool) or not isinstance(value, int):
        return f"a whole number of minutes from {low} to {high} (got {value!r})"
    if not low <= value <= high:
        return f"{low} to {high} minutes of no activity (got {value})"
    return None


@dataclass(frozen=True)
class SettingSpec:
    label: str
    default: Any
    check: Callable[[Any], str | None]  # a problem with a value, or None


SETTINGS: dict[str, SettingSpec] = {
    IDLE_LOCK_MINUTES: SettingSpec(
        "Lock the screen after this many minutes without keyboard or mouse activity",
        10,
        _whole_minutes,
    ),
}


def _spec(key: str) -> SettingSpec:
    try:
        return SETTINGS[key]
    except KeyError:
        raise KeyError(f"{key!r} is not a setting of this app") from None


def get_setting(db: Database, key: str) -> Any:
    """The stored value of ``key``, or its default."""
    spec = _spec(key)
    row = db.execute("SELECT value FROM setting WHERE key = ?", [key]).fetchone()
    if row is None:
        return spec.default
    value = json.loads(row[0])
    return spec.default if spec.check(value) is not None else value


def all_settings(db: Database) -> dict[str, Any]:
    return {key: get_setting(db, key) for key in SETTINGS}


def set_setting(db: Database, actor: User, key: str, value: Any) -> None:
    """Change one setting (admin only); SettingRefused says why a value is not accepted."""
    with write_transaction(db):
        authorize(db, actor, Permission.CHANGE_SETTINGS)
        spec = SETTINGS.get(key)
        if spec is None:
            raise SettingRefused([f"{key}: not a setting of this app"])
        problem = spec.check(value)
        if problem:
            raise SettingRefused([f"{key}: {problem}"])
        text = json.dumps(value)
        row = db.execute("SELECT value FROM setting WHERE key = ?", [key]).fetchone()
        if row is not None and json.loads(row[0]) == value:
            return  # unchanged: nothing to write or audit
        now = utc_now()
        if row is None:
            db.execute(
                "INSERT INTO setting (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)",
                [key, text, now, actor.username],
            )
        else:
            db.execute(
                "UPDATE setting SET value = ?, updated_at = ?, updated_by = ?, "
                "row_version = row_version + 1 WHERE key = ?",
                [text, now, actor.username, key],
            )
