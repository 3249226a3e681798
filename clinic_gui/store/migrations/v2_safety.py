"""Schema v2: users, settings, an append-only hash-chained audit trail, row versions,
result review and recommendation sign-off. Frozen: later schemas change it through new steps.

- ``app_user``: one row per person, never deleted (a user is disabled instead), so every
  ``created_by``/``updated_by``/``voided_by`` and every audit row keeps naming someone
  real. Passwords are stored only as argon2id hashes; the hash is never copied into the
  audit trail (``password_changed_at`` is, so a change still shows).
- ``setting``: the clinic's settings (idle lock, backup rotation), key to JSON value.
- ``audit``: one row per insert, change and void of every clinical, user and setting row
  (its values before and after as JSON objects without the empty columns),
  written by triggers in the same transaction as the change, so no code path can forget
  it; plus rows the app adds for sign-in, lock, export, import, backup and restore.
  UPDATE and DELETE on it are refused by triggers. Each row carries ``prev_hash`` (the
  previous row's hash) and ``hash``, the SHA-256 of its own content and ``prev_hash``,
  computed by the SQL function ``clinic_audit_hash`` that the app registers on every
  connection (``store.audit``): a tool without it cannot write clinical rows at all.
- ``row_version`` on every row that can change: each UPDATE must raise it by exactly one
  (a trigger refuses any other UPDATE), which is how a second workstation's save of a
  row that changed meanwhile is detected instead of overwriting it.
- A voided row can no longer change at all.
- ``lab.reviewed_at``/``reviewed_by``: a physician marked the result as reviewed.
- ``sign_off``: a physician's sign-off of a recommendation, with the assessment as shown.
"""

from __future__ import annotations

import sqlite3
from typing import Any

CLINICAL_TABLES = ("patient", "weight", "regimen", "infusion", "vital_sign", "diary", "lab")

AUDIT_ACTIONS = (
    "create",
    "update",
    "void",
    "review",
    "confirm",
    "sign_in",
    "sign_in_failed",
    "sign_out",
    "lock",
    "unlock",
    "export",
    "import",
    "backup",
    "restore",
    "emergency_access",
)

VERSION = """
    row_version INTEGER NOT NULL DEFAULT 1 CHECK (row_version >= 1)"""

NEW_TABLES: list[str] = [
    f"""
CREATE TABLE app_user (
    id                   INTEGER PRIMARY KEY,
    username             TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (
                             length(username) BETWEEN 2 AND 40
                             AND username NOT GLOB '*[^a-z0-9._-]*'
                             AND username GLOB '[a-z]*'),
    full_name            TEXT NOT NULL CHECK (length(trim(full_name)) > 0),
    roles                TEXT NOT NULL CHECK (json_valid(roles) AND json_type(roles) = 'array'),
    password_hash        TEXT NOT NULL CHECK (password_hash GLOB '$argon2id$*' OR password_hash = '!'),
    password_changed_at  TEXT NOT NULL,
    is_demo              INTEGER NOT NULL DEFAULT 0 CHECK (is_demo IN (0, 1)),
    disabled_at          TEXT,
    disabled_by          TEXT,
    disable_reason       TEXT,
    created_at           TEXT NOT NULL,
    created_by           TEXT NOT NULL,
    updated_at           TEXT,
    updated_by           TEXT,{VERSION},
    CHECK ((disabled_at IS NULL) = (disable_reason IS NULL))
) STRICT""",
    f"""
CREATE TABLE setting (
    key         TEXT PRIMARY KEY,
    value       TEXT NOT NULL CHECK (json_valid(value)),
    updated_at  TEXT NOT NULL,
    updated_by  TEXT NOT NULL,{VERSION}
) STRICT""",
    f"""
CREATE TABLE sign_off (
    id               INTEGER PRIMARY KEY,
    patient_id       INTEGER NOT NULL REFERENCES patient(id),
    decision_row     TEXT NOT NULL,
    assessment_json  TEXT NOT NULL CHECK (json_valid(assessment_json)),
    note             TEXT,
    created_at       TEXT NOT NULL,
    created_by       TEXT NOT NULL,
    updated_at       TEXT,
    updated_by       TEXT,
    voided_at        TEXT,
    voided_by        TEXT,
    void_reason      TEXT,{VERSION},
    CHECK ((voided_at IS NULL) = (void_reason IS NULL))
) STRICT""",
    f"""
CREATE TABLE audit (
    id           INTEGER PRIMARY KEY,
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    workstation  TEXT,
    action       TEXT NOT NULL CHECK (action IN ({", ".join(f"'{a}'" for a in AUDIT_ACTIONS)})),
    table_name   TEXT,
    row_id       INTEGER,
    patient_id   INTEGER,
    before_json  TEXT,
    after_json   TEXT,
    detail       TEXT,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL
) STRICT""",
    "CREATE INDEX audit_patient ON audit(patient_id, id)",
    "CREATE INDEX audit_actor ON audit(actor, id)",
    "CREATE INDEX sign_off_patient ON sign_off(patient_id, created_at)",
    """
CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: its rows cannot be changed');
END""",
    """
CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit
BEGIN
    SELECT RAISE(ABORT, 'the audit trail is append-only: its rows cannot be deleted');
END""",
    """
CREATE TRIGGER app_user_never_deleted BEFORE DELETE ON app_user
BEGIN
    SELECT RAISE(ABORT, 'users are never deleted: disable the account instead');
END""",
    """
CREATE TRIGGER sign_off_never_deleted BEFORE DELETE ON sign_off
BEGIN
    SELECT RAISE(ABORT, 'clinical records are never deleted: void the row with a reason');
END""",
]

