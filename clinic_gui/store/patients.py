"""Patient-list queries: what the list on the left of the main window shows.

The search runs on every keystroke, so over a large clinic (50,000 patients) it reads
through the schema-v3 indexes (``migrations/v3_search.py``), never the patient table whole:

- with no text, or text that many patients match, the not-voided patients are read in list
  order from ``patient_list`` (which holds every column the list shows) until ``limit``
  rows match; with an indication, from that indication's ``patient_list_by_indication``;
- with text that few patients match, the candidates come from the MRN range
  (``patient_mrn_nocase``) and the name trigrams (``patient_name_trigram``), and only
  those rows are read and sorted.

Which of the two is cheaper is decided by counting the candidates, no further than the
count at which reading them costs more than the list in order (``_most_candidates``).
Either way the same WHERE clause (MRN prefix or name substring with LIKE, case-insensitive
for ASCII letters as SQLite's LIKE is, voided patients left out, the indication filter)
decides what is listed: the indexes only choose where to look. The last infusion is looked
up only for the rows returned.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import sys
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlite_utils import Database


@dataclass(frozen=True, slots=True)
class PatientListRow:
    id: int
    mrn: str
    name: str
    birth_date: dt.date
    sex: str
    indication: str
    last_infusion: dt.date | None


# What reading one candidate row (and sorting it) costs, in tests of one entry of the list
# index read in order (measured on 50,000 patients: about 3 µs against 0.3 µs).
CANDIDATE_COST = 10
# Indications in the vocabulary, roughly: one indication's share of the list, for the cost.
INDICATIONS = 6

_MRN_RANGE = "SELECT id FROM patient WHERE mrn COLLATE NOCASE >= ? AND mrn COLLATE NOCASE < ?"
_MRN_FROM = "SELECT id FROM patient WHERE mrn COLLATE NOCASE >= ?"
_TRIGRAM = "SELECT patient_id FROM patient_name_trigram WHERE trigram = ?"
_TRIGRAM_FROM = "SELECT patient_id FROM patient_name_trigram WHERE trigram >= ? AND trigram < ?"
_TRIGRAM_AFTER = "SELECT patient_id FROM patient_name_trigram WHERE trigram >= ?"
# Trigrams of the text counted at most: any one finds a superset of the matches.
MOST_TRIGRAMS = 5
_LISTED = "p.id, p.mrn, p.name, p.birth_date, p.sex, p.indication"
_ORDER = "ORDER BY p.name COLLATE NOCASE, p.mrn"
# The rows are chosen and sorted first; the last infusion is then looked up for those only.
_SEARCH = f"""
SELECT {_LISTED},
       (SELECT max(i.date) FROM infusion i INDEXED BY infusion_patient_live_date
         WHERE i.patient_id = p.id AND i.voided_at IS NULL)
  FROM (SELECT {_LISTED} FROM {{source}} WHERE {{where}} {_ORDER} LIMIT ?) AS p
 {_ORDER}"""


def search_patients(
    db: Database,
    text: str = "",
    *,
    indication: str | None = None,
    limit: int = 1000,
    among: Collection[str] | None = None,
) -> list[PatientListRow]:
    """Patients whose MRN starts with, or whose name contains, ``text`` (case-insensitive),
    optionally only those with one indication, and only those whose MRN is in ``among``
    (the patients with a flag); by name, then MRN; at most ``limit``."""
    needle = text.strip()
    where = ["p.voided_at IS NULL"]
    params: list[object] = []
    if needle:
        escaped = needle.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        where.append("(p.mrn LIKE ? ESCAPE '\\' OR p.name LIKE ? ESCAPE '\\')")
        params += [f"{escaped}%", f"%{escaped}%"]
    if indication is not None:
        where.append("p.indication = ?")
        params.append(indication)
    if among is not None:
        candidates: tuple[str, list[object]] | None = (
            "SELECT id FROM patient WHERE mrn IN (SELECT value FROM json_each(?))",
            [json.dumps(sorted(among))],
        )
    else:
        candidates = _candidates(db, needle, limit, indication) if needle else None
    if candidates is not None:
        # Few candidates: read just those rows, then sort them.
        sql, candidate_params = candidates
        source = f"({sql}) AS c CROSS JOIN patient p ON p.id = c.id"
        params = [*candidate_params, *params]
    elif indication is not None:
        # The indication's patients in list order, until ``limit`` match.
        source = "patient p INDEXED BY patient_list_by_indication"
    else:
        # No text, or many candidates: the list in order, until ``limit`` match.
        source = "patient p INDEXED BY patient_list"
    rows = db.execute(
        _SEARCH.format(source=source, where=" AND ".join(where)), [*params, limit]
    ).fetchall()
    date = dt.date.fromisoformat
    return [
        PatientListRow(id_, mrn, name, date(birth), sex, indication, date(last) if last else None)
        for id_, mrn, name, birth, sex, indication, last in rows
    ]


def _candidates(
    db: Database, needle: str, limit: int, indication: str | None
) -> tuple[str, list[object]] | None:
    """The ids that may match ``needle``, as SQL (a superset: the LIKE clause decides);
    None when reading the list in order is cheaper (see ``_most_candidates``)."""
    low, high = mrn_prefix_range(needle)
    mrns, params = (_MRN_RANGE, [low, high]) if high else (_MRN_FROM, [low])
    bound = _most_candidates(db, limit, indication)
    found = _count(db, mrns, params, bound)
    if found >= bound:
        return None
    names, pieces = _name_candidates(db, needle, bound)
    found += _count(db, names, pieces, bound)
    if found >= bound:
        return None
    return f"{mrns} UNION SELECT patient_id FROM ({names})", [*params, *pieces]


def _name_candidates(db: Database, needle: str, bound: int) -> tuple[str, list[str]]:
    """SQL for the patients whose name may hold ``needle``: those with the two trigrams of
    the text (lower-cased as SQLite's ``lower``) that the fewest names hold, counting no
    further than ``bound`` (at most ``MOST_TRIGRAMS`` of its trigrams, spread over it; only
    the rarest when the second is held by so many names that reading them costs more than
    reading the rarest's patients); for text of
    one or two characters, those with a trigram that starts with it (names are indexed with
    two padding characters after them, so every place in a name starts a trigram)."""
    low = "".join(c.lower() if c.isascii() else c for c in needle)
    if len(low) < 3:
        start, end = mrn_prefix_range(low)
        return (_TRIGRAM_FROM, [start, end]) if end else (_TRIGRAM_AFTER, [start])
    trigrams = list(dict.fromkeys(low[i : i + 3] for i in range(len(low) - 2)))
    if len(trigrams) > MOST_TRIGRAMS:
        step = (len(trigrams) - 1) / (MOST_TRIGRAMS - 1)
        trigrams = [trigrams[round(k * step)] for k in range(MOST_TRIGRAMS)]
    counted = sorted((_count(db, _TRIGRAM, [t], bound), t) for t in trigrams)
    if len(counted) > 1:
        # Intersect with the second rarest while reading its entries (one index entry each)
        # costs less than reading the rarest's candidates (a row each): recounted further
        # when the first count stopped at ``bound``.
        (rarest, first), (second_count, second) = counted[0], counted[1]
        worth = max(rarest, 1) * CANDIDATE_COST
        if second_count >= bound:
            second_count = _count(db, _TRIGRAM, [second], worth)
        if second_count < worth:
            return f"{_TRIGRAM} INTERSECT {_TRIGRAM}", [first, second]
    return _TRIGRAM, [counted[0][1]]


def _most_candidates(db: Database, limit: int, indication: str | None) -> int:
    """How many candidates are still cheaper to read and sort than the list in order.

    Reading N candidates costs about N * CANDIDATE_COST. The list in order (T patients)
    holds about N of them spread evenly, so ``limit`` matches come after limit * T / N
    entries: candidates are cheaper while N * N < limit * T / CANDIDATE_COST. With an
    indication, the list read is that indication's (about T / INDICATIONS), in which few of
    the candidates lie, so it is read whole: candidates are cheaper while
    N < T / INDICATIONS / CANDIDATE_COST."""
    total = int(db.execute("SELECT coalesce(max(id), 0) FROM patient").fetchone()[0])
    if indication is not None:
        return max(1, total // (INDICATIONS * CANDIDATE_COST))
    return max(1, math.isqrt(limit * total // CANDIDATE_COST))


def _count(db: Database, sql: str, params: Sequence[object], bound: int) -> int:
    """How many rows ``sql`` gives, counting no further than ``bound``."""
    found = db.execute(f"SELECT count(*) FROM ({sql} LIMIT ?)", [*params, bound])
    return int(found.fetchone()[0])


def mrn_prefix_range(prefix: str) -> tuple[str, str | None]:
    """Bounds, under SQLite's NOCASE collation, that hold every MRN starting with ``prefix``
    in any ASCII case: ``low <= mrn < high`` (no upper bound when ``high`` is None).

    NOCASE compares ASCII letters as lower case, so the bounds are lower-cased; the upper
    bound is the prefix with its last character raised by one (lower-casing can only raise
    it further). The bounds may hold more than the prefix's MRNs, never fewer."""
    low = "".join(c.lower() if c.isascii() else c for c in prefix)
    code = ord(low[-1]) + 1
    if 0xD800 <= code <= 0xDFFF:  # surrogates cannot be stored: the next character
        code = 0xE000
    if code > sys.maxunicode:
        return low, None
    return low, low[:-1] + chr(code)


def count_patients(db: Database) -> int:
    return int(db.execute("SELECT count(*) FROM patient WHERE voided_at IS NULL").fetchone()[0])


class PatientCount:
    """``count_patients``, counted again only when the database may have changed: after a
    write on this connection (``total_changes``) or a commit by another one
    (``PRAGMA data_version``). Both are read without touching a table."""

    def __init__(self) -> None:
        self._key: tuple[int, int, int] | None = None
        self._count = 0

    def __call__(self, db: Database) -> int:
        key = (
            id(db.conn),
            db.conn.total_changes,
            int(db.execute("PRAGMA data_version").fetchone()[0]),
        )
        if key != self._key:
            self._count = count_patients(db)
            self._key = key
        return self._count
