#!/bin/sh
# Long test: like linux_boot, but with -machine pc,linux-unpack=off, so the kernel's
# own real-mode setup code and decompressor run instead of ember unpacking the bzImage.
# shellcheck source-path=SCRIPTDIR source=lib.sh
EMBER_LONG_ACCEL=interp
. "$(dirname "$0")/lib.sh"

long_ember_prologue
release=$(guest_kernel_release)
log=$(long_log_dir)/interp_linux_nounpack.console
ember_guest_run "$log" 'uname -r; cat /proc/cmdline' -smp 1 -machine pc,linux-unpack=off
guest_check "$log" "ember -machine pc,linux-unpack=off" \
    "$(re_escape "$release")" \
    ".*console=ttyS0 .*ember\.nonce=$(re_escape "$GUEST_NONCE") .*"
test_pass
