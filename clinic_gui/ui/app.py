"""Starting the Qt application, and rendering screenshots of it.

One window per database and OS user: ``run`` takes a lock file for the pair in the user's
state folder first (``acquire_instance_lock``); a second start on the same database says
the app is already open and exits without opening anything. A lock left by a process that
no longer runs (a crash, a power cut) is taken over.

The window comes before the database check of a large clinic: ``open_database`` makes only
its identity checks and leaves ``quick_check`` (it reads the whole file) to the window,
which runs it in the background once shown. Until it passes the store refuses every save;
if it finds damage the window turns read-only and offers the latest good backup. The demo
user's sign-in event is a save too, so on the demo clinic it is recorded once the check
has passed; the daily backup also waits for it.

For benchmarks: ``CLINIC_GUI_EXIT_AFTER_FIRST_PAINT=1`` quits once the window is painted;
``CLINIC_GUI_EXIT_AFTER=worklist`` once the clinic overview has been built, ``=check`` once
the database check has ended. Each prints a line to standard error first.
"""

from __future__ import annotations

import getpass
import hashlib
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QEventLoop, QLockFile, QSettings, Qt, QTimer
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from clinic_gui import __version__, paths
from clinic_gui.domain.access import NURSE, User
from clinic_gui.resources import resource_path
from clinic_gui.store.connection import (
    ClinicDatabase,
    DamagedDatabase,
    DatabaseRefused,
    HealthGate,
    health_gate,
    open_database,
)
from clinic_gui.store.users import demo_mode, demo_user, list_users
from clinic_gui.ui.main_window import MainWindow

EXIT_DATABASE = 3
EXIT_AFTER_FIRST_PAINT = "CLINIC_GUI_EXIT_AFTER_FIRST_PAINT"  # benchmarks only: see above
FIRST_PAINT_MESSAGE = "clinic-gui: first window painted"
EXIT_AFTER = "CLINIC_GUI_EXIT_AFTER"  # benchmarks only: "worklist" or "check"
WORKLIST_MESSAGE = "clinic-gui: worklist built"
CHECK_MESSAGE = "clinic-gui: database check ended"


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


@dataclass
class InstanceLock:
    """The lock file of one (OS user, database) pair; ``owner_pid`` is the process holding
    it when ``acquired`` is False."""

    path: Path
    lock: QLockFile | None
    acquired: bool
    owner_pid: int | None = None

    def release(self) -> None:
        if self.lock is not None and self.acquired:
            self.lock.unlock()
            self.acquired = False


def instance_lock_path(db_path: Path, folder: Path | None = None) -> Path:
    """``<user state folder>/instances/db-<hash>.lock`` for this OS user and database."""
    folder = folder if folder is not None else Path(paths.dirs().user_state_dir) / "instances"
    try:
        who = getpass.getuser()
    except (OSError, KeyError):  # no user name in the environment or the password database
        who = str(Path.home())
    key = f"{who}\n{os.path.normcase(str(Path(db_path).resolve()))}"
    return folder / f"db-{hashlib.sha256(key.encode('utf-8')).hexdigest()[:24]}.lock"


def acquire_instance_lock(db_path: Path, folder: Path | None = None) -> InstanceLock:
    """Take the lock for ``db_path`` without waiting. A lock held by a running process is
    refused (with its process id); one left by a process that died is taken over
    (``setStaleLockTime(0)``: a lock is stale only when its process is gone). When the
    lock file cannot be written at all, the app starts anyway (the guard is a convenience)."""
    path = instance_lock_path(db_path, folder)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError:
        return InstanceLock(path, None, True)
    lock = QLockFile(str(path))
    lock.setStaleLockTime(0)
    if lock.tryLock(0):
        return InstanceLock(path, lock, True)
    if lock.error() != QLockFile.LockError.LockFailedError:
        return InstanceLock(path, None, True)
    pid, _host, _app = lock.getLockInfo()
    return InstanceLock(path, lock, False, int(pid) or None)


