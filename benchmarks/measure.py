"""What every benchmark shares: timing repeated runs, their spread, the machine they ran
on, launching an app until it prints a marker line (time and peak memory), and writing the
figures to their page in docs/.

The scripts beside this file import it (``sys.path`` holds their folder when run as
``python benchmarks/<name>.py``; each also puts it there when loaded by a test).
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# The first-paint hook of the app (clinic_gui.ui.app) and of ``HELLO_SCRIPT``.
EXIT_ENV = "CLINIC_GUI_EXIT_AFTER_FIRST_PAINT"
HELLO_MARKER = "hello-window: first window painted"
HELLO_SCRIPT = f'''"""A minimal PySide6 app, one main window with a label: the baseline."""

import os
import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QLabel, QMainWindow


def main() -> int:
    app = QApplication(sys.argv)
    window = QMainWindow()
    window.setWindowTitle("Hello")
    window.setCentralWidget(QLabel("Hello, window"))
    window.show()
    if os.environ.get("{EXIT_ENV}") == "1":  # quit once the window is shown and painted
        QApplication.processEvents()

        def done() -> None:
            print("{HELLO_MARKER}", file=sys.stderr, flush=True)
            app.quit()

        QTimer.singleShot(0, done)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
'''


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    """Milliseconds of ``repeat`` calls of ``fn``, after one warm-up call (caches, files)."""
    fn()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    return times


def spread(times: list[float]) -> tuple[float, float, float, float, float]:
    """Median, min, 10th and 90th percentile, max (the percentiles are the min for < 10)."""
    q = statistics.quantiles(times, n=10) if len(times) >= 10 else [min(times)] * 9
    return statistics.median(times), min(times), q[0], q[-1], max(times)


def cells(times: list[float], digits: int = 2) -> str:
    """``spread`` as table cells: "median | min | p10 | p90 | max"."""
    return " | ".join(f"{v:.{digits}f}" for v in spread(times))


def row(label: str, times: list[float], digits: int = 2) -> str:
    """One table row: the label, then ``cells``."""
    return f"| {label} | {cells(times, digits)} |"


def memory() -> str:
    """ ", 24 GiB memory" (empty where the system does not say)."""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return ""
    return f", {pages / 2**30:.0f} GiB memory"


def machine() -> str:
    """What the figures were measured on, without naming the host."""
    return (
        f"{platform.system()} {platform.machine()}, {os.cpu_count()} cores{memory()}; "
        f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}"
    )


def write_doc(out: Path, title: str, script: str, text: str) -> None:
    """The benchmark's page: its title, which script wrote it, then ``text``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    header = f"# {title}\n\nWritten by `benchmarks/{script}`; figures from one machine.\n\n"
    out.write_text(header + text, encoding="utf-8")


def write_hello(folder: Path) -> Path:
    """``HELLO_SCRIPT`` as ``<folder>/hello_window.py``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "hello_window.py"
    script.write_text(HELLO_SCRIPT, encoding="utf-8")
    return script


def launch_env(home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a measured launch: offscreen Qt, the first-paint hook on, and an
    empty home and XDG folders under ``home`` (settings as on first use)."""
    env = dict(os.environ)
    env.update(
        {
            "QT_QPA_PLATFORM": "offscreen",
            EXIT_ENV: "1",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_DATA_HOME": str(home / "data"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_STATE_HOME": str(home / "state"),
        }
    )
    env.update(extra or {})
    return env


@dataclass(frozen=True)
class Launch:
    """One launch: seconds to the marker line and to exit; peak resident memory (MB) up to
    the marker (None where /proc is missing), over the whole process (None on Windows), and
    of the process together with the processes it started (polled; None without /proc)."""

    marker_s: float
    exit_s: float
    peak_at_marker_mb: float | None
    peak_mb: float | None
    tree_peak_mb: float | None


