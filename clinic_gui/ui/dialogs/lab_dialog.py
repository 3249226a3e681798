"""Record a lab result: the unit is chosen from the units accepted for the test."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget

from clinic_gui.domain import records as r
from clinic_gui.domain.validation import check_lab_result
from clinic_gui.domain.vocabulary import vocabulary
from clinic_gui.ui.dialogs.form import Field, RecordForm


def _fields() -> list[Field]:
    vocab = vocabulary()
    return [
        Field("date", "Sampled on", "date", aliases=("sampled_at",)),
        Field("time", "Sampled at", "time"),
        Field("test", "Test", "choice", tuple((t.label, t.code) for t in vocab.lab_tests.values())),
        Field("comparator", "Comparator", "choice", (("=", None), ("<", "<"), (">", ">"))),
        Field("value", "Value", "number", required=True),
        Field("unit", "Unit", "choice"),
        Field("assay", "Assay"),
        Field(
            "timing", "Timing", "choice",
            (
                ("not stated (read as trough)", None),
                ("trough", "trough"),
                ("not a trough", "non_trough"),
            ),
        ),
        Field(
            "interpretation", "Lab interpretation", "choice",
            (("none given", None), *((i, i) for i in vocab.antibody_interpretations)),
        ),
        Field("lloq", "Lower limit of quantification", "number"),
        Field("notes", "Notes", "notes"),
    ]  # fmt: skip


class LabDialog(RecordForm):
    def __init__(
        self, case: r.Case, *, today: dt.date, save: Callable[[r.LabResult], Any],
        parent: QWidget | None = None,
    ) -> None:  # fmt: skip
        patient = case.patient
        super().__init__(
            f"Add lab result — {patient.name} ({patient.mrn})",
            _fields(),
            save=save,
            check=lambda record: check_lab_result(record, patient, today=today),
            intro="A result below the limit of quantification is recorded with comparator '<' "
            "(e.g. < 0.4 mcg/mL). Antibody units are assay-specific: name the assay.",
            parent=parent,
        )
        self.set_value("date", today)
        self.test_box: QComboBox = self.widgets["test"]  # type: ignore[assignment]
        self.unit_box: QComboBox = self.widgets["unit"]  # type: ignore[assignment]
        self.test_box.currentIndexChanged.connect(self._units_for_test)
        self._units_for_test()
        self.resize(560, 560)

    def _units_for_test(self) -> None:
        test = vocabulary().lab_tests[self.test_box.currentData()]
        self.unit_box.clear()
        for unit in test.units:
            self.unit_box.addItem(unit, unit)
        interpretation = self.widgets["interpretation"]
        interpretation.setEnabled(test.code == "anti_infliximab_antibody")
        if not interpretation.isEnabled():
            self.set_value("interpretation", None)

    def record(self) -> r.LabResult:
        v = self.read(
            ["date", "time", "test", "comparator", "value", "unit", "assay", "timing",
             "interpretation", "lloq", "notes"]
        )  # fmt: skip
        sampled: dt.date | dt.datetime = v["date"]
        if v["time"] is not None:
            sampled = dt.datetime.combine(v["date"], v["time"])
        return r.LabResult(
            sampled_at=sampled,
            test=v["test"],
            value=v["value"],
            unit=v["unit"],
            comparator=v["comparator"],
            assay=v["assay"],
            timing=v["timing"],
            interpretation=v["interpretation"],
            lloq=v["lloq"],
            notes=v["notes"] or None,
        )