def already_open(db_path: Path, pid: int | None) -> None:
    """Tell the person the app is already open on this database (tests replace this)."""
    process = f" (process {pid})" if pid else ""
    box = QMessageBox(
        QMessageBox.Icon.Information,
        "clinic_gui is already open",
        f"clinic_gui is already open on this database{process}.\n\n{db_path}\n\n"
        "Switch to that window (look for clinic_gui in the taskbar). A second window on the "
        "same database was not opened.",
        QMessageBox.StandardButton.Ok,
    )
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()


def run(db_path: Path, *, safe_mode: bool = False) -> int:
    app = application(safe_mode=safe_mode)
    guard = acquire_instance_lock(db_path)
    if not guard.acquired:
        already_open(db_path, guard.owner_pid)
        return 0
    try:
        return _run(app, db_path)
    finally:
        guard.release()


def _run(app: QApplication, db_path: Path) -> int:
    try:
        db = open_database(db_path, defer_check=True)
    except DamagedDatabase as exc:
        if exc.latest_backup is None or not offer_restore(db_path, exc):
            return EXIT_DATABASE
        db = open_database(db_path)
    except DatabaseRefused as exc:
        QMessageBox.critical(None, "Database not opened", str(exc))
        return EXIT_DATABASE
    gate = health_gate(db_path)
    user = _sign_in(db, db_path, gate)
    if user is None:
        db.close()
        return 0
    window = start_window(db, db_path, user, gate)
    _exit_hooks(app, window)
    code = app.exec()
    window.stop_health_check()
    db.close()
    return int(code)


def _sign_in(db: ClinicDatabase, db_path: Path, gate: HealthGate | None) -> User | None:
    """The signed-in user, or None when the person cancels. While the database check is
    pending the demo user is taken without recording the sign-in (a save, refused until
    the check has passed): ``start_window`` records it afterwards."""
    user = _demo_account(db) if gate is not None else demo_user(db)
    if user is not None:
        return user
    from clinic_gui.ui.sign_in import ask_sign_in

    return ask_sign_in(db, db_path)


def _demo_account(db: ClinicDatabase) -> User | None:
    """The demo user on the demo clinic (``demo_user`` without its sign-in event)."""
    if not demo_mode(db):
        return None
    return next((user for user, _disabled in list_users(db) if user.demo), None)


def start_window(
    db: ClinicDatabase, db_path: Path, user: User, gate: HealthGate | None
) -> MainWindow:
    """Show the main window, then check the database in the background (``gate``: the check
    ``open_database`` deferred, None when it already ran). The demo user's sign-in event
    and the daily backup wait for the check to pass; damage makes the window read-only and
    is reported with the offer of the latest good backup."""
    window = MainWindow(db, db_path, user=user)
    window.show()
    if gate is None:
        window.backups.daily_backup()  # once per day, in the background
        return window

    def checked(damage: DamagedDatabase | None) -> None:
        if damage is not None:
            if report_damage(db_path, damage):
                window.close()  # restored under the window: started again, it opens that
            return
        if user.demo:
            demo_user(db)  # records the sign-in now that saves are allowed
        window.backups.daily_backup()

    window.health_checked.connect(checked)
    window.check_health(gate)
    return window


def report_damage(db_path: Path, damage: DamagedDatabase) -> bool:
    """Damage found after start-up: say so, offering the latest good backup when there is
    one. True once that backup has been restored."""
    if damage.latest_backup is not None:
        return offer_restore(db_path, damage)
    box = QMessageBox(QMessageBox.Icon.Critical, "Database damaged", str(damage))
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.exec()
    return False


def offer_restore(db_path: Path, damage: DamagedDatabase) -> bool:
    """A damaged database (refused on opening, or found by the check after start-up): offer
    its latest good backup (an administrator of that backup signs in to restore it). True
    once restored."""
    from PySide6.QtWidgets import QInputDialog, QLineEdit

    from clinic_gui.store.backup import restore
    from clinic_gui.ui.admin.backups import REFUSED

    assert damage.latest_backup is not None
    box = QMessageBox(QMessageBox.Icon.Critical, "Database damaged", str(damage))
    box.setTextFormat(Qt.TextFormat.PlainText)
    restore_button = box.addButton("Restore the latest backup…", QMessageBox.ButtonRole.AcceptRole)
    box.addButton("Quit", QMessageBox.ButtonRole.RejectRole)
    box.exec()
    while box.clickedButton() is restore_button:
        name, ok = QInputDialog.getText(None, "Restore a backup", "Administrator's user name:")
        if not ok:
            return False
        password, ok = QInputDialog.getText(
            None, "Restore a backup", f"Password of {name}:", QLineEdit.EchoMode.Password
        )
        if not ok:
            return False
        try:
            kept = restore(damage.latest_backup, db_path, username=name, password=password)
        except REFUSED as exc:  # every refusal is shown; the damaged file stays untouched
            QMessageBox.warning(
                None, "Not restored", f"Not restored; nothing was changed.\n\n{exc}"
            )
            continue
        QMessageBox.information(
            None,
            "Backup restored",
            f"Restored {damage.latest_backup.name}. The damaged database was kept as {kept}.",
        )
        return True
    return False


