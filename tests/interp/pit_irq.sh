#!/bin/sh
# PIT interrupts through the i8259 to the BSP's LINT0 (ExtINT) under -accel interp,
# taken in ring 3 and while halted (roms/tests/pit_irq.S).
. tests/interp/lib.sh
interp_run_rom pit_irq
finish
