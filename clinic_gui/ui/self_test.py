"""``clinic-gui --self-test``: prove the whole app works here, headless, in a few seconds.

It creates a temporary database with a demo clinic, opens the main window, opens the
founding-case patient, checks that the recommendation panel shows the wearing-off flag and
the ``no_tdm`` row, records an infusion through the dialog, and checks it was saved. It
prints one line per step and returns 0, or 1 with the step that failed. Nothing outside a
temporary folder is read or written. The installer's smoke test runs it from the bundle.
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

FOUNDING_MRN = "AS-0001"


class SelfTestFailure(Exception):
    pass


def run_self_test(out: Callable[[str], None] = print) -> int:
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # An error inside a Qt slot or paint event is only printed, never raised to us: collect
    # every one, so a chart that fails to draw fails the self-test.
    errors: list[str] = []
    previous_hook = sys.excepthook

    def collect(kind: type[BaseException], value: BaseException, tb: object) -> None:
        errors.append(f"{kind.__name__}: {value}")
        previous_hook(kind, value, tb)  # type: ignore[arg-type]

    sys.excepthook = collect
    try:
        _run(out)
        if errors:
            raise SelfTestFailure(f"errors inside the window: {'; '.join(errors)}")
        out("ok: no error inside the window")
    except SelfTestFailure as exc:
        out(f"FAILED: {exc}")
        return 1
    except Exception as exc:  # any crash is a failed self-test, with its reason
        out(f"FAILED: {type(exc).__name__}: {exc}")
        return 1
    finally:
        sys.excepthook = previous_hook
    out("self-test passed")
    return 0


def _check(out: Callable[[str], None], condition: bool, step: str, detail: str = "") -> None:
    if not condition:
        raise SelfTestFailure(f"{step}{': ' + detail if detail else ''}")
    out(f"ok: {step}")


def _run(out: Callable[[str], None]) -> None:
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from clinic_gui.store.cases import read_case
    from clinic_gui.store.connection import open_database
    from clinic_gui.store.demo_clinic import write_demo_clinic
    from clinic_gui.store.users import demo_user
    from clinic_gui.ui.app import application
    from clinic_gui.ui.main_window import MainWindow

    today = dt.date.today()
    application()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "self-test.sqlite"
        write_demo_clinic(path, patients=20, seed=1, as_of=today)
        _check(out, path.exists(), "demo clinic written to a temporary database")
        db = open_database(path)
        user = demo_user(db)
        _check(out, user is not None, "demo user signed in on the demo clinic")
        assert user is not None
        settings = QSettings(str(Path(folder) / "self-test.ini"), QSettings.Format.IniFormat)
        window = MainWindow(
            db, path, today=today, settings=settings, assess_clinic_on_start=False, user=user
        )
        try:
            window.show()
            QApplication.processEvents()
            _check(out, window.model.rowCount() == 20, "main window lists the 20 patients")
            window.search.setText(FOUNDING_MRN)
            QApplication.processEvents()
            _check(out, window.current_mrn() == FOUNDING_MRN, "founding-case patient opened")
            chart = window.chart
            assessment = chart.assessment
            _check(out, assessment is not None, "chart assessed the patient")
            assert assessment is not None
            badge = chart.panel.wearing_off_badge.text()
            _check(
                out,
                assessment.wearing_off.flagged and "wearing off" in badge.lower(),
                "recommendation panel shows the wearing-off flag",
                badge,
            )
            _check(
                out,
                chart.timeline_plot is not None
                and chart.diary_tab is not None
                and chart.labs_tab is not None
                and not chart.timeline_plot.grab().isNull(),
                "the chart draws its timeline and has its diary and labs tabs",
            )
            chart.tabs.setCurrentWidget(chart.diary_tab)  # fills and draws the diary tab
            QApplication.processEvents()
            chart.tabs.setCurrentIndex(0)
            row = chart.panel.current_tdm_row
            _check(out, row == "no_tdm", "recommendation panel highlights the no_tdm row", str(row))
            before = len(read_case(db, FOUNDING_MRN).infusions)
            dialog = window.open_entry_dialog("infusion")
            _check(out, dialog is not None and dialog.isVisible(), "infusion dialog opened")
            assert dialog is not None
            dialog.widgets["lot"].setText("SELFTEST1")  # type: ignore[attr-defined]
            saved = dialog.try_save()
            _check(out, saved, "infusion saved through the dialog", dialog.summary.text())
            after = read_case(db, FOUNDING_MRN).infusions
            newest = max(after, key=lambda i: i.date)
            expected = assessment.current_option
            _check(
                out,
                len(after) == before + 1
                and newest.lot == "SELFTEST1"
                and expected is not None
                and newest.dose_mg == expected.dose_mg,
                "the infusion is in the record with the dose worked out",
                f"{len(after)} infusions, newest {newest.lot} {newest.dose_mg} mg",
            )
        finally:
            window.close()
            db.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_self_test())
