"""The centre panel: who the selected patient is and where their treatment stands."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QFrame, QLabel, QVBoxLayout, QWidget

from clinic_gui.domain import records as r
from clinic_gui.domain.dosing import load_policy, weight_warnings
from clinic_gui.domain.formatting import fmt_number, fmt_quantity
from clinic_gui.domain.history import age_years, last_infusion, latest_weight, regimen_in_effect
from clinic_gui.domain.vocabulary import vocabulary


class PatientSummary(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        self.title = QLabel()
        self.title.setObjectName("patientTitle")
        self.title.setStyleSheet("font-size: 18pt; font-weight: 600;")
        self.subtitle = QLabel()
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.title)
        layout.addWidget(self.subtitle)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        layout.addWidget(line)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        self.fields: dict[str, QLabel] = {}
        for key, label in (
            ("weight", "Current weight"),
            ("weight_warning", ""),
            ("regimen", "Regimen in effect"),
            ("last", "Last infusion"),
            ("record", "Record"),
            ("notes", "Notes"),
        ):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.fields[key] = value
            self.form.addRow(f"{label}:" if label else "", value)
        self.fields["weight_warning"].setStyleSheet("color: #b00020;")
        self.fields["weight_warning"].setWordWrap(False)
        self.fields["weight_warning"].setAccessibleName("Weight warning")
        layout.addLayout(self.form)
        layout.addStretch(1)
        self.show_nothing()

    def show_nothing(self) -> None:
        self.title.setText("No patient selected")
        self.subtitle.setText("Search by MRN or name on the left (Ctrl+F), then press Enter.")
        for value in self.fields.values():
            value.setText("")
            self.form.setRowVisible(value, False)

    def show_case(self, case: r.Case, today: dt.date | None = None) -> None:
        today = today or dt.date.today()
        p = case.patient
        vocab = vocabulary()
        self.title.setText(p.name)
        parts = [
            f"MRN {p.mrn}",
            f"{age_years(p.birth_date, today)} years (born {p.birth_date.isoformat()})",
            p.sex,
            vocab.indications.get(p.indication, p.indication),
        ]
        if p.nyha_class:
            parts.append(f"heart failure NYHA class {['I', 'II', 'III', 'IV'][p.nyha_class - 1]}")
        self.subtitle.setText("  ·  ".join(parts))

        for value in self.fields.values():
            self.form.setRowVisible(value, True)
        weight = latest_weight(case, today)
        self.fields["weight"].setText(
            f"{fmt_quantity(weight.kg, 'kg')} on {weight.date.isoformat()}"
            if weight
            else "not recorded"
        )
        warnings = weight_warnings(case, today, load_policy()) if weight else []
        self.fields["weight_warning"].setText("\n".join(f"⚠ {w}" for w in warnings))
        self.form.setRowVisible(self.fields["weight_warning"], bool(warnings))
        regimen = regimen_in_effect(case, today)
        self.fields["regimen"].setText(
            f"{regimen.product} {fmt_quantity(regimen.dose_mg_per_kg, 'mg/kg')} every "
            f"{fmt_number(regimen.interval_weeks)} weeks (since {regimen.start_date.isoformat()})"
            if regimen
            else "none recorded"
        )
        last = last_infusion(case, today)
        self.fields["last"].setText(
            f"{last.date.isoformat()}: {last.product} {fmt_quantity(last.dose_mg, 'mg')}"
            + (f", {last.vials} vials" if last.vials else "")
            if last
            else "none recorded"
        )
        self.fields["record"].setText(
            f"{len(case.infusions)} infusions, {len(case.diary)} diary entries, "
            f"{len(case.labs)} lab results, {len(case.weights)} weights"
        )
        self.fields["notes"].setText(p.notes or "")
        self.form.setRowVisible(self.fields["notes"], bool(p.notes))
