#!/bin/sh
# /init of Ember's test guest (busybox sh, built into initrd.gz by mkguest.sh).
#
# Mounts /proc, /sys and devtmpfs on /dev, prints the marker line
#     EMBER-GUEST-READY
# on the console, then:
#   - with ember.cmd=VALUE on the kernel command line: runs VALUE with sh -c, prints
#     "EMBER-CMD-DONE rc=N" (N = its exit status) and powers off;
#   - without it: starts an interactive shell on the console and powers off when it
#     exits.
#
# Encoding of ember.cmd: VALUE is the rest of that parameter up to the next space,
# percent-encoded: every "%XX" (two hex digits) stands for the byte 0xXX; all other
# characters stand for themselves. At least space (%20), tab (%09), newline (%0A),
# '"' (%22) and '%' itself (%25) must be encoded; tests/long/lib.sh's
# ember_cmd_encode encodes everything but [A-Za-z0-9._/=:,;+-]. Example:
#     ember.cmd=uname%20-r;%20cat%20/proc/cmdline
#
# Power-off uses `poweroff -f` (ACPI under QEMU; the emulator then exits with status
# 0); should that return, `reboot -f` follows (exits QEMU/Ember under -no-reboot).
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH

[ -x /bin/mount ] || /bin/busybox --install -s

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null || true
# The initramfs carries /dev/console, but reopen it from devtmpfs in case it did not.
[ -c /dev/console ] && exec </dev/console >/dev/console 2>&1
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts 2>/dev/null || true
hostname ember-guest

# Decodes %XX escapes in $1 (awk reads it from the environment, so backslashes in the
# value are not interpreted).
init_percent_decode() {
    EMBER_RAW=$1 awk 'BEGIN {
        s = ENVIRON["EMBER_RAW"]; hex = "0123456789abcdef"; n = length(s); i = 1
        while (i <= n) {
            c = substr(s, i, 1)
            if (c == "%" && i + 2 <= n) {
                hi = index(hex, tolower(substr(s, i + 1, 1)))
                lo = index(hex, tolower(substr(s, i + 2, 1)))
                if (hi && lo) {
                    printf "%c", (hi - 1) * 16 + lo - 1
                    i += 3
                    continue
                }
            }
            printf "%s", c
            i++
        }
    }'
}

# Prints the raw (still encoded) ember.cmd value; returns 1 when there is none.
init_cmd_param() {
    set -f
    # shellcheck disable=SC2046 # split the command line into parameters on purpose
    set -- $(cat /proc/cmdline)
    set +f
    for param in "$@"; do
        case "$param" in
        ember.cmd=*) printf '%s' "${param#ember.cmd=}"; return 0 ;;
        esac
    done
    return 1
}

init_power_off() {
    sync
    poweroff -f
    sleep 1
    reboot -f
    while :; do sleep 60; done
}

printf '\nEMBER-GUEST-READY\n'

if raw=$(init_cmd_param); then
    cmd=$(init_percent_decode "$raw")
    # Keep late kernel messages from interleaving with the command's output.
    dmesg -n 1 2>/dev/null
    sh -c "$cmd"
    rc=$?
    printf 'EMBER-CMD-DONE rc=%d\n' "$rc"
else
    echo "Ember test guest: interactive shell; exit it to power off."
    HOME=/root
    PS1='ember-guest:\w# '
    export HOME PS1
    cd /root || cd /
    setsid cttyhack sh -l
fi
init_power_off
