#!/bin/sh
# Edge (PIT) and level-triggered (UART) interrupts through the IOAPIC and the software
# local APIC, with EOIs forwarded to the IOAPIC, under -accel interp (roms/tests/ioapic_irq.S).
. tests/interp/lib.sh
interp_run_rom ioapic_irq
finish
