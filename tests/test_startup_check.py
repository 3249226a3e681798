"""The database check after start-up: the window first, saves held back until it passes.

``DEFER_CHECK_FROM_BYTES`` is set to 0 here so the small demo clinic of the tests is treated
like a large one (its check deferred).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, copy_with_backup, damage_a_page, file_sha

from clinic_gui.domain.access import Permission
from clinic_gui.store import connection
from clinic_gui.store.connection import (
    CHECK_PENDING_MESSAGE,
    CheckPending,
    DamagedDatabase,
    DamageFound,
    HealthGate,
    health_gate,
    is_read_only,
    open_database,
    run_deferred_check,
    write_transaction,
)
from clinic_gui.store.demo_clinic import write_demo_clinic
from clinic_gui.store.users import demo_user


@pytest.fixture(scope="module")
def demo_clinic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    write_demo_clinic(path, patients=12, seed=1)
    return path


@pytest.fixture
def clinic(demo_clinic: Path, tmp_path: Path) -> Path:
    """A copy of the demo clinic with one good backup of it."""
    return copy_with_backup(demo_clinic, tmp_path)


@pytest.fixture
def deferred(monkeypatch: Any) -> None:
    """Every file counts as large: ``defer_check=True`` defers its check."""
    monkeypatch.setattr(connection, "DEFER_CHECK_FROM_BYTES", 0)


def _audit_rows(path: Path) -> int:
    db = open_database(path, read_only=True, health_check=False)
    try:
        return int(db.execute("SELECT count(*) FROM audit").fetchone()[0])
    finally:
        db.close()


def _opened_deferred(path: Path) -> tuple[Any, HealthGate]:
    db = open_database(path, defer_check=True)
    gate = health_gate(path)
    assert gate is not None and gate.pending
    return db, gate


# ---------------------------------------------------------------------------------------------
# The store


@pytest.mark.usefixtures("deferred")
def test_saves_are_refused_until_the_deferred_check_has_passed(clinic: Path) -> None:
    db, gate = _opened_deferred(clinic)
    worker = open_database(clinic, create=False, health_check=False)  # a background connection
    try:
        rows = _audit_rows(clinic)
        for connection_ in (db, worker):
            with pytest.raises(CheckPending) as refused:
                demo_user(connection_)  # its sign-in event is a save
            assert str(refused.value) == CHECK_PENDING_MESSAGE
        assert _audit_rows(clinic) == rows

        assert run_deferred_check(gate) is None

        assert not gate.pending and health_gate(clinic) is None
        demo_user(db)
        demo_user(worker)
        assert _audit_rows(clinic) == rows + 2
    finally:
        worker.close()
        db.close()


@pytest.mark.usefixtures("deferred")
def test_damage_found_by_the_deferred_check_refuses_every_save(clinic: Path) -> None:
    damage_a_page(clinic)
    before = file_sha(clinic)
    db, gate = _opened_deferred(clinic)  # the identity checks do not read the damaged page
    try:
        damage = run_deferred_check(gate)

        assert isinstance(damage, DamagedDatabase)
        assert damage.latest_backup is not None
        assert gate.damage is damage and health_gate(clinic) is gate
        for attempt in range(2):  # refused for good, not only once
            with pytest.raises(DamageFound) as refused:
                demo_user(db)
            assert str(refused.value) == str(damage), attempt
        later = open_database(clinic, create=False, health_check=False)
        with pytest.raises(DamageFound):
            demo_user(later)
        later.close()
    finally:
        db.close()
    assert file_sha(clinic) == before
    with pytest.raises(DamagedDatabase):  # a later ordinary open checks at once and refuses
        open_database(clinic)


@pytest.mark.usefixtures("deferred")
def test_a_stopped_check_settles_nothing(clinic: Path) -> None:
    db, gate = _opened_deferred(clinic)
    try:
        gate.interrupt()  # the app is closing
        assert run_deferred_check(gate) is None
        assert gate.pending
        with pytest.raises(CheckPending):
            demo_user(db)
    finally:
        db.close()
        open_database(clinic).close()  # checked at once: the gate goes
    assert health_gate(clinic) is None


def test_a_small_file_is_still_checked_at_once(clinic: Path) -> None:
    assert clinic.stat().st_size < connection.DEFER_CHECK_FROM_BYTES
    open_database(clinic, defer_check=True).close()
    assert health_gate(clinic) is None
    damage_a_page(clinic)
    with pytest.raises(DamagedDatabase):
        open_database(clinic, defer_check=True)


@pytest.mark.usefixtures("deferred")
def test_a_file_that_needs_an_upgrade_is_checked_first(clinic: Path, monkeypatch: Any) -> None:
    monkeypatch.setattr(connection, "SCHEMA_VERSION", connection.SCHEMA_VERSION + 1)
    damage_a_page(clinic)
    with pytest.raises(DamagedDatabase):  # an upgrade writes: never before the check
        open_database(clinic, defer_check=True)


# ---------------------------------------------------------------------------------------------
# The window


@pytest.fixture
def held_check(monkeypatch: Any) -> Any:
    """The window's check waits for ``release.set()`` before it runs (set at teardown at the
    latest, so no worker is left waiting)."""
    from clinic_gui.ui import main_window

    release = threading.Event()

    def held(gate: HealthGate) -> DamagedDatabase | None:
        release.wait()
        return run_deferred_check(gate)

    monkeypatch.setattr(main_window, "run_deferred_check", held)
    yield release
    release.set()


@pytest.mark.usefixtures("deferred")
def test_the_window_shows_before_the_check_ends_then_signs_in_and_backs_up(
    clinic: Path, qtbot: Any, held_check: threading.Event
) -> None:
    from clinic_gui.ui import app

    db, gate = _opened_deferred(clinic)
    rows = _audit_rows(clinic)
    user = app._sign_in(db, clinic, gate)
    assert user is not None and user.demo
    window = app.start_window(db, clinic, user, gate)
    qtbot.addWidget(window)
    try:
        assert window.isVisible() and gate.pending
        assert window.backups.task is None  # the daily backup waits for the check
        assert _audit_rows(clinic) == rows  # nor is the sign-in recorded yet

        with qtbot.waitSignal(window.health_checked, timeout=30_000) as checked:
            held_check.set()

        assert checked.args == [None]
        assert not gate.pending and window.damage is None
        assert window.backups.task is not None  # the daily backup has started
        qtbot.waitUntil(lambda: not window.backups.busy, timeout=30_000)
        assert _audit_rows(clinic) > rows  # the demo sign-in (and the backup) recorded
    finally:
        window.close()
        db.close()


@pytest.mark.usefixtures("deferred")
def test_damage_found_after_start_makes_the_window_read_only_and_offers_the_backup(
    clinic: Path, qtbot: Any, monkeypatch: Any
) -> None:
    from clinic_gui.ui import app

    offered: list[DamagedDatabase] = []
    monkeypatch.setattr(app, "offer_restore", lambda _path, damage: offered.append(damage))
    damage_a_page(clinic)
    before = file_sha(clinic)
    db, gate = _opened_deferred(clinic)
    user = app._sign_in(db, clinic, gate)
    assert user is not None
    window = app.start_window(db, clinic, user, gate)
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(lambda: window.damage is not None, timeout=30_000)

        assert [str(d) for d in offered] == [str(window.damage)]
        assert is_read_only(db)
        assert not window.new_patient_action.isEnabled()
        assert window.restore_action.isEnabled() == user.can(Permission.RESTORE)
        assert "DAMAGED" in window.db_label.text()
        with pytest.raises(DamageFound), write_transaction(db):
            pass
        assert window.backups.task is None  # no backup of a damaged file
    finally:
        window.close()
        db.close()
    assert file_sha(clinic) == before


def test_numpy_and_pyqtgraph_wait_for_a_chart(demo_clinic: Path, tmp_path: Path) -> None:
    """Up to the first painted window neither is imported (they cost most of a second)."""
    db_path = tmp_path / "clinic.sqlite"
    shutil.copyfile(demo_clinic, db_path)
    script = (
        "import sys\n"
        "from pathlib import Path\n"
        "from PySide6.QtCore import QSettings\n"
        "from PySide6.QtWidgets import QApplication\n"
        "from clinic_gui.ui.app import _demo_account, application\n"
        "from clinic_gui.ui.main_window import MainWindow\n"
        "from clinic_gui.store.connection import open_database\n"
        "application()\n"
        f"db = open_database(Path({str(db_path)!r}))\n"
        f"settings = QSettings({str(tmp_path / 'window.ini')!r}, QSettings.Format.IniFormat)\n"
        "window = MainWindow(db, Path('clinic.sqlite'), user=_demo_account(db), "
        "settings=settings)\n"
        "window.show()\n"
        "QApplication.processEvents()\n"
        "print(sorted(m for m in ('numpy', 'pyqtgraph') if m in sys.modules))\n"
        "window.close()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "[]"
