/*
 * System Control Port A at 0x92. Bit 1 gates A20 through the board's handler; writing
 * bit 0 as 1 asks for a system reset. Reads give bit 1 back (bit 0 reads 0, so a
 * read-modify-write that sets A20 never resets the machine by accident).
 */
#include "hw/misc/port92.h"
#include "hw/core/isa.h"
#include "system/mainloop.h"

#define PORT92_PORT 0x92

typedef struct Port92State {
    DeviceState parent_obj;
    MemoryRegion io;
    uint8_t value;
    void (*a20_fn)(void *opaque, bool enabled);
    void *a20_opaque;
} Port92State;

#define PORT92(o) OBJECT_CHECK(Port92State, (o), TYPE_PORT92)

static uint64_t port92_read(void *opaque, uint64_t addr, unsigned size)
{
    Port92State *s = opaque;
    return s->value & PORT92_A20;
}

static void port92_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    Port92State *s = opaque;
    s->value = (uint8_t)value & PORT92_A20;
    if (s->a20_fn) {
        s->a20_fn(s->a20_opaque, value & PORT92_A20);
    }
    if (value & PORT92_FAST_RESET) {
        system_request_reset();
    }
}

static const MemoryRegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .min_access = 1,
    .max_access = 1,
};

void port92_set_a20_handler(DeviceState *dev, void (*fn)(void *opaque, bool enabled),
                            void *opaque)
{
    Port92State *s = PORT92(dev);
    s->a20_fn = fn;
    s->a20_opaque = opaque;
}

static bool port92_realize(DeviceState *dev, Error **errp)
{
    Port92State *s = PORT92(dev);
    if (!isa_device_bus(dev, errp)) {
        return false;
    }
    memory_region_init_io(&s->io, &port92_ops, s, "port92", 1);
    isa_register_ioport(dev, &s->io, PORT92_PORT);
    return true;
}

static void port92_reset(DeviceState *dev)
{
    PORT92(dev)->value = 0;
}

static void port92_instance_finalize(Object *obj)
{
    memory_region_destroy(&PORT92(obj)->io);
}

static void port92_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "System Control Port A (fast A20 and reset)";
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = false;
    dc->realize = port92_realize;
    dc->reset = port92_reset;
}

static const TypeInfo port92_type_info = {
    .name = TYPE_PORT92,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(Port92State),
    .class_init = port92_class_init,
    .instance_finalize = port92_instance_finalize,
};

void port92_register_types(void)
{
    type_register(&port92_type_info);
}
