"""Add a diary entry: BASDAI items with the live score, and the indication's items."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from clinic_gui.domain import records as r
from clinic_gui.domain.formatting import fmt_number
from clinic_gui.domain.scores import basdai
from clinic_gui.domain.validation import check_diary_entry
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.ui.dialogs.form import Field, RecordForm
from clinic_gui.ui.text import plain_label

BASDAI_ITEMS = (
    ("q1", "BASDAI 1: fatigue"),
    ("q2", "BASDAI 2: spinal pain"),
    ("q3", "BASDAI 3: peripheral joints"),
    ("q4", "BASDAI 4: tender areas"),
    ("q5", "BASDAI 5: stiffness severity"),
    ("q6", "BASDAI 6: stiffness duration (10 = 2 h+)"),
)
GROUPS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "hbi": (
        ("wellbeing", "HBI well-being (0-4)", "integer"),
        ("abdominal_pain", "HBI abdominal pain (0-3)", "integer"),
        ("liquid_stools", "HBI liquid stools per day", "integer"),
        ("abdominal_mass", "HBI abdominal mass (0-3, clinician)", "integer"),
        ("complications", "HBI complications (0-8)", "integer"),
    ),
    "partial_mayo": (
        ("stool_frequency", "Mayo stool frequency (0-3)", "integer"),
        ("rectal_bleeding", "Mayo rectal bleeding (0-3)", "integer"),
        ("physician_global", "Mayo physician global (0-3)", "integer"),
    ),
    "das28": (
        ("tender_joints", "Tender joints (of 28)", "integer"),
        ("swollen_joints", "Swollen joints (of 28)", "integer"),
        ("global_health_mm", "Patient global health (0-100 mm)", "number"),
        ("evaluator_global", "Evaluator global (0-10)", "number"),
    ),
}
GROUP_CLASSES = {
    "hbi": r.HarveyBradshawItems,
    "partial_mayo": r.PartialMayoItems,
    "das28": r.JointAssessment,
}
# Which item groups each indication's diary shows (BASDAI for the spondyloarthritides).
FOR_INDICATION = {
    "crohns_disease": ("hbi",),
    "ulcerative_colitis": ("partial_mayo",),
    "rheumatoid_arthritis": ("das28",),
    "ankylosing_spondylitis": ("basdai",),
    "psoriatic_arthritis": ("das28", "basdai"),
    "plaque_psoriasis": (),
}


def _fields(indication: str) -> list[Field]:
    groups = FOR_INDICATION.get(indication, ())
    fields = [
        Field("date", "Date", "date"),
        Field("source", "Reported by", "choice", tuple((s, s) for s in vocabulary().diary_sources)),
        Field("symptom_score", "Overall symptoms (0-10)", "number"),
        Field("morning_stiffness_min", "Morning stiffness", "integer", unit="min"),
        Field("patient_global", "Patient global (0-10)", "number"),
    ]
    if "basdai" in groups:
        fields += [Field(f"basdai.{q}", label, "number") for q, label in BASDAI_ITEMS]
    for group in groups:
        if group in GROUPS:
            fields += [Field(f"{group}.{n}", label, kind) for n, label, kind in GROUPS[group]]
    return [*fields, Field("notes", "Notes", "notes")]


class DiaryDialog(RecordForm):
    def __init__(
        self, case: r.Case, *, today: dt.date, save: Callable[[r.DiaryEntry], Any],
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        patient = case.patient
        self.groups = FOR_INDICATION.get(patient.indication, ())
        super().__init__(
            f"Add diary entry — {patient.name} ({patient.mrn})",
            _fields(patient.indication),
            save=save,
            check=lambda record: check_diary_entry(record, patient, today=today),
            intro="Scores are 0 to 10 unless stated. Leave an item empty when it was not asked.",
            parent=parent,
        )
        self.set_value("date", today)
        self.set_value("source", "nurse")
        self.basdai_score = plain_label()
        self.basdai_score.setAccessibleName("BASDAI score")
        if "basdai" in self.groups:
            self.form.addRow(plain_label("BASDAI:"), self.basdai_score)
            for q, _ in BASDAI_ITEMS:
                self.widgets[f"basdai.{q}"].textChanged.connect(self.update_basdai)  # type: ignore[attr-defined]
            self.update_basdai()
        self.resize(560, 640)

    def update_basdai(self) -> None:
        """Live BASDAI once all six items are filled in (computed by the domain)."""
        try:
            items = [float(self.text(f"basdai.{q}").replace(",", ".")) for q, _ in BASDAI_ITEMS]
            result = basdai(*items)
        except ValueError:
            self.basdai_score.setText("fill in all six items to see the score")
            return
        state = f" ({result.state})" if result.state else ""
        self.basdai_score.setText(f"{fmt_number(result.value, 1)}{state}")

    def record(self) -> r.DiaryEntry:
        names = [
            "date",
            "source",
            "symptom_score",
            "morning_stiffness_min",
            "patient_global",
            "notes",
        ]
        group_names = [n for n in self.widgets if "." in n]
        v = self.read(names + group_names)
        groups: dict[str, Any] = {}
        if "basdai" in self.groups:
            items = {q: v[f"basdai.{q}"] for q, _ in BASDAI_ITEMS}
            if any(x is not None for x in items.values()):
                groups["basdai"] = r.Basdai(**items)
        for group, cls in GROUP_CLASSES.items():
            if group not in self.groups:
                continue
            items = {n: v[f"{group}.{n}"] for n, _, _ in GROUPS[group]}
            if any(x is not None for x in items.values()):
                groups[group] = cls(**items)
        return r.DiaryEntry(
            date=v["date"],
            symptom_score=v["symptom_score"],
            morning_stiffness_min=v["morning_stiffness_min"],
            patient_global=v["patient_global"],
            source=v["source"],
            notes=v["notes"] or None,
            **groups,
        )
