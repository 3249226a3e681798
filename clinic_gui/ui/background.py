"""Work off the GUI thread: run a function in Qt's thread pool, deliver its result back.

The function runs in a worker thread and must not touch widgets or share the window's
database connection (SQLite connections belong to the thread that opened them): give it a
database *path* and let it open its own. ``done`` and ``failed`` are delivered on the GUI
thread, through a QObject that lives there.
"""

from __future__ import annotations

import contextlib
import traceback
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, QRunnable, QThreadPool, Signal


class _Relay(QObject):
    done = Signal(object)
    failed = Signal(str)


class _Job(QRunnable):
    def __init__(self, work: Callable[[], Any], relay: _Relay) -> None:
        super().__init__()
        self.work = work
        self.relay = relay

    def run(self) -> None:
        try:
            result = self.work()
        except Exception as exc:  # reported to the GUI, never lost in the thread
            traceback.print_exc()  # the details go to the log / console for support
            self._deliver(self.relay.failed, str(exc) or type(exc).__name__)
        else:
            self._deliver(self.relay.done, result)

    @staticmethod
    def _deliver(signal: Any, value: object) -> None:
        # RuntimeError: the window that asked has closed, so nobody is waiting for it.
        with contextlib.suppress(RuntimeError):
            signal.emit(value)


class BackgroundTask(QObject):
    """One piece of background work; connect to ``done``/``failed`` before ``start()``."""

    done = Signal(object)
    failed = Signal(str)

    def __init__(self, work: Callable[[], Any], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._relay = _Relay()
        self._relay.done.connect(self.done)
        self._relay.failed.connect(self.failed)
        self._work = work
        self.running = False
        self._relay.done.connect(self._finished)
        self._relay.failed.connect(self._finished)

    def start(self) -> None:
        self.running = True
        QThreadPool.globalInstance().start(_Job(self._work, self._relay))

    def _finished(self, *_: object) -> None:
        self.running = False


def wait_for_background_work(timeout_ms: int = 10_000) -> bool:
    """Block until running background work has finished (on closing); False on time-out."""
    return bool(QThreadPool.globalInstance().waitForDone(timeout_ms))
