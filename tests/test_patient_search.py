"""The patient search: MRN prefix or name substring, case-insensitive, voided patients left
out, the indication filter, list order and limit; the same whichever index it reads
through, and the same as the plain LIKE query it replaced, on new and upgraded databases."""

from __future__ import annotations

import datetime as dt
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES

from clinic_gui.domain import records as r
from clinic_gui.store import patients
from clinic_gui.store.cases import void_rows
from clinic_gui.store.connection import open_database, utc_now, write_transaction
from clinic_gui.store.entries import add_patient, record_infusion, update_patient
from clinic_gui.store.patients import PatientCount, count_patients, search_patients

TODAY = dt.date(2026, 11, 22)

# The query the indexed search replaced: what a search must list, always.
REFERENCE = """
SELECT p.mrn FROM patient p
 WHERE p.voided_at IS NULL
   AND (? = '' OR p.mrn LIKE ? ESCAPE '\\' OR p.name LIKE ? ESCAPE '\\')
   AND (? IS NULL OR p.indication = ?)
 ORDER BY p.name COLLATE NOCASE, p.mrn
 LIMIT ?"""

NEEDLES = (
    "", "a", "A", "an", "ann", "ANN", "anna", "nna s", "smith", "SMI", "mit", "th", "d0",
    "D00", "d001", "AB-1", "ab-100", "b-10", "%", "_", "a%", "a_n", "a%n", "n_a", "\\", "o'",
    "50%", "x_y", "mile", "émile", "Émile", "zzz", "q", "  ann  ", '"', 'a"b', "ÅNN", "ånn",
)  # fmt: skip

PEOPLE = (
    # mrn, name, indication
    ("D001", "Anna Smith", "crohns_disease"),
    ("D002", "anna smith", "crohns_disease"),
    ("d003", "Annabel Smithson", "ulcerative_colitis"),
    ("D010", "Joanne Mitchell", "rheumatoid_arthritis"),
    ("AB-100", "Ben Keller", "crohns_disease"),
    ("ab-101", "Zoe Quill", "plaque_psoriasis"),
    ("X-9", "Émile Brønn", "ankylosing_spondylitis"),
    ("X-10", "Ann_Lee 50% O'Neil", "psoriatic_arthritis"),
    ("X-11", "AnnXLee", "psoriatic_arthritis"),
    ("X-12", 'Al "Ann" Bo', "crohns_disease"),
    ("X-13", "Hanna Smith", "crohns_disease"),
)


def _patient(mrn: str, name: str, indication: str) -> r.Patient:
    return r.Patient(
        mrn=mrn,
        name=name,
        birth_date=dt.date(1980, 1, 2),
        sex="female",
        indication=indication,
        height_cm=170.0,
    )


@pytest.fixture
def clinic(db: Any, staff: Any) -> Any:
    for mrn, name, indication in PEOPLE:
        add_patient(db, _patient(mrn, name, indication), actor=staff.physician, today=TODAY)
    return db


@pytest.fixture(params=["candidates", "in order"])
def path(request: Any, monkeypatch: Any) -> Iterator[str]:
    """Each test runs twice: reading the candidates from the MRN and trigram indexes
    whenever the text allows it, and always reading the list in order."""
    bound = 10**9 if request.param == "candidates" else 0
    monkeypatch.setattr(patients, "_most_candidates", lambda *args: bound)
    yield request.param


def _mrns(db: Any, text: str = "", **kw: Any) -> list[str]:
    return [row.mrn for row in search_patients(db, text, **kw)]


def _reference(db: Any, text: str, indication: str | None = None, limit: int = 1000) -> list[str]:
    needle = text.strip()
    escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    params = [needle, f"{escaped}%", f"%{escaped}%", indication, indication, limit]
    return [row[0] for row in db.execute(REFERENCE, params).fetchall()]


def _assert_same_as_reference(db: Any, indications: tuple[str | None, ...]) -> int:
    matched = 0
    for needle in NEEDLES:
        for indication in indications:
            for limit in (1000, 2):
                want = _reference(db, needle, indication, limit)
                got = _mrns(db, needle, indication=indication, limit=limit)
                assert got == want, (needle, indication, limit)
                matched += len(got)
    return matched


def test_every_search_lists_what_the_plain_like_query_lists(clinic: Any, path: str) -> None:
    assert _assert_same_as_reference(clinic, (None, "crohns_disease", "plaque_psoriasis")) > 50


