#!/bin/sh
# Ring-0 IRET and INT3 under -accel interp (roms/tests/ring0_iret.S).
. tests/interp/lib.sh
interp_run_rom ring0_iret
finish
