"""A patient's chart: the current record with the row id of every entry in it.

The record is exactly what ``cases.read_case`` returns (the same queries); the ids let a
data-entry screen act on one entry, e.g. ``entries.void_entry(db, "weight",
chart.id_of("weights", 0), reason=...)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlite_utils import Database

from clinic_gui.domain import records as r
from clinic_gui.store.cases import CASE_TABLES, read_stored_case

# Case list field -> the table its entries are rows of ("weights" -> "weight").
TABLE_OF: dict[str, str] = {attr: table for table, _cls, attr, _date in CASE_TABLES}


@dataclass(frozen=True, slots=True)
class Chart:
    patient_id: int
    case: r.Case
    # "weights", "regimens", "infusions", "diary", "labs" -> the row ids of
    # ``case.<kind>``, in the same order.
    ids: dict[str, tuple[int, ...]]
    # Per infusion (in ``case.infusions`` order), the row ids of its vital signs.
    vital_ids: tuple[tuple[int, ...], ...] = ()

    def id_of(self, kind: str, index: int) -> int:
        """The row id of ``case.<kind>[index]``."""
        if kind not in self.ids:
            raise KeyError(f"{kind!r} is not one of: {', '.join(self.ids)}")
        return self.ids[kind][index]

    def vital_id_of(self, infusion_index: int, vital_index: int) -> int:
        """The row id of ``case.infusions[infusion_index].vitals[vital_index]``."""
        return self.vital_ids[infusion_index][vital_index]


def load_chart(db: Database, mrn: str) -> Chart:
    """The patient's current record and entry ids; PatientNotFound for an unknown MRN."""
    stored = read_stored_case(db, mrn)
    return Chart(
        patient_id=stored.patient_id,
        case=stored.case,
        ids=stored.ids,
        vital_ids=stored.vital_ids,
    )
