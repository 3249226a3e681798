"""The migration ladder: one step per schema version, applied in order.

``user_version`` holds the schema version. Each step runs in one transaction that
also stamps the new version, after a backup copy of the file (see ``connection``).
Steps are never edited once released; a change is a new step appended here, and
``tests/fixtures`` keeps a database of every released version for the upgrade tests.
A step's statements are worked out from the database as the previous step left it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from clinic_gui.store.migrations import v1_initial, v2_safety, v3_search, v4_scale


@dataclass(frozen=True)
class Step:
    version: int
    summary: str
    statements: Callable[[Any], list[str]]


LADDER: tuple[Step, ...] = (
    Step(1, "the clinical record", lambda db: v1_initial.STATEMENTS),
    Step(2, "users, audit trail, row versions, review and sign-off", v2_safety.statements),
    Step(3, "indexes for the patient list and search-as-you-type", v3_search.statements),
    Step(4, "bulk imports audited as one event; the stored clinic overview", v4_scale.statements),
)

SCHEMA_VERSION = LADDER[-1].version