def launch(
    command: list[str],
    marker: str,
    home: Path,
    *,
    env: dict[str, str] | None = None,
    timeout_s: float = 300,
) -> Launch:
    """Run ``command`` (environment ``launch_env(home, env)``, ``home`` emptied first) until
    it exits, timing the line containing ``marker`` on its standard error.

    Peak memory: at the marker, ``VmHWM`` of /proc/<pid>/status (the peak resident set so
    far); at exit, ``ru_maxrss`` from ``os.wait4`` of that one process. (The parent's
    RUSAGE_CHILDREN cannot be used: its ``ru_maxrss`` is the largest of all children
    waited for, not a sum, so a difference between two readings says nothing.) Worker
    processes the launched one starts are in neither; ``TreeMemory`` polls the sum.
    """
    shutil.rmtree(home, ignore_errors=True)
    home.mkdir(parents=True)
    start = time.perf_counter()
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=launch_env(home, env),
    )
    timer = threading.Timer(timeout_s, proc.kill)
    timer.start()
    tree = TreeMemory(proc.pid)
    first: float | None = None
    at_marker: float | None = None
    lines: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            if first is None and marker in line:
                first = time.perf_counter() - start
                at_marker = _high_water_mb(proc.pid)
            lines.append(line)
        code, peak = _wait(proc)
        exited = time.perf_counter() - start
    finally:
        timer.cancel()
        tree.stop()
    if first is None or code != 0 or any("Traceback" in line for line in lines):
        raise RuntimeError(
            f"{command[0]}: no clean run to {marker!r} (exit code {code}):\n" + "".join(lines[-20:])
        )
    return Launch(first, exited, at_marker, peak, tree.peak_mb)


def _high_water_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (Linux), in MB."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1_000_000
    return None


def _wait(proc: subprocess.Popen[str]) -> tuple[int, float | None]:
    """Exit code and peak resident memory (MB) of the process, reaped with ``os.wait4``."""
    if not hasattr(os, "wait4"):
        return proc.wait(), None
    _pid, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    unit = 1 if sys.platform == "darwin" else 1024  # bytes on macOS, KiB elsewhere
    return proc.returncode, usage.ru_maxrss * unit / 1_000_000


# The file (JSON lines) ``suite.py`` collects every benchmark's headline figures in.
HEADLINES_ENV = "CLINIC_GUI_BENCH_HEADLINES"


def headline(figure: str, measured: str, target: str, met: bool | None, page: str) -> None:
    """Report one headline figure to ``suite.py`` (which writes docs/benchmarks.md): what
    was measured, the figure, its target and whether it is met (None: no target), and the
    page with the details. Outside the suite nothing is written."""
    destination = os.environ.get(HEADLINES_ENV)
    if not destination:
        return
    entry = {"figure": figure, "measured": measured, "target": target, "met": met, "page": page}
    with open(destination, "a", encoding="utf-8") as handle:
        handle.write(json.dumps(entry) + "\n")


class TreeMemory:
    """The largest sum of resident memory of a process and all its descendants (worker
    processes), polled every ``interval_s`` from /proc on a thread of its own; a spike
    shorter than the interval can be missed. ``peak_mb`` is None without /proc."""

    def __init__(self, pid: int, interval_s: float = 0.05):
        self.pid = pid
        self.peak_mb: float | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, args=(interval_s,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()

    def _poll(self, interval_s: float) -> None:
        while not self._stop.wait(interval_s):
            total = sum(_resident_mb(pid) for pid in _tree(self.pid))
            if total and (self.peak_mb is None or total > self.peak_mb):
                self.peak_mb = total


def _tree(pid: int) -> list[int]:
    """``pid`` and its descendants (from /proc/<pid>/task/*/children)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            with contextlib.suppress(OSError):
                todo += [int(child) for child in children.read_text().split()]
    return found


def _resident_mb(pid: int) -> float:
    """Resident memory of ``pid`` now (0 once it has gone), in MB."""
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return 0.0
    return int(fields[1]) * os.sysconf("SC_PAGE_SIZE") / 1_000_000


def query_plans(db: Any, fn: Callable[[], Any]) -> list[str]:
    """Each SELECT that ``fn`` runs on ``db`` (parameters filled in: SQLite's expanded SQL)
    followed by its ``EXPLAIN QUERY PLAN`` as an indented tree, and an empty line."""
    seen: list[str] = []
    db.conn.set_trace_callback(seen.append)
    try:
        fn()
    finally:
        db.conn.set_trace_callback(None)
    lines: list[str] = []
    for sql in seen:
        if not sql.lstrip().upper().startswith(("SELECT", "WITH")):
            continue
        lines.append(" ".join(sql.split()))
        depth = {0: 0}
        for node, parent, _unused, detail in db.execute(f"EXPLAIN QUERY PLAN {sql}").fetchall():
            depth[node] = depth.get(parent, 0) + 1
            lines.append("  " * (depth[node] - 1) + detail)
        lines.append("")
    return lines
