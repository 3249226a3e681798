"""Record a weight (kg, metric only)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from clinic_gui.domain import records as r
from clinic_gui.domain.validation import check_weight
from clinic_gui.ui.dialogs.form import Field, RecordForm


class WeightDialog(RecordForm):
    def __init__(
        self, case: r.Case, *, today: dt.date, save: Callable[[r.Weight], Any],
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        patient = case.patient
        super().__init__(
            f"Record weight — {patient.name} ({patient.mrn})",
            [
                Field("date", "Date", "date"),
                Field("kg", "Weight", "number", unit="kg", required=True),
            ],
            save=save,
            check=lambda record: check_weight(record, patient, today=today),
            intro="Weigh in kilograms (metric only).",
            parent=parent,
        )
        self.set_value("date", today)

    def record(self) -> r.Weight:
        v = self.read(["date", "kg"])
        return r.Weight(date=v["date"], kg=v["kg"])
