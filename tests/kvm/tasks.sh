#!/bin/sh
# Hardware task switches under -accel kvm (roms/tests/tasks.S); needs hardware-backed
# KVM (see rom_expectations in lib.sh).
. tests/kvm/lib.sh
kvm_run_rom tasks
finish
