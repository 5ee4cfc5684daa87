#!/bin/sh
# Long test (interpreter): boots the guest kit (Debian kernel + busybox initramfs) under
# `ember -accel interp` with the default bzImage handling, runs `uname -r; cat /proc/cmdline`
# through ember.cmd, and expects the marker, both outputs and power-off with status 0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
EMBER_LONG_ACCEL=interp
. "$(dirname "$0")/lib.sh"

long_ember_prologue
release=$(guest_kernel_release)
log=$(long_log_dir)/interp_linux_boot.console
ember_guest_run "$log" 'uname -r; cat /proc/cmdline' -smp 1
guest_check "$log" "ember -accel interp" \
    "$(re_escape "$release")" \
    ".*console=ttyS0 .*ember\.nonce=$(re_escape "$GUEST_NONCE") .*"
test_pass
