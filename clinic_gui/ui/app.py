"""Starting the Qt application, and rendering screenshots of it."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from clinic_gui import __version__
from clinic_gui.store.connection import DatabaseRefused, open_database
from clinic_gui.ui.main_window import MainWindow

EXIT_DATABASE = 3


def application() -> QApplication:
    """The process's one QApplication (created on first use)."""
    app = QApplication.instance()
    if app is None:
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("clinic_gui")
    app.setApplicationName("clinic_gui")
    app.setApplicationVersion(__version__)
    return app


def run(db_path: Path) -> int:
    app = application()
    try:
        db = open_database(db_path)
    except DatabaseRefused as exc:
        QMessageBox.critical(None, "Database not opened", str(exc))
        return EXIT_DATABASE
    window = MainWindow(db, db_path)
    window.show()
    code = app.exec()
    db.close()
    return int(code)


def screenshot(db_path: Path, directory: Path, size: tuple[int, int] = (1366, 768)) -> list[Path]:
    """Render the main screens to PNG files in ``directory`` and return their paths."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    application()
    directory.mkdir(parents=True, exist_ok=True)
    db = open_database(db_path)
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "screens.ini"), QSettings.Format.IniFormat)
        window = MainWindow(db, db_path, settings=settings, assess_clinic_on_start=False)
        window.resize(*size)
        window.show()
        written = []
        try:
            _wait_for_overview(window)
            written.append(_grab(window, directory / "main-window-empty.png"))
            if window.model.rowCount():
                window.table.selectRow(0)
                QApplication.processEvents()
                written.append(_grab(window, directory / "main-window-patient.png"))
            window.search.setText("AS-0001")
            QApplication.processEvents()
            written.append(_grab(window, directory / "main-window-search.png"))
            window.tabs.setCurrentIndex(1)
            QApplication.processEvents()
            written.append(_grab(window, directory / "worklist.png"))
        finally:
            window.close()
            db.close()
    return written


def _wait_for_overview(window: MainWindow, timeout_s: float = 60) -> None:
    """Run the whole-clinic assessment and wait for it, so flags appear in the pictures."""
    loop = QEventLoop()
    window.worklist.overview_ready.connect(loop.quit)
    window.worklist.refreshed.connect(loop.quit)
    QTimer.singleShot(int(timeout_s * 1000), loop.quit)
    window.refresh_worklist()
    if window.worklist.task is not None and window.worklist.task.running:
        loop.exec()
    QApplication.processEvents()


def _grab(window: MainWindow, path: Path) -> Path:
    if not window.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    return path
