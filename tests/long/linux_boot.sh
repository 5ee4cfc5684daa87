#!/bin/sh
# Long test: boots the guest kit (Debian kernel + busybox initramfs) under
# `ember -accel kvm` with the default bzImage handling, runs `uname -r; cat /proc/cmdline`
# through ember.cmd, and expects the marker, both outputs and power-off with status 0.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

long_ember_prologue
release=$(guest_kernel_release)
log=$(long_log_dir)/linux_boot.console
ember_guest_run "$log" 'uname -r; cat /proc/cmdline' -smp 1
guest_check "$log" "ember -accel kvm" \
    "$(re_escape "$release")" \
    ".*console=ttyS0 .*ember\.nonce=$(re_escape "$GUEST_NONCE") .*"
test_pass
