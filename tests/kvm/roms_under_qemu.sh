#!/bin/sh
# Our multiboot test programs under QEMU's TCG: checks the programs themselves (and
# their expected output in lib.sh) against an independent PC model, so a KVM failure
# points at Ember rather than at the test program.
. tests/kvm/lib.sh
if ! command -v "$QEMU" >/dev/null 2>&1; then
    echo "SKIP qemu-roms: $QEMU is not installed"
    exit 0
fi
for prog in $ROM_NAMES; do
    qemu_run_rom "$prog"
done
finish
