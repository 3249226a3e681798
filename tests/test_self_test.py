"""`clinic-gui --self-test`: passes here, and names the step when something is wrong."""

from __future__ import annotations

from typing import Any

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
