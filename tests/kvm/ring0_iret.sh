#!/bin/sh
# Ring-0 IRET and INT3 under -accel kvm (roms/tests/ring0_iret.S). A software-backed
# KVM cannot emulate them; Ember's KVM engine then runs each in its interpreter.
. tests/kvm/lib.sh
kvm_run_rom ring0_iret
finish
