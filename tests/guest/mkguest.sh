#!/bin/sh
# Builds the guest kit used by `make run`, `make bench` and the long tests: a Debian
# kernel (vmlinuz) and a small busybox initramfs (initrd.gz) whose /init is
# tests/guest/init.sh. Everything goes to $EMBER_CACHE (default ~/.cache/ember):
#   debs/            the downloaded .deb files (linux-image-*, busybox-static)
#   guest/vmlinuz    the kernel, guest/initrd.gz the initramfs,
#   guest/kernel-version  the kernel package it came from
# Nothing downloaded is ever written inside the repository. Work is skipped when the
# outputs are newer than their inputs; each step says what it did. Missing tools are
# installed with apt-get when running as root, else the exact command is printed.
set -eu

repo=$(cd "$(dirname "$0")/../.." && pwd -P)
cache=${EMBER_CACHE:-${XDG_CACHE_HOME:-${HOME:?HOME is not set}/.cache}/ember}
debs=$cache/debs
guest=$cache/guest
init_script=$repo/tests/guest/init.sh
self=$repo/tests/guest/mkguest.sh

say() { printf 'mkguest: %s\n' "$*" >&2; }
die() { printf 'mkguest: error: %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# APT refuses nothing as root, but warns when its sandbox user cannot write the
# download folder (under /root); as root, download as root.
apt_opts() {
    if is_root; then
        printf '%s\n' "-o" "APT::Sandbox::User=root"
    fi
}

case "$cache" in /*) ;; *) cache=$PWD/$cache ;; esac
inside_repo() {
    case "$1/" in "$repo"/*) die "EMBER_CACHE ($1) is inside the repository; pick a folder outside it" ;; esac
}
inside_repo "$cache"
mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)
inside_repo "$cache"
mkdir -p "$debs" "$guest"

# --- tools -----------------------------------------------------------------------
# At most one apt-get update per run (a stamp file, as callers run in subshells).
apt_stamp=${TMPDIR:-/tmp}/ember-mkguest-apt-updated.$$
tmp=
trap 'rm -f "$apt_stamp"; [ -z "$tmp" ] || rm -rf "$tmp"' EXIT
apt_update() {
    [ -e "$apt_stamp" ] && return 0
    is_root || die "the package lists are missing or stale; run as root: apt-get update"
    say "running apt-get update"
    apt-get update -qq >&2 || die "apt-get update failed"
    : > "$apt_stamp"
}

need_tools() {
    missing=
    command -v cpio >/dev/null 2>&1 || missing="$missing cpio"
    command -v gzip >/dev/null 2>&1 || missing="$missing gzip"
    command -v dpkg-deb >/dev/null 2>&1 || missing="$missing dpkg"
    command -v apt-get >/dev/null 2>&1 || die "apt-get not found: the guest kit is built from Debian packages"
    [ -z "$missing" ] && return 0
    if ! is_root; then
        die "missing tools; run as root: apt-get install -y$missing"
    fi
    say "installing:$missing"
    log=$(mktemp "${TMPDIR:-/tmp}/ember-apt.XXXXXX")
    # shellcheck disable=SC2086 # $missing is a list of package names
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing > "$log" 2>&1; then
        apt_update
        # shellcheck disable=SC2086
        if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends $missing > "$log" 2>&1; then
            cat "$log" >&2
            rm -f "$log"
            die "could not install:$missing"
        fi
    fi
    rm -f "$log"
}

# --- packages --------------------------------------------------------------------
# The .deb name apt-get download gives the candidate of package $1 (empty if unknown).
deb_name() {
    apt-cache show --no-all-versions "$1" 2>/dev/null | awk -v pkg="$1" '
        /^Version:/ && !v { v = $2 }
        /^Architecture:/ && !a { a = $2 }
        END { if (v != "" && a != "") { gsub(/:/, "%3a", v); print pkg "_" v "_" a ".deb" } }
    '
}

# Prints the path of an up-to-date .deb of package $1 in $debs, downloading it if needed.
fetch_deb() {
    pkg=$1
    name=$(deb_name "$pkg")
    if [ -z "$name" ]; then
        apt_update
        name=$(deb_name "$pkg")
    fi
    if [ -n "$name" ] && [ -s "$debs/$name" ]; then
        say "have $name"
        printf '%s\n' "$debs/$name"
        return 0
    fi
    say "downloading $pkg"
    # shellcheck disable=SC2046 # apt_opts prints separate words
    if ! (cd "$debs" && apt-get download -qq $(apt_opts) "$pkg" >&2); then
        # A missing or outdated package list is the usual cause: refresh once, retry.
        apt_update
        name=$(deb_name "$pkg")
        # shellcheck disable=SC2046
        (cd "$debs" && apt-get download -qq $(apt_opts) "$pkg" >&2) || name=
    fi
    if [ -n "$name" ] && [ -s "$debs/$name" ]; then
        printf '%s\n' "$debs/$name"
        return 0
    fi
    # Offline: fall back to the newest copy we already have.
    old=$(find "$debs" -maxdepth 1 -name "${pkg}_*.deb" 2>/dev/null | LC_ALL=C sort | tail -n 1)
    [ -n "$old" ] || die "could not download $pkg"
    say "warning: using the cached $(basename "$old")"
    printf '%s\n' "$old"
}

# Resolves the versioned kernel package behind the linux-image-amd64 metapackage.
kernel_package() {
    pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
          awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
    if [ -z "$pkg" ]; then
        apt_update
        pkg=$(apt-cache depends linux-image-amd64 2>/dev/null |
              awk '$1 == "Depends:" && $2 ~ /^linux-image-/ { print $2; exit }')
    fi
    [ -n "$pkg" ] || die "cannot resolve linux-image-amd64 (is this Debian amd64?)"
    printf '%s\n' "$pkg"
}

# True when $1 exists and is newer than every other argument.
up_to_date() {
    out=$1; shift
    [ -s "$out" ] || return 1
    for input in "$@"; do
        [ -n "$(find "$input" -prune -newer "$out")" ] && return 1
    done
    return 0
}

# --- cpio ------------------------------------------------------------------------
# One newc header (110 bytes) plus the NUL-terminated name, padded to 4 bytes.
# Arguments: name mode(hex) rdevmajor rdevminor.
newc_entry() {
    namesize=$((${#1} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X' \
        0 "$((0x$2))" 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0
    printf '%s\000' "$1"
    pad=$(( (4 - (110 + namesize) % 4) % 4 ))
    while [ "$pad" -gt 0 ]; do printf '\000'; pad=$((pad - 1)); done
}

# A second, tiny archive holding /dev/console (char 5:1), so /init starts with its
# stdin/stdout/stderr open; the kernel accepts concatenated archives. No mknod needed.
console_archive() {
    newc_entry dev/console 2180 5 1
    newc_entry TRAILER!!! 0 0 0
}

build_initrd() {
    busybox_deb=$1
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/ember-initrd.XXXXXX")
    dpkg-deb -x "$busybox_deb" "$tmp/deb"
    [ -x "$tmp/deb/bin/busybox" ] || die "no bin/busybox in $busybox_deb"
    root=$tmp/root
    mkdir -p "$root/bin" "$root/sbin" "$root/usr/bin" "$root/usr/sbin" "$root/dev" \
             "$root/proc" "$root/sys" "$root/tmp" "$root/root" "$root/etc" "$root/run"
    chmod 1777 "$root/tmp"
    cp "$tmp/deb/bin/busybox" "$root/bin/busybox"
    chmod 755 "$root/bin/busybox"
    cp "$init_script" "$root/init"
    chmod 755 "$root/init"
    ln -s busybox "$root/bin/sh"
    # Applet links at build time (busybox-static runs on any amd64 host). If it cannot
    # run here, /init does `busybox --install -s` at boot instead.
    applets=0
    if list=$("$root/bin/busybox" --list-full 2>/dev/null); then
        set -f
        for path in $list; do
            case "$path" in bin/busybox|bin/sh|*/*/*/*|/*|*..*) continue ;; esac
            [ -e "$root/$path" ] || [ -L "$root/$path" ] || ln -s /bin/busybox "$root/$path"
            applets=$((applets + 1))
        done
        set +f
    fi
    printf 'root:x:0:0:root:/root:/bin/sh\n' > "$root/etc/passwd"
    printf 'root:x:0:\n' > "$root/etc/group"
    out=$guest/initrd.gz
    (
        cd "$root"
        find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet
        console_archive
    ) | gzip -9 -n > "$out.tmp"
    mv "$out.tmp" "$out"
    rm -rf "$tmp"
    tmp=
    if [ "$applets" -gt 0 ]; then
        say "built $out ($(wc -c < "$out") bytes, $applets applet links)"
    else
        say "built $out ($(wc -c < "$out") bytes, applet links made at boot)"
    fi
}

build_kernel() {
    kernel_deb=$1
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/ember-kernel.XXXXXX")
    # Only boot/ is needed: skip unpacking the modules tree.
    dpkg-deb --fsys-tarfile "$kernel_deb" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*'
    set -- "$tmp"/boot/vmlinuz-*
    [ -f "$1" ] || die "no boot/vmlinuz-* in $kernel_deb"
    cp "$1" "$guest/vmlinuz.tmp"
    mv "$guest/vmlinuz.tmp" "$guest/vmlinuz"
    printf '%s\n' "$(basename "$kernel_deb")" > "$guest/kernel-version"
    say "built $guest/vmlinuz from $(basename "$1") ($(wc -c < "$guest/vmlinuz") bytes)"
    rm -rf "$tmp"
    tmp=
}

need_tools
kernel_pkg=$(kernel_package)
kernel_deb=$(fetch_deb "$kernel_pkg")
busybox_deb=$(fetch_deb busybox-static)

if up_to_date "$guest/vmlinuz" "$kernel_deb"; then
    say "vmlinuz is up to date ($(cat "$guest/kernel-version" 2>/dev/null || echo "$kernel_pkg"))"
else
    build_kernel "$kernel_deb"
fi
if up_to_date "$guest/initrd.gz" "$busybox_deb" "$init_script" "$self"; then
    say "initrd.gz is up to date"
else
    build_initrd "$busybox_deb"
fi
say "guest kit: $guest/vmlinuz $guest/initrd.gz"
