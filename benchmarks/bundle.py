"""Bundle size and start time of the frozen app, against a minimal PySide6 "hello window".

    .venv/bin/python benchmarks/bundle.py [--runs N] [--skip-variants] [--reuse] [--dry-run]

In a temporary work folder it

1. builds the app with ``build.spec`` (or, with ``--reuse``, takes ``dist/clinic-gui``);
2. writes and builds a minimal PySide6 app (QApplication, QMainWindow, QLabel) with the same
   PyInstaller: one folder, no UPX, PyInstaller's defaults otherwise;
3. measures both: folder size, ``.tar.gz`` size, and time to first window (median and
   spread of ``--runs`` launches with ``QT_QPA_PLATFORM=offscreen`` and
   ``CLINIC_GUI_EXIT_AFTER_FIRST_PAINT=1``, which makes either app print a line and quit as
   soon as its first window has been shown and painted; the app opens a 120-patient demo
   clinic made with ``clinic-gui-cli demo``);
4. lists the largest parts of the app bundle;
5. unless ``--skip-variants``, rebuilds once per exclusion group of ``build.spec`` with that
   group turned back on (``CLINIC_GUI_SPEC_KEEP=<group>``), and once with all of them, to
   measure what each saves;
6. writes ``docs/packaging.md`` (``--out``) with the figures of this run only.

``--dry-run`` only checks that the hello-window script can be written and the spec parsed.
"""

from __future__ import annotations

import argparse
import ast
import concurrent.futures
import datetime as dt
import importlib.metadata
import os
import platform
import shutil
import stat
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # measure.py, shared by the benchmarks
from measure import EXIT_ENV, HELLO_MARKER, launch, launch_env, write_hello

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "build.spec"
APP_NAME = "clinic-gui"
HELLO_NAME = "hello-window"
APP_MARKER = "clinic-gui: first window painted"  # clinic_gui.ui.app.FIRST_PAINT_MESSAGE
TARGET_RATIO = 1.3
GZIP_LEVEL = 6  # what `tar czf` uses
EXE_SUFFIX = ".exe" if os.name == "nt" else ""
MB = 1_000_000

# What each exclusion group of build.spec (KEEP_GROUPS) leaves out, for the report.
GROUP_NOTES = {
    "qt_modules": "Qt modules never imported (QtNetwork, QtQml, QtSvg, QtPrintSupport, ...)",
    "plugins": "Qt plugins other than platforms, xcb GL, Wayland shell/decorations, "
    "input methods, SVG icons, ICO/SVG images",
    "platformthemes": "the GTK 3 and desktop-portal platform themes (GTK's cairo, pango, gio)",
    "translations": "Qt's own translations (the app is English only)",
    "python_excludes": "tools and libraries that are not dependencies (pytest, tkinter, ...)",
    "unused_python": "parts of dependencies never imported: ssl/_hashlib (OpenSSL), "
    "numpy.random/fft/polynomial/testing, stdlib dev tools, pyqtgraph console/flowchart/"
    "exporters",
    "orphan_libs": "shared libraries only the dropped plugins needed (QtNetwork, Kerberos, "
    "EGLFS, GTK's cairo, pango and gio, ...)",
    "strip": "debug info in the Python interpreter's own libpython and lib-dynload",
}


