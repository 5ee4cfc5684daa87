#!/bin/sh
# Exceptions with error codes under -accel interp (roms/tests/faults.S): the same serial
# output as under KVM and QEMU (#GP(selector), TSS I/O bitmap).
. tests/interp/lib.sh
interp_run_rom faults
finish
