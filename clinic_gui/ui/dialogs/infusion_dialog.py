"""Record an infusion: pre-filled from the regimen in effect and the latest weight."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtWidgets import QWidget

from clinic_gui.domain import records as r
from clinic_gui.domain.dosing import (
    check_label,
    dose_mg,
    load_policy,
    vials_for,
    waste_mg,
    weight_warnings,
)
from clinic_gui.domain.formatting import fmt_number, fmt_quantity
from clinic_gui.domain.history import age_years, latest_weight, regimen_in_effect
from clinic_gui.domain.validation import check_infusion
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.ui.dialogs.form import Field, RecordForm
from clinic_gui.ui.text import plain_label

VITALS = (
    ("systolic_mmhg", "BP systolic", "mmHg", "integer"),
    ("diastolic_mmhg", "BP diastolic", "mmHg", "integer"),
    ("pulse_bpm", "Pulse", "/min", "integer"),
    ("temperature_c", "Temperature", "°C", "number"),
    ("respiratory_rate", "Respiratory rate", "/min", "integer"),
    ("spo2_pct", "SpO2", "%", "integer"),
)
RETURNED = (("unknown", None), ("yes", True), ("no", False))


def _fields() -> list[Field]:
    vocab = vocabulary()
    fields = [
        Field("date", "Date", "date"),
        Field("start_time", "Start", "time"),
        Field("end_time", "End", "time"),
        Field("product", "Product", "choice", tuple((p, p) for p in vocab.products)),
        Field("weight_kg", "Weight used", "number", unit="kg", required=True),
        Field("dose_mg", "Dose", "number", unit="mg", required=True),
        Field("vials", "Vials (100 mg)", "integer"),
        Field("lot", "Lot number"),
        Field("lot_expiry", "Lot expiry", "optional_date"),
        Field("premedication", "Premedication", placeholder="separate with ';'"),
    ]
    for phase in ("before", "after"):
        for name, label, unit, kind in VITALS:
            fields.append(Field(f"{phase}.{name}", f"{label} ({phase})", kind, unit=unit))
    fields += [
        Field("reaction", "Reaction", "choice", tuple((g, g) for g in vocab.reaction_grades)),
        Field("reaction_description", "Reaction details", aliases=("reaction.description",)),
        Field(
            "symptoms_returned_before", "Symptoms returned before this infusion", "choice", RETURNED
        ),
        Field("symptoms_days_before", "How many days before", "integer", unit="days"),
        Field("nurse", "Nurse"),
        Field("notes", "Notes", "notes"),
    ]
    return fields


class InfusionDialog(RecordForm):
    def __init__(
        self,
        case: r.Case,
        *,
        today: dt.date,
        nurse: str,
        save: Callable[[r.Infusion], Any],
        parent: QWidget | None = None,
    ) -> None:
        self.case = case
        self.today = today
        patient = case.patient
        super().__init__(
            f"Record infusion — {patient.name} ({patient.mrn})",
            _fields(),
            save=save,
            check=lambda record: check_infusion(record, patient, today=today),
            intro="Fields with * are required. Dose and vials are worked out from the regimen "
            "in effect and the latest weight; check them before saving.",
            parent=parent,
        )
        self.dose_check = plain_label()
        self.dose_check.setWordWrap(True)
        self.dose_check.setAccessibleName("Dose check")
        self.form.insertRow(7, plain_label(), self.dose_check)
        self.set_value("date", today)
        self.set_value("nurse", nurse)
        self.set_value("reaction", "none")
        regimen = regimen_in_effect(case, today)
        weight = latest_weight(case, today)
        if regimen is not None:
            self.set_value("product", regimen.product)
        if weight is not None:
            self.set_value("weight_kg", weight.kg)
        if regimen is not None and weight is not None:
            mg = dose_mg(regimen.dose_mg_per_kg, weight.kg)
            self.set_value("dose_mg", mg)
            self.set_value("vials", vials_for(mg))
        for name in ("dose_mg", "weight_kg"):
            self.widgets[name].textChanged.connect(self.update_dose_check)  # type: ignore[attr-defined]
        self.update_dose_check()
        self.resize(620, 760)

    def update_dose_check(self) -> None:
        """Live: mg/kg delivered, vials, waste and label status of what is typed."""
        regimen = regimen_in_effect(self.case, self.today)
        lines = []
        try:
            mg = float(self.text("dose_mg").replace(",", "."))
            kg = float(self.text("weight_kg").replace(",", "."))
        except ValueError:
            mg = kg = 0.0
        if mg > 0 and kg > 0:
            line = (
                f"{fmt_quantity(mg, 'mg')} = {fmt_number(mg / kg, 2)} mg/kg at "
                f"{fmt_quantity(kg, 'kg')}: {vials_for(mg)} vials, "
                f"{fmt_number(waste_mg(mg))} mg waste"
            )
            if regimen is not None:
                ordered = dose_mg(regimen.dose_mg_per_kg, kg)
                line += f". Regimen: {fmt_number(regimen.dose_mg_per_kg)} mg/kg = {ordered} mg"
                if ordered != round(mg):
                    line += f" (typed dose differs by {fmt_number(mg - ordered)} mg)"
                label = check_label(
                    indication=self.case.patient.indication,
                    age_years=age_years(self.case.patient.birth_date, self.today),
                    nyha_class=self.case.patient.nyha_class,
                    interval_weeks=regimen.interval_weeks,
                    mg_per_kg=mg / kg,
                    weight_kg=kg,
                    delivered_mg=mg,
                )
                if not label.within_label:
                    line += f". ⚠ {label.label_note}"
            lines.append(line + ".")
        else:
            lines.append("Enter the dose (mg) and the weight used (kg).")
        lines += [f"⚠ {w}" for w in weight_warnings(self.case, self.today, load_policy())]
        self.dose_check.setText("\n".join(lines))

    def record(self) -> r.Infusion:
        names = [
            "date", "start_time", "end_time", "product", "weight_kg", "dose_mg", "vials", "lot",
            "lot_expiry", "premedication", "reaction", "reaction_description",
            "symptoms_returned_before", "symptoms_days_before", "nurse", "notes",
        ]  # fmt: skip
        vital_names = [f"{phase}.{name}" for phase in ("before", "after") for name, *_ in VITALS]
        v = self.read(names + vital_names)
        vitals = []
        for phase in ("before", "after"):
            values = {name: v[f"{phase}.{name}"] for name, *_ in VITALS}
            if any(value is not None for value in values.values()):
                vitals.append(r.VitalSigns(phase=phase, **values))
        self._vital_phases = [vital.phase for vital in vitals]
        premedication = tuple(p.strip() for p in (v["premedication"] or "").split(";") if p.strip())
        reaction = None
        if v["reaction"] != "none" or v["reaction_description"]:
            reaction = r.Reaction(grade=v["reaction"], description=v["reaction_description"])
        return r.Infusion(
            date=v["date"],
            product=v["product"],
            dose_mg=v["dose_mg"],
            start_time=v["start_time"],
            end_time=v["end_time"],
            weight_kg=v["weight_kg"],
            lot=v["lot"],
            lot_expiry=v["lot_expiry"],
            vials=v["vials"],
            premedication=premedication,
            reaction=reaction,
            symptoms_returned_before=v["symptoms_returned_before"],
            symptoms_days_before=v["symptoms_days_before"],
            nurse=v["nurse"],
            notes=v["notes"] or None,
            vitals=tuple(vitals),
        )

    def show_problems(self, problems: Sequence[str]) -> None:
        """Vital-sign problems come as "vitals[0].pulse_bpm: …": show them on their field."""
        phases = getattr(self, "_vital_phases", [])
        mapped = []
        for problem in problems:
            name, _, message = problem.partition(": ")
            if name.startswith("vitals[") and "]." in name:
                index = int(name[len("vitals[") : name.index("]")])
                field_name = name[name.index("].") + 2 :]
                if index < len(phases):
                    name = f"{phases[index]}.{field_name}"
            mapped.append(f"{name}: {message}" if message else problem)
        super().show_problems(mapped)
