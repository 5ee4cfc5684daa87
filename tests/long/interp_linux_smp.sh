#!/bin/sh
# Long test (interpreter): boots the guest kit under `ember -accel interp -smp 2` and expects the guest
# kernel to bring up both CPUs (/proc/cpuinfo lists 2 processors, 2 online).
# shellcheck source-path=SCRIPTDIR source=lib.sh
EMBER_LONG_ACCEL=interp
. "$(dirname "$0")/lib.sh"

long_ember_prologue
log=$(long_log_dir)/interp_linux_smp.console
# shellcheck disable=SC2016 # expanded by the guest shell
ember_guest_run "$log" \
    'echo "EMBER-NPROC=$(grep -c ^processor /proc/cpuinfo) online=$(cat /sys/devices/system/cpu/online)"' \
    -smp 2
guest_check "$log" "ember -accel interp -smp 2" "EMBER-NPROC=2 online=0-1"
test_pass
