"""Pack the PyInstaller bundle (``make bundle`` -> dist/clinic-gui/) into the Linux archive.

Usage: ``.venv/bin/python packaging/linux/make_archive.py [--bundle DIR] [--out DIR]``

Writes ``dist/clinic-gui-<version>-linux-<arch>.tar.gz`` and ``<archive>.sha256`` (the
``sha256sum`` format, so ``sha256sum -c`` checks it), and prints both. Builds nothing: the
bundle must exist and must be of the version in pyproject.toml (checked by running its
``clinic-gui-cli --version``).

The archive holds one folder, ``clinic-gui-<version>/``:

- the bundle itself (``clinic-gui``, ``clinic-gui-cli``, ``_internal/``), runnable in place;
- ``share/applications/clinic-gui.desktop`` and ``share/icons/hicolor/256x256/apps/clinic-gui.png``;
- ``install.sh`` (per user into ~/.local, or ``--system`` into /opt and /usr/local) and
  ``uninstall.sh``; neither ever touches the user data folder (~/.local/share/clinic_gui);
- ``README.txt``.

The archive is reproducible: members sorted by name, one fixed modification time
(``SOURCE_DATE_EPOCH`` when set), owner root (0/0), modes normalised to 0755/0644, and a gzip
header without file name or time. The same bundle gives the same bytes.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import os
import platform
import stat
import subprocess
import sys
import tarfile
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
NAME = "clinic-gui"
DEFAULT_MTIME = 315_532_800  # 1980-01-01T00:00:00Z, when SOURCE_DATE_EPOCH is not set


@dataclass(frozen=True)
class Member:
    """One archive entry: a directory, a file (from disk or generated) or a symbolic link."""

    name: str
    kind: bytes  # tarfile.DIRTYPE, REGTYPE or SYMTYPE
    mode: int
    data: bytes = b""
    source: Path | None = None
    link: str = ""


def project_version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"])


def machine() -> str:
    arch = platform.machine().lower()
    return {"amd64": "x86_64", "arm64": "aarch64"}.get(arch, arch)


def check_bundle(bundle: Path, version: str) -> None:
    for exe in (NAME, f"{NAME}-cli"):
        path = bundle / exe
        if not (path.is_file() and os.access(path, os.X_OK)):
            sys.exit(f"make_archive: {path} is missing: run `make bundle` first")
    result = subprocess.run(
        [str(bundle / f"{NAME}-cli"), "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        check=False,
    )
    said = (result.stdout + result.stderr).strip()
    if result.returncode != 0 or said != f"clinic_gui {version}":
        sys.exit(
            f"make_archive: the bundle says {said!r} (exit {result.returncode}) but "
            f"pyproject.toml is at {version}: rebuild it with `make bundle`"
        )


def _file_mode(path: Path) -> int:
    return 0o755 if path.stat().st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH) else 0o644


def bundle_members(bundle: Path, top: str) -> list[Member]:
    members: list[Member] = []
    for folder, dirs, files in os.walk(bundle):
        here = Path(folder)
        for name in dirs + files:
            path = here / name
            arcname = f"{top}/{path.relative_to(bundle).as_posix()}"
            if path.is_symlink():
                link = os.readlink(path)
                target = (path.parent / link).resolve()
                if os.path.isabs(link) or not target.is_relative_to(bundle.resolve()):
                    sys.exit(f"make_archive: {path} links outside the bundle ({link})")
                members.append(Member(arcname, tarfile.SYMTYPE, 0o777, link=link))
            elif path.is_dir():
                members.append(Member(arcname, tarfile.DIRTYPE, 0o755))
            elif path.is_file():
                members.append(Member(arcname, tarfile.REGTYPE, _file_mode(path), source=path))
            else:
                sys.exit(f"make_archive: {path} is neither a file, a folder nor a link")
    return members


def text_member(name: str, text: str, mode: int = 0o644) -> Member:
    return Member(name, tarfile.REGTYPE, mode, data=text.encode())


def with_parent_dirs(members: list[Member]) -> list[Member]:
    """Add a directory entry for every folder that holds a member and has none yet."""
    names = {m.name for m in members}
    extra: list[Member] = []
    for m in members:
        parts = m.name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            folder = "/".join(parts[:i])
            if folder not in names:
                names.add(folder)
                extra.append(Member(folder, tarfile.DIRTYPE, 0o755))
    return members + extra


def write_archive(path: Path, members: list[Member], mtime: int) -> None:
    partial = path.with_name(path.name + ".partial")
    # filename="" and a fixed mtime keep the build's time and place out of the gzip header.
    with (
        partial.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=mtime, compresslevel=9) as gz,
        tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for m in sorted(members, key=lambda m: m.name):
            info = tarfile.TarInfo(m.name)
            info.type = m.kind
            info.mode = m.mode
            info.mtime = mtime
            info.uid = info.gid = 0
            info.uname = info.gname = "root"
            if m.kind == tarfile.SYMTYPE:
                info.linkname = m.link
                tar.addfile(info)
            elif m.kind == tarfile.DIRTYPE:
                tar.addfile(info)
            elif m.source is not None:
                info.size = m.source.stat().st_size
                with m.source.open("rb") as f:
                    tar.addfile(info, f)
            else:
                info.size = len(m.data)
                tar.addfile(info, io.BytesIO(m.data))
    partial.replace(path)


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


INSTALL_SH = r"""#!/bin/sh
# Install clinic_gui @VERSION@ from this folder.
#
#   ./install.sh                  for you only: ~/.local/opt/clinic-gui-@VERSION@,
#                                 commands in ~/.local/bin, menu entry in ~/.local/share
#   sudo ./install.sh --system    for everyone: /opt/clinic-gui-@VERSION@,
#                                 commands in /usr/local/bin, menu entry in /usr/local/share
#
# An earlier clinic_gui program folder made by this script (any version) is replaced. The
# clinic data - each user's ~/.local/share/clinic_gui, with the database and its backups - is
# never read, moved or deleted. DESTDIR=/some/root (with --system) stages a system install
# under that folder for packagers; it then needs no root.
set -eu