@dataclass
class Bundle:
    name: str
    folder: Path
    executable: Path
    build_s: float | None = None
    size: int = 0
    files: int = 0
    archive: int = 0
    first_window: list[float] = field(default_factory=list)
    exit_times: list[float] = field(default_factory=list)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="launches timed per app (default 7)")
    parser.add_argument(
        "--skip-variants", action="store_true", help="do not rebuild per exclusion group"
    )
    parser.add_argument(
        "--reuse", action="store_true", help=f"measure dist/{APP_NAME} instead of building it"
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="only check that the hello-window script can be written and the spec parsed",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "packaging.md")
    parser.add_argument("--keep-work", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error("--runs must be at least 1")

    groups = spec_keep_groups(SPEC)
    work = Path(tempfile.mkdtemp(prefix="clinic-gui-bundle-bench-"))
    try:
        hello_script = write_hello(work / "hello")
        compile(hello_script.read_text(), str(hello_script), "exec")
        if args.dry_run:
            print(f"ok: {SPEC.name} parsed; exclusion groups: {', '.join(groups)}")
            print(f"ok: hello-window script written to {hello_script}")
            return 0
        return _benchmark(args, groups, work, hello_script)
    finally:
        if args.keep_work:
            print(f"work folder kept: {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)


def spec_keep_groups(spec: Path) -> list[str]:
    """The exclusion groups named by ``KEEP_GROUPS = (...)`` in build.spec."""
    tree = ast.parse(spec.read_text(encoding="utf-8"), filename=str(spec))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "KEEP_GROUPS" for t in node.targets
        ):
            groups = ast.literal_eval(node.value)
            if groups and all(isinstance(g, str) for g in groups):
                return list(groups)
    raise ValueError(f"{spec}: no KEEP_GROUPS tuple of group names")


# -- building ------------------------------------------------------------------------------


def pyinstaller(args: list[str], *, cwd: Path, log: Path, keep: str | None = None) -> float:
    env = dict(os.environ)
    env.pop("CLINIC_GUI_SPEC_KEEP", None)
    if keep:
        env["CLINIC_GUI_SPEC_KEEP"] = keep
    command = [sys.executable, "-m", "PyInstaller", "--noconfirm", "--clean"]
    command += ["--log-level", "WARN", *args]
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    with log.open("w") as out:
        done = subprocess.run(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-30:])
        raise RuntimeError(f"PyInstaller failed ({' '.join(command)}):\n{tail}")
    return elapsed


def build_app(work: Path, name: str, keep: str | None = None) -> Bundle:
    dist, build = work / name / "dist", work / name / "build"
    seconds = pyinstaller(
        ["--distpath", str(dist), "--workpath", str(build), str(SPEC)],
        cwd=ROOT,
        log=work / "logs" / f"{name}.log",
        keep=keep,
    )
    folder = dist / APP_NAME
    return Bundle(name, folder, folder / f"{APP_NAME}{EXE_SUFFIX}", build_s=seconds)


def build_hello(work: Path, script: Path) -> Bundle:
    folder = script.parent
    seconds = pyinstaller(
        [
            "--onedir",
            "--noupx",
            "--name",
            HELLO_NAME,
            "--distpath",
            str(folder / "dist"),
            "--workpath",
            str(folder / "build"),
            "--specpath",
            str(folder),
            str(script),
        ],
        cwd=folder,
        log=work / "logs" / "hello.log",
    )
    out = folder / "dist" / HELLO_NAME
    return Bundle("hello window", out, out / f"{HELLO_NAME}{EXE_SUFFIX}", build_s=seconds)


# -- measuring -----------------------------------------------------------------------------


def folder_size(folder: Path) -> tuple[int, int]:
    """Bytes and number of the regular files under ``folder`` (symlinks not followed)."""
    total = count = 0
    seen: set[tuple[int, int]] = set()
    for base, _dirs, names in os.walk(folder):
        for name in names:
            st = os.lstat(os.path.join(base, name))
            if not stat.S_ISREG(st.st_mode):
                continue
            if st.st_ino and (st.st_dev, st.st_ino) in seen:
                continue  # a hard link to a file already counted
            seen.add((st.st_dev, st.st_ino))
            total += st.st_size
            count += 1
    return total, count


def archive_size(folder: Path, archive: Path) -> int:
    with tarfile.open(archive, "w:gz", compresslevel=GZIP_LEVEL) as tar:
        tar.add(folder, arcname=folder.name)
    size = archive.stat().st_size
    archive.unlink()
    return size


def parts(folder: Path) -> dict[str, int]:
    """Size of each top-level item of the bundle's ``_internal`` (symlinks count 0)."""
    internal = folder / "_internal"
    sizes: dict[str, int] = {}
    for item in sorted(internal.iterdir()):
        if item.is_symlink():
            continue
        sizes[item.name] = folder_size(item)[0] if item.is_dir() else item.stat().st_size
    return sizes


