"""The always-visible recommendation panel: what the assessment found, in the clinician's words.

Four sections, top to bottom: end-of-dose wearing off; the TDM decision table (every row, the
patient's highlighted, with the inputs that put them there, options and sources); dose options
with a live proposal field; warnings. The panel computes nothing clinical itself: it shows an
``Assessment`` and, for the typed regimen, asks ``dosing.dose_option`` with the same patient,
weight and policy the assessment used.

With a session (``enable_sign_off``), a row at the top shows the latest physician's sign-off
(their decision record, in their words) and a "Sign off…" button for a physician; the chart
opens the dialog and saves (``sign_off_requested``).
"""

from __future__ import annotations

import datetime as dt
import html
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlparse

from PySide6.QtCore import QAbstractItemModel, QSize, Qt, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from clinic_gui.domain import records as r
from clinic_gui.domain.assessment import Assessment
from clinic_gui.domain.decision import citation, table
from clinic_gui.domain.dosing import DoseOption, dose_option, parse_regimen
from clinic_gui.domain.formatting import fmt_quantity
from clinic_gui.ui.chart import badge_css, scaled_font, set_style_sheet, warning_css
from clinic_gui.ui.chart.dose_options_model import REGIMEN, DoseOptionsModel, kind_text
from clinic_gui.ui.text import local_time, plain_tooltip

if TYPE_CHECKING:
    from clinic_gui.store.chart import SignOff

SOURCE_TEXT = {
    "diary": "diary",
    "nurse_report": "nurse reports",
    "both": "both (diary and nurse reports)",
    "none": "none (neither the diary nor the nurse reports)",
}
INFLAMMATION_TEXT = {
    "present": "objective inflammation present",
    "absent": "no objective inflammation",
    "not_shown": "not shown by the results on record",
    "unknown": "unknown",
}
CYCLES_SHOWN = 6  # the most recent cycles listed before "Show all"

BADGE_FLAGGED = "Possible end-of-dose wearing off"
BADGE_NOT_FLAGGED = "No end-of-dose pattern"
BADGE_NO_INFORMATION = "Not enough information"

NOT_SIGNED_OFF = "No physician's sign-off on record for this patient."
SIGN_OFF_NOTE_CHARS = 240  # a longer note is cut short here, in full in the tooltip
SIGN_OFF_TIP = (
    "A sign-off is the physician's own decision record: what they decided, kept with the "
    "assessment as it was shown. The panel's findings are decision support."
)


def _label(text: str = "", *, rich: bool = False, name: str = "") -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
    if name:
        label.setAccessibleName(name)
    return label


def _lines(items: Iterable[str], *, bullet: str = "") -> str:
    """Rich text: one escaped line per item."""
    return "<br>".join(f"{bullet}{html.escape(item)}" for item in items)


