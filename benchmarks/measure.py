"""What every benchmark shares: timing repeated runs, their spread, the machine they ran
on, and writing the figures to their page in docs/.

The scripts beside this file import it (``sys.path`` holds their folder when run as
``python benchmarks/<name>.py``; each also puts it there when loaded by a test).
"""

from __future__ import annotations

import os
import platform
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any


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
