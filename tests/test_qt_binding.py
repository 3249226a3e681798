"""The Qt binding the lock file pins must not corrupt Python's reference counts.

PySide6 6.12.0 on Python 3.11 drops one reference to None on every call of a method that
returns nothing; a few thousand calls (seconds of plot repainting) abort the process. A Qt
upgrade must pass this before it is locked.
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtWidgets import QLabel


def test_void_calls_keep_none_alive(qtbot: Any) -> None:
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
    assert sys.getrefcount(None) - before > -100  # a leaking binding gives -2000
