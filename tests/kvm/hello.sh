#!/bin/sh
# Ring-3 serial output and isa-debug-exit under -accel kvm (roms/tests/hello.S).
. tests/kvm/lib.sh
kvm_run_rom hello
finish
