/* A board with no CPU for device unit tests. */
#include "tests/unit/harness.h"
#include "system/timer.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static void tb_irq_handler(void *opaque, int n, int level)
{
    TestBoard *tb = opaque;
    if (level && !tb->irq_level[n]) {
        tb->irq_raises[n]++;
    }
    tb->irq_level[n] = level;
}

TestBoard *tb_new(void)
{
    device_register_types();
    isa_register_types();
    clock_virtual_set_manual(true);
    TestBoard *tb = calloc(1, sizeof(*tb));
    tb->root = object_new(TYPE_CONTAINER);
    memory_region_init_container(&tb->io_root, "io", 0x10000);
    memory_region_init_container(&tb->mem_root, "mem", UINT64_MAX);
    memory_region_init_ram(&tb->ram, "ram", 1 << 20);
    memory_region_add_subregion(&tb->mem_root, 0, &tb->ram);
    address_space_init(&tb->io, &tb->io_root, "io");
    address_space_init(&tb->mem, &tb->mem_root, "memory");
    tb->irqs = irq_allocate(tb_irq_handler, tb, ISA_NUM_IRQS);
    tb->bridge = NULL;
    Object *owner = object_new(TYPE_CONTAINER);
    object_add_child(tb->root, "isa-owner", owner);
    object_unref(owner);
    BusState *bus = (BusState *)object_new(TYPE_ISA_BUS);
    object_add_child(owner, "isa.0", OBJECT(bus));
    object_unref(OBJECT(bus));
    tb->isa = ISA_BUS(bus);
    tb->isa->io = &tb->io_root;
    tb->isa->mem = &tb->mem_root;
    tb->isa->irqs = tb->irqs;
    return tb;
}

void tb_free(TestBoard *tb)
{
    object_unref(tb->root);
    address_space_destroy(&tb->io);
    address_space_destroy(&tb->mem);
    free(tb->irqs);
    free(tb);
}

DeviceState *tb_add_isa(TestBoard *tb, const char *type, const char *props)
{
    char *spec = props && *props ? xasprintf("%s,%s", type, props) : xstrdup(type);
    Error *err = NULL;
    DeviceState *dev = device_new(type);
    ck_assert_msg(dev != NULL, "no device type %s", type);
    object_unref(OBJECT(dev));
    /* go through the -device parser so properties are checked the way users see them */
    dev = device_new_from_options(spec, &err);
    if (!dev) {
        /* not user-creatable devices: build directly */
        error_free(err);
        err = NULL;
        dev = device_new(type);
        char *copy = xstrdup(props ? props : "");
        char *save = NULL;
        for (char *kv = strtok_r(copy, ",", &save); kv; kv = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(kv, '=');
            ck_assert_msg(eq != NULL, "bad property spec %s", kv);
            *eq = '\0';
            ck_assert_msg(device_set_prop(dev, kv, eq + 1, &err), "%s",
                          err ? err->msg : "?");
        }
        free(copy);
    }
    free(spec);
    object_add_child(tb->root, type, OBJECT(dev));
    object_unref(OBJECT(dev));
    ck_assert_msg(device_realize(dev, BUS(tb->isa), &err), "realize %s: %s", type,
                  err ? err->msg : "?");
    return dev;
}

uint8_t tb_inb(TestBoard *tb, uint16_t port) { return (uint8_t)address_space_ld(&tb->io, port, 1); }
uint16_t tb_inw(TestBoard *tb, uint16_t port) { return (uint16_t)address_space_ld(&tb->io, port, 2); }
uint32_t tb_inl(TestBoard *tb, uint16_t port) { return (uint32_t)address_space_ld(&tb->io, port, 4); }
void tb_outb(TestBoard *tb, uint16_t port, uint8_t v) { address_space_st(&tb->io, port, v, 1); }
void tb_outw(TestBoard *tb, uint16_t port, uint16_t v) { address_space_st(&tb->io, port, v, 2); }
void tb_outl(TestBoard *tb, uint16_t port, uint32_t v) { address_space_st(&tb->io, port, v, 4); }

void tb_clock_step(int64_t ns)
{
    clock_virtual_advance(ns);
    timers_run_expired();
}
