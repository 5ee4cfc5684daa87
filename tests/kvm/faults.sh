#!/bin/sh
# Exceptions with error codes under -accel kvm (roms/tests/faults.S): #GP(selector),
# #PF with CR2 for not-present, read-only and supervisor pages, TSS I/O bitmap.
. tests/kvm/lib.sh
kvm_run_rom faults
finish
