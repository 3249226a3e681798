"""One way to build a data-entry dialog: declared fields, problems shown beside them.

A dialog declares its fields (name, label, kind). Reading the form turns text into values
and collects reading problems ("weight_kg: 'eighty' is not a number"); the record is then
checked by the domain's own validation, whose problems ("kg: 0 kg is outside the accepted
range…") are shown under the field they name. Nothing is saved until the whole form is
valid; a refused save keeps everything the user typed. Enter saves, Esc cancels.

A save the store holds back for plausibility warnings (``NeedsConfirmation``: 12 mg/kg, a
weight 15% off the previous one) asks the user in a dialog, "Save anyway" or "Go back"
(the default). Save anyway saves again with exactly those warnings confirmed; Go back keeps
the input, saves nothing and shows each warning beside its field.

Every label shows its text as plain text, never as rich text: problems repeat what was
typed, and "<b>" typed into a field must read as "<b>".
"""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QDate, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain.case_file import parse_date
from clinic_gui.domain.plausibility import CHECK
from clinic_gui.store.entries import SAVE_REFUSED, NeedsConfirmation
from clinic_gui.ui.text import plain_label

ERROR_STYLE = "color: #b00020;"
SAVE_ANYWAY = "Save anyway"
GO_BACK = "Go back"


@dataclass(frozen=True)
class Field:
    name: str  # the record field the domain's problems name
    label: str
    kind: str = "text"  # text | number | integer | date | optional_date | time | choice | notes
    choices: Sequence[tuple[str, Any]] = ()  # (shown text, value) for "choice"
    placeholder: str = ""
    unit: str = ""  # shown after the field
    required: bool = False
    aliases: tuple[str, ...] = field(default=())  # other problem names shown on this field