def time_first_window(command: list[str], marker: str, home: Path) -> tuple[float, float]:
    """Seconds from launch to the first-paint line on stderr, and to the process's exit."""
    run = launch(command, marker, home, timeout_s=120)
    return run.marker_s, run.exit_s


def time_start(bundles: list[tuple[Bundle, list[str], str]], runs: int, work: Path) -> None:
    """One untimed warm-up launch each, then ``runs`` timed launches, interleaved."""
    for _bundle, command, marker in bundles:
        time_first_window(command, marker, work / "home")
    for run in range(runs):
        for bundle, command, marker in bundles:
            first, exited = time_first_window(command, marker, work / "home")
            bundle.first_window.append(first)
            bundle.exit_times.append(exited)
            print(f"  run {run + 1}: {bundle.name}: first window {first:.2f} s")


# -- the run -------------------------------------------------------------------------------


def _benchmark(args: argparse.Namespace, groups: list[str], work: Path, hello: Path) -> int:
    started = time.perf_counter()
    archives = concurrent.futures.ThreadPoolExecutor(max_workers=1)  # gzip beside builds
    if args.reuse:
        folder = ROOT / "dist" / APP_NAME
        if not folder.is_dir():
            print(f"no bundle at {folder}: run `make bundle` or drop --reuse", file=sys.stderr)
            return 1
        app = Bundle("clinic_gui", folder, folder / f"{APP_NAME}{EXE_SUFFIX}")
        print(f"reusing {folder}")
    else:
        print("building the app (build.spec) ...")
        app = build_app(work, "app")
        app.name = "clinic_gui"
        print(f"  {app.build_s:.0f} s")
    print("building the hello window ...")
    base = build_hello(work, hello)
    print(f"  {base.build_s:.0f} s")

    for bundle in (app, base):
        bundle.size, bundle.files = folder_size(bundle.folder)

    cli = app.folder / f"{APP_NAME}-cli{EXE_SUFFIX}"
    demo = work / "demo.sqlite"
    made = subprocess.run(
        [str(cli), "demo", "--db", str(demo), "--patients", "120"],
        capture_output=True,
        text=True,
        env=launch_env(work / "home-demo"),
        timeout=600,
    )
    if made.returncode != 0:
        raise RuntimeError(f"demo clinic not written: {made.stderr}")
    print(f"timing first window ({args.runs} runs each, after one warm-up) ...")
    time_start(
        [
            (app, [str(app.executable), "--db", str(demo)], APP_MARKER),
            (base, [str(base.executable)], HELLO_MARKER),
        ],
        args.runs,
        work,
    )
    app_parts, base_parts = parts(app.folder), parts(base.folder)
    pending = {  # compressed sizes: in a thread, beside the variant builds, after the timing
        bundle.name: archives.submit(archive_size, bundle.folder, work / f"{index}.tar.gz")
        for index, bundle in enumerate((app, base))
    }

    variants: list[tuple[str, int, concurrent.futures.Future[int]]] = []
    if not args.skip_variants:
        for keep in [*groups, ",".join(groups)]:
            label = "all" if "," in keep else keep
            print(f"building with CLINIC_GUI_SPEC_KEEP={keep} ...")
            variant = build_app(work, f"variant-{label}", keep=keep)
            size, _ = folder_size(variant.folder)
            print(f"  {variant.build_s:.0f} s, {size / MB:.1f} MB")
            variants.append(
                (keep, size, archives.submit(_archive_and_remove, variant.folder, work))
            )
    for bundle in (app, base):
        bundle.archive = pending[bundle.name].result()
    variant_rows = [(keep, size, future.result()) for keep, size, future in variants]
    archives.shutdown()

    text = report(
        app, base, app_parts, base_parts, variant_rows, args, time.perf_counter() - started
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"\nwrote {args.out}")
    print(
        f"size {app.size / MB:.1f} MB vs {base.size / MB:.1f} MB = "
        f"{app.size / base.size:.2f}x (target {TARGET_RATIO}x); first window "
        f"{statistics.median(app.first_window):.2f} s vs "
        f"{statistics.median(base.first_window):.2f} s"
    )
    return 0


