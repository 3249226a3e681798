"""What the chart needs to save on its own (a physician's review and sign-off): the
database, the signed-in user, and what to call after a save so the window can refresh.

Buttons follow the user's permissions as a convenience; the store checks every save
against the roles stored in the database (``store.users.authorize``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clinic_gui.domain.access import ROLE_LABELS, Permission, User, roles_allowed
from clinic_gui.store.connection import ClinicDatabase


@dataclass(frozen=True)
class ChartSession:
    db: ClinicDatabase
    user: User
    on_saved: Callable[[], None]

    def can(self, permission: Permission) -> bool:
        return self.user.can(permission)


def needs_role(permission: Permission) -> str:
    """Why a button is greyed out, e.g. "needs the physician role"."""
    allowed = " or ".join(ROLE_LABELS[r].lower() for r in roles_allowed(permission))
    return f"needs the {allowed} role"
