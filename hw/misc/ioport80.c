/*
 * Port 0x80 (POST code) and port 0xed (I/O delay). Writes to 0x80 are kept and read
 * back, as on boards with a POST display latch; 0xed swallows writes and reads 0xff.
 */
#include "hw/misc/ioport80.h"
#include "hw/core/isa.h"

#define IOPORT80_POST_PORT   0x80
#define IOPORT80_DELAY_PORT  0xed

typedef struct Ioport80State {
    DeviceState parent_obj;
    MemoryRegion post_io, delay_io;
    uint8_t last_code;
} Ioport80State;

#define IOPORT80(o) OBJECT_CHECK(Ioport80State, (o), TYPE_IOPORT80)

static uint64_t ioport80_post_read(void *opaque, uint64_t addr, unsigned size)
{
    Ioport80State *s = opaque;
    return s->last_code;
}

static void ioport80_post_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    Ioport80State *s = opaque;
    s->last_code = (uint8_t)value;
}

static uint64_t ioport80_delay_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0xff;
}

static void ioport80_delay_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
}

static const MemoryRegionOps ioport80_post_ops = {
    .read = ioport80_post_read,
    .write = ioport80_post_write,
    .min_access = 1,
    .max_access = 1,
};

static const MemoryRegionOps ioport80_delay_ops = {
    .read = ioport80_delay_read,
    .write = ioport80_delay_write,
    .min_access = 1,
    .max_access = 1,
};

uint8_t ioport80_last_code(DeviceState *dev)
{
    return IOPORT80(dev)->last_code;
}

static bool ioport80_realize(DeviceState *dev, Error **errp)
{
    Ioport80State *s = IOPORT80(dev);
    if (!isa_device_bus(dev, errp)) {
        return false;
    }
    memory_region_init_io(&s->post_io, &ioport80_post_ops, s, "post-code", 1);
    memory_region_init_io(&s->delay_io, &ioport80_delay_ops, s, "io-delay", 1);
    isa_register_ioport(dev, &s->post_io, IOPORT80_POST_PORT);
    isa_register_ioport(dev, &s->delay_io, IOPORT80_DELAY_PORT);
    return true;
}

static void ioport80_reset(DeviceState *dev)
{
    IOPORT80(dev)->last_code = 0;
}

static void ioport80_instance_finalize(Object *obj)
{
    Ioport80State *s = IOPORT80(obj);
    memory_region_destroy(&s->post_io);
    memory_region_destroy(&s->delay_io);
}

static void ioport80_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "POST code port 0x80 and I/O delay port 0xed";
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = false;
    dc->realize = ioport80_realize;
    dc->reset = ioport80_reset;
}

static const TypeInfo ioport80_type_info = {
    .name = TYPE_IOPORT80,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(Ioport80State),
    .class_init = ioport80_class_init,
    .instance_finalize = ioport80_instance_finalize,
};

void ioport80_register_types(void)
{
    type_register(&ioport80_type_info);
}
