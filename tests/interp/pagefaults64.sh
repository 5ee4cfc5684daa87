#!/bin/sh
# Page faults with their error codes and CR2 under -accel interp (roms/tests/pagefaults64.S).
. tests/interp/lib.sh
interp_run_rom pagefaults64
finish
