#!/bin/sh
# PIT interrupts through the i8259, injected as ExtINT under -accel kvm (roms/tests/pit_irq.S).
. tests/kvm/lib.sh
kvm_run_rom pit_irq
finish