def _sampled(lab: r.LabResult) -> str:
    if isinstance(lab.sampled_at, dt.datetime):
        return lab.sampled_at.strftime("%Y-%m-%d %H:%M")
    return lab.sampled_at.isoformat()


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def tdm_inputs(a: Assessment) -> dict[str, list[str]]:
    """The inputs that put the patient in their decision-table row, as plain lines:
    "trough", "antibodies", "target", "inflammation" and "missing" (the panel shows them;
    the sign-off dialog repeats them as shown)."""
    tdm = a.tdm
    trough = tdm.trough
    lines = []
    if trough.lab is not None and trough.value_mcg_ml is not None:
        lab = trough.lab
        value = f"{lab.comparator or ''}{fmt_quantity(trough.value_mcg_ml, 'mcg/mL')}"
        parts = [f"{value} on {_sampled(lab)}"]
        if lab.assay:
            parts.append(f"assay {lab.assay}")
        lines.append("; ".join(parts))
        lines.append(_sentence(trough.reason))
    else:
        lines.append(f"None: {trough.reason}")
    lines += [f"Note: {n}" for n in trough.notes]
    out = {"trough": lines}

    ada = tdm.antibodies
    level = table()["antibody_levels"].get(ada.level, ada.level)
    lines = [_sentence(level)]
    if ada.lab is not None:
        lab = ada.lab
        result = f"{lab.comparator or ''}{fmt_quantity(lab.value, lab.unit)} on {_sampled(lab)}"
        lines.append(result + (f"; assay {lab.assay}" if lab.assay else ""))
    lines.append(f"Basis: {ada.basis}")
    lines += [f"Note: {n}" for n in ada.notes]
    out["antibodies"] = lines

    target = tdm.target
    if target.mcg_per_ml is None:
        shown = "no target"
    else:
        shown = fmt_quantity(target.mcg_per_ml, "mcg/mL")
        if target.extrapolated:
            shown += " (extrapolated)"
    out["target"] = [shown, target.note + "".join(f" [{k}]" for k in target.citations)]

    inflammation = tdm.inflammation
    status = INFLAMMATION_TEXT.get(inflammation.status, inflammation.status)
    lines = [_sentence(status)]
    lines += [item.describe() for item in inflammation.items]
    lines += [f"Note: {n}" for n in inflammation.notes]
    out["inflammation"] = lines
    out["missing"] = [f"• {m}" for m in tdm.missing] or ["nothing"]
    return out


class FittedTableView(QTableView):
    """A table exactly as tall as its rows (no inner vertical scrolling), for a scrolled panel."""

    def __init__(self) -> None:
        super().__init__()
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.verticalHeader().sectionResized.connect(self.updateGeometry)
        self.horizontalHeader().geometriesChanged.connect(self.updateGeometry)
        self.horizontalScrollBar().rangeChanged.connect(self.updateGeometry)

    def setModel(self, model: QAbstractItemModel | None) -> None:
        super().setModel(model)
        if model is not None:
            for signal in (model.modelReset, model.rowsInserted, model.rowsRemoved):
                signal.connect(self.updateGeometry)

    def content_height(self) -> int:
        header = self.horizontalHeader()
        height = max(header.height(), header.sizeHint().height())
        height += self.verticalHeader().length() + 2 * self.frameWidth()
        if self.horizontalScrollBar().maximum() > 0:
            height += self.horizontalScrollBar().sizeHint().height()
        return height

    def sizeHint(self) -> QSize:
        return QSize(super().sizeHint().width(), self.content_height())

    def minimumSizeHint(self) -> QSize:
        return QSize(super().minimumSizeHint().width(), self.content_height())


