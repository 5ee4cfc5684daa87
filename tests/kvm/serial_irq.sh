#!/bin/sh
# 16550A THRE interrupts through the i8259 under -accel kvm (roms/tests/serial_irq.S).
. tests/kvm/lib.sh
kvm_run_rom serial_irq
finish