class FormReadError(ValueError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


class RecordForm(QDialog):
    """A dialog of declared fields. Subclasses build the record in ``record()``."""

    def __init__(
        self,
        title: str,
        fields: Sequence[Field],
        *,
        save: Callable[[Any], Any],
        check: Callable[[Any], list[str]] | None = None,
        intro: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setAccessibleName(title)
        self._save = save
        self._check = check
        self.widgets: dict[str, QWidget] = {}
        self.errors: dict[str, QLabel] = {}
        self._aliases: dict[str, str] = {}
        self.saved_id: Any = None
        self.last_record: Any = None

        outer = QVBoxLayout(self)
        if intro:
            self.intro = plain_label(intro)
            self.intro.setWordWrap(True)
            outer.addWidget(self.intro)
        body = QWidget()
        self.form = QFormLayout(body)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        for spec in fields:
            self.add_field(spec)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer.addWidget(scroll, 1)
        self.summary = plain_label()
        self.summary.setStyleSheet(ERROR_STYLE)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName("Problems with this form")
        self.summary.hide()
        outer.addWidget(self.summary)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setDefault(True)
        self.buttons.accepted.connect(self.try_save)
        self.buttons.rejected.connect(self.reject)
        outer.addWidget(self.buttons)

    # -- building ----------------------------------------------------------------------------
    def add_field(self, spec: Field, after: QWidget | None = None) -> QWidget:
        widget = self._widget_for(spec)
        widget.setAccessibleName(spec.label)
        widget.setObjectName(spec.name)
        error = plain_label()
        error.setStyleSheet(ERROR_STYLE)
        error.setWordWrap(True)
        error.setAccessibleName(f"{spec.label}: problem")
        error.hide()
        holder = QWidget()
        column = QVBoxLayout(holder)
        column.setContentsMargins(0, 0, 0, 0)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(widget, 1)
        if spec.unit:
            unit = plain_label(spec.unit)
            # One width for every unit, so fields line up whatever their unit.
            unit.setMinimumWidth(unit.fontMetrics().horizontalAdvance("mg/kg/w"))
            row.addWidget(unit)
        column.addLayout(row)
        column.addWidget(error)
        label = plain_label(f"{spec.label}{' *' if spec.required else ''}:")
        label.setBuddy(widget)
        self.form.addRow(label, holder)
        self.widgets[spec.name] = widget
        self.errors[spec.name] = error
        for alias in spec.aliases:
            self._aliases[alias] = spec.name
        self._specs = {**getattr(self, "_specs", {}), spec.name: spec}
        return widget

    def _widget_for(self, spec: Field) -> QWidget:
        if spec.kind == "date":
            edit = QDateEdit()
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("yyyy-MM-dd")
            return edit
        if spec.kind == "choice":
            box = QComboBox()
            for text, value in spec.choices:
                box.addItem(text, value)
            return box
        if spec.kind == "notes":
            notes = QPlainTextEdit()
            notes.setTabChangesFocus(True)
            notes.setMaximumHeight(60)
            return notes
        line = QLineEdit()
        line.setPlaceholderText(
            spec.placeholder or {"time": "HH:MM", "optional_date": "YYYY-MM-DD"}.get(spec.kind, "")
        )
        return line

    # -- values ------------------------------------------------------------------------------
    def set_value(self, name: str, value: Any) -> None:
        widget = self.widgets[name]
        if isinstance(widget, QDateEdit):
            day = value or dt.date.today()
            widget.setDate(QDate(day.year, day.month, day.day))
        elif isinstance(widget, QComboBox):
            index = widget.findData(value)
            widget.setCurrentIndex(max(index, 0))
        elif isinstance(widget, QPlainTextEdit):
            widget.setPlainText(value or "")
        elif isinstance(widget, QLineEdit):
            widget.setText(_as_text(value))

    def text(self, name: str) -> str:
        widget = self.widgets[name]
        if isinstance(widget, QPlainTextEdit):
            return widget.toPlainText().strip()
        if isinstance(widget, QLineEdit):
            return widget.text().strip()
        if isinstance(widget, QComboBox):
            return widget.currentText()
        return ""

    def read(self, names: Sequence[str]) -> dict[str, Any]:
        """Values of these fields by their kind; FormReadError lists every unreadable one."""
        values: dict[str, Any] = {}
        problems: list[str] = []
        for name in names:
            spec = self._specs[name]
            widget = self.widgets[name]
            try:
                values[name] = self._value(spec, widget)
            except ValueError as exc:
                problems.append(f"{name}: {exc}")
        if problems:
            raise FormReadError(problems)
        return values

    def _value(self, spec: Field, widget: QWidget) -> Any:
        if isinstance(widget, QDateEdit):
            return widget.date().toPython()
        if isinstance(widget, QComboBox):
            return widget.currentData()
        text = self.text(spec.name)
        if not text:
            if spec.required:
                raise ValueError("required")
            return None
        if spec.kind in ("number", "integer"):
            try:
                number = float(text.replace(",", "."))
            except ValueError:
                raise ValueError(f"{text!r} is not a number") from None
            if spec.kind == "integer":
                if not number.is_integer():
                    raise ValueError(f"{text!r} is not a whole number")
                return int(number)
            return number
        if spec.kind == "time":
            try:
                time = dt.time.fromisoformat(text if len(text) == 5 else text.zfill(5))
            except ValueError:
                time = None
            # Local times to the minute: "10:00+01:00" or "10:00:30" is not one.
            if time is None or time.tzinfo is not None or time.second or time.microsecond:
                raise ValueError(f"{text!r} is not a time (HH:MM)")
            return time
        if spec.kind == "optional_date":
            try:
                return parse_date(text)
            except ValueError as exc:
                raise ValueError(
                    str(exc) if "real date" in str(exc) else f"{text!r} is not a date (YYYY-MM-DD)"
                ) from None
        return text

    # -- saving ------------------------------------------------------------------------------
    def record(self) -> Any:  # pragma: no cover - every dialog overrides it
        raise NotImplementedError

    def try_save(self) -> bool:
        """Read, check, save; on any problem show it beside its field and keep the input."""
        self.show_problems([])
        try:
            record = self.record()
        except FormReadError as exc:
            self.show_problems(exc.problems)
            return False
        problems = self._check(record) if self._check else []
        if problems:
            self.show_problems(problems)
            return False
        self.last_record = record
        confirmed: tuple[str, ...] = ()
        while True:
            try:
                if confirmed:
                    self.saved_id = self._save(record, confirmed=confirmed)
                else:
                    self.saved_id = self._save(record)
                break
            except NeedsConfirmation as exc:  # possible but suspicious: the user decides
                if (
                    exc.warnings == confirmed
                    or not _takes_confirmed(self._save)
                    or not self.confirm_warnings(exc.warnings)
                ):
                    self.show_problems(list(exc.warnings))
                    return False
                confirmed = exc.warnings
            except SAVE_REFUSED as exc:  # refused by the store: checks, role, conflict, disk
                self.show_problems(getattr(exc, "problems", None) or [str(exc)])
                return False
        self.accept()
        return True

    # -- confirming plausibility warnings ----------------------------------------------------
    def confirm_warnings(self, warnings: Sequence[str]) -> bool:
        """Ask whether to save despite ``warnings``; True for "Save anyway".

        Tests replace this method: the real one opens a modal box.
        """
        box = self.confirmation_box(warnings)
        box.exec()
        clicked = box.clickedButton()
        return clicked is not None and box.buttonRole(clicked) == QMessageBox.ButtonRole.AcceptRole

    def confirmation_box(self, warnings: Sequence[str]) -> QMessageBox:
        """The question, in plain text: each warning under the label of its field."""
        box = QMessageBox(self)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle("Check before saving")
        box.setTextFormat(Qt.TextFormat.PlainText)
        count = "this value" if len(warnings) == 1 else "these values"
        box.setText(f"Please check {count} before saving.")
        box.setInformativeText("\n\n".join(self.warning_text(w) for w in warnings))
        for label in box.findChildren(QLabel):
            label.setTextFormat(Qt.TextFormat.PlainText)
        box.addButton(SAVE_ANYWAY, QMessageBox.ButtonRole.AcceptRole)
        back = box.addButton(GO_BACK, QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(back)
        box.setEscapeButton(back)
        return box

    def warning_text(self, warning: str) -> str:
        """'dose_mg: check before saving: …' as 'Dose: …' (the field's label)."""
        name, _, message = warning.partition(": ")
        target = self._aliases.get(name, name)
        spec = self._specs.get(target)
        if spec is None or not message:
            return warning
        return f"{spec.label}: {message.removeprefix(CHECK)}"

    def show_problems(self, problems: Sequence[str]) -> None:
        for label in self.errors.values():
            label.hide()
            label.setText("")
        unplaced = []
        for problem in problems:
            name, _, message = problem.partition(": ")
            target = self._aliases.get(name, name)
            if target not in self.errors:
                target = self._aliases.get(name.split("[")[0].split(".")[0], target)
            if target in self.errors and message:
                label = self.errors[target]
                label.setText("\n".join(filter(None, [label.text(), message])))
                label.show()
            else:
                unplaced.append(problem)
        self.summary.setText(
            ("Not saved: " + "; ".join(unplaced))
            if unplaced
            else ("Not saved." if problems else "")
        )
        self.summary.setVisible(bool(problems))
        first = next((n for n, label in self.errors.items() if label.isVisible()), None)
        if first:
            self.widgets[first].setFocus()


def _takes_confirmed(save: Callable[..., Any]) -> bool:
    """Can ``save`` be called again with ``confirmed=``? (Otherwise a warning just refuses.)"""
    try:
        parameters = inspect.signature(save).parameters.values()
    except (TypeError, ValueError):
        return False
    return any(p.name == "confirmed" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)


def _as_text(value: Any) -> str:
    from clinic_gui.domain.formatting import fmt_number

    if value is None:
        return ""
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float | int) and not isinstance(value, bool):
        return fmt_number(value)
    return str(value)
