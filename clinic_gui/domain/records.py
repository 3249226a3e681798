"""The clinical record as plain, immutable Python values.

These types are shared by the case file, the store and (later) the clinical engine.
Dates are ``datetime.date``; times are ``datetime.time``; a lab sample time is a
``date`` or a ``datetime`` so a result keeps the precision it was recorded with.
Optional fields are ``None`` when not recorded. Units are fixed by the field name
(``kg``, ``cm``, ``mg``, ``mg_per_kg``) except for lab results, which carry theirs.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True, kw_only=True)
class Patient:
    mrn: str
    name: str
    birth_date: dt.date
    sex: str
    indication: str
    height_cm: float | None = None
    nyha_class: int | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Weight:
    date: dt.date
    kg: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Regimen:
    start_date: dt.date
    product: str
    dose_mg_per_kg: float
    interval_weeks: float
    reason: str | None = None
    ordered_by: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class VitalSigns:
    phase: str
    time: dt.time | None = None
    systolic_mmhg: int | None = None
    diastolic_mmhg: int | None = None
    pulse_bpm: int | None = None
    temperature_c: float | None = None
    respiratory_rate: int | None = None
    spo2_pct: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Reaction:
    grade: str
    description: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Infusion:
    date: dt.date
    product: str
    dose_mg: float
    start_time: dt.time | None = None
    end_time: dt.time | None = None
    weight_kg: float | None = None
    lot: str | None = None
    lot_expiry: dt.date | None = None
    vials: int | None = None
    premedication: tuple[str, ...] = ()
    reaction: Reaction | None = None
    # True / False / None (= not asked or unknown)
    symptoms_returned_before: bool | None = None
    symptoms_days_before: int | None = None
    nurse: str | None = None
    notes: str | None = None
    vitals: tuple[VitalSigns, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class Basdai:
    """The six BASDAI items, each 0-10; q6 is morning-stiffness duration (10 = 2 h or more)."""

    q1: float | None = None
    q2: float | None = None
    q3: float | None = None
    q4: float | None = None
    q5: float | None = None
    q6: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class HarveyBradshawItems:
    wellbeing: int | None = None
    abdominal_pain: int | None = None
    liquid_stools: int | None = None
    abdominal_mass: int | None = None
    complications: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartialMayoItems:
    stool_frequency: int | None = None
    rectal_bleeding: int | None = None
    physician_global: int | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class JointAssessment:
    """DAS28 joint counts, patient global health (0-100 mm) and evaluator global (0-10)."""

    tender_joints: int | None = None
    swollen_joints: int | None = None
    global_health_mm: float | None = None
    evaluator_global: float | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DiaryEntry:
    date: dt.date
    symptom_score: float | None = None
    morning_stiffness_min: float | None = None
    basdai: Basdai | None = None
    patient_global: float | None = None
    hbi: HarveyBradshawItems | None = None
    partial_mayo: PartialMayoItems | None = None
    das28: JointAssessment | None = None
    source: str | None = None
    notes: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class LabResult:
    sampled_at: dt.date | dt.datetime
    test: str
    value: float
    unit: str
    comparator: str | None = None
    assay: str | None = None
    # None = not stated; drug levels are read as troughs unless marked non_trough.
    timing: str | None = None
    interpretation: str | None = None
    lloq: float | None = None
    notes: str | None = None

    @property
    def sample_date(self) -> dt.date:
        if isinstance(self.sampled_at, dt.datetime):
            return self.sampled_at.date()
        return self.sampled_at

    @property
    def sort_key(self) -> tuple[dt.date, bool, dt.time]:
        """Date-only samples sort before timed samples of the same day, even one timed at
        midnight (as the record's text dates sort: "2026-11-22" before "2026-11-22T00:00")."""
        if isinstance(self.sampled_at, dt.datetime):
            return self.sampled_at.date(), True, self.sampled_at.time()
        return self.sampled_at, False, dt.time.min


@dataclass(frozen=True, slots=True, kw_only=True)
class Case:
    """One patient's whole record: what a ``clinic-case/1`` file holds."""

    patient: Patient
    weights: tuple[Weight, ...] = ()
    regimens: tuple[Regimen, ...] = ()
    infusions: tuple[Infusion, ...] = ()
    diary: tuple[DiaryEntry, ...] = ()
    labs: tuple[LabResult, ...] = field(default=())

    def in_date_order(self) -> Case:
        """The same case with every list in date order (entries of one day keep their order)."""
        return Case(
            patient=self.patient,
            weights=tuple(sorted(self.weights, key=lambda w: w.date)),
            regimens=tuple(sorted(self.regimens, key=lambda g: g.start_date)),
            infusions=tuple(sorted(self.infusions, key=lambda i: i.date)),
            diary=tuple(sorted(self.diary, key=lambda d: d.date)),
            labs=tuple(sorted(self.labs, key=lambda lab: lab.sort_key)),
        )
