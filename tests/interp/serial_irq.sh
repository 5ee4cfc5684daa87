#!/bin/sh
# 16550A THRE interrupts through the i8259 under -accel interp (roms/tests/serial_irq.S).
. tests/interp/lib.sh
interp_run_rom serial_irq
finish