VERSION='@VERSION@'
NAME=clinic-gui
MARKER=.clinic-gui-install   # written into every program folder this script makes
HERE=$(cd "$(dirname "$0")" && pwd -P)

usage() { echo "usage: $0 [--system]"; }
system=0
for arg in "$@"; do
    case $arg in
        --system) system=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

if [ "$system" = 1 ]; then
    root=${DESTDIR:-}
    opt=/opt
    bin=/usr/local/bin
    share=/usr/local/share
    data="each user's ~/.local/share/clinic_gui"
    flag=' --system'
    if [ -z "$root" ] && [ "$(id -u)" != 0 ]; then
        echo "install.sh: --system installs into /opt and /usr/local: run it as root" \
            "(sudo ./install.sh --system), or without --system to install for you only" >&2
        exit 1
    fi
else
    root=
    opt=$HOME/.local/opt
    bin=$HOME/.local/bin
    share=${XDG_DATA_HOME:-$HOME/.local/share}
    data=$share/clinic_gui
    flag=
fi
dest=$opt/$NAME-$VERSION

# The menu entry's Exec line quotes the path; refuse the few characters it cannot carry.
case $dest in
    *'"'* | *'`'* | *'$'* | *\\* | *'%'*)
        echo "install.sh: cannot install into $dest (a quote, \$, \\ or % in the path)" >&2
        exit 1 ;;
esac

# 1. Never overwrite a command that is not ours (a pip install of clinic-gui, say).
for cmd in "$NAME" "$NAME-cli"; do
    link=$root$bin/$cmd
    if [ -L "$link" ]; then
        case $(readlink "$link") in
            "$opt/$NAME-"*) ;;
            *) echo "install.sh: $link points elsewhere ($(readlink "$link")); remove it first" >&2
               exit 1 ;;
        esac
    elif [ -e "$link" ]; then
        echo "install.sh: $link exists and was not made by this script; remove it first" >&2
        exit 1
    fi
done

# A folder of that name that this script did not make (the archive unpacked right there,
# say) is not replaced.
if [ -e "$root$dest" ] && [ ! -f "$root$dest/$MARKER" ]; then
    echo "install.sh: $root$dest exists and was not made by this script; unpack the" \
        "archive somewhere else (a download folder, /tmp) and run its install.sh from there" >&2
    exit 1
fi

# 2. Copy the program beside its final place first: a failed copy (a full disk) leaves the
#    installed version as it was.
mkdir -p "$root$opt"
stage=$root$opt/.$NAME-$VERSION.partial.$$
trap 'rm -rf "$stage"' EXIT
trap 'exit 1' HUP INT TERM
mkdir "$stage"
cp -pPR "$HERE/." "$stage/"
printf 'clinic_gui %s\n' "$VERSION" >"$stage/$MARKER"

# 3. Remove every earlier program folder made by this script (also this version's, on a
#    reinstall); only folders holding the marker file qualify. The data folder is elsewhere
#    and is not looked at.
for old in "$root$opt/$NAME"-*; do
    if [ -d "$old" ] && [ -f "$old/$MARKER" ]; then
        rm -rf "$old"
        echo "removed the previous program folder $old"
    fi
done
mv "$stage" "$root$dest"

