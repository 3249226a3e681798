"""Void an entry: the row stays in the record with who, when and why; nothing is deleted."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QWidget

from clinic_gui.domain.validation import check_void_reason
from clinic_gui.ui.dialogs.form import Field, RecordForm


class VoidDialog(RecordForm):
    def __init__(
        self, what: str, *, save: Callable[[str], Any], parent: QWidget | None = None
    ) -> None:
        super().__init__(
            "Void entry",
            [
                Field(
                    "reason",
                    "Reason",
                    required=True,
                    placeholder="e.g. entered on the wrong patient",
                )
            ],
            save=save,
            check=check_void_reason,
            intro=f"Void {what}? It stays in the record, marked void with your name, the time "
            "and the reason, and no longer counts in the chart.",
            parent=parent,
        )

    def record(self) -> str:
        return str(self.read(["reason"])["reason"])
