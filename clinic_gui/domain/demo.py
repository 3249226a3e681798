"""A deterministic synthetic infusion clinic, for demonstrations, screenshots and load tests.

``generate_clinic(patients, seed, as_of)`` yields one ``Case`` per patient. The same three
arguments always give the same clinic: every random choice comes from one
``random.Random(seed)`` and the demo's "today" is ``as_of``, never the clock. Patient ``k``
depends only on the patients before it, so a larger clinic starts with the smaller one.

Who is in the clinic
--------------------
1. The founding case first: ``resources/cases/founding-as-wearing-off.json`` (AS, 412 mg
   Renflexis every 6 weeks, end-of-dose wearing-off), moved by whole 6-week cycles so its
   last infusion falls in the 6 weeks before ``as_of``. It keeps its MRN, AS-0001.
2. A fixed cast (``CAST``) that makes every situation the app must show appear even in a
   small clinic: each TDM quadrant, a child, the heart-failure patient, a long history with
   delays, a new start, an overdue patient, every IV product.
3. Then patients drawn at random. Indications: Crohn's 33 %, UC 24 %, RA 16 %, AS 10 %,
   PsA 10 %, psoriasis 7 %. Clinical-course archetypes and their rough shares:

   - stable responder (50 %): flat, low diary scores; a third have a proactive trough that is
     adequate without antibodies, a few an adequate trough with low-titer antibodies;
   - end-of-dose wearing-off (15 %): the diary score rises 3-4 points in the last 7-10 days of
     each cycle and the nurse records "symptoms returned N days before"; about a third of
     those not on AS have had the interval shortened from 8 to 6 weeks, which settles it;
   - new start (7 %): induction at weeks 0, 2 and 6 within the last six months;
   - pharmacokinetic failure (8 %): loss of response with a low trough and no antibodies;
     intensified (CD 5 -> 10 mg/kg or every 6 weeks, RA 3 -> 5 mg/kg or every 6 weeks,
     others every 6 weeks), then an adequate follow-up trough;
   - double negative (2 %): drug below quantification with no antibodies on a drug-sensitive
     ELISA, re-tested on a drug-tolerant assay (low, no antibodies), then intensified;
   - immunogenic, low titer (5 %): low trough with low-titer antibodies; intensified, and the
     repeat shows the antibodies were transient;
   - immunogenic, high titer (6 %): trough below quantification with high-titer antibodies,
     more infusion reactions; a switch is under discussion;
   - mechanistic failure (7 %): active disease despite an adequate trough without antibodies.

   Across archetypes: about 10 % have ~10 years of treatment (the "long history" patients,
   with their full diary; the others keep only the last 6-9 months of diary), about 4 % of
   IBD patients are children (6-17 years), about 4 % are overdue, and patients who started
   before their biosimilar was approved began on Remicade and were switched later (a new
   regimen row). Exactly one adult (in the cast) has heart failure, NYHA class III.

Every generated case passes ``check_case(case, today=as_of)``. Names, MRNs (``D000001``...),
nurses, doctors, lots and all values are synthetic.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import random
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from clinic_gui.domain import records as r
from clinic_gui.domain.case_file import parse_case
from clinic_gui.domain.dosing import dose_mg, vials_for
from clinic_gui.resources import load_json

FOUNDING_CASE_RESOURCE = ("cases", "founding-as-wearing-off.json")
FOUNDING_CYCLE = dt.timedelta(weeks=6)

DAY = dt.timedelta(days=1)
WEEK = dt.timedelta(weeks=1)

# ---------------------------------------------------------------------------------------------
# Indications, products and regimens (clinical reference §1)

CD, UC, RA, AS, PSA, PSO = (
    "crohns_disease",
    "ulcerative_colitis",
    "rheumatoid_arthritis",
    "ankylosing_spondylitis",
    "psoriatic_arthritis",
    "plaque_psoriasis",
)
IBD = frozenset({CD, UC})
RHEUMATOLOGY = frozenset({RA, AS, PSA})
INDICATION_SHARES = {CD: 33, UC: 24, RA: 16, AS: 10, PSA: 10, PSO: 7}

REMICADE = "Remicade"
IV_PRODUCT_SHARES = {
    REMICADE: 24,
    "Inflectra": 24,
    "Renflexis": 20,
    "Avsola": 16,
    "Ixifi": 4,
    "Infliximab (unbranded)": 12,
}
# US approval (clinical reference §1.2); a patient who started earlier began on Remicade and
# was switched later. The unbranded product's launch date is unconfirmed, so it is not limited.
BIOSIMILAR_AVAILABLE_FROM = {
    "Inflectra": dt.date(2016, 4, 1),
    "Renflexis": dt.date(2017, 4, 1),
    "Ixifi": dt.date(2017, 12, 1),
    "Avsola": dt.date(2019, 12, 1),
}

INDUCTION_WEEKS = (0, 2, 6)
AS_INTERVAL_WEEKS = 6.0
USUAL_INTERVAL_WEEKS = 8.0
RA_MG_PER_KG = 3.0
USUAL_MG_PER_KG = 5.0
HIGH_MG_PER_KG = 10.0
SHORTENED_INTERVAL_WEEKS = 6.0

# ---------------------------------------------------------------------------------------------
# Archetypes

STABLE = "stable"
WEARING_OFF = "wearing_off"
NEW_START = "new_start"
PK_FAILURE = "pk_failure"
DOUBLE_NEGATIVE = "double_negative"
IMMUNOGENIC_LOW = "immunogenic_low"
IMMUNOGENIC_HIGH = "immunogenic_high"
MECHANISTIC = "mechanistic"
ARCHETYPE_SHARES = {
    STABLE: 50,
    WEARING_OFF: 15,
    NEW_START: 7,
    PK_FAILURE: 8,
    DOUBLE_NEGATIVE: 2,
    IMMUNOGENIC_LOW: 5,
    IMMUNOGENIC_HIGH: 6,
    MECHANISTIC: 7,
}
# archetypes whose story needs a year or more of treatment before the event
NEEDS_HISTORY = frozenset({PK_FAILURE, DOUBLE_NEGATIVE, IMMUNOGENIC_LOW})
CHILD_ARCHETYPES = (STABLE, STABLE, WEARING_OFF, NEW_START)

LONG_HISTORY_SHARE = 0.10
LONG_HISTORY_WEEKS = (490, 545)  # about 9.4 to 10.5 years
USUAL_HISTORY_WEEKS = (30, 420)  # about 7 months to 8 years
HISTORY_WEEKS_BEFORE_EVENT = 70
NEW_START_WEEKS = (0, 24)
CHILD_SHARE_OF_IBD = 0.04
OVERDUE_SHARE = 0.04
OVERDUE_DAYS = (10, 40)  # how long past the due date an overdue patient is at as_of

# ---------------------------------------------------------------------------------------------
# The infusion visit

DELAY_CHANCE = 0.025  # per maintenance infusion
DELAY_WEEKS = (2, 5)
DELAY_REASONS = (
    "chest infection treated with antibiotics",
    "elective surgery",
    "travel abroad",
    "insurance re-authorisation pending",
    "COVID-19 infection",
    "dental abscess",
)
OFF_SCHEDULE_CHANCE = 0.35  # moved by 1-3 days for the patient's or the unit's convenience
SLOTS = tuple(dt.time(h, m) for h in range(8, 15) for m in (0, 30))
USUAL_SLOT_CHANCE = 0.75
INFUSION_MINUTES = tuple(range(120, 155, 5))  # US labels: not less than 2 hours
NURSES = ("RN Alder", "RN Birch", "RN Cedar", "RN Dogwood", "RN Elm", "RN Fir")
DOCTORS = ("Dr. Ashgrove", "Dr. Brookfield", "Dr. Coldwater", "Dr. Dunmore", "Dr. Evenlode")
REACTION_CHANCE = 0.006
IMMUNOGENIC_REACTION_CHANCE = 0.06
REACTIONS = (
    "flushing and mild pruritus 40 min into the infusion; rate halved, resolved",
    "mild headache at the end of the infusion; settled with acetaminophen",
    "transient chest tightness; infusion paused 15 min and restarted at half rate",
    "urticarial rash on the forearms; diphenhydramine given, infusion completed",
)
PREMEDICATION = ("acetaminophen 650 mg PO", "diphenhydramine 25 mg PO")
PREMEDICATION_AFTER_REACTION = (*PREMEDICATION, "hydrocortisone 100 mg IV")
ROUTINE_PREMEDICATION_SHARE = 0.05
LAST_VISIT_VITALS_SHARE = 0.15
LOT_PERIOD_DAYS = 56  # the pharmacy receives a new lot of each product about every 8 weeks
LOT_SHELF_DAYS = (240, 540)

# ---------------------------------------------------------------------------------------------
# Diary

DIARY_STEP_DAYS = (2, 3)
RECENT_DIARY_DAYS = (180, 270)
NURSE_ENTRY_SHARE = 0.1
SCORE_NOISE = 0.45
WEARING_OFF_DAYS = (7, 10)
WEARING_OFF_RISE = (3.2, 4.2)
WEARING_OFF_SHORTENED_SHARE = 0.35  # of those not on AS (AS is already every 6 weeks)
ITEM_SHARE = 0.35  # entries that also carry the indication's score items

# ---------------------------------------------------------------------------------------------
# Labs (clinical reference §2, §3, §7)


@dataclass(frozen=True, slots=True)
class Assay:
    """A laboratory's infliximab level and antibody assay, with its own units and cut-offs."""

    name: str
    drug_unit: str
    lloq: float
    ada_unit: str
    ada_cutoff_text: str
    ada_negative: tuple[float, float]
    ada_low: tuple[float, float]
    ada_high: tuple[float, float]


