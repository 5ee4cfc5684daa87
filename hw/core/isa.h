/*
 * The ISA bus: the port-I/O space, the low memory space and the 24 GSI lines
 * (0-15 are the ISA IRQs, which reach both the i8259 pair and the IOAPIC).
 * ISA devices wire themselves from their properties (iobase, irq) at realize.
 */
#ifndef HW_CORE_ISA_H
#define HW_CORE_ISA_H

#include "hw/core/device.h"
#include "hw/core/irq.h"
#include "hw/core/memory.h"

#define ISA_NUM_IRQS 24

typedef struct IsaBus {
    BusState parent_obj;
    MemoryRegion *io;            /* port space container (64 KiB) */
    MemoryRegion *mem;           /* system memory container */
    IRQ *irqs;                   /* ISA_NUM_IRQS inputs (GSIs) */
} IsaBus;

#define ISA_BUS(o) OBJECT_CHECK(IsaBus, (o), TYPE_ISA_BUS)

void isa_register_types(void);
IsaBus *isa_bus_new(DeviceState *parent, MemoryRegion *io, MemoryRegion *mem, IRQ *irqs);

/* For ISA device realize: the bus the device sits on (error if it sits on none). */
IsaBus *isa_device_bus(DeviceState *dev, Error **errp);
/* The GSI line n of the device's bus (NULL if n is out of range). */
IRQ *isa_get_irq(DeviceState *dev, unsigned n);
/* Map an I/O region at port base on the device's bus. */
void isa_register_ioport(DeviceState *dev, MemoryRegion *mr, uint16_t base);

#endif
