#!/bin/sh
# Long test: boots the same guest kit under qemu-system-x86_64 -accel tcg (QEMU's own
# interpreter, no KVM needed) to prove the kit works: marker, `uname -r` and
# /proc/cmdline output, EMBER-CMD-DONE rc=0, and QEMU's exit status 0 after power-off.
# shellcheck source-path=SCRIPTDIR source=lib.sh
. "$(dirname "$0")/lib.sh"

qemu=${QEMU:-qemu-system-x86_64}
command -v "$qemu" > /dev/null 2>&1 || test_skip "$qemu is not installed (apt-get install qemu-system-x86)"
guest_ensure
release=$(guest_kernel_release)
log=$(long_log_dir)/qemu_reference.console
guest_run "$log" "$qemu" -accel tcg -m 512 -smp 1 -kernel "$GUEST_KERNEL" \
    -initrd "$GUEST_INITRD" -append "$(guest_append 'uname -r; cat /proc/cmdline')" \
    -nographic -no-reboot
guest_check "$log" "qemu -accel tcg" \
    "$(re_escape "$release")" \
    ".*console=ttyS0 .*ember\.nonce=$(re_escape "$GUEST_NONCE") .*"
test_pass
