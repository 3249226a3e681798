"""Who may do what: users, roles and the permission each action needs.

Three roles (a person may hold several, e.g. a physician who is also the clinic's admin):

- ``nurse``: registers and corrects patients, records weights, infusions, symptom diaries
  and lab results, voids those entries (with a reason), imports and exports case files;
- ``physician``: everything a nurse may do, plus regimen changes, reviewing results and
  signing off a recommendation;
- ``admin``: users, backups and restore, settings, and the clinic-wide audit trail. The
  admin role alone gives no clinical write permission.

Every signed-in user may read the record. The store checks the permission of every write
against the user's roles *as stored in the database* (``store.users.authorize``), so a
greyed-out button is a convenience, never the control.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Permission(StrEnum):
    REGISTER_PATIENT = "register a patient"
    EDIT_PATIENT = "correct a patient's details"
    RECORD_ENTRY = "record weights, infusions, diary entries and lab results"
    VOID_ENTRY = "void an entry"
    IMPORT_CASE = "import a case file"
    EXPORT_CASE = "export a case file"
    CHANGE_REGIMEN = "change a regimen"
    VOID_REGIMEN = "void a regimen"
    REVIEW_RESULTS = "mark results as reviewed"
    SIGN_OFF = "sign off a recommendation"
    MANAGE_USERS = "manage users"
    BACKUP = "back up the database"
    RESTORE = "restore a backup"
    CHANGE_SETTINGS = "change the clinic's settings"
    VIEW_AUDIT = "view the clinic-wide audit trail"


NURSE = "nurse"
PHYSICIAN = "physician"
ADMIN = "admin"
ROLES: tuple[str, ...] = (NURSE, PHYSICIAN, ADMIN)

_NURSE_PERMISSIONS = frozenset(
    {
        Permission.REGISTER_PATIENT,
        Permission.EDIT_PATIENT,
        Permission.RECORD_ENTRY,
        Permission.VOID_ENTRY,
        Permission.IMPORT_CASE,
        Permission.EXPORT_CASE,
    }
)

ROLE_PERMISSIONS: dict[str, frozenset[Permission]] = {
    NURSE: _NURSE_PERMISSIONS,
    PHYSICIAN: _NURSE_PERMISSIONS
    | {
        Permission.CHANGE_REGIMEN,
        Permission.VOID_REGIMEN,
        Permission.REVIEW_RESULTS,
        Permission.SIGN_OFF,
    },
    ADMIN: frozenset(
        {
            Permission.MANAGE_USERS,
            Permission.BACKUP,
            Permission.RESTORE,
            Permission.CHANGE_SETTINGS,
            Permission.VIEW_AUDIT,
            Permission.EXPORT_CASE,
        }
    ),
}

ROLE_LABELS = {NURSE: "Nurse", PHYSICIAN: "Physician", ADMIN: "Administrator"}


def permissions_of(roles: frozenset[str] | set[str]) -> frozenset[Permission]:
    granted: set[Permission] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def roles_allowed(permission: Permission) -> tuple[str, ...]:
    """The roles that grant ``permission``, for messages ("needs the physician role")."""
    return tuple(role for role in ROLES if permission in ROLE_PERMISSIONS[role])


@dataclass(frozen=True)
class User:
    """A signed-in person. ``id`` and ``username`` never change and are never reused."""

    id: int
    username: str
    full_name: str
    roles: frozenset[str]
    demo: bool = False

    def can(self, permission: Permission) -> bool:
        return permission in permissions_of(self.roles)

    @property
    def role_text(self) -> str:
        return ", ".join(ROLE_LABELS[r] for r in ROLES if r in self.roles) or "no role"


def refusal(user_name: str, permission: Permission) -> str:
    """The message for a refused action: what was refused and which role it needs."""
    allowed = " or ".join(ROLE_LABELS[r].lower() for r in roles_allowed(permission))
    return f"{user_name} may not {permission.value}: that needs the {allowed} role"