def _archive_and_remove(folder: Path, work: Path) -> int:
    size = archive_size(folder, work / f"{folder.parent.parent.name}.tar.gz")
    shutil.rmtree(folder.parent.parent, ignore_errors=True)  # variant-<group>/ (dist, build)
    return size


# -- the report ----------------------------------------------------------------------------


def _mb(n: float) -> str:
    return f"{n / MB:.1f}"


def _machine() -> list[str]:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kb / 1024 / 1024:.0f} GB RAM"
    except (OSError, ValueError, IndexError):
        pass

    def version(package: str) -> str:
        try:
            return importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            return "not installed"

    pyside = version("PySide6-Essentials")
    if pyside == "not installed":
        pyside = version("PySide6")
    return [
        f"- Machine: {platform.system()} {platform.release()} ({platform.machine()}), {cpu}, "
        f"{os.cpu_count()} CPU cores{memory}",
        f"- OS: {platform.freedesktop_os_release().get('PRETTY_NAME', '')}"
        if hasattr(platform, "freedesktop_os_release") and sys.platform.startswith("linux")
        else f"- OS: {platform.platform()}",
        f"- Python {platform.python_version()} ({sys.executable}), "
        f"PyInstaller {version('pyinstaller')}, PySide6 {pyside}, numpy {version('numpy')}, "
        f"pyqtgraph {version('pyqtgraph')}",
    ]


