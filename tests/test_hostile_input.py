"""Hostile and bad input: whatever comes in, the app answers with a refusal that says what is
wrong, never with a crash, and a refused save writes nothing.

- ``load_case_file`` on arbitrary bytes, text, JSON values and mutated real case files;
  the nesting bomb, a 50 MB file, text that is not UTF-8, NUL bytes, control characters;
- every data-entry action of ``store.entries`` on random records;
- every record check of ``domain.validation`` on random strings and numbers.

Run with ``--hypothesis-show-statistics`` to see how many examples each target ran
(``docs/input-safety.md`` has the figures).
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import pytest
from conftest import CASE_FILES, load_case_json, snapshot
from hypothesis import HealthCheck, assume, currently_in_test_context, event, given, settings
from hypothesis import strategies as st
from test_entries import MRN, TODAY, WHO, seeded  # noqa: F401 (the fixture)

from clinic_gui.domain import records as r
from clinic_gui.domain import validation
from clinic_gui.domain.case_file import (
    MAX_CASE_FILE_BYTES,
    MAX_JSON_VALUES,
    MAX_NESTING,
    CaseFileError,
    case_to_json,
    load_case_file,
    parse_case,
)
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.store import entries

SOURCE = "upload.json"
VOCAB = vocabulary()
FAST = {"deadline": None, "suppress_health_check": [HealthCheck.too_slow]}
ON_DB = {
    "deadline": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}

# A problem names a place in the file ("labs[2].unit", "(top level)") or the file itself.
_PATH = re.compile(r"^(\(top level\)|[A-Za-z_]\w*)([\[.].*?)?: ")
_FILE_PROBLEMS = (
    "the file is",
    "not UTF-8 text: ",
    "not valid JSON: ",
    "nested more than ",
    "about ",
    "the number ",
    "NaN is not",
    "Infinity is not",
    "-Infinity is not",
)


def _load(data: bytes) -> r.Case | None:
    """load_case_file, allowed only two outcomes: a case, or CaseFileError saying why."""
    try:
        case = load_case_file(data, SOURCE, today=TODAY)
    except CaseFileError as exc:
        assert str(exc).startswith(f"{SOURCE}: case file refused (")
        assert exc.problems and all(isinstance(p, str) and p.strip() for p in exc.problems)
        assert all(_PATH.match(p) or p.startswith(_FILE_PROBLEMS) for p in exc.problems), (
            exc.problems
        )
        first = exc.problems[0]
        kind = next((k.strip(": ") for k in _FILE_PROBLEMS if first.startswith(k)), "a field")
        _outcome(f"refused: {kind}")
        return None
    assert isinstance(case, r.Case)
    _outcome("accepted")
    return case


def _refusal(data: bytes) -> list[str]:
    with pytest.raises(CaseFileError) as refused:
        load_case_file(data, SOURCE, today=TODAY)
    assert str(refused.value).startswith(f"{SOURCE}: case file refused (")
    return refused.value.problems


# ---------------------------------------------------------------------------------------------
# load_case_file: anything at all


@settings(max_examples=300, **FAST)
@given(st.binary(max_size=4000))
def test_arbitrary_bytes(data: bytes) -> None:
    _load(data)


@settings(max_examples=300, **FAST)
@given(st.text(max_size=2000))
def test_arbitrary_text(text: str) -> None:
    _load(text.encode("utf-8", "surrogatepass"))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # NaN and infinities included: written as NaN / Infinity literals
    | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=10), inner),
    max_leaves=30,
)


@settings(max_examples=250, **FAST)
@given(json_values, st.booleans())
def test_arbitrary_json_values(value: Any, as_case: bool) -> None:
    if as_case:  # the right format marker, so the schema looks further in
        value = {"format": "clinic-case/1", "patient": value}
    _load(json.dumps(value).encode("utf-8", "surrogatepass"))


# ---------------------------------------------------------------------------------------------
# load_case_file: real case files with their values replaced by bad ones


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [path] + [p for k, v in value.items() for p in _leaf_paths(v, (*path, k))]
    if isinstance(value, list):
        return [path] + [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))]
    return [path]


def _nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value]
    return value


bad_leaves = st.one_of(
    st.text(max_size=50),  # control characters, NUL, any script
    st.text(st.characters(categories=["Cc"]), min_size=1, max_size=5),
    st.integers(min_value=-(10**400), max_value=10**400),  # 10**400: beyond any float
    st.sampled_from([10**16, 2**63, -(2**63), 10**309, -1, -0.0, 0]),
    st.floats(),  # NaN, inf, -inf, subnormals, -0.0
    st.floats(allow_nan=False, allow_infinity=False).map(lambda f: -abs(f)),
    st.sampled_from(
        [
            "0001-01-01",
            "9999-12-31",
            "0000-01-01",
            "2025-02-29",
            "2024-13-01",
            "٢٠٢٥-٠١-٠١",
            "2025-01-01\n",
            "2025-01-01T25:00",
            "24:00",
            "23:59:59",
            "2025-01-01T08:00",
            "",
            " ",
            "\u0000",
            "\u200b",
            "mg/L",
            "non_trough",
            "<",
        ]
    ),
    st.integers(1, 100).map(_nested),  # nested lists up to 100 deep
    st.none(),
    st.booleans(),
    st.just({}),
    st.just([]),
)


@st.composite
def mutated_documents(draw: Any) -> dict[str, Any]:
    document = copy.deepcopy(load_case_json(draw(st.sampled_from(CASE_FILES)).name))
    paths = _leaf_paths(document)
    for _ in range(draw(st.integers(1, 5))):
        path = draw(st.sampled_from(paths))
        if not path:
            continue
        parent = document
        try:
            for part in path[:-1]:
                parent = parent[part]
            parent[path[-1]] = draw(bad_leaves)
        except (KeyError, IndexError, TypeError):  # an earlier change replaced the parent
            continue
    return document


@settings(max_examples=200, **FAST)
@given(mutated_documents())
def test_mutated_case_files(document: dict[str, Any]) -> None:
    text = json.dumps(document, ensure_ascii=False)  # NaN / Infinity written as literals
    case = _load(text.encode("utf-8", "surrogatepass"))
    if case is not None:  # whatever is accepted is written back and read again unchanged
        assert parse_case(case_to_json(case), today=TODAY) == case
    # parse_case itself, given Python values no JSON text holds (NaN, 10**400), also refuses
    try:
        parsed = parse_case(document, today=TODAY)
    except CaseFileError as exc:
        assert exc.problems and all(_PATH.match(p) for p in exc.problems), exc.problems
    else:
        assert isinstance(parsed, r.Case)


# Free-text fields of the fixture files, as paths to their place in the document.
TEXT_FIELDS = (
    ("patient", "name"), ("patient", "mrn"), ("patient", "notes"),
    ("regimens", 0, "reason"), ("regimens", 0, "ordered_by"),
    ("infusions", 0, "lot"), ("infusions", 0, "nurse"), ("infusions", 0, "notes"),
    ("labs", 0, "assay"), ("labs", 0, "notes"), ("diary", 0, "notes"),
)  # fmt: skip


@settings(max_examples=100, **FAST)
@given(
    name=st.sampled_from(["seed-as-wearing-off.json", "full-record.json"]),
    where=st.sampled_from(TEXT_FIELDS),
    text=st.text(max_size=300),  # any script, emoji, RTL marks, NUL, control characters
)
def test_any_text_in_a_free_text_field_is_kept_exactly_or_refused_there(
    name: str, where: tuple[Any, ...], text: str
) -> None:
    document = load_case_json(name)
    parent = document
    for part in where[:-1]:
        parent = parent[part]
    parent[where[-1]] = text
    data = json.dumps(document, ensure_ascii=False).encode("utf-8", "surrogatepass")
    case = _load(data)
    field = ".".join(str(p) for p in where).replace(".0.", "[0].")
    if case is None:
        assert all(p.startswith(f"{field}: ") for p in _refusal(data)), field
        return
    written = case_to_json(case)
    assert load_case_file(json.dumps(written).encode(), SOURCE, today=TODAY) == case
    kept = written
    for part in where:
        kept = kept[part]
    assert kept == text  # exactly as given: nothing trimmed, normalised or escaped


# ---------------------------------------------------------------------------------------------
# load_case_file: named attacks


def _valid_bytes() -> bytes:
    return (CASE_FILE_DIR / "seed-as-wearing-off.json").read_bytes()


CASE_FILE_DIR = Path(CASE_FILES[0]).parent


def test_a_valid_file_loads_also_with_a_byte_order_mark() -> None:
    case = load_case_file(_valid_bytes(), SOURCE, today=TODAY)
    assert case.patient.mrn == MRN
    assert load_case_file(b"\xef\xbb\xbf" + _valid_bytes(), SOURCE, today=TODAY) == case


def test_a_nesting_bomb_is_refused_before_parsing() -> None:
    assert _refusal(b"[" * 100_000) == [
        f"nested more than {MAX_NESTING} levels deep at line 1, column 65 "
        "(a case file nests 6 levels)"
    ]
    closed = b"[" * 100_000 + b"]" * 100_000
    assert _refusal(closed)[0].startswith("nested more than 64 levels deep")
    # Brackets inside strings do not count.
    text = json.dumps({"format": "clinic-case/1", "patient": {"notes": "[" * 1000}})
    assert not any(p.startswith("nested") for p in _refusal(text.encode()))


def test_nesting_of_64_levels_reaches_the_schema_and_65_does_not() -> None:
    document = {"format": "clinic-case/1", "patient": _nested(MAX_NESTING - 1)}  # 64 levels
    assert _refusal(json.dumps(document).encode()) == [
        f"patient: expected object, got array {'[' * 57}..."
    ]
    document["patient"] = _nested(MAX_NESTING)
    (problem,) = _refusal(json.dumps(document).encode())
    column = len('{"format": "clinic-case/1", "patient": ') + MAX_NESTING
    assert problem.startswith(f"nested more than 64 levels deep at line 1, column {column}")


def test_a_50_mb_file_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.json"
    with path.open("wb") as out:
        out.write(b'{"format": "clinic-case/1", "patient": {"notes": "')
        out.write(b"x" * (50 * 1024 * 1024))
        out.write(b'"}}')
    data = path.read_bytes()
    assert len(data) > MAX_CASE_FILE_BYTES
    assert _refusal(data) == ["the file is 50.0 MB, more than the 20.0 MB a case file may be"]


def test_too_many_values_are_refused_before_parsing() -> None:
    data = b'{"format": "clinic-case/1", "weights": [' + b"0," * MAX_JSON_VALUES + b"0]}"
    assert len(data) < MAX_CASE_FILE_BYTES
    (problem,) = _refusal(data)
    assert problem == (
        f"about {MAX_JSON_VALUES + 4:,} values, more than the {MAX_JSON_VALUES:,} a case file "
        "may hold"
    )


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (
            '{"patient": {"name": "Zoë"}}'.encode("latin-1"),
            "not UTF-8 text: the byte 0xeb at offset 24 is not valid UTF-8 (invalid "
            "continuation byte)",
        ),
        (
            '{"patient": {"name": "\ud800"}}'.encode("utf-8", "surrogatepass"),
            "not UTF-8 text: the byte 0xed at offset 22 is not valid UTF-8 (invalid "
            "continuation byte)",
        ),
        (
            '{"a": 1}'.encode("utf-16"),
            "not UTF-8 text: the byte 0xff at offset 0 is not valid UTF-8 (invalid start "
            "byte) (it looks like UTF-16: save it as UTF-8)",
        ),
        (b'{"a": \x00}', "not valid JSON: Expecting value at line 1, column 7"),
        (b'{"a": "x\x00y"}', "not valid JSON: Invalid control character at line 1, column 9"),
        (b"", "the file is empty"),
        (b"\xef\xbb\xbf \n", "the file is empty"),
        (b'{"a": [1, NaN]}', "NaN is not a number a case file may hold at line 1, column 11"),
        (b'{"a":\n -Infinity}', "-Infinity is not a number a case file may hold at line 2, column 2"),  # noqa: E501
        (b'{"a": 1e400}', "the number 1e400 is too big to be a real value at line 1, column 7"),
        (b'{"a": 1e16}', "the number 1e16 is too big to be a real value at line 1, column 7"),
        (
            b'{"a": 1' + b"0" * 5000 + b"}",
            "the number 100000000000000000000000000000000000000000000000000000000... is too "
            "big to be a real value at line 1, column 7",
        ),
        (
            b'{"format": "clinic-case/1", "patient": {"name": "a", "name": "b"}}',
            "patient.name: given more than once in one object (which one is meant cannot be "
            "told)",
        ),
        (
            b'{"format": "clinic-case/1", "patient": {"name": "\\udc00"}}',
            "patient.name: contains an unpaired surrogate (a \\ud800-\\udfff escape), which is "
            "not a character",
        ),
    ],
)  # fmt: skip
def test_bad_bytes_are_refused_with_what_is_wrong_and_where(data: bytes, expected: str) -> None:
    assert _refusal(data) == [expected]


@pytest.mark.parametrize(
    "name", ["Ann\u0000Smith", "Ann\u0007", "\u001b[31mred", "Ann\u007fSmith", "a\u000bb"]
)
def test_control_characters_in_names_are_refused_at_the_field(name: str) -> None:
    document = load_case_json("seed-as-wearing-off.json")
    document["patient"]["name"] = name
    problems = _refusal(json.dumps(document).encode())
    assert problems == [
        "patient.name: contains a control character (only tab and line breaks are allowed)"
    ]


def test_a_line_break_and_a_tab_in_notes_are_kept() -> None:
    document = load_case_json("seed-as-wearing-off.json")
    document["patient"]["notes"] = "line 1\nline 2\ttabbed"
    case = load_case_file(json.dumps(document).encode(), SOURCE, today=TODAY)
    assert case.patient.notes == "line 1\nline 2\ttabbed"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0001-01-01", "patient.birth_date: 0001-01-01 is before 1900"),
        ("9999-12-31", "patient.birth_date: 9999-12-31 is in the future"),
        ("0000-01-01", "patient.birth_date: '0000-01-01' is not a real date (there is no year 0)"),
        ("٢٠٢٥-٠١-٠١", "patient.birth_date: '٢٠٢٥-٠١-٠١' is not a date in the form YYYY-MM-DD"),
        ("1990-01-01\n", "patient.birth_date: '1990-01-01\\n' is not a date in the form YYYY-MM-DD"),  # noqa: E501
    ],
)  # fmt: skip
def test_dates_at_and_beyond_the_calendar_are_refused_at_the_field(
    value: str, expected: str
) -> None:
    document = load_case_json("seed-as-wearing-off.json")
    document["patient"]["birth_date"] = value
    assert expected in _refusal(json.dumps(document).encode())


def test_a_huge_value_is_shown_cut_short() -> None:
    document = load_case_json("seed-as-wearing-off.json")
    document["weights"][0]["kg"] = "x" * 1_000_000
    (problem,) = _refusal(json.dumps(document).encode())
    assert problem == f"weights[0].kg: expected number, got string '{'x' * 56}..."


def test_parse_case_refuses_numbers_no_float_can_hold() -> None:
    document = load_case_json("seed-as-wearing-off.json")
    document["weights"][0]["kg"] = 10**400
    document["weights"][1]["kg"] = float("nan")
    with pytest.raises(CaseFileError) as refused:
        parse_case(document, today=TODAY)
    assert refused.value.problems == [
        f"weights[0].kg: 1{'0' * 56}... is too big to be a real value",
        "weights[1].kg: nan is not a finite number",
    ]


# ---------------------------------------------------------------------------------------------
# The store: every data-entry action on random records

# Every value is either one a person could mean or a hostile one, so that entries are saved,
# held for confirmation and refused alike.
plain_text = st.text("abcXYZ 0123-.", min_size=1, max_size=20).filter(str.strip)
any_text = plain_text | st.text(max_size=60)  # NUL, control characters, RTL marks, any script


def any_float(low: float, high: float) -> Any:
    """Half of the time between ``low`` and ``high``; else NaN, infinities, negatives, huge."""
    good = st.floats(low, high)
    return st.one_of(good, good, st.floats(), st.integers(-(10**6), 10**6).map(float))


any_date = st.dates(dt.date(1972, 1, 1), TODAY) | st.dates()  # 0001-01-01 to 9999-12-31
# Local times, also with seconds; a time zone is left to test_times_with_a_zone_* below.
any_time = st.none() | st.times().map(lambda t: t.replace(second=0, microsecond=0)) | st.times()
maybe = st.none().__or__


def _choice(values: Any) -> Any:
    return st.sampled_from(sorted(values)) | any_text


weights = st.builds(r.Weight, date=any_date, kg=any_float(40, 150))
regimens = st.builds(
    r.Regimen,
    start_date=any_date,
    product=_choice(VOCAB.products),
    dose_mg_per_kg=any_float(1, 12),
    interval_weeks=any_float(2, 12),
    reason=st.one_of(plain_text, plain_text, st.none(), st.text(max_size=60)),
    ordered_by=maybe(any_text),
)
vital_signs = st.builds(
    r.VitalSigns,
    phase=_choice(VOCAB.vital_phases),
    time=any_time,
    systolic_mmhg=maybe(st.integers(90, 160) | st.integers(-(2**70), 2**70)),
    pulse_bpm=maybe(st.integers(50, 120) | st.integers(-1000, 1000)),
    temperature_c=maybe(any_float(35, 41)),
    spo2_pct=maybe(st.integers(90, 100) | st.integers(-200, 200)),
)
infusions = st.builds(
    r.Infusion,
    date=any_date,
    product=_choice(VOCAB.products),
    dose_mg=any_float(100, 1500),  # up to 18 mg/kg at the seed's 82.4 kg
    start_time=st.one_of(st.none(), st.just(dt.time(9, 0)), any_time),
    end_time=st.one_of(st.none(), st.sampled_from([dt.time(10, 0), dt.time(11, 30)]), any_time),
    weight_kg=maybe(any_float(40, 150)),
    lot=maybe(any_text),
    lot_expiry=maybe(any_date),
    vials=maybe(st.integers(15, 20) | st.integers(-(2**70), 2**70)),
    premedication=st.lists(any_text, max_size=2).map(tuple),
    reaction=maybe(st.builds(r.Reaction, grade=_choice(VOCAB.reaction_grades))),
    symptoms_returned_before=maybe(st.booleans()),
    symptoms_days_before=st.one_of(st.none(), st.none(), st.none(), st.integers(-1000, 1000)),
    nurse=maybe(any_text),
    notes=maybe(any_text),
    vitals=st.one_of(st.just(()), st.lists(vital_signs, max_size=2).map(tuple)),
)
diary_entries = st.builds(
    r.DiaryEntry,
    date=any_date,
    symptom_score=maybe(any_float(0, 10)),
    morning_stiffness_min=maybe(any_float(0, 120)),
    basdai=maybe(st.builds(r.Basdai, q1=maybe(any_float(0, 10)), q6=maybe(any_float(0, 10)))),
    patient_global=maybe(any_float(0, 10)),
    hbi=maybe(st.builds(r.HarveyBradshawItems, liquid_stools=maybe(st.integers(-99, 999)))),
    source=maybe(_choice(VOCAB.diary_sources)),
    notes=maybe(any_text),
)
lab_results = st.builds(
    r.LabResult,
    sampled_at=any_date | st.datetimes(dt.datetime(1972, 1, 1), dt.datetime(2026, 11, 22)),
    test=st.just("infliximab") | _choice(VOCAB.lab_tests),
    value=any_float(0, 400),  # troughs above 100 mcg/mL are held for confirmation
    unit=st.sampled_from(["mcg/mL", "ng/mL", "mg/L"])
    | _choice({u for t in VOCAB.lab_tests.values() for u in t.units}),
    comparator=maybe(_choice(["<", ">"])),
    assay=maybe(any_text),
    timing=maybe(_choice(VOCAB.lab_timings)),
    interpretation=st.one_of(st.none(), st.none(), _choice(VOCAB.antibody_interpretations)),
    lloq=maybe(any_float(0, 1)),
    notes=maybe(any_text),
)
patients = st.builds(
    r.Patient,
    mrn=any_text,
    name=any_text,
    birth_date=any_date,
    sex=_choice(VOCAB.sexes),
    indication=_choice(VOCAB.indications),
    height_cm=maybe(any_float(100, 200)),
    nyha_class=maybe(st.integers(-10, 10)),
    notes=maybe(any_text),
)


def _outcome(text: str) -> None:
    """Counted in ``--hypothesis-show-statistics`` when run by hypothesis."""
    if currently_in_test_context():
        event(text)


def _save_or_refuse(db_path: Path, save: Any) -> bool:
    """Run ``save``: it saves, or raises one of SAVE_REFUSED and the database is unchanged.
    A save held back for confirmation is confirmed once, as the entry dialog does."""
    before = snapshot(db_path)
    try:
        try:
            save(())
        except entries.NeedsConfirmation as held:
            assert held.warnings and snapshot(db_path) == before
            save(held.warnings)
            _outcome("saved after confirming")
        else:
            _outcome("saved")
    except entries.SAVE_REFUSED as exc:
        assert str(exc).strip()
        assert snapshot(db_path) == before
        _outcome(f"refused: {type(exc).__name__}")
        return False
    assert snapshot(db_path) != before
    return True


CLINICAL_ACTIONS = {
    "add_weight": (entries.add_weight, weights, True),
    "record_infusion": (entries.record_infusion, infusions, True),
    "add_diary_entry": (entries.add_diary_entry, diary_entries, False),
    "add_lab_result": (entries.add_lab_result, lab_results, True),
    "add_regimen": (entries.add_regimen, regimens, False),
}


def _clinical_test(name: str) -> Any:
    action, records, confirms = CLINICAL_ACTIONS[name]

    @pytest.mark.usefixtures("seeded")
    @settings(max_examples=50, **ON_DB)
    @given(record=records)
    def test(db: Any, db_path: Path, record: Any) -> None:
        actor = WHO.physician if name == "add_regimen" else WHO.nurse

        def save(confirmed: tuple[str, ...]) -> Any:
            options = {"confirmed": confirmed} if confirms else {}
            return action(db, MRN, record, actor=actor, today=TODAY, **options)

        _save_or_refuse(db_path, save)

    test.__name__ = f"test_random_records_through_{name}"
    return test


test_random_records_through_add_weight = _clinical_test("add_weight")
test_random_records_through_record_infusion = _clinical_test("record_infusion")
test_random_records_through_add_diary_entry = _clinical_test("add_diary_entry")
test_random_records_through_add_lab_result = _clinical_test("add_lab_result")
test_random_records_through_add_regimen = _clinical_test("add_regimen")


@pytest.mark.usefixtures("seeded")
@settings(max_examples=50, **ON_DB)
@given(patient=patients)
def test_random_records_through_add_patient(db: Any, db_path: Path, patient: r.Patient) -> None:
    _save_or_refuse(
        db_path, lambda _: entries.add_patient(db, patient, actor=WHO.nurse, today=TODAY)
    )


@pytest.mark.usefixtures("seeded")
@settings(max_examples=50, **ON_DB)
@given(patient=patients.map(lambda p: p.__class__(**{**_fields(p), "mrn": MRN})))
def test_random_records_through_update_patient(db: Any, db_path: Path, patient: r.Patient) -> None:
    assume(entries.patient_version(db, MRN) > 0)
    _save_or_refuse(
        db_path,
        lambda _: entries.update_patient(db, MRN, patient, actor=WHO.nurse, today=TODAY),
    )


def _fields(record: Any) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def test_a_valid_entry_is_still_saved(db: Any, db_path: Path, seeded: Any) -> None:  # noqa: F811
    """The random records above are mostly refused; a plain entry goes through."""
    weight = r.Weight(date=dt.date(2026, 11, 20), kg=82)
    saved = _save_or_refuse(
        db_path, lambda _: entries.add_weight(db, MRN, weight, actor=WHO.nurse, today=TODAY)
    )
    assert saved


# ---------------------------------------------------------------------------------------------
# The record checks behind every form

PATIENT = r.Patient(
    mrn="P-1",
    name="Test",
    birth_date=dt.date(1980, 1, 1),
    sex="female",
    indication="crohns_disease",
)
CHECKS = {
    "check_weight": (validation.check_weight, weights),
    "check_regimen": (validation.check_regimen, regimens),
    "check_infusion": (validation.check_infusion, infusions),
    "check_diary_entry": (validation.check_diary_entry, diary_entries),
    "check_lab_result": (validation.check_lab_result, lab_results),
}


def _check_test(name: str) -> Any:
    check, records = CHECKS[name]

    @settings(max_examples=120, **FAST)
    @given(record=records, today=st.dates())
    def test(record: Any, today: dt.date) -> None:
        problems = check(record, PATIENT, today=today)
        _outcome("problems" if problems else "no problems")
        assert isinstance(problems, list)
        assert all(isinstance(p, str) and re.match(r"^[\w.\[\]]+: \S", p) for p in problems), (
            problems
        )

    test.__name__ = f"test_{name}_never_crashes"
    return test


test_check_weight_never_crashes = _check_test("check_weight")
test_check_regimen_never_crashes = _check_test("check_regimen")
test_check_infusion_never_crashes = _check_test("check_infusion")
test_check_diary_entry_never_crashes = _check_test("check_diary_entry")
test_check_lab_result_never_crashes = _check_test("check_lab_result")


@settings(max_examples=120, **FAST)
@given(patient=patients, today=st.dates())
def test_check_patient_never_crashes(patient: r.Patient, today: dt.date) -> None:
    problems = validation.check_patient(patient, today=today)
    _outcome("problems" if problems else "no problems")
    assert all(re.match(r"^[\w.\[\]]+: \S", p) for p in problems), problems


@settings(max_examples=120, **FAST)
@given(reason=any_text)
def test_check_void_reason_never_crashes(reason: str) -> None:
    problems = validation.check_void_reason(reason)
    _outcome("problems" if problems else "no problems")
    assert problems == [] or problems[0].startswith("reason: ")


AWARE = dt.time(10, 0, tzinfo=dt.UTC)


def test_times_with_a_zone_are_refused_by_check_infusion() -> None:
    infusion = r.Infusion(
        date=dt.date(2026, 1, 5), product="Remicade", dose_mg=400,
        start_time=dt.time(9, 0), end_time=AWARE,
    )  # fmt: skip
    problems = validation.check_infusion(infusion, PATIENT, today=TODAY)
    assert any(p.startswith("end_time: ") for p in problems)


def test_a_time_with_a_zone_cannot_be_typed_into_a_form(qtbot: Any) -> None:
    from clinic_gui.ui.dialogs.form import Field, RecordForm

    class TimeForm(RecordForm):
        def record(self) -> Any:
            return self.read(["end_time"])["end_time"]

    form = TimeForm("t", [Field("end_time", "End", "time")], save=lambda record: 1)
    qtbot.addWidget(form)
    for typed, shown in [
        ("10:00+01:00", "'10:00+01:00' is not a time (HH:MM)"),
        ("10:00:30", "'10:00:30' is not a time (HH:MM)"),
        ("9:30", ""),
    ]:
        form.set_value("end_time", typed)
        form.try_save()
        assert form.errors["end_time"].text() == shown
