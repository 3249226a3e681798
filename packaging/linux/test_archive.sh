#!/usr/bin/env bash
# shellcheck disable=SC2015  # "[ a ] && [ b ] || fail": fails when either fails, as meant
# Test the Linux archive end to end, without touching this machine's real home, /opt or
# /usr/local. Builds nothing: make the archive first (packaging/linux/make_archive.py).
#
#   bash packaging/linux/test_archive.sh dist/clinic-gui-<version>-linux-<arch>.tar.gz [...]
#
# For each archive: checks its checksum file and its members (one top folder, owner 0/0), then
# with HOME pointed at a temporary folder: plants a fake earlier version and a clinic database,
# runs install.sh, checks the commands, the menu entry and the icon, runs the installed
# `clinic-gui-cli --version` and `--self-test` (QT_QPA_PLATFORM=offscreen), reinstalls,
# uninstalls, and checks that the program went and the database stayed, byte for byte. Then
# the same for `install.sh --system` staged under DESTDIR. Exits non-zero at the first failure.
set -euo pipefail

step() { printf '  %-66s' "$1"; }
ok() { echo "ok${1:+ ($1)}"; }
fail() {
    echo "FAILED"
    echo "test_archive: $*" >&2
    exit 1
}

[ $# -ge 1 ] || { echo "usage: $0 ARCHIVE.tar.gz [...]" >&2; exit 2; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/clinic-gui-archive-test.XXXXXX")
cleanup() { chmod -R u+w "$WORK" 2>/dev/null || true; rm -rf "$WORK"; }
trap cleanup EXIT

file_hash() { sha256sum "$1" | cut -d' ' -f1; }

test_archive() {
    local archive=$1 name top version work home share bin opt data
    [ -f "$archive" ] || fail "$archive: no such file"
    archive=$(cd "$(dirname "$archive")" && pwd)/$(basename "$archive")
    name=$(basename "$archive")
    echo "== $name"
    work=$WORK/${name%.tar.gz}
    mkdir -p "$work"

    step "checksum file ($name.sha256)"
    if [ -f "$archive.sha256" ]; then
        (cd "$(dirname "$archive")" && sha256sum --quiet -c "$name.sha256") \
            || fail "$archive does not match $archive.sha256"
        ok
    else
        ok "absent, skipped"
    fi

    step "members: one top folder, no absolute or .. paths, owner 0/0"
    local tops
    tar -tzf "$archive" >"$work/members.txt"
    tar --numeric-owner -tvzf "$archive" >"$work/members-long.txt"
    tops=$(cut -d/ -f1 "$work/members.txt" | sort -u)
    [ "$(printf '%s\n' "$tops" | wc -l)" = 1 ] || fail "more than one top folder: $tops"
    top=$tops
    [[ $top == clinic-gui-* ]] || fail "top folder $top is not clinic-gui-<version>"
    version=${top#clinic-gui-}
    [[ $name == "clinic-gui-$version-linux-"*.tar.gz ]] || fail "$name does not name $version"
    ! grep -Eq '^/|(^|/)\.\.(/|$)' "$work/members.txt" || fail "unsafe member paths"
    [ -z "$(awk '$2 != "0/0"' "$work/members-long.txt")" ] || fail "members not owned by 0/0"
    ok "$(wc -l <"$work/members.txt") members, version $version"

    step "extract"
    mkdir "$work/x"
    tar -xzf "$archive" -C "$work/x"
    local src=$work/x/$top
    for f in clinic-gui clinic-gui-cli _internal install.sh uninstall.sh README.txt \
        share/applications/clinic-gui.desktop share/icons/hicolor/256x256/apps/clinic-gui.png; do
        [ -e "$src/$f" ] || fail "the archive lacks $top/$f"
    done
    ok

    if command -v desktop-file-validate >/dev/null; then
        step "desktop-file-validate (as shipped)"
        desktop-file-validate "$src/share/applications/clinic-gui.desktop" \
            >"$work/validate.log" 2>&1 || { cat "$work/validate.log" >&2; fail "not valid"; }
        ok "$(grep -c 'hint:' "$work/validate.log" || true) hint(s), no errors"
    fi

    # A fresh, fake home: nothing here may reach the real one.
    home=$work/home
    mkdir -p "$home"
    export HOME=$home
    unset XDG_DATA_HOME XDG_CONFIG_HOME XDG_CACHE_HOME XDG_STATE_HOME
    export PATH="$home/.local/bin:$PATH"
    share=$home/.local/share
    bin=$home/.local/bin
    opt=$home/.local/opt
    data=$share/clinic_gui

    step "plant: an earlier version, a clinic database, files not ours"
    mkdir -p "$opt/clinic-gui-0.0.1" "$bin" "$share/applications" "$data/backups"
    echo 'clinic_gui 0.0.1' >"$opt/clinic-gui-0.0.1/.clinic-gui-install"
    printf '#!/bin/sh\necho old\n' >"$opt/clinic-gui-0.0.1/clinic-gui"
    chmod +x "$opt/clinic-gui-0.0.1/clinic-gui"
    ln -s "$opt/clinic-gui-0.0.1/clinic-gui" "$bin/clinic-gui"
    mkdir -p "$opt/someone-elses-tool"
    echo keep >"$bin/other-tool"
    echo keep >"$share/applications/other.desktop"
    head -c 65536 /dev/urandom >"$data/clinic.sqlite"
    echo 'backup made before an upgrade' >"$data/backups/clinic-v1.sqlite"
    local db_hash backup_hash
    db_hash=$(file_hash "$data/clinic.sqlite")
    backup_hash=$(file_hash "$data/backups/clinic-v1.sqlite")
    ok

    data_intact() {
        [ "$(file_hash "$data/clinic.sqlite")" = "$db_hash" ] \
            || fail "the clinic database in $data changed or went ($1)"
        [ "$(file_hash "$data/backups/clinic-v1.sqlite")" = "$backup_hash" ] \
            || fail "the backup in $data/backups changed or went ($1)"
    }
    others_intact() {
        [ -f "$bin/other-tool" ] && [ -f "$share/applications/other.desktop" ] \
            && [ -d "$opt/someone-elses-tool" ] || fail "files not ours were removed ($1)"
    }

    local dest=$opt/clinic-gui-$version
    step "install.sh (per user)"
    (cd / && sh "$src/install.sh") >"$work/install.log" 2>&1 \
        || { cat "$work/install.log" >&2; fail "install.sh failed"; }
    [ -x "$dest/clinic-gui" ] && [ -x "$dest/clinic-gui-cli" ] || fail "$dest not installed"
    [ ! -e "$opt/clinic-gui-0.0.1" ] || fail "the earlier version's folder is still there"
    [ "$(readlink "$bin/clinic-gui")" = "$dest/clinic-gui" ] || fail "clinic-gui link wrong"
    [ "$(readlink "$bin/clinic-gui-cli")" = "$dest/clinic-gui-cli" ] || fail "cli link wrong"
    [ -f "$share/icons/hicolor/256x256/apps/clinic-gui.png" ] || fail "icon not installed"
    grep -qx "Exec=\"$dest/clinic-gui\"" "$share/applications/clinic-gui.desktop" \
        || fail "the installed menu entry does not run $dest/clinic-gui"
    grep -qx "Exec=\"$dest/clinic-gui\" --safe-mode" "$share/applications/clinic-gui.desktop" \
        || fail "the installed safe-mode action does not run $dest/clinic-gui --safe-mode"
    if command -v desktop-file-validate >/dev/null; then
        desktop-file-validate "$share/applications/clinic-gui.desktop" >"$work/validate2.log" \
            2>&1 || { cat "$work/validate2.log" >&2; fail "the installed .desktop is not valid"; }
    fi
    data_intact "install"
    others_intact "install"
    ok "earlier version replaced"

    step "clinic-gui-cli --version (through the link, from /)"
    local said
    said=$(cd / && clinic-gui-cli --version 2>&1) || fail "clinic-gui-cli --version failed: $said"
    [ "$said" = "clinic_gui $version" ] || fail "--version said '$said', not 'clinic_gui $version'"
    ok "$said"

    step "clinic-gui --version (the window program)"
    said=$(cd / && clinic-gui --version 2>&1) || fail "clinic-gui --version failed: $said"
    [ "$said" = "clinic_gui $version" ] || fail "--version said '$said'"
    ok

    step "clinic-gui-cli --self-test (offscreen)"
    local t0=$SECONDS
    (cd / && QT_QPA_PLATFORM=offscreen timeout 300 clinic-gui-cli --self-test) \
        >"$work/self-test.log" 2>&1 \
        || { cat "$work/self-test.log" >&2; fail "the installed self-test failed"; }
    grep -q 'self-test passed' "$work/self-test.log" || fail "no 'self-test passed' line"
    data_intact "self-test"
    ok "$((SECONDS - t0)) s"

    step "reinstall over the same version"
    (cd / && sh "$src/install.sh") >"$work/reinstall.log" 2>&1 \
        || { cat "$work/reinstall.log" >&2; fail "reinstall failed"; }
    [ "$(cd / && clinic-gui-cli --version 2>&1)" = "clinic_gui $version" ] \
        || fail "after the reinstall clinic-gui-cli does not run"
    [ "$(find "$opt" -maxdepth 1 -name 'clinic-gui-*' | wc -l)" = 1 ] \
        || fail "more than one program folder after reinstall"
    data_intact "reinstall"
    others_intact "reinstall"
    ok

    step "refuses to overwrite a clinic-gui command that is not ours"
    mkdir -p "$work/home2/.local/bin"
    echo '#!/bin/sh' >"$work/home2/.local/bin/clinic-gui"
    if (cd / && HOME=$work/home2 sh "$src/install.sh") >"$work/refuse.log" 2>&1; then
        fail "install.sh overwrote $work/home2/.local/bin/clinic-gui"
    fi
    [ ! -e "$work/home2/.local/opt/clinic-gui-$version" ] || fail "it installed anyway"
    ok

    step "uninstall.sh (the installed copy)"
    (cd / && sh "$dest/uninstall.sh") >"$work/uninstall.log" 2>&1 \
        || { cat "$work/uninstall.log" >&2; fail "uninstall.sh failed"; }
    [ ! -e "$dest" ] || fail "$dest is still there"
    [ ! -e "$bin/clinic-gui" ] && [ ! -L "$bin/clinic-gui" ] || fail "clinic-gui link left"
    [ ! -L "$bin/clinic-gui-cli" ] || fail "clinic-gui-cli link left"
    [ ! -e "$share/applications/clinic-gui.desktop" ] || fail "menu entry left"
    [ ! -e "$share/icons/hicolor/256x256/apps/clinic-gui.png" ] || fail "icon left"
    ! command -v clinic-gui-cli >/dev/null || fail "clinic-gui-cli still on PATH"
    grep -qF "$data" "$work/uninstall.log" || fail "uninstall.sh did not say where the data is"
    data_intact "uninstall"
    others_intact "uninstall"
    ok "data kept in \$HOME/.local/share/clinic_gui"

    step "uninstall.sh again (nothing installed)"
    (cd / && sh "$src/uninstall.sh") >"$work/uninstall2.log" 2>&1 || fail "second uninstall failed"
    data_intact "second uninstall"
    ok

    step "install.sh --system, staged under DESTDIR"
    local root=$work/root
    (cd / && DESTDIR=$root sh "$src/install.sh" --system) >"$work/system.log" 2>&1 \
        || { cat "$work/system.log" >&2; fail "install.sh --system failed"; }
    [ -x "$root/opt/clinic-gui-$version/clinic-gui-cli" ] || fail "not in $root/opt"
    [ "$(readlink "$root/usr/local/bin/clinic-gui")" = "/opt/clinic-gui-$version/clinic-gui" ] \
        || fail "/usr/local/bin/clinic-gui does not point at /opt/clinic-gui-$version"
    grep -qx "Exec=\"/opt/clinic-gui-$version/clinic-gui\"" \
        "$root/usr/local/share/applications/clinic-gui.desktop" || fail "system Exec wrong"
    [ -f "$root/usr/local/share/icons/hicolor/256x256/apps/clinic-gui.png" ] \
        || fail "system icon missing"
    said=$("$root/opt/clinic-gui-$version/clinic-gui-cli" --version 2>&1) \
        || fail "the staged program does not run"
    (cd / && DESTDIR=$root sh "$root/opt/clinic-gui-$version/uninstall.sh" --system) \
        >"$work/system-uninstall.log" 2>&1 || fail "uninstall.sh --system failed"
    [ -z "$(find "$root" -type f -o -type l)" ] || fail "left behind: $(find "$root" -type f)"
    data_intact "system install"
    ok "$said; uninstall left no files"

    echo "== $name: all checks passed"
}

for archive in "$@"; do
    test_archive "$archive"
done