ADDED_COLUMNS: list[tuple[str, str, str]] = [
    *((table, "row_version", "INTEGER NOT NULL DEFAULT 1") for table in CLINICAL_TABLES),
    ("lab", "reviewed_at", "TEXT"),
    ("lab", "reviewed_by", "TEXT"),
]

# Columns never copied into the audit trail.
SECRET_COLUMNS = {"password_hash"}

# The row's patient, for each audited table (the per-patient history reads it).
PATIENT_OF = {
    "patient": "NEW.id",
    "vital_sign": "(SELECT patient_id FROM infusion WHERE id = NEW.infusion_id)",
    "app_user": "NULL",
    "setting": "NULL",
}

_NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')"
_PREV = "coalesce((SELECT hash FROM audit ORDER BY id DESC LIMIT 1), '')"


def _json(prefix: str, names: list[str]) -> str:
    """The row's values as a JSON object, leaving out empty (NULL) columns: a diary row has
    some 35 columns, most of them empty, and the trail would otherwise be mostly nulls."""
    values = "json_object(" + ", ".join(f"'{c}', {prefix}.\"{c}\"" for c in names) + ")"
    return f"(SELECT json_group_object(key, value) FROM json_each({values}) WHERE type != 'null')"


def audit_insert(
    *,
    actor: str,
    action: str,
    table: str,
    row_id: str,
    patient: str,
    before: str,
    after: str,
) -> str:
    """The INSERT of one audit row from SQL expressions, hash chained to the previous row."""
    return f"""
    INSERT INTO audit (at, actor, workstation, action, table_name, row_id, patient_id,
                       before_json, after_json, detail, prev_hash, hash)
    SELECT a.at, a.actor, a.ws, a.action, '{table}', a.row_id, a.patient, a.before, a.after,
           NULL, a.prev,
           clinic_audit_hash(a.prev, a.at, a.actor, a.ws, a.action, '{table}', a.row_id,
                             a.patient, a.before, a.after, NULL)
    FROM (SELECT {_NOW} AS at, coalesce({actor}, '(unknown)') AS actor,
                 clinic_workstation() AS ws, {action} AS action, {row_id} AS row_id,
                 {patient} AS patient, {before} AS before, {after} AS after,
                 {_PREV} AS prev) AS a;"""


