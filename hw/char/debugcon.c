/*
 * The debug console port ("isa-debugcon"), port 0xe9 by default: every byte the guest
 * writes goes straight to a chardev. Reads return a fixed "readback" value (0xe9), which
 * is how firmware such as SeaBIOS detects that the port exists.
 */
#include "hw/char/serial.h"
#include "hw/core/isa.h"

typedef struct DebugconState {
    DeviceState parent_obj;

    /* properties */
    uint32_t iobase;
    uint8_t readback;
    char *chardev_id;

    MemoryRegion io;
    Chardev *chr;
} DebugconState;

#define DEBUGCON(o) OBJECT_CHECK(DebugconState, (o), TYPE_ISA_DEBUGCON)

static uint64_t debugcon_io_read(void *opaque, uint64_t addr, unsigned size)
{
    DebugconState *s = opaque;
    return s->readback;
}

static void debugcon_io_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    DebugconState *s = opaque;
    uint8_t byte = (uint8_t)value;
    if (s->chr) {
        chardev_write(s->chr, &byte, 1);
    }
}

static const MemoryRegionOps debugcon_io_ops = {
    .read = debugcon_io_read,
    .write = debugcon_io_write,
    .min_access = 1,
    .max_access = 1,
};

void debugcon_set_chardev(DeviceState *dev, Chardev *chr)
{
    DEBUGCON(dev)->chr = chr;
}

static bool debugcon_realize(DeviceState *dev, Error **errp)
{
    DebugconState *s = DEBUGCON(dev);
    if (!isa_device_bus(dev, errp)) {
        return false;
    }
    if (s->chardev_id && *s->chardev_id) {
        Chardev *chr = chardev_find(s->chardev_id);
        if (!chr) {
            error_setg(errp, "isa-debugcon: no chardev with id '%s' (create it with "
                       "-chardev BACKEND,id=%s)", s->chardev_id, s->chardev_id);
            return false;
        }
        s->chr = chr;
    }
    memory_region_init_io(&s->io, &debugcon_io_ops, s, "debugcon", 1);
    isa_register_ioport(dev, &s->io, (uint16_t)s->iobase);
    return true;
}

static void debugcon_instance_finalize(Object *obj)
{
    DebugconState *s = DEBUGCON(obj);
    s->chr = NULL;
    memory_region_destroy(&s->io);
}

static const Property debugcon_props[] = {
    DEFINE_PROP_UINT_RANGE("iobase", DebugconState, iobase, 32, 0xe9, 0, 0xffff,
                           "I/O port"),
    DEFINE_PROP_UINT("readback", DebugconState, readback, 8, 0xe9,
                     "value a read of the port returns"),
    DEFINE_PROP_STRING("chardev", DebugconState, chardev_id, NULL,
                       "id of a -chardev to write to"),
    DEFINE_PROP_END,
};

static void debugcon_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "debug console port";
    dc->props = debugcon_props;
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = true;
    dc->realize = debugcon_realize;
}

static const TypeInfo debugcon_type_info = {
    .name = TYPE_ISA_DEBUGCON,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(DebugconState),
    .class_init = debugcon_class_init,
    .instance_finalize = debugcon_instance_finalize,
};

void debugcon_register_types(void)
{
    type_register(&debugcon_type_info);
}
