"""New patient (or edit the demographics of an existing one)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from clinic_gui.domain import records as r
from clinic_gui.domain.validation import check_patient
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.ui.dialogs.form import Field, RecordForm

NYHA = (("no heart failure recorded", None), ("I", 1), ("II", 2), ("III", 3), ("IV", 4))


class PatientDialog(RecordForm):
    def __init__(
        self, *, today: dt.date, save: Callable[[r.Patient], Any],
        patient: r.Patient | None = None, parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        vocab = vocabulary()
        fields = [
            Field("mrn", "MRN", required=True),
            Field("name", "Name", required=True),
            Field("birth_date", "Birth date", "optional_date", required=True),
            Field("sex", "Sex", "choice", tuple((s, s) for s in vocab.sexes)),
            Field(
                "indication",
                "Indication",
                "choice",
                tuple((label, code) for code, label in vocab.indications.items()),
            ),
            Field("height_cm", "Height", "number", unit="cm"),
            Field("nyha_class", "Heart failure (NYHA class)", "choice", NYHA),
            Field("notes", "Notes", "notes"),
        ]
        super().__init__(
            "Edit patient" if patient else "New patient",
            fields,
            save=save,
            check=lambda record: check_patient(record, today=today),
            parent=parent,
        )
        if patient is not None:
            for name in (
                "mrn",
                "name",
                "birth_date",
                "sex",
                "indication",
                "height_cm",
                "nyha_class",
                "notes",
            ):
                self.set_value(name, getattr(patient, name))

    def record(self) -> r.Patient:
        v = self.read(
            ["mrn", "name", "birth_date", "sex", "indication", "height_cm", "nyha_class", "notes"]
        )
        v["notes"] = v["notes"] or None
        return r.Patient(**v)
