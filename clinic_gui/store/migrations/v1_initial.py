"""Schema v1: the clinical record. Frozen: later schemas change it through new steps.

Design rules, kept by every later step:
- every row says when and by whom it was created and last changed (UTC ISO times);
- clinical rows are never deleted: a trigger refuses DELETE, and voiding keeps the row
  with who, when and why (``voided_at``/``voided_by``/``void_reason`` set together);
- CHECK constraints guard shapes (real ISO dates, HH:MM times, positive amounts); the
  codes (indications, products, tests, units) are checked by the domain against
  ``resources/vocabulary.json`` so a new product needs no table rebuild.
"""

from __future__ import annotations

STAMPS = """
    created_at  TEXT NOT NULL,
    created_by  TEXT NOT NULL,
    updated_at  TEXT,
    updated_by  TEXT,
    voided_at   TEXT,
    voided_by   TEXT,
    void_reason TEXT,
    CHECK ((voided_at IS NULL) = (void_reason IS NULL))"""


def _date(column: str, nullable: bool = False) -> str:
    check = f"date({column}) IS {column}"
    return f"CHECK ({column} IS NULL OR {check})" if nullable else f"CHECK ({check})"


def _time(column: str) -> str:
    return f"CHECK ({column} IS NULL OR ({column} GLOB '[0-2][0-9]:[0-5][0-9]' AND {column} < '24:00'))"


CLINICAL_TABLES = ("patient", "weight", "regimen", "infusion", "vital_sign", "diary", "lab")

