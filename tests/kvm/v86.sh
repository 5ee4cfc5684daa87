#!/bin/sh
# Virtual-8086 mode under -accel kvm (roms/tests/v86.S): real-mode addressing,
# INT from V86 through the IDT with the V86 frame, #GP(0) for CLI at IOPL 0.
. tests/kvm/lib.sh
kvm_run_rom v86
finish
