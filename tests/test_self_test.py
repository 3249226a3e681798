"""`clinic-gui --self-test`: passes here, and names the step when something is wrong."""

from __future__ import annotations

from typing import Any

import pytest

from clinic_gui.__main__ import main
from clinic_gui.ui import self_test


def test_self_test_passes(capsys: Any, qapp: Any) -> None:
    assert main(["--self-test"]) == 0
    out = capsys.readouterr().out
    for step in (
        "ok: main window lists the 20 patients",
        "ok: recommendation panel shows the wearing-off flag",
        "ok: recommendation panel highlights the no_tdm row",
        "ok: infusion saved through the dialog",
        "ok: the infusion is in the record with the dose worked out",
    ):
        assert step in out
    assert out.rstrip().endswith("self-test passed")


def test_self_test_fails_with_the_step(monkeypatch: Any, capsys: Any, qapp: Any) -> None:
    monkeypatch.setattr(self_test, "FOUNDING_MRN", "NOT-THERE")
    assert main(["--self-test"]) == 1
    out = capsys.readouterr().out
    assert "FAILED: founding-case patient opened" in out
    assert "self-test passed" not in out


@pytest.mark.qt_no_exception_capture
def test_an_error_inside_the_window_fails_the_self_test(
    monkeypatch: Any, capsys: Any, qapp: Any
) -> None:
    # An exception in a Qt slot is printed, not raised: the self-test must still fail.
    from clinic_gui.ui.chart import timeline_plot

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("the timeline could not be drawn")

    monkeypatch.setattr(timeline_plot.TimelinePlot, "show_case", broken)
    assert main(["--self-test"]) == 1
    out = capsys.readouterr().out
    assert "FAILED:" in out
    assert "RuntimeError: the timeline could not be drawn" in out