DRUG_TOLERANT_ASSAYS = (
    Assay(
        "Prometheus Anser IFX (HMSA)",
        "ug/mL",
        0.8,
        "U/mL",
        "positive > 3.1 U/mL",
        (0.0, 2.0),
        (3.2, 8.0),
        (12.0, 60.0),
    ),
    Assay(
        "Mayo INFXR (ECLIA, acid dissociation)",
        "mcg/mL",
        1.0,
        "U/mL",
        "positive >= 50 U/mL",
        (0.0, 30.0),
        (50.0, 180.0),
        (450.0, 2500.0),
    ),
    Assay(
        "Exeter total antibody ELISA",
        "mg/L",
        0.4,
        "AU/mL",
        "positive >= 10 AU/mL",
        (0.0, 6.0),
        (10.0, 35.0),
        (90.0, 400.0),
    ),
)
DRUG_SENSITIVE_ASSAY = Assay(
    "Hospital ELISA (drug-sensitive)",
    "mcg/mL",
    0.4,
    "ng/mL",
    "positive >= 10 ng/mL; antibodies are missed while drug is present",
    (0.0, 5.0),
    (10.0, 40.0),
    (100.0, 400.0),
)
# trough thresholds (mcg/mL) for the demo's stories: IBD >= 5 (AGA 2017), RA low < 2
# (Mulleman 2009), others 3 (NOR-DRUM pan-disease range 3-8)
TROUGH_TARGET = {CD: 5.0, UC: 5.0, RA: 2.0, AS: 3.0, PSA: 3.0, PSO: 3.0}
ADEQUATE_TROUGH_FACTOR = (1.1, 2.6)
LOW_TROUGH_FACTOR = 0.7
TROUGH_MINUTES_BEFORE = (15, 20, 30, 40, 45)
MG_DL_CRP_SHARE = 0.25
PROACTIVE_TDM_SHARE = 0.35
ADEQUATE_WITH_ANTIBODIES_SHARE = 0.05
LOW_TITER_NOTE = "low-titer antibodies with an adequate level: consider a repeat, may be transient"


# ---------------------------------------------------------------------------------------------
# People

FEMALE_NAMES = (
    "Ada", "Bea", "Cora", "Dana", "Edie", "Faye", "Gina", "Hana", "Ines", "Jo", "Kira", "Lena",
    "Mara", "Nina", "Opal", "Pia", "Rosa", "Sara", "Tess", "Vera", "Wren", "Yara", "Zoe",
)  # fmt: skip
MALE_NAMES = (
    "Abe", "Ben", "Cal", "Dev", "Eli", "Finn", "Gus", "Hal", "Ivo", "Jon", "Kai", "Leo", "Max",
    "Ned", "Otto", "Pat", "Rex", "Sam", "Tom", "Uri", "Vic", "Will", "Zak",
)  # fmt: skip
SURNAMES = (
    "Ashdown", "Birchley", "Carrowby", "Dunmere", "Elsworth", "Fernby", "Glenholt", "Hartwell",
    "Ivesdale", "Juniper", "Kestrel", "Larkfield", "Mossgrove", "Northcote", "Oakhurst",
    "Pebworth", "Quillon", "Rushmere", "Stonebeck", "Thornbury", "Underhill", "Valemont",
    "Whitlock", "Yarrowby",
)  # fmt: skip
FEMALE_SHARE = {CD: 0.5, UC: 0.48, RA: 0.75, AS: 0.3, PSA: 0.5, PSO: 0.45}
AGE_AT_START = {  # mean, sd (years)
    CD: (30, 10),
    UC: (36, 12),
    RA: (50, 11),
    AS: (32, 9),
    PSA: (44, 10),
    PSO: (42, 12),
}
ADULT_AGE_LIMITS = (18, 75)
CHILD_AGE_AT_AS_OF = (8, 17)
YOUNGEST_TREATED_AGE = 6
HEART_FAILURE_AGE_AT_START = (58, 72)


@dataclass(frozen=True, slots=True)
class Spec:
    """Who a generated patient is: the choices made before any date is drawn."""

    indication: str
    archetype: str
    product: str
    child: bool = False
    heart_failure: bool = False
    long_history: bool = False
    overdue: bool = False
    antibodies: bool = False  # adequate trough with low-titer antibodies
    interval_shortened: bool = False  # wearing-off settled by every-6-week infusions


