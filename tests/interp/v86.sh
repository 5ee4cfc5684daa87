#!/bin/sh
# Virtual-8086 mode under -accel interp (roms/tests/v86.S): real-mode addressing, INT
# from V86 through the IDT with the V86 frame, #GP(0) for CLI at IOPL 0; the same serial
# output as under KVM and QEMU.
. tests/interp/lib.sh
interp_run_rom v86
finish