def test_mrn_is_matched_from_its_start_and_the_name_anywhere(clinic: Any, path: str) -> None:
    assert _mrns(clinic, "ab-1") == ["AB-100", "ab-101"]  # Ben Keller, Zoe Quill
    assert _mrns(clinic, "b-10") == []  # inside an MRN: not a match
    assert _mrns(clinic, "itch") == ["D010"]  # inside a name: a match
    assert _mrns(clinic, "D00") == ["D001", "D002", "d003"]


def test_case_does_not_matter_for_ascii_letters(clinic: Any, path: str) -> None:
    assert _mrns(clinic, "SMITH") == _mrns(clinic, "smith") == ["D001", "D002", "d003", "X-13"]
    assert _mrns(clinic, "AB-100") == _mrns(clinic, "ab-100") == ["AB-100"]
    assert _mrns(clinic, "mile") == ["X-9"]
    # SQLite's LIKE folds ASCII letters only: so does the search, whatever the index.
    assert _mrns(clinic, "Émile") == ["X-9"]
    assert _mrns(clinic, "émile") == []


def test_percent_underscore_and_quotes_are_plain_characters(clinic: Any, path: str) -> None:
    assert _mrns(clinic, "%") == ["X-10"]
    assert _mrns(clinic, "_") == ["X-10"]
    assert _mrns(clinic, "a_l") == []  # not "any character": AnnXLee is not listed
    assert _mrns(clinic, "n_l") == ["X-10"]
    assert _mrns(clinic, "50%") == ["X-10"]
    assert _mrns(clinic, "O'N") == ["X-10"]
    assert _mrns(clinic, '"ann"') == ["X-12"]


def test_surrounding_spaces_are_ignored_and_empty_text_lists_everyone(
    clinic: Any, path: str
) -> None:
    assert _mrns(clinic, "  keller ") == ["AB-100"]
    assert len(_mrns(clinic, "   ")) == len(PEOPLE)


def test_list_order_is_name_without_case_then_mrn(clinic: Any, path: str) -> None:
    assert _mrns(clinic, "smith") == ["D001", "D002", "d003", "X-13"]
    # "Anna Smith" and "anna smith" sort together, by MRN; "Annabel ..." after them.
    assert _mrns(clinic, "ann")[:4] == ["X-12", "X-10", "D001", "D002"]


def test_limit_keeps_the_first_rows_in_list_order(clinic: Any, path: str) -> None:
    everyone = _mrns(clinic)
    assert _mrns(clinic, limit=3) == everyone[:3]
    assert _mrns(clinic, "ann", limit=2) == _mrns(clinic, "ann")[:2]
    assert _mrns(clinic, "d0", limit=1) == ["D001"]


def test_indication_filter(clinic: Any, path: str) -> None:
    assert _mrns(clinic, indication="plaque_psoriasis") == ["ab-101"]
    assert _mrns(clinic, "ann", indication="psoriatic_arthritis") == ["X-10", "X-11"]
    assert _mrns(clinic, "ann", indication="ulcerative_colitis") == ["d003"]
    assert _mrns(clinic, "zoe", indication="crohns_disease") == []


def test_voided_patients_are_not_listed_or_counted(clinic: Any, staff: Any, path: str) -> None:
    assert count_patients(clinic) == len(PEOPLE)
    with write_transaction(clinic):
        void_rows(
            clinic, "patient", "mrn = ?", ["D002"], reason="duplicate", actor="dr.lee",
            now=utc_now(),
        )  # fmt: skip
    assert _mrns(clinic, "smith") == ["D001", "d003", "X-13"]
    assert "D002" not in _mrns(clinic)
    assert _mrns(clinic, "D002") == []
    assert count_patients(clinic) == len(PEOPLE) - 1


def test_a_renamed_patient_is_found_by_the_new_name_only(clinic: Any, staff: Any) -> None:
    update_patient(
        clinic, "X-11", _patient("X-11", "Rosa Quartz", "psoriatic_arthritis"),
        actor=staff.physician, today=TODAY,
    )  # fmt: skip
    assert _mrns(clinic, "quartz") == ["X-11"]
    assert _mrns(clinic, "annxlee") == []
    trigrams = clinic.execute(
        "SELECT trigram FROM patient_name_trigram t JOIN patient p ON p.id = t.patient_id "
        "WHERE p.mrn = 'X-11' ORDER BY trigram"
    ).fetchall()
    pieces = {"ros", "osa", "sa ", "a q", " qu", "qua", "uar", "art", "rtz", "tz\x01", "z\x01\x01"}
    assert [t[0] for t in trigrams] == sorted(pieces)  # the name, then two padding characters