CAST: tuple[Spec, ...] = (
    Spec(CD, PK_FAILURE, "Inflectra"),
    Spec(UC, IMMUNOGENIC_HIGH, "Avsola"),
    Spec(RA, PK_FAILURE, REMICADE),
    Spec(CD, STABLE, "Renflexis", child=True),
    Spec(PSA, MECHANISTIC, "Ixifi"),
    Spec(PSO, STABLE, "Infliximab (unbranded)"),
    Spec(UC, IMMUNOGENIC_LOW, "Inflectra"),
    Spec(RA, STABLE, REMICADE, heart_failure=True),
    Spec(CD, WEARING_OFF, REMICADE, long_history=True),
    Spec(UC, NEW_START, "Avsola", child=True),
    Spec(CD, DOUBLE_NEGATIVE, "Renflexis"),
    Spec(AS, MECHANISTIC, "Inflectra", antibodies=True),
    Spec(AS, STABLE, "Avsola", overdue=True),
    Spec(RA, WEARING_OFF, "Infliximab (unbranded)"),
)


# ---------------------------------------------------------------------------------------------
# The clinic


def generate_clinic(patients: int, seed: int, as_of: dt.date) -> Iterator[r.Case]:
    """The founding case, then ``patients - 1`` synthetic patients (see the module docstring)."""
    if patients < 1:
        return
    yield founding_case(as_of)
    rng = random.Random(seed)
    lots = LotCalendar(rng.randrange(90_000))
    for n in range(1, patients):
        spec = CAST[n - 1] if n <= len(CAST) else _random_spec(rng)
        yield _patient(rng, n, spec, as_of, lots)


def founding_case(as_of: dt.date) -> r.Case:
    """The founding AS patient, moved by whole 6-week cycles to end in the 6 weeks before as_of."""
    case = parse_case(load_json(*FOUNDING_CASE_RESOURCE), today=dt.date.max)
    last = max(i.date for i in case.infusions)
    cycles = (as_of - last) // FOUNDING_CYCLE
    shifted: r.Case = _shifted(case, FOUNDING_CYCLE * cycles)
    return shifted


def _shifted(value: Any, delta: dt.timedelta) -> Any:
    """Every date and date-time inside ``value`` moved by ``delta``."""
    if isinstance(value, dt.date):  # dt.datetime too
        return value + delta
    if isinstance(value, tuple):
        return tuple(_shifted(v, delta) for v in value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: _shifted(getattr(value, f.name), delta) for f in dataclasses.fields(value)
        }
        return dataclasses.replace(value, **changes)
    return value


def _weighted(rng: random.Random, shares: dict[str, int]) -> str:
    return rng.choices(tuple(shares), weights=tuple(shares.values()))[0]


def _random_spec(rng: random.Random) -> Spec:
    indication = _weighted(rng, INDICATION_SHARES)
    archetype = _weighted(rng, ARCHETYPE_SHARES)
    child = indication in IBD and rng.random() < CHILD_SHARE_OF_IBD
    if child:
        archetype = rng.choice(CHILD_ARCHETYPES)
    long_history = not child and archetype != NEW_START and rng.random() < LONG_HISTORY_SHARE
    overdue = archetype != NEW_START and rng.random() < OVERDUE_SHARE
    antibodies = archetype == STABLE and rng.random() < ADEQUATE_WITH_ANTIBODIES_SHARE
    shortened = (
        archetype == WEARING_OFF and indication != AS and rng.random() < WEARING_OFF_SHORTENED_SHARE
    )
    return Spec(
        indication=indication,
        archetype=archetype,
        product=_weighted(rng, IV_PRODUCT_SHARES),
        child=child,
        long_history=long_history,
        overdue=overdue,
        antibodies=antibodies,
        interval_shortened=shortened,
    )


@dataclass(frozen=True, slots=True)
class Context:
    """One patient's fixed facts, shared by the builders below."""

    spec: Spec
    as_of: dt.date
    horizon: dt.date  # the last day an infusion may fall on (earlier for overdue patients)
    birth: dt.date
    start: dt.date
    interval: float
    mg_per_kg: float
    assay: Assay
    crp_unit: str
    slot: dt.time
    baseline_kg: float
    growth_factor: float

    @property
    def target(self) -> float:
        return TROUGH_TARGET[self.spec.indication]


def _patient(rng: random.Random, n: int, spec: Spec, as_of: dt.date, lots: LotCalendar) -> r.Case:
    interval = AS_INTERVAL_WEEKS if spec.indication == AS else USUAL_INTERVAL_WEEKS
    horizon = as_of
    if spec.overdue:
        horizon = as_of - interval * WEEK - rng.randint(*OVERDUE_DAYS) * DAY
    patient, start = _person(rng, n, spec, as_of, horizon)
    growth_factor = rng.gauss(1.0, 0.1)
    ctx = Context(
        spec=spec,
        as_of=as_of,
        horizon=horizon,
        birth=patient.birth_date,
        start=start,
        interval=interval,
        mg_per_kg=RA_MG_PER_KG if spec.indication == RA else USUAL_MG_PER_KG,
        assay=rng.choice(DRUG_TOLERANT_ASSAYS),
        crp_unit="mg/dL" if rng.random() < MG_DL_CRP_SHARE else "mg/L",
        slot=rng.choice(SLOTS),
        baseline_kg=_baseline_kg(rng, spec, patient, start, growth_factor),
        growth_factor=growth_factor,
    )
    plan = PLANNERS[spec.archetype](rng, ctx)
    first, switch = _first_regimen(rng, ctx)
    regimens, visits, applied = _schedule(rng, ctx, first, [*plan.changes, *switch])
    symptoms = plan.symptoms.resolved(applied)
    weights = _weights(rng, ctx, visits)
    infusions = _infusions(rng, ctx, plan, symptoms, visits, weights, lots)
    labs = _labs(rng, ctx, plan, symptoms, visits)
    diary = _diary(rng, ctx, symptoms, visits)
    return r.Case(
        patient=patient,
        weights=tuple(weights),
        regimens=tuple(regimens),
        infusions=tuple(infusions),
        diary=tuple(diary),
        labs=tuple(sorted(labs, key=_lab_order)),
    )


def _lab_order(lab: r.LabResult) -> tuple[dt.date, dt.time]:
    if isinstance(lab.sampled_at, dt.datetime):
        return lab.sampled_at.date(), lab.sampled_at.time()
    return lab.sampled_at, dt.time.min


# ---------------------------------------------------------------------------------------------
# The person


def _years(years: float) -> dt.timedelta:
    return dt.timedelta(days=round(years * 365.25))


def _weekday(day: dt.date) -> dt.date:
    """The day itself, or the Friday before a weekend day (never later: stays before as_of)."""
    return day - max(0, day.weekday() - 4) * DAY


