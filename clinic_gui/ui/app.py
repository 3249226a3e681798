"""Starting the Qt application, and rendering screenshots of it."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QSettings, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from clinic_gui import __version__
from clinic_gui.resources import resource_path
from clinic_gui.store.connection import DatabaseRefused, open_database
from clinic_gui.store.users import demo_user
from clinic_gui.ui.main_window import MainWindow

EXIT_DATABASE = 3
EXIT_AFTER_FIRST_PAINT = "CLINIC_GUI_EXIT_AFTER_FIRST_PAINT"  # benchmarks only: see run()
FIRST_PAINT_MESSAGE = "clinic-gui: first window painted"


def application(*, safe_mode: bool = False) -> QApplication:
    """The process's one QApplication (created on first use).

    Safe mode forces Qt's software rendering, for clinic PCs whose graphics drivers show a
    black or garbled window: ``clinic-gui --safe-mode`` or ``CLINIC_GUI_SAFE_MODE=1``.
    """
    app = QApplication.instance()
    if app is None:
        if safe_mode or os.environ.get("CLINIC_GUI_SAFE_MODE") == "1":
            os.environ["QT_OPENGL"] = "software"
            os.environ["QT_XCB_GL_INTEGRATION"] = "none"
            os.environ.setdefault("QT_QUICK_BACKEND", "software")
            QApplication.setAttribute(Qt.ApplicationAttribute.AA_UseSoftwareOpenGL)
        app = QApplication(sys.argv[:1])
    assert isinstance(app, QApplication)
    app.setOrganizationName("clinic_gui")
    app.setApplicationName("clinic_gui")
    app.setApplicationVersion(__version__)
    app.setApplicationDisplayName("clinic_gui")
    app.setDesktopFileName("clinic-gui")
    app.setWindowIcon(QIcon(str(resource_path("icons", "clinic-gui.png"))))
    return app


def run(db_path: Path, *, safe_mode: bool = False) -> int:
    app = application(safe_mode=safe_mode)
    try:
        db = open_database(db_path)
    except DatabaseRefused as exc:
        QMessageBox.critical(None, "Database not opened", str(exc))
        return EXIT_DATABASE
    user = demo_user(db)
    if user is None:
        from clinic_gui.ui.sign_in import ask_sign_in

        user = ask_sign_in(db, db_path)
        if user is None:
            db.close()
            return 0
    window = MainWindow(db, db_path, user=user)
    window.show()
    if os.environ.get(EXIT_AFTER_FIRST_PAINT) == "1":
        _quit_after_first_paint(app)
    code = app.exec()
    db.close()
    return int(code)


def _quit_after_first_paint(app: QApplication) -> None:
    """Quit once the shown main window has been painted (``CLINIC_GUI_EXIT_AFTER_FIRST_PAINT=1``).

    For ``benchmarks/bundle.py``, which times launch to first window: pending events (the
    window's expose and paint) are processed, then, at the next turn of the event loop, a
    line saying so goes to standard error and the app quits the ordinary way.
    """
    QApplication.processEvents()

    def done() -> None:
        print(FIRST_PAINT_MESSAGE, file=sys.stderr, flush=True)
        app.quit()

    QTimer.singleShot(0, done)


SIZES = ((1366, 768), (1920, 1080))
DIALOGS = ("infusion", "weight", "diary", "lab", "regimen", "patient")


def screenshot(db_path: Path, directory: Path) -> list[Path]:
    """Render the main screens (at each of ``SIZES``) and every entry dialog to PNG files."""
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    application()
    directory.mkdir(parents=True, exist_ok=True)
    db = open_database(db_path)
    user = demo_user(db)
    if user is None:
        db.close()
        raise DatabaseRefused(
            f"{db_path} is not the demo clinic: screenshots are taken of synthetic patients "
            "only, so no real patient's record ends up in a picture."
        )
    written: list[Path] = []
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "screens.ini"), QSettings.Format.IniFormat)
        window = MainWindow(db, db_path, settings=settings, assess_clinic_on_start=False, user=user)
        try:
            window.show()
            _wait_for_overview(window)
            for width, height in SIZES:
                suffix = f"{width}x{height}"
                window.resize(width, height)
                window.search.clear()
                window.tabs.setCurrentIndex(0)
                QApplication.processEvents()
                written.append(_grab(window, directory / f"main-window-{suffix}.png"))
                window.search.setText("AS-0001")  # the founding case: one match opens it
                QApplication.processEvents()
                written.append(_grab(window, directory / f"chart-founding-case-{suffix}.png"))
                window.tabs.setCurrentIndex(1)
                QApplication.processEvents()
                written.append(_grab(window, directory / f"worklist-{suffix}.png"))
            window.tabs.setCurrentIndex(0)
            for kind in DIALOGS:
                dialog = window.open_entry_dialog(kind)
                if dialog is None:
                    continue
                QApplication.processEvents()
                written.append(_grab(dialog, directory / f"dialog-{kind}.png"))
                dialog.reject()
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


def _grab(widget: QWidget, path: Path) -> Path:
    if not widget.grab().save(str(path)):
        raise OSError(f"could not write {path}")
    return path