class RecommendationPanel(QWidget):
    """``show_assessment(a)`` fills it; ``proposal_changed(text)`` follows the regimen field."""

    proposal_changed = Signal(str)
    sign_off_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Recommendation panel")
        self._assessment: Assessment | None = None
        self._cycles_expanded = False

        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll_area = QScrollArea()
        self.scroll_area.setWidgetResizable(True)
        self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
        self.scroll_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        outer.addWidget(self.scroll_area)
        content = QWidget()
        content.setObjectName("recommendationContent")
        self.scroll_area.setWidget(content)
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(10)

        self.disclaimer = _label(
            "Decision support for the treating clinician: findings and options to consider, "
            "never a directive.",
            name="About this panel",
        )
        self.disclaimer.setFont(scaled_font(self.font(), 0.9))
        layout.addWidget(self.disclaimer)
        layout.addWidget(self._build_sign_off())

        layout.addWidget(self._build_wearing_off())
        layout.addWidget(self._build_tdm())
        layout.addWidget(self._build_dose_options())
        layout.addWidget(self._build_warnings())
        layout.addStretch(1)
        self.clear()

    # -- building ----------------------------------------------------------------------------
    def _small(self, label: QLabel) -> QLabel:
        label.setFont(scaled_font(self.font(), 0.9))
        return label

    def _build_sign_off(self) -> QFrame:
        """The latest sign-off and the button to add one; hidden until ``enable_sign_off``."""
        frame = QFrame()
        frame.setAccessibleName("Physician's sign-off")
        self.sign_off_row = frame
        row = QHBoxLayout(frame)
        row.setContentsMargins(0, 0, 0, 0)
        self.sign_off_label = _label(name="Latest sign-off")  # plain text: a typed note
        self.sign_off_label.setToolTip(SIGN_OFF_TIP)
        self.sign_off_button = QPushButton("Sign &off…")
        self.sign_off_button.setAccessibleName("Sign off the recommendation")
        self.sign_off_button.clicked.connect(self.sign_off_requested)
        row.addWidget(self.sign_off_label, 1)
        row.addWidget(self.sign_off_button, 0, Qt.AlignmentFlag.AlignTop)
        self._sign_off_allowed = False
        self._sign_off_refused = ""
        frame.setVisible(False)
        return frame

    def _build_wearing_off(self) -> QGroupBox:
        box = QGroupBox("End-of-dose wearing off")
        box.setAccessibleName("End-of-dose wearing off")
        self.wearing_off_box = box
        layout = QVBoxLayout(box)
        badge_row = QHBoxLayout()
        self.wearing_off_badge = QLabel()
        self.wearing_off_badge.setTextFormat(Qt.TextFormat.PlainText)
        self.wearing_off_badge.setAccessibleName("Wearing-off finding")
        badge_row.addWidget(self.wearing_off_badge)
        badge_row.addStretch(1)
        layout.addLayout(badge_row)
        self.wearing_off_source = _label(name="Wearing-off source")
        self.wearing_off_message = _label(name="Wearing-off message")
        self.cycles_label = self._small(_label(rich=True, name="Cycles"))
        self.cycles_toggle = QToolButton()
        self.cycles_toggle.setCheckable(True)
        self.cycles_toggle.setAccessibleName("Show every cycle")
        self.cycles_toggle.toggled.connect(self._on_cycles_toggled)
        self.rule_label = self._small(_label(name="Wearing-off rule"))
        self.rule_label.setVisible(False)
        self.rule_toggle = QToolButton()
        self.rule_toggle.setCheckable(True)
        self.rule_toggle.setText("The rule ▸")
        self.rule_toggle.setAccessibleName("Show the wearing-off rule")
        self.rule_toggle.toggled.connect(self._on_rule_toggled)
        self.unverified_label = _label(
            "Project rule, not a validated instrument.", name="Rule status"
        )
        italic = QFont(self.font())
        italic.setItalic(True)
        self.unverified_label.setFont(italic)
        for widget in (
            self.wearing_off_source,
            self.wearing_off_message,
            self.cycles_label,
            self.cycles_toggle,
            self.rule_toggle,
            self.rule_label,
            self.unverified_label,
        ):
            layout.addWidget(widget)
        return box

    def _build_tdm(self) -> QGroupBox:
        box = QGroupBox("TDM decision table")
        box.setAccessibleName("TDM decision table")
        self.tdm_box = box
        layout = QVBoxLayout(box)
        rows = QVBoxLayout()
        rows.setSpacing(1)
        self.tdm_row_labels: dict[str, QLabel] = {}
        for row in table()["rows"]:
            label = _label(row["situation"], name=f"Decision table row: {row['situation']}")
            label.setProperty("current", False)
            self.tdm_row_labels[row["id"]] = label
            rows.addWidget(label)
        layout.addLayout(rows)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.tdm_fields: dict[str, QLabel] = {}
        for key, title in (
            ("trough", "Trough"),
            ("antibodies", "Antibodies"),
            ("target", "Target"),
            ("inflammation", "Inflammation"),
            ("missing", "Missing"),
        ):
            field = _label(rich=True, name=title)
            self.tdm_fields[key] = field
            caption = QLabel(f"{title}:")
            caption.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
            caption.setBuddy(field)
            form.addRow(caption, field)
        self.tdm_form = form
        layout.addLayout(form)

        self.likely_cause_label = _label(rich=True, name="Likely cause")
        self.tdm_options_label = _label(rich=True, name="Options to consider")
        self.evidence_label = _label(rich=True, name="Reported figures")
        self.sources_button = QToolButton()
        self.sources_button.setCheckable(True)
        self.sources_button.setText("Sources ▸")
        self.sources_button.setAccessibleName("Show sources")
        self.sources_button.toggled.connect(self._on_sources_toggled)
        self.sources_label = self._small(_label(rich=True, name="Sources"))
        self.sources_label.setOpenExternalLinks(True)
        self.sources_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction)
        self.sources_label.setVisible(False)
        for widget in (
            self.likely_cause_label,
            self.tdm_options_label,
            self.evidence_label,
            self.sources_button,
            self.sources_label,
        ):
            layout.addWidget(widget)
        return box

    def _build_dose_options(self) -> QGroupBox:
        box = QGroupBox("Dose options")
        box.setAccessibleName("Dose options")
        self.dose_box = box
        layout = QVBoxLayout(box)
        self.dose_model = DoseOptionsModel()
        self.dose_table = FittedTableView()
        self.dose_table.setModel(self.dose_model)
        self.dose_table.setAccessibleName("Dose options table")
        self.dose_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.dose_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.dose_table.setWordWrap(True)  # the Regimen column wraps when the panel is narrow
        self.dose_table.verticalHeader().hide()
        self.dose_table.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents
        )
        self.dose_table.setAlternatingRowColors(True)
        header = self.dose_table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(REGIMEN, QHeaderView.ResizeMode.Stretch)
        header.setStretchLastSection(False)
        layout.addWidget(self.dose_table)

        prompt = QLabel("&Propose a regimen:")
        self.proposal_field = QLineEdit()
        self.proposal_field.setPlaceholderText("Type a regimen, e.g. 7 mg/kg q6w")
        self.proposal_field.setClearButtonEnabled(True)
        self.proposal_field.setAccessibleName("Proposed regimen")
        self.proposal_field.setAccessibleDescription(
            "As you type, the proposed regimen is worked out as a row of the dose options table"
        )
        prompt.setBuddy(self.proposal_field)
        field_row = QHBoxLayout()
        field_row.addWidget(prompt)
        field_row.addWidget(self.proposal_field, 1)
        layout.addLayout(field_row)
        self.proposal_error = _label(name="Proposal error")
        self.proposal_error.setStyleSheet(warning_css())
        self.proposal_error.setVisible(False)
        layout.addWidget(self.proposal_error)
        self.label_warnings = _label(rich=True, name="Label warnings")
        layout.addWidget(self.label_warnings)

        self.proposal_field.textChanged.connect(self._on_proposal_text)
        for signal in (
            self.dose_model.modelReset,
            self.dose_model.rowsInserted,
            self.dose_model.rowsRemoved,
            self.dose_model.dataChanged,
        ):
            signal.connect(self._on_options_changed)
        return box

    def _build_warnings(self) -> QGroupBox:
        box = QGroupBox("Warnings")
        box.setAccessibleName("Warnings")
        self.warnings_box = box
        layout = QVBoxLayout(box)
        self.warnings_label = _label(rich=True, name="Warnings list")
        layout.addWidget(self.warnings_label)
        return box

    # -- public ------------------------------------------------------------------------------
    @property
    def assessment(self) -> Assessment | None:
        return self._assessment

    @property
    def current_tdm_row(self) -> str | None:
        """The id of the highlighted decision-table row, or None when nothing is shown."""
        return self._assessment.tdm.row["id"] if self._assessment else None

    def proposal_text(self) -> str:
        return self.proposal_field.text()

    def set_proposal(self, text: str) -> None:
        self.proposal_field.setText(text)

    def enable_sign_off(self, allowed: bool | None, refused: str = "") -> None:
        """Show the sign-off row (None hides it); ``allowed`` enables the button, else its
        tooltip says why (``refused``, e.g. "Signing off needs the physician role")."""
        self.sign_off_row.setVisible(allowed is not None)
        self._sign_off_allowed = bool(allowed)
        self._sign_off_refused = refused
        self._update_sign_off_button()

    def _update_sign_off_button(self) -> None:
        ready = self._sign_off_allowed and self._assessment is not None
        self.sign_off_button.setEnabled(ready)
        if not self._sign_off_allowed:
            tip = self._sign_off_refused
        elif self._assessment is None:
            tip = "Open a patient first"
        else:
            tip = "Record your decision on this recommendation, with the assessment as shown"
        self.sign_off_button.setToolTip(tip)

    def show_sign_off(self, latest: SignOff | None) -> None:
        """The latest sign-off as plain text: "Signed off by <name> at <local time>: <note>"."""
        if latest is None:
            self.sign_off_label.setText(NOT_SIGNED_OFF if self._assessment else "")
            self.sign_off_label.setToolTip(SIGN_OFF_TIP)
            return
        head = f"Signed off by {latest.by_name or latest.by} at {local_time(latest.at)}"
        note = latest.note or ""
        shown = note if len(note) <= SIGN_OFF_NOTE_CHARS else note[:SIGN_OFF_NOTE_CHARS] + "…"
        text = f"{head}: {shown}" if note else f"{head} (no note)."
        tip = f"{head}: {note}\n\n{SIGN_OFF_TIP}" if shown != note else SIGN_OFF_TIP
        self.sign_off_label.setToolTip(plain_tooltip(tip))
        if self._assessment is not None and latest.decision_row != self.current_tdm_row:
            then = next(
                (row["situation"] for row in table()["rows"] if row["id"] == latest.decision_row),
                latest.decision_row,
            )
            text += f"\n(Signed off in the row “{then}”; the table now shows another row.)"
        self.sign_off_label.setText(text)

    def clear(self) -> None:
        self._assessment = None
        self.wearing_off_badge.setText("No patient")
        self.wearing_off_badge.setStyleSheet(badge_css("neutral"))
        for label in (
            self.wearing_off_source,
            self.wearing_off_message,
            self.cycles_label,
            self.rule_label,
            self.likely_cause_label,
            self.tdm_options_label,
            self.evidence_label,
            self.sources_label,
            self.label_warnings,
            *self.tdm_fields.values(),
        ):
            label.clear()
        self.cycles_toggle.setVisible(False)
        self.unverified_label.setVisible(False)
        self._highlight_row(None, "")
        self.tdm_box.setTitle(f"TDM decision table (version {table()['version']})")
        self.dose_model.clear()
        self.proposal_field.blockSignals(True)
        self.proposal_field.clear()
        self.proposal_field.blockSignals(False)
        self.proposal_field.setEnabled(False)
        self.proposal_error.setVisible(False)
        self.warnings_label.setText("")
        self.sign_off_label.clear()
        self._update_sign_off_button()

    def show_assessment(self, assessment: Assessment | None) -> None:
        if assessment is None:
            self.clear()
            return
        previous = self._assessment
        same_patient = (
            previous is not None and previous.case.patient.mrn == assessment.case.patient.mrn
        )
        self._assessment = assessment
        self._show_wearing_off(assessment)
        self._show_tdm(assessment)
        self.dose_model.set_options([o for o in assessment.dose_options if o.kind != "proposed"])
        self.proposal_field.setEnabled(True)
        if same_patient:
            self._on_proposal_text(self.proposal_field.text())
        else:
            self.proposal_field.clear()  # a proposal belongs to one patient
            self._on_proposal_text("")
        self._show_warnings(assessment.warnings)
        self._update_sign_off_button()

    # -- (a) wearing off ---------------------------------------------------------------------
    def _show_wearing_off(self, a: Assessment) -> None:
        wo = a.wearing_off
        if wo.flagged:
            text, kind = BADGE_FLAGGED, "flagged"
        elif wo.informative:
            text, kind = BADGE_NOT_FLAGGED, "calm"
        else:
            text, kind = BADGE_NO_INFORMATION, "neutral"
        self.wearing_off_badge.setText(text)
        set_style_sheet(self.wearing_off_badge, badge_css(kind))
        self.wearing_off_badge.setProperty("flagged", wo.flagged)
        self.wearing_off_source.setText(f"Source: {SOURCE_TEXT.get(wo.source, wo.source)}")
        self.wearing_off_message.setText(wo.message)
        self.rule_label.setText(f"Rule (settings {wo.settings_version}): {wo.rule}")
        self.unverified_label.setVisible(not wo.verified)
        many = len(wo.cycles) > CYCLES_SHOWN
        self.cycles_toggle.setVisible(many)
        self.cycles_toggle.setText(f"Show all {len(wo.cycles)} cycles")
        self._show_cycles()

    def _show_cycles(self) -> None:
        if self._assessment is None:
            return
        cycles = self._assessment.wearing_off.cycles
        shown = cycles if self._cycles_expanded else cycles[-CYCLES_SHOWN:]
        if not cycles:
            self.cycles_label.setText("No complete cycle yet.")
            return
        lines = []
        if len(shown) < len(cycles):
            lines.append(f"(the last {len(shown)} of {len(cycles)} cycles, oldest first)")
        for cycle in shown:
            text = html.escape(cycle.summary())
            lines.append(f'<span style="{warning_css()}">{text}</span>' if cycle.delayed else text)
        self.cycles_label.setText("<br>".join(lines))

    def _on_rule_toggled(self, checked: bool) -> None:
        self.rule_label.setVisible(checked)
        self.rule_toggle.setText("The rule ▾" if checked else "The rule ▸")

    def _on_cycles_toggled(self, checked: bool) -> None:
        self._cycles_expanded = checked
        if self._assessment is not None:
            count = len(self._assessment.wearing_off.cycles)
            self.cycles_toggle.setText(
                f"Show the last {CYCLES_SHOWN} cycles" if checked else f"Show all {count} cycles"
            )
        self._show_cycles()

    # -- (b) the TDM decision table ----------------------------------------------------------
    def _highlight_row(self, row_id: str | None, why: str) -> None:
        for key, label in self.tdm_row_labels.items():
            situation = next(row["situation"] for row in table()["rows"] if row["id"] == key)
            current = key == row_id
            label.setProperty("current", current)
            if current:
                label.setText(f"▶ {situation}  (this patient)")
                set_style_sheet(
                    label,
                    "background-color: palette(highlight); color: palette(highlighted-text); "
                    "font-weight: 600; padding: 2px 4px 2px 4px; border-radius: 3px;",
                )
                label.setToolTip(plain_tooltip(f"Why: {why}"))  # may quote a typed assay
                label.setAccessibleName(f"Decision table row, this patient's: {situation}")
                label.setAccessibleDescription(f"Why: {why}")
            else:
                label.setText(situation)
                set_style_sheet(label, "padding: 2px 4px 2px 1.6em;")
                label.setToolTip("")
                label.setAccessibleName(f"Decision table row: {situation}")
                label.setAccessibleDescription("")

    def _show_tdm(self, a: Assessment) -> None:
        tdm = a.tdm
        row = tdm.row
        self.tdm_box.setTitle(f"TDM decision table (version {table()['version']})")
        self._highlight_row(row["id"], tdm.why)

        inputs = tdm_inputs(a)
        for key in ("trough", "antibodies", "inflammation"):
            self.tdm_fields[key].setText(_lines(inputs[key]))

        target = tdm.target
        if target.mcg_per_ml is None:
            text = "<b>no target</b>"
        else:
            text = f"<b>{html.escape(fmt_quantity(target.mcg_per_ml, 'mcg/mL'))}</b>"
            if target.extrapolated:
                text += f' <b style="{warning_css()}">(extrapolated)</b>'
        cited = "".join(f" [{html.escape(k)}]" for k in target.citations)
        self.tdm_fields["target"].setText(f"{text}<br>{html.escape(target.note)}{cited}")

        self.tdm_fields["missing"].setText(
            _lines(tdm.missing, bullet="• ") if tdm.missing else "nothing"
        )

        cause = row["likely_cause"]
        self.likely_cause_label.setVisible(bool(cause))
        self.likely_cause_label.setText(f"<b>Likely cause:</b> {html.escape(cause or '')}")
        self.tdm_options_label.setText(
            "<b>Options to consider:</b><br>" + _lines(row["options"], bullet="• ")
        )
        evidence = [f"{e['text']} [{e['citation']}]" for e in row["evidence"]]
        self.evidence_label.setVisible(bool(evidence))
        self.evidence_label.setText("<b>Reported figures:</b><br>" + _lines(evidence, bullet="• "))

        keys = list(
            dict.fromkeys(
                [*row["citations"], *(e["citation"] for e in row["evidence"]), *target.citations]
            )
        )
        self.sources_button.setText(
            f"Sources ({len(keys)}) {'▾' if self.sources_button.isChecked() else '▸'}"
        )
        self.sources_label.setText(self._sources_html(keys))

    @staticmethod
    def _sources_html(keys: Iterable[str]) -> str:
        items = []
        for key in keys:
            source = citation(key)
            text = f"[{html.escape(key)}] {html.escape(source['text'])}"
            if source.get("url"):
                url = html.escape(source["url"], quote=True)
                site = html.escape(urlparse(source["url"]).netloc or source["url"])
                text += f' <a href="{url}">{site}</a>'
            if not source.get("verified", False):
                text += " <i>(not verified)</i>"
            items.append(f"<p>{text}</p>")
        return "".join(items)

    def _on_sources_toggled(self, checked: bool) -> None:
        self.sources_label.setVisible(checked)
        text = self.sources_button.text().rstrip("▸▾ ")
        self.sources_button.setText(f"{text} {'▾' if checked else '▸'}")
        self.sources_button.setAccessibleName("Hide sources" if checked else "Show sources")

    # -- (c) dose options --------------------------------------------------------------------
    def _proposal_option(self, mg_per_kg: float, weeks: float) -> DoseOption:
        a = self._assessment
        assert a is not None
        patient = a.case.patient
        return dose_option(
            "proposed",
            mg_per_kg,
            weeks,
            indication=patient.indication,
            age_years=a.age_years,
            nyha_class=patient.nyha_class,
            weight_kg=a.weight.kg if a.weight else None,
            policy=a.policy,
        )

    def _on_proposal_text(self, text: str) -> None:
        text = text.strip()
        error = ""
        option: DoseOption | None = None
        if text and self._assessment is not None:
            try:
                mg_per_kg, weeks = parse_regimen(text)
            except ValueError as exc:
                error = str(exc)
            else:
                option = self._proposal_option(mg_per_kg, weeks)
        self.dose_model.set_proposed(option)
        self.proposal_error.setText(error)
        self.proposal_error.setVisible(bool(error))
        self.proposal_changed.emit(text)

    def _on_options_changed(self, *_args: object) -> None:
        lines = []
        for option in self.dose_model.options():
            if option.within_label:
                continue
            what = f"{_sentence(kind_text(option.kind))}, {option.label_text}"
            if option.contraindicated:  # the note itself starts with "Contraindicated: "
                lines.append(f"⛔ {what} — {option.label_note}.")
            else:
                lines.append(f"⚠ {what} — outside the label: {option.label_note}.")
        self.label_warnings.setVisible(bool(lines))
        self.label_warnings.setText(
            f'<span style="{warning_css()}">{_lines(lines)}</span>' if lines else ""
        )

    # -- (d) warnings ------------------------------------------------------------------------
    def _show_warnings(self, warnings: Iterable[str]) -> None:
        items = list(warnings)
        if items:
            self.warnings_label.setText(
                f'<span style="{warning_css()}">{_lines(items, bullet="⚠ ")}</span>'
            )
        else:
            self.warnings_label.setText("No warnings.")