def _person(
    rng: random.Random, n: int, spec: Spec, as_of: dt.date, horizon: dt.date
) -> tuple[r.Patient, dt.date]:
    female = rng.random() < FEMALE_SHARE[spec.indication]
    first_name = rng.choice(FEMALE_NAMES if female else MALE_NAMES)
    name = f"{first_name} {rng.choice(SURNAMES)}"
    if spec.child:
        birth, start = _child_dates(rng, spec, as_of, horizon)
    else:
        birth, start = _adult_dates(rng, spec, horizon)
    age = _age(birth, as_of)
    height = _height_cm(rng, female, age)
    notes = None
    if spec.child:
        notes = f"Paediatric {'Crohn disease' if spec.indication == CD else 'colitis'}; "
        notes += "weight-based dosing, weigh at every visit"
    elif spec.heart_failure:
        notes = "Heart failure, NYHA class III: infliximab doses above 5 mg/kg are contraindicated"
    elif spec.long_history:
        notes = f"On infliximab since {start.year}"
    patient = r.Patient(
        mrn=f"D{n:06d}",
        name=name,
        birth_date=birth,
        sex="female" if female else "male",
        indication=spec.indication,
        height_cm=height,
        nyha_class=3 if spec.heart_failure else None,
        notes=notes,
    )
    return patient, start


def _history_weeks(rng: random.Random, spec: Spec) -> int:
    if spec.archetype == NEW_START:
        return rng.randint(*NEW_START_WEEKS)
    if spec.long_history:
        return rng.randint(*LONG_HISTORY_WEEKS)
    low, high = USUAL_HISTORY_WEEKS
    if spec.archetype in NEEDS_HISTORY:
        low = HISTORY_WEEKS_BEFORE_EVENT
    return rng.randint(low, high)


def _adult_dates(rng: random.Random, spec: Spec, horizon: dt.date) -> tuple[dt.date, dt.date]:
    start = _weekday(horizon - _history_weeks(rng, spec) * WEEK)
    if spec.heart_failure:
        age_at_start = float(rng.randint(*HEART_FAILURE_AGE_AT_START))
    else:
        mean, sd = AGE_AT_START[spec.indication]
        age_at_start = min(max(rng.gauss(mean, sd), ADULT_AGE_LIMITS[0]), ADULT_AGE_LIMITS[1])
    birth = start - _years(math.floor(age_at_start)) - rng.randint(1, 364) * DAY
    return birth, start


