#!/bin/sh
# Edge (PIT) and level-triggered (UART) interrupts through the IOAPIC with LAPIC EOIs
# under -accel kvm; the level part needs EOI exits forwarded to the IOAPIC (roms/tests/ioapic_irq.S).
. tests/kvm/lib.sh
kvm_run_rom ioapic_irq
finish