# 4. The commands: symbolic links to the program.
mkdir -p "$root$bin"
ln -sfn "$dest/$NAME" "$root$bin/$NAME"
ln -sfn "$dest/$NAME-cli" "$root$bin/$NAME-cli"

# 5. The menu entry (Exec rewritten to the program's full path) and the icon.
apps=$root$share/applications
icons=$root$share/icons/hicolor
mkdir -p "$apps" "$icons/256x256/apps"
while IFS= read -r line; do
    case $line in
        "Exec=$NAME"*) printf 'Exec="%s"%s\n' "$dest/$NAME" "${line#"Exec=$NAME"}" ;;
        *) printf '%s\n' "$line" ;;
    esac
done <"$HERE/share/applications/$NAME.desktop" >"$apps/$NAME.desktop"
chmod 644 "$apps/$NAME.desktop"
cp "$HERE/share/icons/hicolor/256x256/apps/$NAME.png" "$icons/256x256/apps/$NAME.png"
chmod 644 "$icons/256x256/apps/$NAME.png"
if [ -z "$root" ]; then
    touch "$icons"   # tells icon caches to look again
    if [ -f "$icons/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
        gtk-update-icon-cache -q -t "$icons" || true
    fi
    if command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$apps" || true
    fi
fi

echo "clinic_gui $VERSION installed in $root$dest"
echo "  start it from the applications menu, or run: $bin/$NAME"
echo "  safe mode (software rendering, for a black or garbled window): $NAME --safe-mode"
echo "  to uninstall: $dest/uninstall.sh$flag"
echo "  the clinic data stays in $data (not touched by installing or uninstalling)"
case ":${PATH:-}:" in
    *":$bin:"*) ;;
    *) echo "  note: $bin is not on your PATH; the menu entry works regardless" ;;
esac
"""

UNINSTALL_SH = r"""#!/bin/sh
# Uninstall clinic_gui: its program folder, the clinic-gui and clinic-gui-cli commands, the
# menu entry and the icon.
#
#   ./uninstall.sh                what ./install.sh put in ~/.local
#   sudo ./uninstall.sh --system  what install.sh --system put in /opt and /usr/local
#
# The clinic data - each user's ~/.local/share/clinic_gui, with the database and its backups -
# is never deleted: this script prints where it is and leaves it.
set -eu

NAME=clinic-gui
MARKER=.clinic-gui-install

usage() { echo "usage: $0 [--system]"; }
system=0
for arg in "$@"; do
    case $arg in
        --system) system=1 ;;
        -h | --help) usage; exit 0 ;;
        *) usage >&2; exit 2 ;;
    esac
done

if [ "$system" = 1 ]; then
    root=${DESTDIR:-}
    opt=/opt
    bin=/usr/local/bin
    share=/usr/local/share
    data="each user's ~/.local/share/clinic_gui"
    if [ -z "$root" ] && [ "$(id -u)" != 0 ]; then
        echo "uninstall.sh: --system removes from /opt and /usr/local: run it as root" >&2
        exit 1
    fi
else
    root=
    opt=$HOME/.local/opt
    bin=$HOME/.local/bin
    share=${XDG_DATA_HOME:-$HOME/.local/share}
    data=$share/clinic_gui
fi
cd /   # this script may live in the folder it removes

found=0
# The commands, only when they are our links.
for cmd in "$NAME" "$NAME-cli"; do
    link=$root$bin/$cmd
    if [ -L "$link" ]; then
        case $(readlink "$link") in
            "$opt/$NAME-"*) rm -f "$link"; found=1 ;;
        esac
    fi
done
# The menu entry and the icon.
apps=$root$share/applications
icons=$root$share/icons/hicolor
for file in "$apps/$NAME.desktop" "$icons/256x256/apps/$NAME.png"; do
    if [ -e "$file" ]; then
        rm -f "$file"
        found=1
    fi
done
# The program folders install.sh made (they hold its marker file); nothing else.
for dir in "$root$opt/$NAME"-*; do
    if [ -d "$dir" ] && [ -f "$dir/$MARKER" ]; then
        rm -rf "$dir"
        echo "removed $dir"
        found=1
    fi
done
if [ -z "$root" ]; then
    if [ -d "$icons" ]; then
        touch "$icons"
        if [ -f "$icons/icon-theme.cache" ] && command -v gtk-update-icon-cache >/dev/null; then
            gtk-update-icon-cache -q -t "$icons" || true
        fi
    fi
    if [ -d "$apps" ] && command -v update-desktop-database >/dev/null 2>&1; then
        update-desktop-database -q "$apps" || true
    fi
fi

if [ "$found" = 1 ]; then
    echo "clinic_gui uninstalled (program, commands, menu entry and icon)."
else
    echo "clinic_gui was not installed in $root$opt; nothing removed."
