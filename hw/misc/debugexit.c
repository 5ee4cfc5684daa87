/*
 * isa-debug-exit: a port that ends the emulator with a status the guest chooses, for
 * test programs. Compatible with QEMU's device of the same name: writing v exits with
 * status (v << 1) | 1, so a guest can never produce a plain 0 (success) by accident.
 */
#include "hw/core/isa.h"
#include "system/mainloop.h"

#define TYPE_ISA_DEBUG_EXIT "isa-debug-exit"

typedef struct DebugExitState {
    DeviceState parent_obj;
    uint16_t iobase;
    uint8_t iosize;
    MemoryRegion io;
} DebugExitState;

#define DEBUG_EXIT(o) OBJECT_CHECK(DebugExitState, (o), TYPE_ISA_DEBUG_EXIT)

static uint64_t debugexit_read(void *opaque, uint64_t addr, unsigned size)
{
    return UINT64_MAX;              /* all ones, cut to the access size */
}

static void debugexit_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    uint32_t status = ((uint32_t)value << 1) | 1;
    system_request_shutdown(SHUTDOWN_GUEST_EXIT, (int)status);
}

static const MemoryRegionOps debugexit_ops = {
    .read = debugexit_read,
    .write = debugexit_write,
    .min_access = 1,
    .max_access = 4,
};

static bool debugexit_realize(DeviceState *dev, Error **errp)
{
    DebugExitState *s = DEBUG_EXIT(dev);
    if (!isa_device_bus(dev, errp)) {
        return false;
    }
    if ((uint32_t)s->iobase + s->iosize > 0x10000) {
        error_setg(errp, "device '%s': ports 0x%x+0x%x run past 0xffff",
                   TYPE_ISA_DEBUG_EXIT, s->iobase, s->iosize);
        return false;
    }
    memory_region_init_io(&s->io, &debugexit_ops, s, TYPE_ISA_DEBUG_EXIT, s->iosize);
    isa_register_ioport(dev, &s->io, s->iobase);
    return true;
}

static void debugexit_instance_finalize(Object *obj)
{
    memory_region_destroy(&DEBUG_EXIT(obj)->io);
}

static const Property debugexit_props[] = {
    DEFINE_PROP_UINT("iobase", DebugExitState, iobase, 16, 0x501, "I/O port"),
    DEFINE_PROP_UINT_RANGE("iosize", DebugExitState, iosize, 8, 2, 1, 0xff,
                           "number of ports"),
    DEFINE_PROP_END,
};

static void debugexit_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "exit the emulator with a status written by the guest";
    dc->props = debugexit_props;
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = true;
    dc->realize = debugexit_realize;
}

static const TypeInfo debugexit_type_info = {
    .name = TYPE_ISA_DEBUG_EXIT,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(DebugExitState),
    .class_init = debugexit_class_init,
    .instance_finalize = debugexit_instance_finalize,
};

void debugexit_register_types(void)
{
    type_register(&debugexit_type_info);
}
