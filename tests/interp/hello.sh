#!/bin/sh
# Ring-3 serial output and isa-debug-exit under -accel interp (roms/tests/hello.S):
# protected mode, GDT/IDT/TSS loading, a privilege change to ring 3, port I/O.
. tests/interp/lib.sh
interp_run_rom hello
finish
