#!/bin/sh
# Page faults with their error codes and CR2 under -accel kvm (roms/tests/pagefaults64.S).
. tests/kvm/lib.sh
kvm_run_rom pagefaults64
finish
