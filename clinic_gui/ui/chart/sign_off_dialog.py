"""Sign off a recommendation: the physician records what they decided.

The dialog repeats the decision-table row the patient is in and the inputs that put them
there, as the panel shows them, and asks what the physician decided. The sign-off is their
decision record, kept with the assessment as shown; the app's findings stay decision
support. Saving goes through the ``save`` callable (``entries.sign_off``), which checks the
signed-in user's role in the database.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPlainTextEdit, QVBoxLayout, QWidget

from clinic_gui.domain.assessment import Assessment
from clinic_gui.domain.decision import table
from clinic_gui.ui.chart.recommendation_panel import tdm_inputs
from clinic_gui.ui.dialogs.form import Field, RecordForm

INPUT_TITLES = (
    ("trough", "Trough"),
    ("antibodies", "Antibodies"),
    ("target", "Target"),
    ("inflammation", "Inflammation"),
    ("missing", "Missing"),
)


def sign_off_summary(a: Assessment) -> str:
    """The row and its inputs as plain text, as the recommendation panel shows them."""
    patient = a.case.patient
    row = a.tdm.row
    lines = [
        f"{patient.name} (MRN {patient.mrn}), assessed as of {a.as_of.isoformat()}.",
        "",
        f"TDM decision table (version {table()['version']}), this patient's row:",
        f"  {row['situation']}",
        f"Why: {a.tdm.why}",
    ]
    inputs = tdm_inputs(a)
    for key, title in INPUT_TITLES:
        lines.append(f"{title}: " + "\n    ".join(inputs[key]))
    if row.get("options"):
        lines.append("Options to consider: " + "; ".join(row["options"]))
    return "\n".join(lines)


class SignOffDialog(RecordForm):
    """``record()`` is the note (None when left empty); ``save(note)`` stores the sign-off."""

    def __init__(
        self,
        assessment: Assessment,
        *,
        save: Callable[[str | None], Any],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            "Sign off the recommendation",
            [
                Field(
                    "note",
                    "What you decided",
                    kind="notes",
                )
            ],
            save=save,
            intro=(
                "Your sign-off is your decision record as the treating physician: it is kept "
                "with your name, the time and the assessment below as it is shown now. The "
                "findings and options are decision support; what you decided is yours."
            ),
            parent=parent,
        )
        self.assessment = assessment
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)  # a refusal may quote typed text
        for label in self.errors.values():
            label.setTextFormat(Qt.TextFormat.PlainText)
        self.inputs = QPlainTextEdit(sign_off_summary(assessment))  # always plain text
        self.inputs.setReadOnly(True)
        self.inputs.setAccessibleName("The decision-table row and its inputs, as shown")
        self.inputs.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        caption = QLabel("The recommendation as shown:")
        caption.setBuddy(self.inputs)
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.insertWidget(1, caption)  # after the introduction
        layout.insertWidget(2, self.inputs, 3)
        note = self.widgets["note"]
        assert isinstance(note, QPlainTextEdit)
        note.setMaximumHeight(16777215)
        note.setMinimumHeight(note.fontMetrics().lineSpacing() * 4)
        note.setPlaceholderText("e.g. trough and antibodies before the next infusion")
        self.resize(640, 560)

    def set_note(self, text: str) -> None:
        self.set_value("note", text)

    def record(self) -> str | None:
        return self.text("note") or None
