"""The clinic's settings: defaults, admin-only changes, checked values, the audit trail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import snapshot

from clinic_gui.store.audit import entries
from clinic_gui.store.settings import (
    IDLE_LOCK_MINUTES,
    SettingRefused,
    all_settings,
    get_setting,
    set_setting,
)
from clinic_gui.store.users import PermissionRefused


def _row(db: Any) -> tuple[Any, ...]:
    return db.execute(
        "SELECT value, updated_by, row_version FROM setting WHERE key = ?", [IDLE_LOCK_MINUTES]
    ).fetchone()


def test_the_idle_lock_defaults_to_ten_minutes(db: Any) -> None:
    assert get_setting(db, IDLE_LOCK_MINUTES) == 10
    assert all_settings(db) == {IDLE_LOCK_MINUTES: 10}


def test_an_admin_changes_it_and_each_change_counts(db: Any, staff: Any) -> None:
    set_setting(db, staff.admin, IDLE_LOCK_MINUTES, 5)
    assert get_setting(db, IDLE_LOCK_MINUTES) == 5
    assert _row(db) == ("5", "admin", 1)
    set_setting(db, staff.admin, IDLE_LOCK_MINUTES, 15)
    assert get_setting(db, IDLE_LOCK_MINUTES) == 15
    assert _row(db) == ("15", "admin", 2)
    set_setting(db, staff.admin, IDLE_LOCK_MINUTES, 15)  # unchanged: nothing written
    assert _row(db) == ("15", "admin", 2)


def test_a_nurse_is_refused_and_nothing_changes(db: Any, db_path: Path, staff: Any) -> None:
    before = snapshot(db_path)
    with pytest.raises(PermissionRefused) as refused:
        set_setting(db, staff.nurse, IDLE_LOCK_MINUTES, 30)
    assert str(refused.value) == (
        "rn.kim may not change the clinic's settings: that needs the administrator role"
    )
    with pytest.raises(PermissionRefused):
        set_setting(db, staff.physician, IDLE_LOCK_MINUTES, 30)
    assert snapshot(db_path) == before
    assert get_setting(db, IDLE_LOCK_MINUTES) == 10


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (0, "idle_lock_minutes: 1 to 60 minutes of no activity (got 0)"),
        (61, "idle_lock_minutes: 1 to 60 minutes of no activity (got 61)"),
        (-5, "idle_lock_minutes: 1 to 60 minutes of no activity (got -5)"),
        ("5", "idle_lock_minutes: a whole number of minutes from 1 to 60 (got '5')"),
        (2.5, "idle_lock_minutes: a whole number of minutes from 1 to 60 (got 2.5)"),
        (True, "idle_lock_minutes: a whole number of minutes from 1 to 60 (got True)"),
    ],
)
def test_out_of_range_is_refused_with_a_message(
    db: Any, db_path: Path, staff: Any, value: Any, message: str
) -> None:
    before = snapshot(db_path)
    with pytest.raises(SettingRefused) as refused:
        set_setting(db, staff.admin, IDLE_LOCK_MINUTES, value)
    assert refused.value.problems == [message]
    assert snapshot(db_path) == before


def test_the_limits_themselves_are_accepted(db: Any, staff: Any) -> None:
    set_setting(db, staff.admin, IDLE_LOCK_MINUTES, 1)
    assert get_setting(db, IDLE_LOCK_MINUTES) == 1
    set_setting(db, staff.admin, IDLE_LOCK_MINUTES, 60)
    assert get_setting(db, IDLE_LOCK_MINUTES) == 60


def test_unknown_and_internal_settings_cannot_be_changed(db: Any, staff: Any) -> None:
    with pytest.raises(SettingRefused) as refused:
        set_setting(db, staff.admin, "demo_clinic", True)
    assert refused.value.problems == ["demo_clinic: not a setting of this app"]
    with pytest.raises(KeyError):
        get_setting(db, "demo_clinic")


def test_the_audit_trail_has_the_change(db: Any, staff: Any) -> None:
    set_setting(db, staff.admin, IDLE_LOCK_MINUTES, 5)
    set_setting(db, staff.admin, IDLE_LOCK_MINUTES, 20)
    trail = entries(db, table="setting")
    assert [(e.action, e.actor, e.patient_id) for e in trail] == [
        ("update", "admin", None),
        ("create", "admin", None),
    ]
    assert ("value", "5", "20") in trail[0].changes
    assert ("key", None, IDLE_LOCK_MINUTES) in trail[1].changes
    assert ("value", None, "5") in trail[1].changes


def test_a_stored_value_out_of_range_falls_back_to_the_default(db: Any, staff: Any) -> None:
    db.execute(
        "INSERT INTO setting (key, value, updated_at, updated_by) VALUES (?, ?, ?, ?)",
        [IDLE_LOCK_MINUTES, json.dumps(0), "2026-11-22T09:00:00Z", "someone"],
    )
    assert get_setting(db, IDLE_LOCK_MINUTES) == 10