def test_last_infusion_leaves_voided_infusions_out(clinic: Any, staff: Any) -> None:
    for day in (dt.date(2026, 9, 1), dt.date(2026, 10, 27)):
        infusion = r.Infusion(date=day, product="Remicade", dose_mg=400.0, weight_kg=80.0)
        record_infusion(clinic, "AB-100", infusion, actor=staff.nurse, today=TODAY)
    [row] = search_patients(clinic, "AB-100")
    assert row.last_infusion == dt.date(2026, 10, 27)
    assert row.name == "Ben Keller"
    assert row.birth_date == dt.date(1980, 1, 2)
    with write_transaction(clinic):
        void_rows(
            clinic, "infusion", "date = '2026-10-27'", [], reason="wrong patient",
            actor="rn.kim", now=utc_now(),
        )  # fmt: skip
    assert search_patients(clinic, "AB-100")[0].last_infusion == dt.date(2026, 9, 1)
    assert search_patients(clinic, "ab-101")[0].last_infusion is None


def test_mrn_prefix_range_holds_every_case_of_the_prefix() -> None:
    assert patients.mrn_prefix_range("D00") == ("d00", "d01")
    assert patients.mrn_prefix_range("Ab-") == ("ab-", "ab.")
    assert patients.mrn_prefix_range("x@") == ("x@", "xA")  # 'A' sorts as 'a' under NOCASE
    assert patients.mrn_prefix_range("\U0010ffff") == ("\U0010ffff", None)
    assert patients.mrn_prefix_range("a\ud7ff") == ("a\ud7ff", "a\ue000")


def test_patient_count_is_counted_again_only_after_a_change(
    clinic: Any, staff: Any, db_path: Path
) -> None:
    counted = PatientCount()
    assert counted(clinic) == len(PEOPLE)
    add_patient(clinic, _patient("N-1", "New Person", "crohns_disease"), actor=staff.physician)
    assert counted(clinic) == len(PEOPLE) + 1
    other = open_database(db_path, health_check=False)
    try:
        with write_transaction(other):
            void_rows(
                other, "patient", "mrn = 'N-1'", [], reason="duplicate", actor="dr.lee",
                now=utc_now(),
            )  # fmt: skip
    finally:
        other.close()
    assert counted(clinic) == len(PEOPLE)  # another connection's commit is seen


@pytest.mark.parametrize("fixture", ["schema-v1.sqlite", "schema-v2.sqlite"])
def test_an_upgraded_database_is_searched_like_a_new_one(
    tmp_path: Path, fixture: str, path: str
) -> None:
    target = tmp_path / "clinic.sqlite"
    shutil.copyfile(FIXTURES / fixture, target)
    db = open_database(target)
    try:
        names = [row[0] for row in db.execute("SELECT name FROM patient")]
        assert names
        filled = db.execute("SELECT count(DISTINCT patient_id) FROM patient_name_trigram")
        assert filled.fetchone()[0] == len(names)
        for name in names:  # every patient is found by a piece of their name
            piece = name[1:5]
            assert name in [row.name for row in search_patients(db, piece.upper())]
        _assert_same_as_reference(db, (None, "crohns_disease"))
    finally:
        db.close()


def test_a_flag_filter_searches_among_the_flagged_patients_only(db: Any, staff: Any) -> None:
    """Flagged patients are found wherever their names fall, not only among the first listed."""
    from conftest import load_case_json

    from clinic_gui.domain.case_file import parse_case
    from clinic_gui.store.cases import insert_case

    for name in ("seed-as-wearing-off.json", "cd-low-trough.json", "full-record.json"):
        insert_case(db, parse_case(load_case_json(name)), actor=staff.nurse)
    everyone = [p.mrn for p in search_patients(db)]
    last = everyone[-1]
    assert [p.mrn for p in search_patients(db, limit=1, among={last})] == [last]
    assert search_patients(db, "zz", among={last}) == []
    assert search_patients(db, among=set()) == []
    both = [p.mrn for p in search_patients(db, among=set(everyone[:2]))]
    assert both == everyone[:2]
