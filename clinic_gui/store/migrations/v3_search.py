"""Schema v3: indexes for the patient list and search-as-you-type over a large clinic.
Frozen once released: later schemas change it through new steps.

Nothing in the record changes; the step only adds what ``store.patients`` reads through:

- ``patient_list``: the not-voided patients in list order (name, case-insensitive, then
  MRN) with every column the list shows and reads, so the list, and a search that matches
  many patients, read the first entries of one index and stop, never the table;
  ``patient_list_by_indication`` the same for each indication (the indication filter).
- ``patient_mrn_nocase``: MRNs case-insensitively, for the MRN-prefix search as a range.
- ``patient_name_trigram``: every three-character piece of every name (followed by two
  padding characters, so that each place in the name starts one), lower-cased as SQLite's
  ``lower`` and ``LIKE`` do (ASCII letters only), with its patient, for the name-substring
  search; kept in step by triggers, and filled for the patients already there by this step. (A plain table, not an FTS5 trigram index:
  FTS5's shadow tables are WITHOUT ROWID tables, and its trigram tokenizer folds more than
  the ASCII case that LIKE folds.)
- ``infusion_patient_live_date``: each patient's not-voided infusions by date, so the last
  infusion shown in the list is one index probe.

The trigram table is derived from ``patient.name``: it is not a clinical table, so it has
no audit triggers of its own (the patient row's audit covers the name).
"""

from __future__ import annotations

from typing import Any

# Names are indexed with two padding characters after them, so that every place in a name
# starts a trigram and text of one or two characters is found as a trigram's start.
PAD = "char(1, 1)"
# The positions 0 .. length(name) - 1 as the keys of a JSON array (a trigger body cannot
# hold a WITH RECURSIVE): zeroblob(n) is n zero bytes, and hex() makes each one '00'.
_POSITIONS = (
    "json_each('[' || substr(replace(hex(zeroblob(length({name}))), '00', ',0'), 2) || ']')"
)


def _trigrams(name: str, patient: str) -> str:
    """SELECT of the distinct (trigram, patient_id) pairs of one name."""
    return (
        f"SELECT DISTINCT lower(substr({name} || {PAD}, j.key + 1, 3)), {patient} "
        f"FROM {_POSITIONS.format(name=name)} AS j"
    )


STATEMENTS: list[str] = [
    """
CREATE INDEX patient_list
    ON patient(name COLLATE NOCASE, mrn, indication, birth_date, sex, voided_at)
WHERE voided_at IS NULL""",
    """
CREATE INDEX patient_list_by_indication
    ON patient(indication, name COLLATE NOCASE, mrn, birth_date, sex, voided_at)
WHERE voided_at IS NULL""",
    "CREATE INDEX patient_mrn_nocase ON patient(mrn COLLATE NOCASE)",
    """
CREATE INDEX infusion_patient_live_date ON infusion(patient_id, date)
WHERE voided_at IS NULL""",
    """
CREATE TABLE patient_name_trigram (
    id          INTEGER PRIMARY KEY,
    trigram     TEXT NOT NULL,
    patient_id  INTEGER NOT NULL
) STRICT""",
    "CREATE INDEX patient_name_trigram_lookup ON patient_name_trigram(trigram, patient_id)",
    "CREATE INDEX patient_name_trigram_patient ON patient_name_trigram(patient_id)",
    f"""
CREATE TRIGGER patient_name_trigram_insert AFTER INSERT ON patient
BEGIN
    INSERT INTO patient_name_trigram (trigram, patient_id) {_trigrams("NEW.name", "NEW.id")};
END""",
    f"""
CREATE TRIGGER patient_name_trigram_update AFTER UPDATE OF name ON patient
WHEN NEW.name IS NOT OLD.name
BEGIN
    DELETE FROM patient_name_trigram WHERE patient_id = OLD.id;
    INSERT INTO patient_name_trigram (trigram, patient_id) {_trigrams("NEW.name", "NEW.id")};
END""",
    """
CREATE TRIGGER patient_name_trigram_delete AFTER DELETE ON patient
BEGIN
    DELETE FROM patient_name_trigram WHERE patient_id = OLD.id;
END""",
    "INSERT INTO patient_name_trigram (trigram, patient_id) "
    + _trigrams("p.name", "p.id").replace("FROM ", "FROM patient AS p, ", 1)
    + " ORDER BY p.id",
]


def statements(db: Any) -> list[str]:
    return list(STATEMENTS)