def _audit_triggers(table: str, names: list[str]) -> list[str]:
    shown = [c for c in names if c not in SECRET_COLUMNS]
    patient = PATIENT_OF.get(table, "NEW.patient_id")
    row_id = "NEW.rowid"
    voidable = "voided_at" in names
    insert_actor = "NEW.updated_by" if table == "setting" else "NEW.created_by"
    if voidable:
        becomes_void = "OLD.voided_at IS NULL AND NEW.voided_at IS NOT NULL"
        reviewed = (
            " WHEN OLD.reviewed_at IS NULL AND NEW.reviewed_at IS NOT NULL THEN 'review'"
            if "reviewed_at" in names
            else ""
        )
        update_action = f"CASE WHEN {becomes_void} THEN 'void'{reviewed} ELSE 'update' END"
        update_actor = f"CASE WHEN {becomes_void} THEN NEW.voided_by ELSE NEW.updated_by END"
    else:
        update_action = "'update'"
        update_actor = "NEW.updated_by"
    on_insert = audit_insert(
        actor=insert_actor,
        action="'create'",
        table=table,
        row_id=row_id,
        patient=patient,
        before="NULL",
        after=_json("NEW", shown),
    )
    on_update = audit_insert(
        actor=update_actor,
        action=update_action,
        table=table,
        row_id=row_id,
        patient=patient,
        before=_json("OLD", shown),
        after=_json("NEW", shown),
    )
    statements = [
        f"CREATE TRIGGER {table}_audit_insert AFTER INSERT ON {table}\nBEGIN{on_insert}\nEND",
        f"CREATE TRIGGER {table}_audit_update AFTER UPDATE ON {table}\nBEGIN{on_update}\nEND",
        f"""
CREATE TRIGGER {table}_changes_counted BEFORE UPDATE ON {table}
WHEN NEW.row_version IS NOT OLD.row_version + 1
BEGIN
    SELECT RAISE(ABORT, 'every change must raise row_version by one (the row changed meanwhile?)');
END""",
    ]
    if voidable:
        statements.append(f"""
CREATE TRIGGER {table}_void_is_final BEFORE UPDATE ON {table}
WHEN OLD.voided_at IS NOT NULL
BEGIN
    SELECT RAISE(ABORT, 'a voided entry cannot be changed');
END""")
        statements.append(f"""
CREATE TRIGGER {table}_void_says_who BEFORE UPDATE ON {table}
WHEN NEW.voided_at IS NOT NULL AND NEW.voided_by IS NULL
BEGIN
    SELECT RAISE(ABORT, 'a void must say who voided the entry');
END""")
    return statements


def statements(db: Any) -> list[str]:
    """The v2 step. Trigger column lists come from the v1 tables as they stand plus the
    columns this step adds, so the trigger text is fixed by the schema, not by the code."""
    out = list(NEW_TABLES)
    out += [f"ALTER TABLE {t} ADD COLUMN {c} {decl}" for t, c, decl in ADDED_COLUMNS]
    columns: dict[str, list[str]] = {}
    for table in CLINICAL_TABLES:
        columns[table] = [row[1] for row in db.execute(f"PRAGMA table_info({table})").fetchall()]
    for table, column, _decl in ADDED_COLUMNS:
        columns[table].append(column)
    columns["app_user"] = _columns_of(NEW_TABLES[0])
    columns["setting"] = _columns_of(NEW_TABLES[1])
    columns["sign_off"] = _columns_of(NEW_TABLES[2])
    for table, names in columns.items():
        out += _audit_triggers(table, names)
    return out


def _columns_of(create: str) -> list[str]:
    """Column names of one of the CREATE TABLE statements above, as SQLite reads them."""
    scratch = sqlite3.connect(":memory:")
    try:
        scratch.execute(create)
        table = create.split("CREATE TABLE", 1)[1].split("(", 1)[0].strip()
        return [row[1] for row in scratch.execute(f"PRAGMA table_info({table})")]
    finally:
        scratch.close()
