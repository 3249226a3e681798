"""The migration ladder: one step per schema version, applied in order.

``user_version`` holds the schema version. Each step runs in one transaction that
also stamps the new version, after a backup copy of the file (see ``connection``).
Steps are never edited once released; a change is a new step appended here, and
``tests/fixtures`` keeps a database of every released version for the upgrade tests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from clinic_gui.store.migrations import v1_initial


@dataclass(frozen=True)
class Step:
    version: int
    summary: str
    statements: Callable[[], list[str]]


LADDER: tuple[Step, ...] = (Step(1, "the clinical record", lambda: v1_initial.STATEMENTS),)

SCHEMA_VERSION = LADDER[-1].version
