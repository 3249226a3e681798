"""Change the regimen: a new row with a reason (never an overwrite), label status live."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from clinic_gui.domain import records as r
from clinic_gui.domain.dosing import dose_option, load_policy
from clinic_gui.domain.formatting import fmt_number
from clinic_gui.domain.history import age_years, latest_weight, regimen_in_effect
from clinic_gui.domain.validation import check_regimen
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.ui.dialogs.form import Field, RecordForm
from clinic_gui.ui.text import plain_label


class RegimenDialog(RecordForm):
    def __init__(
        self, case: r.Case, *, today: dt.date, ordered_by: str,
        save: Callable[[r.Regimen], Any], parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        self.case = case
        self.today = today
        patient = case.patient
        fields = [
            Field("start_date", "Starts on", "date"),
            Field("product", "Product", "choice", tuple((p, p) for p in vocabulary().products)),
            Field("dose_mg_per_kg", "Dose", "number", unit="mg/kg", required=True),
            Field("interval_weeks", "Every", "number", unit="weeks", required=True),
            Field("reason", "Reason for the change", required=True),
            Field("ordered_by", "Ordered by"),
        ]
        super().__init__(
            f"Change regimen — {patient.name} ({patient.mrn})",
            fields,
            save=save,
            check=lambda record: check_regimen(record, patient, today=today, require_reason=True),
            intro="A change is recorded as a new regimen from its start date; the earlier "
            "regimen stays in the record.",
            parent=parent,
        )
        self.preview = plain_label()
        self.preview.setWordWrap(True)
        self.preview.setAccessibleName("Dose and label check")
        self.form.addRow(plain_label("Check:"), self.preview)
        current = regimen_in_effect(case, today)
        self.set_value("start_date", today)
        self.set_value("ordered_by", ordered_by)
        if current is not None:
            self.set_value("product", current.product)
            self.set_value("dose_mg_per_kg", current.dose_mg_per_kg)
            self.set_value("interval_weeks", current.interval_weeks)
        for name in ("dose_mg_per_kg", "interval_weeks"):
            self.widgets[name].textChanged.connect(self.update_preview)  # type: ignore[attr-defined]
        self.update_preview()

    def update_preview(self) -> None:
        try:
            mg_per_kg = float(self.text("dose_mg_per_kg").replace(",", "."))
            weeks = float(self.text("interval_weeks").replace(",", "."))
            if mg_per_kg <= 0 or weeks <= 0:
                raise ValueError
        except ValueError:
            self.preview.setText("Enter the dose in mg/kg and the interval in weeks.")
            return
        weight = latest_weight(self.case, self.today)
        p = self.case.patient
        option = dose_option(
            "proposed", mg_per_kg, weeks, indication=p.indication,
            age_years=age_years(p.birth_date, self.today), nyha_class=p.nyha_class,
            weight_kg=weight.kg if weight else None, policy=load_policy(),
        )  # fmt: skip
        if option.dose_mg is None:
            text = "No weight recorded: the dose in mg cannot be worked out."
        else:
            text = (
                f"{option.dose_mg} mg ({option.vials} vials, {fmt_number(option.waste_mg or 0)} mg "
                f"waste), {fmt_number(option.mg_per_kg_per_week, 3)} mg/kg/week at "
                f"{fmt_number(option.weight_kg or 0)} kg"
            )
        label = "within the label" if option.within_label else f"⚠ {option.label_note}"
        self.preview.setText(f"{text}; {label}.")

    def record(self) -> r.Regimen:
        v = self.read(
            ["start_date", "product", "dose_mg_per_kg", "interval_weeks", "reason", "ordered_by"]
        )
        return r.Regimen(**v)