def _exit_hooks(app: QApplication, window: MainWindow) -> None:
    """The benchmarks' exit hooks (see the module docstring); none in ordinary use."""
    if os.environ.get(EXIT_AFTER_FIRST_PAINT) == "1":
        _quit_after_first_paint(app)
    after = os.environ.get(EXIT_AFTER)
    if after == "worklist":
        window.worklist.refreshed.connect(lambda _count: _quit_saying(app, WORKLIST_MESSAGE))
    elif after == "check":
        if window.check_running():
            window.health_checked.connect(lambda _damage: _quit_saying(app, CHECK_MESSAGE))
        else:
            QTimer.singleShot(0, lambda: _quit_saying(app, CHECK_MESSAGE))


def _quit_after_first_paint(app: QApplication) -> None:
    """Quit once the shown main window has been painted (``CLINIC_GUI_EXIT_AFTER_FIRST_PAINT=1``).

    For ``benchmarks/bundle.py`` and ``benchmarks/startup.py``, which time launch to first
    window: pending events (the window's expose and paint) are processed, then, at the next
    turn of the event loop, a line saying so goes to standard error and the app quits the
    ordinary way.
    """
    QApplication.processEvents()
    QTimer.singleShot(0, lambda: _quit_saying(app, FIRST_PAINT_MESSAGE))


def _quit_saying(app: QApplication, message: str) -> None:
    print(message, file=sys.stderr, flush=True)
    app.quit()


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
            written += _session_screens(window, directory)
        finally:
            window.close()
            db.close()
    return written


def _session_screens(window: MainWindow, directory: Path) -> list[Path]:
    """Sign-in, first administrator, lock screens and the administrator's windows."""
    from clinic_gui.ui.session_lock import LockScreen
    from clinic_gui.ui.sign_in import FirstAdminDialog, SignInDialog

    written: list[Path] = []
    db, db_path = window.db, window.db_path
    # Rendered only: nobody signs in and no account is created.
    sign_in = SignInDialog(db, db_path, username="rn.kim")
    first = FirstAdminDialog(db, db_path)
    for widget, name in ((sign_in, "sign-in"), (first, "first-admin")):
        widget.show()
        QApplication.processEvents()
        written.append(_grab(widget, directory / f"dialog-{name}.png"))
        widget.close()
    nurse = User(id=0, username="rn.kim", full_name="Kim Nurse", roles=frozenset({NURSE}))
    screen = LockScreen()
    screen.show_locked(nurse, demo=False)
    screen.resize(*SIZES[0])
    screen.show()
    QApplication.processEvents()
    written.append(_grab(screen, directory / "lock-screen.png"))
    screen.close()
    window.resize(*SIZES[0])
    window.search.setText("AS-0001")
    window.session.lock("for a screenshot")
    QApplication.processEvents()
    written.append(_grab(window, directory / "lock-screen-demo.png"))
    window.session.try_unlock()
    users = window.open_users_dialog()
    QApplication.processEvents()
    written.append(_grab(users, directory / "users.png"))
    form = users.add_user()
    QApplication.processEvents()
    written.append(_grab(form, directory / "dialog-add-user.png"))
    form.reject()
    users.close()
    for name, shown in (
        ("settings", window.open_settings_dialog()),
        ("audit-trail", window.open_audit_view()),
    ):
        QApplication.processEvents()
        written.append(_grab(shown, directory / f"{name}.png"))
        shown.close()
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
