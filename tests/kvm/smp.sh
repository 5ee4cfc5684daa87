#!/bin/sh
# AP start-up by INIT/SIPI through the in-kernel LAPIC and concurrent locked counting
# under -accel kvm -smp 2 (roms/tests/smp.S).
. tests/kvm/lib.sh
kvm_run_rom smp
finish
