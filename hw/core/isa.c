/* The ISA bus type and helpers for ISA devices. */
#include "hw/core/isa.h"

static const TypeInfo isa_bus_type_info = {
    .name = TYPE_ISA_BUS,
    .parent = TYPE_BUS,
    .instance_size = sizeof(IsaBus),
};

void isa_register_types(void)
{
    type_register(&isa_bus_type_info);
}

IsaBus *isa_bus_new(DeviceState *parent, MemoryRegion *io, MemoryRegion *mem, IRQ *irqs)
{
    IsaBus *bus = ISA_BUS(bus_new(TYPE_ISA_BUS, parent, "isa.0"));
    bus->io = io;
    bus->mem = mem;
    bus->irqs = irqs;
    return bus;
}

IsaBus *isa_device_bus(DeviceState *dev, Error **errp)
{
    if (!dev->parent_bus || !object_is_a(OBJECT(dev->parent_bus), TYPE_ISA_BUS)) {
        error_setg(errp, "device '%s' must sit on an ISA bus", object_get_typename(OBJECT(dev)));
        return NULL;
    }
    return ISA_BUS(dev->parent_bus);
}

IRQ *isa_get_irq(DeviceState *dev, unsigned n)
{
    IsaBus *bus = isa_device_bus(dev, NULL);
    if (!bus || !bus->irqs || n >= ISA_NUM_IRQS) {
        return NULL;
    }
    return &bus->irqs[n];
}

void isa_register_ioport(DeviceState *dev, MemoryRegion *mr, uint16_t base)
{
    IsaBus *bus = isa_device_bus(dev, NULL);
    if (bus && bus->io) {
        memory_region_add_subregion(bus->io, base, mr);
    }
}
