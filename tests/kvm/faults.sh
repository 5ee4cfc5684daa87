#!/bin/sh
# Exceptions with error codes under -accel kvm (roms/tests/faults.S): #GP(selector),
# #GP(0) from the TSS I/O bitmap at IOPL 0, and the ports the bitmap allows.
. tests/kvm/lib.sh
kvm_run_rom faults
finish
