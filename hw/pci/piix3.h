/*
 * Intel 82371SB (PIIX3) function 0: the PCI-to-ISA bridge at 00:01.0. It routes the
 * four PCI interrupt lines PIRQA-D to ISA IRQs through its PIRQ route control
 * registers (0x60-0x63) and holds the reset control register at I/O port 0xcf9.
 *
 * Board wiring (after i440fx_create):
 *   DeviceState *piix3 = piix3_create(pci, OBJECT(m), m->gsi, &err);
 *   m->isa_bus = isa_bus_new(piix3, &m->io, &m->sysmem, m->gsi);
 *   piix3_set_reset_irq(piix3, &reset_line);   // pulsed when the guest resets via 0xcf9
 *
 * INTx wiring (must match the ACPI _PRT and what SeaBIOS assumes for this chipset):
 * pin INTA..INTD (0..3) of the device in slot S drives PIRQ (S + pin - 1) mod 4, so
 * slot 1 INTA is PIRQA, slot 2 INTA is PIRQB, slot 3 INTA is PIRQC, ...
 */
#ifndef HW_PCI_PIIX3_H
#define HW_PCI_PIIX3_H

#include "hw/core/irq.h"
#include "hw/pci/pci.h"

#define TYPE_PIIX3 "piix3"

#define PIIX3_DEVFN PCI_DEVFN(1, 0)
#define PIIX3_PIRQRC 0x60             /* 0x60..0x63: PIRQA..PIRQD route control */
#define PIIX3_PIRQ_DISABLE 0x80       /* bit 7: not routed */
#define PIIX3_PIRQ_IRQ_MASK 0x0f
#define PIIX3_NUM_ISA_IRQS 16
#define PIIX3_RESET_CONTROL_PORT 0xcf9
#define PIIX3_RC_SRST 0x02            /* system (hard) reset */
#define PIIX3_RC_RCPU 0x04            /* 0->1 starts the reset */

void piix3_register_types(void);

/* Create and realize the PIIX3 at 00:01.0 as child "piix3" of parent, routing PCI
 * interrupts to isa_irqs[0..15] (may be NULL and set later). On an i440FX bus it also
 * claims the reset control register 0xcf9. NULL with *errp set on failure. */
DeviceState *piix3_create(PciBus *bus, Object *parent, IRQ *isa_irqs, Error **errp);
/* The ISA IRQ inputs PIRQs are routed to (an array of at least 16). */
void piix3_set_isa_irqs(DeviceState *piix3, IRQ *isa_irqs);
/* Pulsed (raised then lowered) when the guest requests a reset through 0xcf9. */
void piix3_set_reset_irq(DeviceState *piix3, IRQ *reset);
/* The PIIX3 wiring of INTx pins to PIRQ lines (see above). */
int piix3_map_irq(PciDevice *dev, int pin);

#endif