fi
echo "The clinic data was left in $data: the database and its backups."
echo "Delete that folder yourself only when its records are no longer needed."
"""

README_TXT = """clinic_gui @VERSION@ for Linux (@ARCH@)

Infliximab infusion clinic record with end-of-dose wearing-off and TDM decision support.

Install for you only (no administrator rights):

    ./install.sh

  program     ~/.local/opt/clinic-gui-@VERSION@/
  commands    ~/.local/bin/clinic-gui  and  ~/.local/bin/clinic-gui-cli (console twin)
  menu entry  ~/.local/share/applications/clinic-gui.desktop (and its icon)

Install for every user of this computer:

    sudo ./install.sh --system

  program     /opt/clinic-gui-@VERSION@/
  commands    /usr/local/bin/clinic-gui  and  /usr/local/bin/clinic-gui-cli
  menu entry  /usr/local/share/applications/clinic-gui.desktop (and its icon)

Or run it in place, without installing: ./clinic-gui

Your clinic data
  The database and its backups live in your user data folder, ~/.local/share/clinic_gui/
  (clinic.sqlite; backups/ holds the copies made before a schema upgrade). Installing,
  upgrading, reinstalling and uninstalling never touch that folder. Back it up with your
  other files.

Upgrading
  Run the newer version's install.sh. It replaces the previous program folder; the database
  stays where it is. The first start of a newer version that changes the database schema
  makes a backup in backups/ and then upgrades the database.

Uninstalling
  ~/.local/opt/clinic-gui-@VERSION@/uninstall.sh          (or this folder's uninstall.sh)
  sudo /opt/clinic-gui-@VERSION@/uninstall.sh --system    (for a --system install)
  It removes the program, the commands, the menu entry and the icon, and prints where the
  data is: it is left in place.

Checking that it works here
  clinic-gui-cli --self-test    (headless; exit 0 when all is well)
  clinic-gui-cli --version

A black or garbled window (graphics driver trouble)
  clinic-gui --safe-mode        (or CLINIC_GUI_SAFE_MODE=1 clinic-gui): software rendering.
  The menu entry has a "clinic_gui (safe mode)" action too.

On a machine without a desktop, the window needs Qt's X11 libraries (Debian/Ubuntu:
libxcb-cursor0 libxkbcommon-x11-0 libegl1 libgl1 libdbus-1-3 and the other libxcb-*
packages); desktop installations already have them.

Checksum: the file clinic-gui-@VERSION@-linux-@ARCH@.tar.gz.sha256 published beside the
archive; check it with  sha256sum -c clinic-gui-@VERSION@-linux-@ARCH@.tar.gz.sha256
"""


def fill(template: str, version: str, arch: str) -> str:
    return template.replace("@VERSION@", version).replace("@ARCH@", arch)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bundle", type=Path, default=ROOT / "dist" / NAME)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    args = parser.parse_args(argv)

    version = project_version()
    arch = machine()
    bundle: Path = args.bundle.resolve()
    check_bundle(bundle, version)
    mtime = int(os.environ.get("SOURCE_DATE_EPOCH", DEFAULT_MTIME))

    top = f"{NAME}-{version}"
    icon = ROOT / "resources" / "icons" / f"{NAME}.png"
    members = bundle_members(bundle, top)
    members += [
        Member(top, tarfile.DIRTYPE, 0o755),
        Member(
            f"{top}/share/applications/{NAME}.desktop",
            tarfile.REGTYPE,
            0o644,
            source=HERE / f"{NAME}.desktop",
        ),
        Member(
            f"{top}/share/icons/hicolor/256x256/apps/{NAME}.png",
            tarfile.REGTYPE,
            0o644,
            source=icon,
        ),
        text_member(f"{top}/install.sh", fill(INSTALL_SH, version, arch), 0o755),
        text_member(f"{top}/uninstall.sh", fill(UNINSTALL_SH, version, arch), 0o755),
        text_member(f"{top}/README.txt", fill(README_TXT, version, arch)),
    ]
    members = with_parent_dirs(members)
    names = [m.name for m in members]
    if len(names) != len(set(names)):
        sys.exit("make_archive: the bundle already holds a file the archive adds")

    args.out.mkdir(parents=True, exist_ok=True)
    archive = args.out.resolve() / f"{top}-linux-{arch}.tar.gz"
    write_archive(archive, members, mtime)
    digest = sha256(archive)
    checksum = archive.with_name(archive.name + ".sha256")
    checksum.write_text(f"{digest}  {archive.name}\n")
    size = archive.stat().st_size
    print(archive)
    print(f"  {size:,} bytes ({size / 1e6:.1f} MB), {len(members)} members")
    print(f"  SHA-256 {digest}  (written to {checksum.name})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
