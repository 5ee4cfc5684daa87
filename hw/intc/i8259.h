/*
 * The PC's pair of Intel 8259A interrupt controllers (master at 0x20, slave at 0xa0
 * cascaded on master IR2) with the PIIX edge/level control registers at 0x4d0-0x4d1,
 * modelled as one device.
 */
#ifndef HW_INTC_I8259_H
#define HW_INTC_I8259_H

#include <stdbool.h>
#include "hw/core/device.h"
#include "hw/core/irq.h"

#define TYPE_I8259 "i8259"
#define I8259_NUM_IRQS 16

void i8259_register_types(void);

/* Input line for ISA IRQ 0..15 (NULL otherwise). IRQ 2 is the internal cascade:
 * driving it from outside has no effect. */
IRQ *i8259_get_input(DeviceState *pic, int irq);
/* Wire the INTR output (to the CPU); it is driven immediately with its current level. */
void i8259_set_intr_output(DeviceState *pic, IRQ *intr);
/* The INTA cycle: the vector of the highest-priority pending request (cascade,
 * in-service update, auto-EOI, spurious IRQ 7/15 handled); updates INTR. */
int i8259_acknowledge(DeviceState *pic);
/* Is INTR asserted (an unmasked request of sufficient priority pending)? */
bool i8259_intr_pending(DeviceState *pic);

#endif
