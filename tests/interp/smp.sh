#!/bin/sh
# AP start-up by INIT/SIPI through the software local APICs and locked counting by two
# vCPUs sharing the main-loop thread, under -accel interp -smp 2 (roms/tests/smp.S).
. tests/interp/lib.sh
interp_run_rom smp
finish
