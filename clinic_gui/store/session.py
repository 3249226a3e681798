"""Session events of a workstation: lock, demo unlock and sign-out, each in the audit trail.

Signing in (``users.sign_in``) and unlocking with a password (``users.check_own_password``)
audit themselves; these are the other events of a session at a workstation.
"""

from __future__ import annotations

from sqlite_utils import Database

from clinic_gui.domain.access import User
from clinic_gui.store.audit import record_event
from clinic_gui.store.users import demo_mode


def record_lock(db: Database, user: User, how: str) -> None:
    """The screen was locked (``how``: 'after 10 minutes without activity', 'by hand')."""
    record_event(db, user, "lock", f"screen locked {how}")


def record_sign_out(db: Database, user: User, detail: str = "signed out") -> None:
    record_event(db, user, "sign_out", detail)


def unlocks_without_password(db: Database, user: User) -> bool:
    """The demo user on the demo clinic (no other users) unlocks without a password."""
    return user.demo and demo_mode(db)


def unlock_demo(db: Database, user: User) -> bool:
    """Unlock for the demo user on the demo clinic (audited); False for anyone else."""
    if not unlocks_without_password(db, user):
        return False
    record_event(db, user, "unlock", "demo clinic: unlocked without a password")
    return True
