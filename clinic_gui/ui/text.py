"""Showing text safely and readably: the one place for typed text in tooltips and for
stored UTC times shown in local time."""

from __future__ import annotations

import datetime as dt
import html
from typing import overload

from PySide6.QtGui import Qt
from PySide6.QtWidgets import QLabel


def plain_label(text: str = "", *, wrap: bool = False, name: str | None = None) -> QLabel:
    """A label that shows its text as typed, never as rich text (``name``: what a screen
    reader calls it)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(wrap)
    if name:
        label.setAccessibleName(name)
    label.setText(text)
    return label


@overload
def plain_tooltip(text: str) -> str: ...
@overload
def plain_tooltip(text: None) -> None: ...
@overload
def plain_tooltip(text: str | None) -> str | None: ...
def plain_tooltip(text: str | None) -> str | None:
    """``text`` for a tooltip, shown literally: Qt renders a tooltip that might be rich text
    as HTML, so such text is escaped (line breaks kept); other text is returned as is."""
    if not text or not Qt.mightBeRichText(text):
        return text
    escaped = html.escape(text).replace("\n", "<br>")
    return f'<p style="white-space: pre-wrap">{escaped}</p>'


def local_time(stamp: str | None, *, seconds: bool = False) -> str:
    """A stored UTC time stamp ("2026-11-22T09:05:01.123Z") in local time,
    "YYYY-MM-DD HH:MM" (with ":SS" when ``seconds``); text that is no time stamp as is."""
    if not stamp:
        return ""
    try:
        when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return stamp
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
