"""The worklist's windowed read gives the same clinic overview as reading every record whole.

``iter_recent_cases`` reads only the part of each record the overview depends on; here a
demo clinic of a few hundred patients is assessed both ways on several dates (the demo's
own date and dates back through its history), and the items and flags must be identical.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from clinic_gui.domain.worklist import build_overview
from clinic_gui.store.clinic import (
    assess_clinic,
    iter_cases,
    iter_recent_cases,
    lab_lookback_days,
    reviewed_results,
)
from clinic_gui.store.connection import open_database
from clinic_gui.store.demo_clinic import write_demo_clinic

DEMO_AS_OF = dt.date(2026, 6, 30)
PATIENTS = 300
DATES = [DEMO_AS_OF - dt.timedelta(days=days) for days in (0, 1, 45, 200, 730, 1500)]


@pytest.fixture(scope="session")
def demo_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("scale") / "demo.sqlite"
    write_demo_clinic(path, patients=PATIENTS, seed=1, as_of=DEMO_AS_OF)
    return path


@pytest.fixture(scope="session")
def demo_db(demo_path: Path) -> Any:
    db = open_database(demo_path, create=False, health_check=False)
    yield db
    db.close()


@pytest.mark.parametrize("as_of", DATES, ids=[d.isoformat() for d in DATES])
def test_windowed_overview_equals_whole_record_overview(demo_db: Any, as_of: dt.date) -> None:
    reviewed = reviewed_results(demo_db)
    whole = build_overview(iter_cases(demo_db), as_of, reviewed)
    counts: Counter[str] = Counter()
    windowed = build_overview(iter_recent_cases(demo_db, as_of, counts=counts), as_of, reviewed)

    assert windowed.as_of == whole.as_of == as_of
    assert len(windowed.items) == len(whole.items)
    for mine, theirs in zip(windowed.items, whole.items, strict=True):
        assert mine == theirs
    assert windowed.flags.keys() == whole.flags.keys()
    for mrn, flags in whole.flags.items():
        assert windowed.flags[mrn] == flags, mrn
    assert windowed == whole
    assert counts["patient"] == len(whole.flags)


def test_the_comparison_is_not_trivial(demo_db: Any) -> None:
    """The demo clinic exercises every category and the windows cut real history."""
    as_of = DEMO_AS_OF
    overview = build_overview(iter_cases(demo_db), as_of, reviewed_results(demo_db))
    categories = Counter(item.category for item in overview.items)
    assert set(categories) == {"overdue", "due", "wearing_off_no_trough", "results"}
    assert sum(f.wearing_off for f in overview.flags.values()) > 0
    counts: Counter[str] = Counter()
    list(iter_recent_cases(demo_db, as_of, counts=counts))
    total = dict(
        demo_db.execute(
            "SELECT 'diary', count(*) FROM diary UNION ALL SELECT 'infusion', count(*) "
            "FROM infusion UNION ALL SELECT 'lab', count(*) FROM lab"
        ).fetchall()
    )
    for table in ("diary", "infusion", "lab"):
        assert 0 < counts[table] < total[table] / 2, table
    assert counts["full_reads"] < PATIENTS / 10


def test_lab_lookback_covers_the_decision_table_windows() -> None:
    # 180 days for a current trough + 7 days for its paired antibodies (the longest window)
    assert lab_lookback_days() == 187


def test_patients_read_whole_give_the_same_overview(demo_db: Any) -> None:
    """Some patients' windows cannot settle the wearing-off flag: the fallback is exercised
    (and the overviews above are equal with it)."""
    read_whole = 0
    for as_of in DATES:
        counts: Counter[str] = Counter()
        list(iter_recent_cases(demo_db, as_of, counts=counts))
        read_whole += counts["full_reads"]
    assert read_whole > 0


def test_two_processes_give_the_same_overview(demo_db: Any, demo_path: Path) -> None:
    as_of = DATES[2]
    whole = build_overview(iter_cases(demo_db), as_of, reviewed_results(demo_db))
    assert assess_clinic(demo_path, as_of, workers=2) == whole
    assert assess_clinic(demo_path, as_of, workers=1) == whole


def test_ids_read_only_those_patients(demo_db: Any) -> None:
    ids = [row[0] for row in demo_db.execute("SELECT id FROM patient ORDER BY id")]
    low_ids, high_ids = ids[: len(ids) // 2], ids[len(ids) // 2 :]
    low = [c.patient.mrn for c in iter_recent_cases(demo_db, DEMO_AS_OF, ids=low_ids)]
    high = [c.patient.mrn for c in iter_recent_cases(demo_db, DEMO_AS_OF, ids=high_ids)]
    every = [c.patient.mrn for c in iter_recent_cases(demo_db, DEMO_AS_OF)]
    assert len(low) == len(low_ids)
    assert sorted(low + high) == sorted(every) == every
    assert reviewed_results(demo_db, low_ids).keys() | reviewed_results(
        demo_db, high_ids
    ).keys() == (reviewed_results(demo_db).keys())