def report(
    app: Bundle,
    base: Bundle,
    app_parts: dict[str, int],
    base_parts: dict[str, int],
    variants: list[tuple[str, int, int]],
    args: argparse.Namespace,
    elapsed_s: float,
) -> str:
    ratio = app.size / base.size
    met = ratio <= TARGET_RATIO
    out = [
        "# Packaging: bundle size and start time",
        "",
        f"Written by `benchmarks/bundle.py` on {dt.date.today().isoformat()} "
        f"(whole run {elapsed_s / 60:.1f} min); every figure below is from that one run. "
        "The baseline is a minimal PySide6 app (a QMainWindow with a QLabel) built in the "
        "same run with the same PyInstaller: one folder, no UPX, PyInstaller's defaults "
        "otherwise (so it carries everything PyInstaller's Qt hooks collect).",
        "",
        *_machine(),
        "- Bundles: one folder (onedir), no UPX; the app from `build.spec`"
        + (" (reused `dist/clinic-gui`)" if args.reuse else "")
        + ", with two executables (`clinic-gui`, `clinic-gui-cli`) over one `_internal/`",
        "",
        "## Size",
        "",
        f"Target: the app bundle within {TARGET_RATIO}× the hello-window bundle. "
        f"**{'Met' if met else 'Not met'}: {ratio:.2f}×.**",
        "",
        "| bundle | files | size (bytes) | size (MB) | .tar.gz (MB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for b in (app, base):
        out.append(f"| {b.name} | {b.files} | {b.size:,} | {_mb(b.size)} | {_mb(b.archive)} |")
    out += [
        f"| ratio app / hello | | | {ratio:.2f}× | {app.archive / base.archive:.2f}× |",
        "",
        "Sizes are the bytes of the regular files in the folder (symlinks, which PyInstaller "
        "puts beside `_internal/` for shared libraries, count 0). The archive is "
        f"`tar.gz` of the folder at gzip level {GZIP_LEVEL} (what `tar czf` uses).",
        "",
    ]
    out += _start_section(app, base, args.runs)
    out += _parts_section(app, app_parts, base_parts)
    out += _variants_section(app, base, variants)
    out += _assessment(app, base, app_parts, variants)
    out += [
        "## How to reproduce",
        "",
        "```sh",
        ".venv/bin/python benchmarks/bundle.py                 # all of the above",
        ".venv/bin/python benchmarks/bundle.py --skip-variants # sizes and start time only",
        ".venv/bin/python benchmarks/bundle.py --reuse --runs 15  # measure dist/clinic-gui",
        "```",
        "",
        "It builds in a temporary folder and never touches `dist/`. To build one variant by "
        "hand (this one does write `dist/clinic-gui`): `CLINIC_GUI_SPEC_KEEP=plugins,"
        "translations .venv/bin/pyinstaller --noconfirm build.spec`; the group names are "
        "`KEEP_GROUPS` in `build.spec`.",
        "",
        "Time to first window by hand: `CLINIC_GUI_EXIT_AFTER_FIRST_PAINT=1 "
        "QT_QPA_PLATFORM=offscreen dist/clinic-gui/clinic-gui --db demo.sqlite` prints "
        f"`{APP_MARKER}` and quits once the main window has been shown and painted.",
        "",
    ]
    return "\n".join(out)


def _start_section(app: Bundle, base: Bundle, runs: int) -> list[str]:
    def row(b: Bundle) -> str:
        t = b.first_window
        return (
            f"| {b.name} | {statistics.median(t):.2f} | {min(t):.2f} | {max(t):.2f} | "
            f"{statistics.median(b.exit_times):.2f} |"
        )

    ratio = statistics.median(app.first_window) / statistics.median(base.first_window)
    return [
        "## Start time",
        "",
        f"Time to first window: from launching the executable to the line it prints once its "
        f"first window has been shown and painted (`{EXIT_ENV}=1`, `QT_QPA_PLATFORM=offscreen`"
        "), over "
        f"{runs} launches each, interleaved, after one untimed warm-up launch each (so the "
        "files are in the OS cache: a warm start). The app opens a 120-patient demo clinic "
        "(`clinic-gui-cli demo --patients 120`) with `--db`, with an empty settings folder "
        "each launch, as on first use. Exit includes shutting down (the app waits for its "
        "background whole-clinic assessment to finish before it quits).",
        "",
        "| bundle | median (s) | min (s) | max (s) | median to exit (s) |",
        "|---|---:|---:|---:|---:|",
        row(app),
        row(base),
        f"| ratio app / hello (medians) | {ratio:.2f}× | | | |",
        "",
    ]


def _parts_section(app: Bundle, app_parts: dict[str, int], base_parts: dict[str, int]) -> list[str]:
    exe = app.executable.stat().st_size
    internal = sum(app_parts.values())
    out = [
        "## What is in the app bundle",
        "",
        f"The two executables are {_mb(exe)} MB each: the bootloader plus the compressed "
        "Python code (the PYZ archive), which each of them carries. `_internal/` holds "
        f"{_mb(internal)} MB; its 15 largest top-level items:",
        "",
        "| item | MB | share of bundle | in the hello bundle (MB) |",
        "|---|---:|---:|---:|",
    ]
    for name, size in sorted(app_parts.items(), key=lambda kv: -kv[1])[:15]:
        other = base_parts.get(name)
        out.append(
            f"| `{name}` | {_mb(size)} | {100 * size / app.size:.0f} % | "
            f"{_mb(other) if other is not None else '—'} |"
        )
    diffs = [
        (name, app_parts.get(name, 0) - base_parts.get(name, 0))
        for name in set(app_parts) | set(base_parts)
    ]
    diffs.sort(key=lambda kv: -abs(kv[1]))
    out += [
        "",
        "Where the two bundles differ most (app minus hello, top-level items of "
        "`_internal/`, MB; negative: only or bigger in the hello bundle):",
        "",
        "| item | app − hello (MB) |",
        "|---|---:|",
    ]
    out += [f"| `{name}` | {diff / MB:+.1f} |" for name, diff in diffs[:12]]
    out.append("")
    return out


def _variants_section(app: Bundle, base: Bundle, variants: list[tuple[str, int, int]]) -> list[str]:
    out = ["## What each exclusion saves", ""]
    if not variants:
        return [*out, "Not measured in this run (`--skip-variants`).", ""]
    out += [
        "Each row is a rebuild with one exclusion group of `build.spec` turned back on "
        "(`CLINIC_GUI_SPEC_KEEP=<group>`); the saving is that bundle minus the shipped one. "
        "Groups overlap (a library can be reachable only from plugins that two groups drop), "
        "so the last row, every group turned back on at once, is the total.",
        "",
        "| group (`CLINIC_GUI_SPEC_KEEP`) | what it leaves out | bundle with it kept (MB) | "
        "saves (MB) | saves in .tar.gz (MB) | ratio to hello if kept |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for keep, size, archive in variants:
        label = "all of the above" if "," in keep else f"`{keep}`"
        note = "no exclusions at all" if "," in keep else GROUP_NOTES.get(keep, "")
        if abs(size - app.size) < MB / 20:
            note += " (nothing to leave out here: a guard)"
        out.append(
            f"| {label} | {note} | {_mb(size)} | {(size - app.size) / MB:.1f} | "
            f"{(archive - app.archive) / MB:.1f} | {size / base.size:.2f}× |"
        )
    out.append("")
    return out


def _assessment(
    app: Bundle, base: Bundle, app_parts: dict[str, int], variants: list[tuple[str, int, int]]
) -> list[str]:
    ratio = app.size / base.size
    saved = {keep: size - app.size for keep, size, _ in variants}
    out = ["## Assessment", ""]
    verdict = "is met" if ratio <= TARGET_RATIO else "is not met"
    out.append(
        f"- The size target ({TARGET_RATIO}× the hello-window bundle) {verdict}: "
        f"{ratio:.2f}× ({_mb(app.size)} MB against {_mb(base.size)} MB)."
    )
    if saved.get("strip", 0) > 0:
        unstripped = (app.size + saved["strip"]) / base.size
        where = "within" if unstripped <= TARGET_RATIO else "outside"
        out.append(
            "- Part of the margin is not the app's doing: this Python build ships its "
            "interpreter (libpython, lib-dynload) with debug info, which `build.spec` strips "
            "and the default hello bundle keeps. Without the strip the app would be "
            f"{unstripped:.2f}× the hello window ({where} the target)."
        )
    numpy = sum(v for k, v in app_parts.items() if k.startswith("numpy"))
    opengl = _opengl_size(app.folder)
    out += [
        f"- What the hello window does not carry: numpy and its OpenBLAS ({_mb(numpy)} MB in "
        "`numpy` and `numpy.libs`, needed by pyqtgraph; OpenBLAS alone is most of it and is "
        "linked by numpy's core, so it cannot be dropped while numpy is imported), pyqtgraph, "
        "jsonschema's `rpds`, the app's code and resources, and a second copy of the PYZ "
        "archive in the second executable. Against that, the app leaves out what the hello "
        "bundle keeps: Qt translations, most plugins, the GTK theme and the libraries only "
        "they need.",
        "- Design changes that would shrink it further: drawing the charts with QPainter "
        "(or QtCharts) instead of pyqtgraph would drop numpy and OpenBLAS; on Linux, making "
        "`clinic-gui-cli` a symlink to `clinic-gui` (they are identical there) would drop "
        f"the second {_mb(app.executable.stat().st_size)} MB executable.",
        "- Left out with an effect a user could see: without `platformthemes` Qt does not "
        "use GTK's file dialog or follow the GNOME colour scheme (dark mode); it shows its "
        "own file dialog and style. Without `tls`/OpenSSL nothing in the app can open an "
        "HTTPS connection (it has none).",
        "- Kept on purpose although a hello window could do without: the Wayland platform "
        "with its xdg-shell integration and decorations (without them no window appears on a "
        "Wayland desktop), the compose and IBus input methods (dead keys and accented "
        "letters in patient names), SVG icons (icon themes), and `offscreen`/`minimal` "
        "(the self-test).",
        f"- Kept because pyqtgraph needs them: QtOpenGL and QtOpenGLWidgets ({_mb(opengl)} MB "
        "with their Qt libraries). pyqtgraph 0.14 imports both whenever it is imported "
        "(PlotCurveItem imports its OpenGL helpers), although the charts never draw with "
        "OpenGL; leaving them out makes every chart fail to open.",
        "",
    ]
    return out


def _opengl_size(folder: Path) -> int:
    """Bytes of the QtOpenGL and QtOpenGLWidgets bindings and Qt libraries in the bundle."""
    return sum(
        path.stat().st_size
        for path in (folder / "_internal" / "PySide6").rglob("*OpenGL*")
        if path.is_file() and not path.is_symlink()
    )


if __name__ == "__main__":
    sys.exit(main())