STATEMENTS: list[str] = [
    f"""
CREATE TABLE patient (
    id          INTEGER PRIMARY KEY,
    mrn         TEXT NOT NULL UNIQUE CHECK (length(trim(mrn)) > 0),
    name        TEXT NOT NULL CHECK (length(trim(name)) > 0),
    birth_date  TEXT NOT NULL {_date("birth_date")},
    sex         TEXT NOT NULL,
    indication  TEXT NOT NULL,
    height_cm   REAL CHECK (height_cm IS NULL OR height_cm > 0),
    nyha_class  INTEGER CHECK (nyha_class IS NULL OR nyha_class BETWEEN 1 AND 4),
    notes       TEXT,{STAMPS}
) STRICT""",
    f"""
CREATE TABLE weight (
    id          INTEGER PRIMARY KEY,
    patient_id  INTEGER NOT NULL REFERENCES patient(id),
    date        TEXT NOT NULL {_date("date")},
    kg          REAL NOT NULL CHECK (kg > 0),{STAMPS}
) STRICT""",
    f"""
CREATE TABLE regimen (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER NOT NULL REFERENCES patient(id),
    start_date      TEXT NOT NULL {_date("start_date")},
    product         TEXT NOT NULL,
    dose_mg_per_kg  REAL NOT NULL CHECK (dose_mg_per_kg > 0),
    interval_weeks  REAL NOT NULL CHECK (interval_weeks > 0),
    reason          TEXT,
    ordered_by      TEXT,{STAMPS}
) STRICT""",
    f"""
CREATE TABLE infusion (
    id                        INTEGER PRIMARY KEY,
    patient_id                INTEGER NOT NULL REFERENCES patient(id),
    date                      TEXT NOT NULL {_date("date")},
    start_time                TEXT {_time("start_time")},
    end_time                  TEXT {_time("end_time")},
    product                   TEXT NOT NULL,
    dose_mg                   REAL NOT NULL CHECK (dose_mg > 0),
    weight_kg                 REAL CHECK (weight_kg IS NULL OR weight_kg > 0),
    lot                       TEXT,
    lot_expiry                TEXT {_date("lot_expiry", nullable=True)},
    vials                     INTEGER CHECK (vials IS NULL OR vials > 0),
    premedication             TEXT CHECK (premedication IS NULL OR json_valid(premedication)),
    reaction_grade            TEXT CHECK (reaction_grade IS NULL
                                  OR reaction_grade IN ('none', 'mild', 'moderate', 'severe')),
    reaction_description      TEXT,
    symptoms_returned_before  TEXT NOT NULL DEFAULT 'unknown'
                                  CHECK (symptoms_returned_before IN ('yes', 'no', 'unknown')),
    symptoms_days_before      INTEGER CHECK (symptoms_days_before IS NULL OR symptoms_days_before >= 0),
    nurse                     TEXT,
    notes                     TEXT,{STAMPS}
) STRICT""",
    f"""
CREATE TABLE vital_sign (
    id                INTEGER PRIMARY KEY,
    infusion_id       INTEGER NOT NULL REFERENCES infusion(id),
    phase             TEXT NOT NULL CHECK (phase IN ('before', 'during', 'after')),
    time              TEXT {_time("time")},
    systolic_mmhg     INTEGER,
    diastolic_mmhg    INTEGER,
    pulse_bpm         INTEGER,
    temperature_c     REAL,
    respiratory_rate  INTEGER,
    spo2_pct          INTEGER,{STAMPS}
) STRICT""",
    f"""
CREATE TABLE diary (
    id                            INTEGER PRIMARY KEY,
    patient_id                    INTEGER NOT NULL REFERENCES patient(id),
    date                          TEXT NOT NULL {_date("date")},
    symptom_score                 REAL CHECK (symptom_score IS NULL OR symptom_score BETWEEN 0 AND 10),
    morning_stiffness_min         REAL CHECK (morning_stiffness_min IS NULL OR morning_stiffness_min >= 0),
    basdai_q1                     REAL CHECK (basdai_q1 IS NULL OR basdai_q1 BETWEEN 0 AND 10),
    basdai_q2                     REAL CHECK (basdai_q2 IS NULL OR basdai_q2 BETWEEN 0 AND 10),
    basdai_q3                     REAL CHECK (basdai_q3 IS NULL OR basdai_q3 BETWEEN 0 AND 10),
    basdai_q4                     REAL CHECK (basdai_q4 IS NULL OR basdai_q4 BETWEEN 0 AND 10),
    basdai_q5                     REAL CHECK (basdai_q5 IS NULL OR basdai_q5 BETWEEN 0 AND 10),
    basdai_q6                     REAL CHECK (basdai_q6 IS NULL OR basdai_q6 BETWEEN 0 AND 10),
    patient_global                REAL CHECK (patient_global IS NULL OR patient_global BETWEEN 0 AND 10),
    hbi_wellbeing                 INTEGER,
    hbi_abdominal_pain            INTEGER,
    hbi_liquid_stools             INTEGER,
    hbi_abdominal_mass            INTEGER,
    hbi_complications             INTEGER,
    partial_mayo_stool_frequency  INTEGER,
    partial_mayo_rectal_bleeding  INTEGER,
    partial_mayo_physician_global INTEGER,
    das28_tender_joints           INTEGER,
    das28_swollen_joints          INTEGER,
    das28_global_health_mm        REAL,
    das28_evaluator_global        REAL,
    source                        TEXT,
    notes                         TEXT,{STAMPS}
) STRICT""",
    f"""
CREATE TABLE lab (
    id              INTEGER PRIMARY KEY,
    patient_id      INTEGER NOT NULL REFERENCES patient(id),
    sampled_at      TEXT NOT NULL CHECK (
                        date(substr(sampled_at, 1, 10)) IS substr(sampled_at, 1, 10)
                        AND (length(sampled_at) = 10 OR (length(sampled_at) = 16
                             AND sampled_at GLOB '????-??-??T[0-2][0-9]:[0-5][0-9]'))),
    test            TEXT NOT NULL,
    value           REAL NOT NULL CHECK (value >= 0),
    unit            TEXT NOT NULL CHECK (length(trim(unit)) > 0),
    comparator      TEXT CHECK (comparator IS NULL OR comparator IN ('<', '>')),
    assay           TEXT,
    timing          TEXT CHECK (timing IS NULL OR timing IN ('trough', 'non_trough')),
    interpretation  TEXT,
    lloq            REAL CHECK (lloq IS NULL OR lloq >= 0),
    notes           TEXT,{STAMPS}
) STRICT""",
    "CREATE INDEX patient_name ON patient(name COLLATE NOCASE)",
    "CREATE INDEX weight_patient_date ON weight(patient_id, date)",
    "CREATE INDEX regimen_patient_date ON regimen(patient_id, start_date)",
    "CREATE INDEX infusion_patient_date ON infusion(patient_id, date)",
    "CREATE INDEX vital_sign_infusion ON vital_sign(infusion_id)",
    "CREATE INDEX diary_patient_date ON diary(patient_id, date)",
    "CREATE INDEX lab_patient_sampled ON lab(patient_id, sampled_at)",
    *(
        f"""
CREATE TRIGGER {table}_never_deleted BEFORE DELETE ON {table}
BEGIN
    SELECT RAISE(ABORT, 'clinical records are never deleted: void the row with a reason');
END"""
        for table in CLINICAL_TABLES
    ),
]