def _child_dates(
    rng: random.Random, spec: Spec, as_of: dt.date, horizon: dt.date
) -> tuple[dt.date, dt.date]:
    age = rng.randint(*CHILD_AGE_AT_AS_OF)
    birth = as_of - _years(age) - rng.randint(1, 364) * DAY
    earliest = birth + _years(YOUNGEST_TREATED_AGE) + WEEK
    most = max(0, (horizon - earliest).days // 7)
    weeks = min(_history_weeks(rng, spec), most)
    return birth, _weekday(max(horizon - weeks * WEEK, earliest))


def _age(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _height_cm(rng: random.Random, female: bool, age: int) -> float:
    adult = rng.gauss(164, 7) if female else rng.gauss(177, 7)
    if age >= 18:
        return float(round(adult))
    return float(round(min(adult, 116 + (age - 6) * 5.5 + rng.gauss(0, 4))))


def _child_kg(age_years: float, factor: float) -> float:
    """A rough growth curve: about 21 kg at 6 years to 63 kg at 17."""
    return (21 + (min(age_years, 18) - YOUNGEST_TREATED_AGE) * 3.8) * factor


def _baseline_kg(
    rng: random.Random, spec: Spec, patient: r.Patient, start: dt.date, growth: float
) -> float:
    if spec.child:
        return _child_kg((start - patient.birth_date).days / 365.25, growth)
    mean = 70 if patient.sex == "female" else 84
    if spec.indication in IBD:
        mean -= 4
    return min(max(rng.gauss(mean, 14), 42.0), 150.0)


# ---------------------------------------------------------------------------------------------
# Plans: what happens to each archetype


@dataclass(frozen=True, slots=True)
class Change:
    """A new regimen, started at the ``skip``-th maintenance infusion on or after ``anchor``."""

    key: str
    anchor: dt.date
    reason: str
    skip: int = 0
    product: str | None = None
    mg_per_kg: float | None = None
    interval: float | None = None


@dataclass(frozen=True, slots=True)
class Tdm:
    """A trough drawn before the ``skip``-th infusion on or after ``anchor`` (else the last)."""

    anchor: dt.date
    trough: float | None  # None = below the assay's limit of quantification
    antibodies: str  # "negative" | "low" | "high"
    active: bool  # inflammatory markers raised
    skip: int = 0
    assay: Assay | None = None  # another assay than the patient's usual one
    low_albumin: bool = False
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Symptoms:
    """The diary model: a base score, periods of active disease, end-of-dose wearing-off."""

    base: float
    induction_from: dt.date | None = None
    active_level: float = 0.0
    active_from: dt.date | None = None
    active_until: dt.date | None = None
    recovers_after_change: str | None = None  # a Change key: better a few weeks after it
    recovery_weeks: int = 4
    wearing_off_from: dt.date | None = None
    wearing_off_until: dt.date | None = None
    settles_after_change: str | None = None  # a Change key: wearing-off gone after it
    wearing_off_days: int = 0
    wearing_off_rise: float = 0.0

    def resolved(self, applied: dict[str, dt.date]) -> Symptoms:
        out = self
        if self.recovers_after_change in applied:
            recovered = applied[self.recovers_after_change] + self.recovery_weeks * WEEK
            out = dataclasses.replace(out, active_until=recovered)
        if self.settles_after_change in applied:
            settled = applied[self.settles_after_change] + DAY
            out = dataclasses.replace(out, wearing_off_until=settled)
        return out

    def active(self, day: dt.date) -> bool:
        return (
            self.active_from is not None
            and self.active_from <= day
            and (self.active_until is None or day < self.active_until)
        )

    def wearing_off(self, day: dt.date) -> bool:
        return (
            self.wearing_off_from is not None
            and self.wearing_off_from <= day
            and (self.wearing_off_until is None or day < self.wearing_off_until)
        )

    def level(self, day: dt.date, days_to_next: int) -> float:
        if self.active(day):
            return self.active_level
        score = self.base
        if self.induction_from is not None:
            days = (day - self.induction_from).days
            score += (6.5 - self.base) * math.exp(-max(days, 0) / 25)
        if self.wearing_off(day) and days_to_next <= self.wearing_off_days:
            ramp = min(1.0, (self.wearing_off_days - days_to_next + 1) / 2)
            score += self.wearing_off_rise * ramp
        return score


@dataclass(slots=True)
class Plan:
    symptoms: Symptoms
    changes: list[Change] = field(default_factory=list)
    tdm: list[Tdm] = field(default_factory=list)
    asks_symptoms: bool = True  # the nurse records "no" when symptoms did not return early
    reaction_chance: float = REACTION_CHANCE
    premedicated: bool = False


def _adequate_trough(rng: random.Random, ctx: Context, high: float | None = None) -> float:
    low_factor, high_factor = ADEQUATE_TROUGH_FACTOR
    return round(rng.uniform(ctx.target * low_factor, ctx.target * (high or high_factor)), 1)


def _low_trough(rng: random.Random, ctx: Context, assay: Assay | None = None) -> float:
    lloq = (assay or ctx.assay).lloq
    return round(rng.uniform(lloq + 0.2, max(lloq + 0.3, ctx.target * LOW_TROUGH_FACTOR)), 1)


def _event_anchor(rng: random.Random, ctx: Context, weeks: tuple[int, int]) -> dt.date:
    """A day ``weeks`` before the horizon, at least 30 weeks into treatment."""
    latest = ctx.horizon - weeks[0] * WEEK
    earliest = max(ctx.horizon - weeks[1] * WEEK, ctx.start + 30 * WEEK)
    span = max(0, (latest - earliest).days)
    return earliest + rng.randint(0, span) * DAY


def _recent_anchor(rng: random.Random, ctx: Context) -> dt.date:
    return max(ctx.horizon - rng.randint(0, 14) * WEEK, ctx.start + 14 * WEEK)


def _intensified(rng: random.Random, ctx: Context) -> tuple[float | None, float | None, str]:
    """The escalation a clinician might choose: (mg/kg, interval, wording)."""
    ind, spec = ctx.spec.indication, ctx.spec
    if ind == CD and not spec.child and not spec.heart_failure and rng.random() < 0.7:
        return HIGH_MG_PER_KG, None, "dose increased to 10 mg/kg"
    if ind == RA and not spec.heart_failure and rng.random() < 0.5:
        return USUAL_MG_PER_KG, None, "dose increased to 5 mg/kg"
    if ind == UC and not spec.child and not spec.heart_failure and rng.random() < 0.5:
        return HIGH_MG_PER_KG, None, "dose increased to 10 mg/kg (off-label)"
    interval = ctx.interval - 2
    off_label = "" if ind == RA else " (off-label)"
    return None, interval, f"interval shortened to every {interval:g} weeks{off_label}"


def _trough_text(ctx: Context, trough: float | None, assay: Assay | None = None) -> str:
    unit = (assay or ctx.assay).drug_unit
    if trough is None:
        return f"trough <{(assay or ctx.assay).lloq:g} {unit}"
    return f"trough {trough:g} {unit}"


def _plan_stable(rng: random.Random, ctx: Context) -> Plan:
    plan = Plan(symptoms=Symptoms(base=rng.uniform(0.8, 3.0)))
    if ctx.spec.antibodies:
        anchor = _event_anchor(rng, ctx, (0, 60))
        plan.tdm.append(
            Tdm(anchor, _adequate_trough(rng, ctx), "low", active=False, note=LOW_TITER_NOTE)
        )
    elif rng.random() < PROACTIVE_TDM_SHARE:
        anchor = _event_anchor(rng, ctx, (0, 100))
        plan.tdm.append(Tdm(anchor, _adequate_trough(rng, ctx), "negative", active=False))
    return plan


def _plan_wearing_off(rng: random.Random, ctx: Context) -> Plan:
    onset_weeks = rng.randint(52, 260) if ctx.spec.long_history else rng.randint(20, 60)
    onset = min(ctx.start + onset_weeks * WEEK, ctx.as_of - 30 * WEEK)
    symptoms = Symptoms(
        base=rng.uniform(1.8, 3.0),
        wearing_off_from=max(onset, ctx.start + 14 * WEEK),
        wearing_off_days=rng.randint(*WEARING_OFF_DAYS),
        wearing_off_rise=rng.uniform(*WEARING_OFF_RISE),
    )
    plan = Plan(symptoms=symptoms)
    if rng.random() < 0.4:
        anchor = _event_anchor(rng, ctx, (0, 52))
        trough = _adequate_trough(rng, ctx, high=1.6)
        plan.tdm.append(Tdm(anchor, trough, "negative", active=False))
    if ctx.spec.interval_shortened:
        anchor = _event_anchor(rng, ctx, (20, 60))
        if anchor > onset + 26 * WEEK:
            off_label = "" if ctx.spec.indication == RA else " (off-label)"
            reason = (
                f"End-of-dose wearing-off: symptoms return about "
                f"{symptoms.wearing_off_days} days before each infusion; interval shortened to "
                f"every {SHORTENED_INTERVAL_WEEKS:g} weeks{off_label}"
            )
            plan.changes.append(
                Change("shortened", anchor, reason, interval=SHORTENED_INTERVAL_WEEKS)
            )
            plan.symptoms = dataclasses.replace(symptoms, settles_after_change="shortened")
    return plan


def _plan_new_start(rng: random.Random, ctx: Context) -> Plan:
    return Plan(
        symptoms=Symptoms(base=rng.uniform(1.8, 3.2), induction_from=ctx.start),
        premedicated=rng.random() < 0.3,
    )


def _loss_of_response(rng: random.Random, ctx: Context, anchor: dt.date) -> Symptoms:
    return Symptoms(
        base=rng.uniform(1.5, 3.0),
        active_level=rng.uniform(5.0, 7.0),
        active_from=anchor - rng.randint(6, 14) * WEEK,
        recovers_after_change="intensified",
        recovery_weeks=rng.randint(3, 6),
    )


def _plan_pk_failure(rng: random.Random, ctx: Context) -> Plan:
    anchor = _event_anchor(rng, ctx, (36, 100))
    trough = _low_trough(rng, ctx)
    mg_per_kg, interval, what = _intensified(rng, ctx)
    reason = f"Loss of response, {_trough_text(ctx, trough)} without antibodies; {what}"
    return Plan(
        symptoms=_loss_of_response(rng, ctx, anchor),
        changes=[Change("intensified", anchor, reason, 1, None, mg_per_kg, interval)],
        tdm=[
            Tdm(anchor, trough, "negative", active=True, low_albumin=rng.random() < 0.5),
            Tdm(anchor, _adequate_trough(rng, ctx), "negative", active=False, skip=3),
        ],
    )


def _plan_double_negative(rng: random.Random, ctx: Context) -> Plan:
    anchor = _event_anchor(rng, ctx, (36, 100))
    retest = _low_trough(rng, ctx)
    mg_per_kg, interval, what = _intensified(rng, ctx)
    reason = (
        f"Loss of response; drug-tolerant re-test {_trough_text(ctx, retest)} without "
        f"antibodies; {what}"
    )
    note = "undetectable drug with no antibodies on a drug-sensitive assay: re-test drug-tolerant"
    return Plan(
        symptoms=_loss_of_response(rng, ctx, anchor),
        changes=[Change("intensified", anchor, reason, 2, None, mg_per_kg, interval)],
        tdm=[
            Tdm(anchor, None, "negative", active=True, assay=DRUG_SENSITIVE_ASSAY, note=note),
            Tdm(anchor, retest, "negative", active=True, skip=1),
            Tdm(anchor, _adequate_trough(rng, ctx), "negative", active=False, skip=4),
        ],
    )


def _plan_immunogenic_low(rng: random.Random, ctx: Context) -> Plan:
    anchor = _event_anchor(rng, ctx, (36, 100))
    trough = _low_trough(rng, ctx)
    mg_per_kg, interval, what = _intensified(rng, ctx)
    reason = (
        f"Loss of response, {_trough_text(ctx, trough)} with low-titer antibodies; {what}, "
        "methotrexate added"
    )
    transient = "antibodies no longer detected (transient)"
    return Plan(
        symptoms=_loss_of_response(rng, ctx, anchor),
        changes=[Change("intensified", anchor, reason, 1, None, mg_per_kg, interval)],
        tdm=[
            Tdm(anchor, trough, "low", active=True, note="repeat to see whether transient"),
            Tdm(anchor, _adequate_trough(rng, ctx), "negative", False, skip=3, note=transient),
        ],
    )


def _plan_immunogenic_high(rng: random.Random, ctx: Context) -> Plan:
    anchor = _recent_anchor(rng, ctx)
    trough = None if rng.random() < 0.7 else _low_trough(rng, ctx)
    note = "high-titer antibodies: switch to another anti-TNF under discussion"
    return Plan(
        symptoms=Symptoms(
            base=rng.uniform(1.5, 3.0),
            active_level=rng.uniform(5.5, 7.5),
            active_from=anchor - rng.randint(8, 20) * WEEK,
        ),
        tdm=[Tdm(anchor, trough, "high", active=True, note=note)],
        reaction_chance=IMMUNOGENIC_REACTION_CHANCE,
    )


def _plan_mechanistic(rng: random.Random, ctx: Context) -> Plan:
    anchor = _recent_anchor(rng, ctx)
    antibodies = "low" if ctx.spec.antibodies else "negative"
    note = "active disease despite an adequate trough: out-of-class switch to consider"
    return Plan(
        symptoms=Symptoms(
            base=rng.uniform(1.5, 3.0),
            active_level=rng.uniform(5.5, 7.5),
            active_from=anchor - rng.randint(8, 20) * WEEK,
        ),
        tdm=[Tdm(anchor, _adequate_trough(rng, ctx), antibodies, active=True, note=note)],
    )


PLANNERS: dict[str, Callable[[random.Random, Context], Plan]] = {
    STABLE: _plan_stable,
    WEARING_OFF: _plan_wearing_off,
    NEW_START: _plan_new_start,
    PK_FAILURE: _plan_pk_failure,
    DOUBLE_NEGATIVE: _plan_double_negative,
    IMMUNOGENIC_LOW: _plan_immunogenic_low,
    IMMUNOGENIC_HIGH: _plan_immunogenic_high,
    MECHANISTIC: _plan_mechanistic,
}


# ---------------------------------------------------------------------------------------------
# Regimens and the infusion schedule


def _first_regimen(rng: random.Random, ctx: Context) -> tuple[r.Regimen, list[Change]]:
    """The starting regimen, and a later switch when the product was not yet approved."""
    product, switch = ctx.spec.product, []
    available = BIOSIMILAR_AVAILABLE_FROM.get(product)
    if available is not None and available > ctx.start:
        anchor = max(available, ctx.start + 20 * WEEK) + rng.randint(0, 400) * DAY
        reason = f"Non-medical switch to {product} (formulary change)"
        switch.append(Change("switch", anchor, reason, product=product))
        product = REMICADE
    regimen = r.Regimen(
        start_date=ctx.start,
        product=product,
        dose_mg_per_kg=ctx.mg_per_kg,
        interval_weeks=ctx.interval,
        reason=f"Induction at weeks 0, 2 and 6, then every {ctx.interval:g} weeks",
        ordered_by=rng.choice(DOCTORS),
    )
    return regimen, switch


@dataclass(frozen=True, slots=True)
class Visit:
    date: dt.date
    regimen: r.Regimen
    start_time: dt.time
    minutes: int
    note: str | None
    first_of_regimen: bool


def _schedule(
    rng: random.Random, ctx: Context, first: r.Regimen, changes: list[Change]
) -> tuple[list[r.Regimen], list[Visit], dict[str, dt.date]]:
    """Infusion days from the start to the horizon, applying regimen changes as they come."""
    regimens = [first]
    visits: list[Visit] = []
    applied: dict[str, dt.date] = {}
    pending = sorted(changes, key=lambda c: c.anchor)
    seen = dict.fromkeys((c.key for c in pending), 0)  # maintenance visits on/after each anchor
    day, note = ctx.start, None
    while day <= ctx.horizon:
        due = []
        if len(visits) >= len(INDUCTION_WEEKS):
            for change in pending:
                if change.anchor <= day:
                    if seen[change.key] >= change.skip:
                        due.append(change)
                    seen[change.key] += 1
        if due:
            pending = [c for c in pending if c not in due]
            regimens.append(_changed(rng, regimens[-1], due, day))
            applied.update((c.key, day) for c in due)
        slot = ctx.slot if rng.random() < USUAL_SLOT_CHANCE else rng.choice(SLOTS)
        minutes = rng.choice(INFUSION_MINUTES)
        visits.append(Visit(day, regimens[-1], slot, minutes, note, bool(due)))
        day, note = _next_visit(rng, day, len(visits), regimens[-1].interval_weeks)
    return regimens, visits, applied


def _changed(rng: random.Random, current: r.Regimen, due: list[Change], day: dt.date) -> r.Regimen:
    regimen = dataclasses.replace(
        current,
        start_date=day,
        reason="; ".join(c.reason for c in due),
        ordered_by=rng.choice(DOCTORS),
    )
    for change in due:
        if change.product is not None:
            regimen = dataclasses.replace(regimen, product=change.product)
        if change.mg_per_kg is not None:
            regimen = dataclasses.replace(regimen, dose_mg_per_kg=change.mg_per_kg)
        if change.interval is not None:
            regimen = dataclasses.replace(regimen, interval_weeks=change.interval)
    return regimen


def _next_visit(
    rng: random.Random, day: dt.date, given: int, interval: float
) -> tuple[dt.date, str | None]:
    """The next infusion day after the ``given``-th infusion on ``day``, with a delay note."""
    if given < len(INDUCTION_WEEKS):
        return day + (INDUCTION_WEEKS[given] - INDUCTION_WEEKS[given - 1]) * WEEK, None
    planned = day + interval * WEEK
    if rng.random() < DELAY_CHANCE:
        weeks = rng.randint(*DELAY_WEEKS)
        late = planned + weeks * WEEK + rng.randint(-2, 2) * DAY
        return _weekday(late), f"Delayed {weeks} weeks: {rng.choice(DELAY_REASONS)}"
    if rng.random() < OFF_SCHEDULE_CHANCE:
        planned += rng.choice((-3, -2, -1, 1, 2, 3)) * DAY
    return _weekday(planned), None


def _next_due(visits: Sequence[Visit]) -> dt.date:
    last = visits[-1]
    if len(visits) < len(INDUCTION_WEEKS):
        return last.date + (INDUCTION_WEEKS[len(visits)] - INDUCTION_WEEKS[len(visits) - 1]) * WEEK
    return last.date + last.regimen.interval_weeks * WEEK


# ---------------------------------------------------------------------------------------------
# Weights and infusions


def _weights(rng: random.Random, ctx: Context, visits: Sequence[Visit]) -> list[r.Weight]:
    """A screening weight, then one at an infusion every few months and at every regimen change."""
    kg = ctx.baseline_kg
    weights = [r.Weight(date=ctx.start - rng.randint(3, 14) * DAY, kg=round(kg, 1))]
    every = (1, 1) if ctx.spec.child else (2, 4)
    next_weighing = rng.randint(*every)
    for i, visit in enumerate(visits):
        if i == next_weighing or (visit.first_of_regimen and i > 0):
            if ctx.spec.child:
                age = (visit.date - ctx.birth).days / 365.25
                kg = _child_kg(age, ctx.growth_factor) + rng.gauss(0, 0.6)
            else:
                kg += rng.gauss(0, 1.0) + 0.15 * (ctx.baseline_kg - kg)
            weights.append(r.Weight(date=visit.date, kg=round(kg, 1)))
            next_weighing = i + rng.randint(*every)
    return weights


class LotCalendar:
    """The pharmacy's lots: every product gets a new lot every ``LOT_PERIOD_DAYS``."""

    def __init__(self, offset: int):
        self.offset = offset

    def lot(self, product: str, day: dt.date) -> tuple[str, dt.date]:
        period = day.toordinal() // LOT_PERIOD_DAYS
        index = tuple(IV_PRODUCT_SHARES).index(product) if product in IV_PRODUCT_SHARES else 7
        number = 10_000 + (self.offset + period * 37 + index * 7_919) % 90_000
        low, high = LOT_SHELF_DAYS
        shelf = low + (number * 13) % (high - low)
        expiry = dt.date.fromordinal((period + 1) * LOT_PERIOD_DAYS) + shelf * DAY
        return f"L{number}", expiry


def _clock(day: dt.date, time: dt.time, minutes: int) -> dt.time:
    return (dt.datetime.combine(day, time) + dt.timedelta(minutes=minutes)).time()


def _infusions(
    rng: random.Random,
    ctx: Context,
    plan: Plan,
    symptoms: Symptoms,
    visits: Sequence[Visit],
    weights: Sequence[r.Weight],
    lots: LotCalendar,
) -> list[r.Infusion]:
    infusions = []
    premedication: tuple[str, ...] = PREMEDICATION if plan.premedicated else ()
    if rng.random() < ROUTINE_PREMEDICATION_SHARE:
        premedication = PREMEDICATION
    vitals_on_last = rng.random() < LAST_VISIT_VITALS_SHARE
    w = 0
    for i, visit in enumerate(visits):
        while w + 1 < len(weights) and weights[w + 1].date <= visit.date:
            w += 1
        kg = weights[w].kg
        regimen = visit.regimen
        dose = dose_mg(regimen.dose_mg_per_kg, kg)
        lot, expiry = lots.lot(regimen.product, visit.date)
        reaction = None
        if i > 0 and rng.random() < plan.reaction_chance:
            reaction = r.Reaction(grade="mild", description=rng.choice(REACTIONS))
        returned, days_before = _symptoms_before(rng, plan, symptoms, visits, i)
        vitals: tuple[r.VitalSigns, ...] = ()
        if reaction is not None or (vitals_on_last and i == len(visits) - 1):
            vitals = _vitals(rng, visit, reaction is not None)
        notes = visit.note
        if visit.first_of_regimen:
            first = f"First infusion at {regimen.dose_mg_per_kg:g} mg/kg every "
            first += f"{regimen.interval_weeks:g} weeks ({regimen.product})"
            notes = f"{notes}. {first}" if notes else first
        infusions.append(
            r.Infusion(
                date=visit.date,
                product=regimen.product,
                dose_mg=float(dose),
                start_time=visit.start_time,
                end_time=_clock(visit.date, visit.start_time, visit.minutes),
                weight_kg=kg,
                lot=lot,
                lot_expiry=expiry,
                vials=vials_for(dose),
                premedication=premedication,
                reaction=reaction,
                symptoms_returned_before=returned,
                symptoms_days_before=days_before,
                nurse=rng.choice(NURSES),
                notes=notes,
                vitals=vitals,
            )
        )
        if reaction is not None:
            premedication = PREMEDICATION_AFTER_REACTION
    return infusions


def _symptoms_before(
    rng: random.Random, plan: Plan, symptoms: Symptoms, visits: Sequence[Visit], i: int
) -> tuple[bool | None, int | None]:
    """What the nurse records for "did symptoms return before this infusion?"."""
    if i < len(INDUCTION_WEEKS):
        return None, None
    day = visits[i].date
    if symptoms.wearing_off(day - DAY):
        days = symptoms.wearing_off_days + rng.randint(-1, 1)
        gap = (day - visits[i - 1].date).days
        return True, max(1, min(days, gap - 1))
    if symptoms.active(day):
        return None, None
    if plan.asks_symptoms and rng.random() < 0.5:
        return False, None
    return None, None


def _vitals(rng: random.Random, visit: Visit, reaction: bool) -> tuple[r.VitalSigns, ...]:
    def signs(phase: str, minutes: int, pulse_up: int = 0) -> r.VitalSigns:
        return r.VitalSigns(
            phase=phase,
            time=_clock(visit.date, visit.start_time, minutes),
            systolic_mmhg=rng.randint(108, 142),
            diastolic_mmhg=rng.randint(62, 88),
            pulse_bpm=rng.randint(58, 88) + pulse_up,
            temperature_c=round(rng.uniform(36.3, 37.1) + (0.4 if pulse_up else 0), 1),
            respiratory_rate=rng.randint(12, 18),
            spo2_pct=rng.randint(95, 99),
        )

    before = signs("before", -10)
    after = signs("after", visit.minutes + 20)
    if reaction:
        return before, signs("during", 45, pulse_up=18), after
    return before, after


# ---------------------------------------------------------------------------------------------
# Labs


def _lab(
    sampled: dt.date | dt.datetime, test: str, value: float, unit: str, **extra: Any
) -> r.LabResult:
    return r.LabResult(sampled_at=sampled, test=test, value=value, unit=unit, **extra)


def _crp(
    rng: random.Random, ctx: Context, sampled: dt.date | dt.datetime, active: bool
) -> r.LabResult:
    mg_l = rng.uniform(12, 60) if active else rng.uniform(0.5, 5.5)
    if ctx.crp_unit == "mg/dL":
        return _lab(sampled, "crp", max(0.1, round(mg_l / 10, 1)), "mg/dL")
    return _lab(sampled, "crp", round(mg_l, 1), "mg/L")


def _inflammation(
    rng: random.Random,
    ctx: Context,
    sampled: dt.date | dt.datetime,
    active: bool,
    *,
    stool_sample: bool,
    albumin: float | None = None,
) -> list[r.LabResult]:
    """CRP, and ESR for rheumatology or fecal calprotectin and albumin for IBD."""
    labs = [_crp(rng, ctx, sampled, active)]
    indication = ctx.spec.indication
    if indication in RHEUMATOLOGY:
        esr = rng.randint(28, 70) if active else rng.randint(3, 20)
        labs.append(_lab(sampled, "esr", float(esr), "mm/h"))
    if indication in IBD:
        if albumin is None:
            albumin = float(rng.randint(30, 36) if active else rng.randint(36, 46))
        labs.append(_lab(sampled, "albumin", albumin, "g/L"))
        if stool_sample:
            day = sampled.date() if isinstance(sampled, dt.datetime) else sampled
            fcp = rng.randint(280, 1800) if active else rng.randint(15, 140)
            labs.append(
                _lab(day - rng.randint(2, 10) * DAY, "fecal_calprotectin", float(fcp), "ug/g")
            )
    return labs


def _before_infusion(rng: random.Random, visit: Visit) -> dt.datetime:
    minutes = rng.choice(TROUGH_MINUTES_BEFORE)
    return dt.datetime.combine(visit.date, visit.start_time) - dt.timedelta(minutes=minutes)


def _tdm_labs(rng: random.Random, ctx: Context, tdm: Tdm, visit: Visit) -> list[r.LabResult]:
    assay = tdm.assay or ctx.assay
    sampled = _before_infusion(rng, visit)
    common = {"assay": assay.name}
    if tdm.trough is None:
        level = _lab(
            sampled, "infliximab", assay.lloq, assay.drug_unit, comparator="<", lloq=assay.lloq,
            timing="trough", notes=tdm.note, **common,
        )  # fmt: skip
    else:
        level = _lab(
            sampled, "infliximab", tdm.trough, assay.drug_unit, lloq=assay.lloq,
            timing="trough", notes=tdm.note, **common,
        )  # fmt: skip
    titer = {"negative": assay.ada_negative, "low": assay.ada_low, "high": assay.ada_high}
    ada_value = round(rng.uniform(*titer[tdm.antibodies]), 1)
    antibodies = _lab(
        sampled, "anti_infliximab_antibody", ada_value, assay.ada_unit,
        interpretation=tdm.antibodies, notes=assay.ada_cutoff_text, **common,
    )  # fmt: skip
    albumin = float(rng.randint(26, 32)) if tdm.low_albumin else None
    markers = _inflammation(rng, ctx, sampled, tdm.active, stool_sample=True, albumin=albumin)
    return [level, antibodies, *markers]


def _tdm_visits(plan: Plan, visits: Sequence[Visit]) -> dict[int, Tdm]:
    chosen: dict[int, Tdm] = {}
    for tdm in plan.tdm:
        candidates = [i for i, v in enumerate(visits) if v.date >= tdm.anchor]
        if len(candidates) > tdm.skip:
            index = candidates[tdm.skip]
        elif tdm.skip == 0:
            index = len(visits) - 1
        else:
            continue  # the follow-up has not happened yet
        chosen.setdefault(index, tdm)
    return chosen


def _labs(
    rng: random.Random, ctx: Context, plan: Plan, symptoms: Symptoms, visits: Sequence[Visit]
) -> list[r.LabResult]:
    """Baseline bloods, routine bloods every few months, and the plan's trough levels."""
    baseline = ctx.start - rng.randint(7, 28) * DAY
    labs = _inflammation(rng, ctx, baseline, True, stool_sample=True)
    every = 4 if ctx.interval < USUAL_INTERVAL_WEEKS else 3
    tdm_at = _tdm_visits(plan, visits)
    for i, visit in enumerate(visits):
        if i in tdm_at:
            labs += _tdm_labs(rng, ctx, tdm_at[i], visit)
        elif i % every == every - 1:
            sampled = _before_infusion(rng, visit)
            stool = i % (2 * every) == every - 1
            labs += _inflammation(
                rng, ctx, sampled, symptoms.active(visit.date), stool_sample=stool
            )
    return labs


# ---------------------------------------------------------------------------------------------
# Diary


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


def _diary(
    rng: random.Random, ctx: Context, symptoms: Symptoms, visits: Sequence[Visit]
) -> list[r.DiaryEntry]:
    """Entries every 2-3 days: all of them for long histories, else the last 6-9 months."""
    first = ctx.start + DAY
    if not ctx.spec.long_history:
        first = max(first, ctx.as_of - rng.randint(*RECENT_DIARY_DAYS) * DAY)
    if not visits:
        return []
    due_after_last = _next_due(visits)
    extras = DIARY_ITEMS.get(ctx.spec.indication)
    entries = []
    k = 0
    day = first
    while day <= ctx.as_of:
        while k < len(visits) and visits[k].date < day:
            k += 1
        next_infusion = visits[k].date if k < len(visits) else due_after_last
        level = symptoms.level(day, (next_infusion - day).days)
        score = round(_clamp(level + rng.gauss(0, SCORE_NOISE), 0, 10), 1)
        source = "nurse" if rng.random() < NURSE_ENTRY_SHARE else "patient"
        items: dict[str, Any] = {}
        if extras is not None and rng.random() < ITEM_SHARE:
            items = extras(rng, score, source)
        entries.append(r.DiaryEntry(date=day, symptom_score=score, source=source, **items))
        day += rng.choice(DIARY_STEP_DAYS) * DAY
    return entries


def _item(rng: random.Random, score: float, scale: float = 1.0, top: float = 10) -> float:
    return round(_clamp(score * scale + rng.gauss(0, 0.8), 0, top), 1)


def _as_items(rng: random.Random, score: float, source: str) -> dict[str, Any]:
    stiffness = float(round(_clamp(score * 12 + rng.gauss(0, 10), 0, 180)))
    basdai = r.Basdai(
        q1=_item(rng, score),
        q2=_item(rng, score),
        q3=_item(rng, score, 0.8),
        q4=_item(rng, score, 0.7),
        q5=_item(rng, score),
        q6=round(min(10.0, stiffness / 12), 1),
    )
    return {"basdai": basdai, "morning_stiffness_min": stiffness}


def _ra_items(rng: random.Random, score: float, source: str) -> dict[str, Any]:
    items: dict[str, Any] = {"patient_global": _item(rng, score)}
    if source == "nurse":
        items["das28"] = r.JointAssessment(
            tender_joints=round(_clamp(score * 1.6 + rng.gauss(0, 1.5), 0, 28)),
            swollen_joints=round(_clamp(score * 0.8 + rng.gauss(0, 1.0), 0, 28)),
            global_health_mm=float(round(_clamp(score * 10 + rng.gauss(0, 8), 0, 100))),
            evaluator_global=_item(rng, score, 0.9),
        )
    return items


def _psa_items(rng: random.Random, score: float, source: str) -> dict[str, Any]:
    return {"patient_global": _item(rng, score)}


def _cd_items(rng: random.Random, score: float, source: str) -> dict[str, Any]:
    return {
        "hbi": r.HarveyBradshawItems(
            wellbeing=round(_clamp(score / 2.5 + rng.gauss(0, 0.4), 0, 4)),
            abdominal_pain=round(_clamp(score / 3.3 + rng.gauss(0, 0.4), 0, 3)),
            liquid_stools=round(_clamp(score * 0.8 + rng.gauss(0, 1.0), 0, 20)),
            complications=1 if score > 5 and rng.random() < 0.3 else 0,
        )
    }


def _uc_items(rng: random.Random, score: float, source: str) -> dict[str, Any]:
    physician = round(_clamp(score / 3 + rng.gauss(0, 0.3), 0, 3)) if source == "nurse" else None
    return {
        "partial_mayo": r.PartialMayoItems(
            stool_frequency=round(_clamp(score / 3 + rng.gauss(0, 0.4), 0, 3)),
            rectal_bleeding=round(_clamp((score - 3) / 2.5 + rng.gauss(0, 0.3), 0, 3)),
            physician_global=physician,
        )
    }


DIARY_ITEMS: dict[str, Callable[[random.Random, float, str], dict[str, Any]]] = {
    AS: _as_items,
    RA: _ra_items,
    PSA: _psa_items,
    CD: _cd_items,
    UC: _uc_items,
}
