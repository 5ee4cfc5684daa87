/*
 * Unit tests for the PCI core, the i440FX host bridge (configuration mechanism #1,
 * PAM, SMRAM) and the PIIX3 (PIRQ routing, reset control), driven through the ports.
 */
#include "hw/pci/i440fx.h"
#include "hw/pci/pci.h"
#include "hw/pci/piix3.h"
#include "tests/unit/harness.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* ---- a small PCI device with an I/O BAR, a 32-bit and a 64-bit memory BAR, a ROM ---- */

#define TYPE_TEST_PCI "test-pci"
#define TEST_IO_SIZE 0x20
#define TEST_MMIO_SIZE 0x1000
#define TEST_MMIO64_SIZE 0x4000
#define TEST_ROM_SIZE 0x800

typedef struct TestPciDev {
    PciDevice parent_obj;
    MemoryRegion io, mmio, mmio64, rom;
    bool regions_ready;
} TestPciDev;

static uint64_t test_io_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0xa5 ^ addr;
}

static uint64_t test_mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0xcafe0000u | addr;
}

static uint64_t test_mmio64_read(void *opaque, uint64_t addr, unsigned size)
{
    return 0x64640000u | addr;
}

static const MemoryRegionOps test_io_ops = { .read = test_io_read };
static const MemoryRegionOps test_mmio_ops = { .read = test_mmio_read, .max_access = 4 };
static const MemoryRegionOps test_mmio64_ops = { .read = test_mmio64_read, .max_access = 4 };

static bool test_pci_realize(PciDevice *d, Error **errp)
{
    TestPciDev *t = (TestPciDev *)d;
    memory_region_init_io(&t->io, &test_io_ops, t, "test-io", TEST_IO_SIZE);
    memory_region_init_io(&t->mmio, &test_mmio_ops, t, "test-mmio", TEST_MMIO_SIZE);
    memory_region_init_io(&t->mmio64, &test_mmio64_ops, t, "test-mmio64", TEST_MMIO64_SIZE);
    memory_region_init_rom(&t->rom, "test-rom", TEST_ROM_SIZE);
    t->rom.host[0] = 0x55;
    t->rom.host[1] = 0xaa;
    t->regions_ready = true;
    pci_register_bar(d, 0, PCI_BAR_SPACE_IO, &t->io);
    pci_register_bar(d, 1, PCI_BAR_SPACE_MEMORY | PCI_BAR_MEM_TYPE_32, &t->mmio);
    pci_register_bar(d, 2, PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH, &t->mmio64);
    pci_register_bar(d, PCI_ROM_SLOT, 0, &t->rom);
    return true;
}

static void test_pci_finalize(Object *obj)
{
    TestPciDev *t = (TestPciDev *)obj;
    if (t->regions_ready) {
        memory_region_destroy(&t->io);
        memory_region_destroy(&t->mmio);
        memory_region_destroy(&t->mmio64);
        memory_region_destroy(&t->rom);
    }
}

static void test_pci_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PciDeviceClass *pdc = PCI_DEVICE_CLASS(klass);
    dc->desc = "test device";
    dc->user_creatable = true;
    pdc->vendor_id = 0x1234;
    pdc->device_id = 0x11e8;
    pdc->revision = 0x01;
    pdc->class_code = 0x00ff00;
    pdc->interrupt_pin = 1;
    pdc->realize = test_pci_realize;
}

static const TypeInfo test_pci_type_info = {
    .name = TYPE_TEST_PCI,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(TestPciDev),
    .class_init = test_pci_class_init,
    .instance_finalize = test_pci_finalize,
};

/* ---- fixture ---- */

static TestBoard *tb;
static PciBus *bus;
static DeviceState *piix3;

static void setup(void)
{
    tb = tb_new();
    pci_register_types();
    i440fx_register_types();
    piix3_register_types();
    type_register(&test_pci_type_info);
    Error *err = NULL;
    bus = i440fx_create(tb->root, NULL, &tb->mem_root, &tb->io_root, &tb->ram, NULL, &err);
    ck_assert_msg(bus != NULL, "i440fx_create: %s", err ? err->msg : "?");
    piix3 = piix3_create(bus, tb->root, tb->irqs, &err);
    ck_assert_msg(piix3 != NULL, "piix3_create: %s", err ? err->msg : "?");
}

static void teardown(void)
{
    tb_free(tb);
}

/* Create a test device through the -device parser, as a user would. */
static PciDevice *add_test_dev(const char *opts)
{
    Error *err = NULL;
    char *spec = opts ? xasprintf("%s,%s", TYPE_TEST_PCI, opts) : xstrdup(TYPE_TEST_PCI);
    DeviceState *dev = device_new_from_options(spec, &err);
    free(spec);
    ck_assert_msg(dev != NULL, "%s", err ? err->msg : "?");
    object_add_child(tb->root, "test-pci", OBJECT(dev));
    object_unref(OBJECT(dev));
    ck_assert_msg(device_realize(dev, BUS(bus), &err), "realize: %s", err ? err->msg : "?");
    return PCI_DEVICE(dev);
}

static uint32_t cfg_addr(int devfn, int reg)
{
    return I440FX_CONFIG_ENABLE | (uint32_t)devfn << 8 | (uint32_t)(reg & 0xfc);
}

static uint32_t cfg_read(int devfn, int reg, unsigned size)
{
    tb_outl(tb, 0xcf8, cfg_addr(devfn, reg));
    uint16_t port = (uint16_t)(0xcfc + (reg & 3));
    return size == 1 ? tb_inb(tb, port) : size == 2 ? tb_inw(tb, port) : tb_inl(tb, port);
}

static void cfg_write(int devfn, int reg, uint32_t v, unsigned size)
{
    tb_outl(tb, 0xcf8, cfg_addr(devfn, reg));
    uint16_t port = (uint16_t)(0xcfc + (reg & 3));
    if (size == 1) {
        tb_outb(tb, port, (uint8_t)v);
    } else if (size == 2) {
        tb_outw(tb, port, (uint16_t)v);
    } else {
        tb_outl(tb, port, v);
    }
}

static uint64_t mem_ld(uint64_t addr, unsigned size)
{
    return address_space_ld(&tb->mem, addr, size);
}

/* ---- configuration mechanism #1 ---- */

START_TEST(test_host_ids)
{
    ck_assert_uint_eq(cfg_read(0x00, 0x00, 4), 0x12378086);
    ck_assert_uint_eq(cfg_read(0x00, 0x08, 4), 0x06000002);     /* class 060000, rev 2 */
    ck_assert_uint_eq(cfg_read(0x00, PCI_HEADER_TYPE, 1), 0x00);
    ck_assert_uint_eq(cfg_read(0x00, PCI_STATUS, 2), 0x0280);
    ck_assert_uint_eq(cfg_read(PIIX3_DEVFN, 0x00, 4), 0x70008086);
    ck_assert_uint_eq(cfg_read(PIIX3_DEVFN, 0x08, 4) >> 8, 0x060100);
    ck_assert_uint_eq(cfg_read(PIIX3_DEVFN, PCI_HEADER_TYPE, 1), 0x80);
    ck_assert_uint_eq(cfg_read(PIIX3_DEVFN, PIIX3_PIRQRC, 4), 0x80808080);
    ck_assert_uint_eq(cfg_read(PIIX3_DEVFN, PCI_COMMAND, 2), 0x0007);
    /* read-only: vendor id cannot be changed */
    cfg_write(0x00, 0x00, 0xdeadbeef, 4);
    ck_assert_uint_eq(cfg_read(0x00, 0x00, 4), 0x12378086);
}
END_TEST

START_TEST(test_enable_bit_and_empty_slots)
{
    /* enable bit clear: data port reads all-ones and writes go nowhere */
    tb_outl(tb, 0xcf8, 0x00000000 | PIIX3_DEVFN << 8 | 0x60);
    ck_assert_uint_eq(tb_inl(tb, 0xcf8), PIIX3_DEVFN << 8 | 0x60);
    ck_assert_uint_eq(tb_inl(tb, 0xcfc), 0xffffffff);
    tb_outb(tb, 0xcfc, 0x05);
    ck_assert_uint_eq(cfg_read(PIIX3_DEVFN, 0x60, 1), 0x80);
    /* empty slot, other function of a present slot, other bus */
    ck_assert_uint_eq(cfg_read(PCI_DEVFN(5, 0), 0x00, 4), 0xffffffff);
    ck_assert_uint_eq(cfg_read(PCI_DEVFN(0, 3), 0x00, 4), 0xffffffff);
    ck_assert_uint_eq(cfg_read(PCI_DEVFN(5, 0), 0x02, 2), 0xffff);
    tb_outl(tb, 0xcf8, I440FX_CONFIG_ENABLE | 1u << 16);
    ck_assert_uint_eq(tb_inl(tb, 0xcfc), 0xffffffff);
    cfg_write(PCI_DEVFN(5, 0), 0x04, 0x7, 2); /* ignored, must not crash */
    ck_assert_ptr_null(pci_bus_find(bus, PCI_DEVFN(5, 0)));
    /* the direct accessors agree */
    ck_assert_uint_eq(pci_bus_config_read(bus, 0, 0, 0, 2), 0x8086);
    ck_assert_uint_eq(pci_bus_config_read(bus, 1, 0, 0, 2), 0xffff);
    ck_assert_uint_eq(pci_bus_config_read(bus, 0, 0, 0xfe, 4), 0xffffffff);
}
END_TEST

START_TEST(test_byte_word_offsets)
{
    tb_outl(tb, 0xcf8, cfg_addr(0x00, 0x00));
    ck_assert_uint_eq(tb_inw(tb, 0xcfc), 0x8086);
    ck_assert_uint_eq(tb_inw(tb, 0xcfe), 0x1237);
    ck_assert_uint_eq(tb_inb(tb, 0xcfd), 0x80);
    ck_assert_uint_eq(tb_inb(tb, 0xcff), 0x12);
    /* byte/word writes land at (CONFIG_ADDRESS & 0xfc) + port offset: PAM0..PAM2 */
    tb_outl(tb, 0xcf8, cfg_addr(0x00, 0x58));
    tb_outb(tb, 0xcfd, 0x30);
    tb_outw(tb, 0xcfe, 0x1133);
    ck_assert_uint_eq(cfg_read(0x00, 0x59, 1), 0x30);
    ck_assert_uint_eq(cfg_read(0x00, 0x5a, 1), 0x33);
    ck_assert_uint_eq(cfg_read(0x00, 0x5b, 1), 0x11);
    ck_assert_uint_eq(cfg_read(0x00, 0x58, 4), 0x11333010);   /* DRAMT default 0x10 */
    /* PAM0's low nibble is reserved */
    cfg_write(0x00, 0x59, 0xff, 1);
    ck_assert_uint_eq(cfg_read(0x00, 0x59, 1), 0x70);
}
END_TEST

START_TEST(test_cf8_byte_access_not_latching)
{
    tb_outl(tb, 0xcf8, 0x80000000);
    tb_outb(tb, 0xcf8, 0x12);
    tb_outb(tb, 0xcfb, 0x00);
    tb_outw(tb, 0xcfa, 0x0000);
    ck_assert_uint_eq(tb_inl(tb, 0xcf8), 0x80000000);
    /* reserved bits 1:0 and 30:24 read as zero */
    tb_outl(tb, 0xcf8, 0xff00ff03);
    ck_assert_uint_eq(tb_inl(tb, 0xcf8), 0x8000ff00);
    /* byte reads of 0xcf8/0xcfa are not CONFIG_ADDRESS either */
    tb_outl(tb, 0xcf8, 0x80000000);
    ck_assert_uint_eq(tb_inb(tb, 0xcf8), 0xff);
}
END_TEST

static int reset_pulses;
static void reset_handler(void *opaque, int n, int level)
{
    if (level) {
        reset_pulses++;
    }
}

START_TEST(test_reset_control_register)
{
    IRQ reset;
    irq_init(&reset, reset_handler, NULL, 0);
    piix3_set_reset_irq(piix3, &reset);
    reset_pulses = 0;
    tb_outb(tb, 0xcf9, PIIX3_RC_SRST);
    ck_assert_int_eq(reset_pulses, 0);
    ck_assert_uint_eq(tb_inb(tb, 0xcf9), PIIX3_RC_SRST);
    /* a CONFIG_ADDRESS write whose second byte looks like a reset must not reset */
    tb_outl(tb, 0xcf8, 0x80000600);
    ck_assert_int_eq(reset_pulses, 0);
    ck_assert_uint_eq(tb_inl(tb, 0xcf8), 0x80000600);
    tb_outb(tb, 0xcf9, PIIX3_RC_SRST | PIIX3_RC_RCPU);
    ck_assert_int_eq(reset_pulses, 1);
    piix3_set_reset_irq(piix3, NULL);
}
END_TEST

/* ---- device placement ---- */

START_TEST(test_addr_property)
{
    PciDevice *a = add_test_dev("addr=3");
    PciDevice *b = add_test_dev("addr=04.0");
    PciDevice *c = add_test_dev("addr=0x1f.7");
    PciDevice *d = add_test_dev(NULL);
    ck_assert_int_eq(a->devfn, PCI_DEVFN(3, 0));
    ck_assert_int_eq(b->devfn, PCI_DEVFN(4, 0));
    ck_assert_int_eq(c->devfn, PCI_DEVFN(0x1f, 7));
    ck_assert_int_eq(d->devfn, PCI_DEVFN(2, 0));        /* 0 and 1 are the chipset */
    ck_assert_ptr_eq(pci_bus_find(bus, PCI_DEVFN(4, 0)), b);
    ck_assert_uint_eq(cfg_read(PCI_DEVFN(0x1f, 7), 0, 4), 0x11e81234);

    const char *bad[] = { "addr=3", "addr=20", "addr=3.8", "addr=x", "addr=3.", "addr=-1" };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        Error *err = NULL;
        char *spec = xasprintf("%s,%s", TYPE_TEST_PCI, bad[i]);
        DeviceState *dev = device_new_from_options(spec, &err);
        free(spec);
        ck_assert_ptr_nonnull(dev);
        /* keep the failed device alive: the core leaves it on the bus's list */
        object_add_child(tb->root, "failed", OBJECT(dev));
        object_unref(OBJECT(dev));
        ck_assert_msg(!device_realize(dev, BUS(bus), &err), "%s accepted", bad[i]);
        ck_assert_ptr_nonnull(err);
        error_free(err);
    }
    ck_assert_ptr_eq(pci_bus_find(bus, PCI_DEVFN(3, 0)), a);
}
END_TEST

/* ---- BARs ---- */

START_TEST(test_bar_sizing)
{
    PciDevice *d = add_test_dev("addr=3");
    int devfn = d->devfn;
    ck_assert_uint_eq(cfg_read(devfn, 0x10, 4), PCI_BAR_SPACE_IO);
    ck_assert_uint_eq(cfg_read(devfn, 0x18, 4), 0x0c);
    for (int reg = 0x10; reg <= 0x24; reg += 4) {
        cfg_write(devfn, reg, 0xffffffff, 4);
    }
    cfg_write(devfn, 0x30, 0xfffffffe, 4);
    ck_assert_uint_eq(cfg_read(devfn, 0x10, 4), 0xffffffe1);     /* 32 bytes of I/O */
    ck_assert_uint_eq(cfg_read(devfn, 0x14, 4), 0xfffff000);     /* 4 KiB memory */
    ck_assert_uint_eq(cfg_read(devfn, 0x18, 4), 0xffffc00c);     /* 16 KiB, 64-bit, pf */
    ck_assert_uint_eq(cfg_read(devfn, 0x1c, 4), 0xffffffff);     /* its upper half */
    ck_assert_uint_eq(cfg_read(devfn, 0x20, 4), 0);              /* not implemented */
    ck_assert_uint_eq(cfg_read(devfn, 0x24, 4), 0);
    ck_assert_uint_eq(cfg_read(devfn, 0x30, 4), 0xfffff800);     /* 2 KiB ROM */
    /* sizing values never map, even with decoding on */
    cfg_write(devfn, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        ck_assert_uint_eq(pci_get_bar_addr(d, i), PCI_BAR_UNMAPPED);
    }
    ck_assert_uint_eq(mem_ld(0xfffff000, 4), 0xffffffff);
}
END_TEST

START_TEST(test_bar_mapping)
{
    PciDevice *d = add_test_dev("addr=3");
    int devfn = d->devfn;
    cfg_write(devfn, 0x10, 0xc000, 4);
    cfg_write(devfn, 0x14, 0xe0000000, 4);
    cfg_write(devfn, 0x18, 0x0, 4);
    cfg_write(devfn, 0x1c, 0x1, 4);                  /* 64-bit BAR at 4 GiB */
    cfg_write(devfn, 0x30, 0xe2000000 | PCI_ROM_ADDRESS_ENABLE, 4);
    ck_assert_uint_eq(cfg_read(devfn, 0x10, 4), 0xc001);
    /* decoding off: nothing there */
    ck_assert_uint_eq(tb_inb(tb, 0xc004), 0xff);
    ck_assert_uint_eq(mem_ld(0xe0000010, 4), 0xffffffff);
    ck_assert_uint_eq(pci_get_bar_addr(d, 1), PCI_BAR_UNMAPPED);

    cfg_write(devfn, PCI_COMMAND, PCI_COMMAND_IO, 2);
    ck_assert_uint_eq(tb_inb(tb, 0xc004), 0xa5 ^ 4);
    ck_assert_uint_eq(mem_ld(0xe0000010, 4), 0xffffffff);

    cfg_write(devfn, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    ck_assert_uint_eq(mem_ld(0xe0000010, 4), 0xcafe0010);
    ck_assert_uint_eq(mem_ld(0x100000020ull, 4), 0x64640020);
    ck_assert_uint_eq(mem_ld(0xe2000000, 2), 0xaa55);
    ck_assert_uint_eq(pci_get_bar_addr(d, 1), 0xe0000000);
    ck_assert_uint_eq(pci_get_bar_addr(d, 2), 0x100000000ull);

    /* moving a BAR moves the region */
    cfg_write(devfn, 0x14, 0xe0100000, 4);
    ck_assert_uint_eq(mem_ld(0xe0000010, 4), 0xffffffff);
    ck_assert_uint_eq(mem_ld(0xe0100010, 4), 0xcafe0010);
    /* low bits below the size are not writable */
    cfg_write(devfn, 0x10, 0xc01f, 4);
    ck_assert_uint_eq(cfg_read(devfn, 0x10, 4), 0xc001);
    /* ROM decode needs its enable bit */
    cfg_write(devfn, 0x30, 0xe2000000, 4);
    ck_assert_uint_eq(mem_ld(0xe2000000, 2), 0xffff);

    /* I/O decoding off again */
    cfg_write(devfn, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    ck_assert_uint_eq(tb_inb(tb, 0xc004), 0xff);
    ck_assert_uint_eq(mem_ld(0xe0100010, 4), 0xcafe0010);

    /* an I/O BAR running past 64 KiB is not mapped */
    cfg_write(devfn, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    cfg_write(devfn, 0x10, 0x1fff0, 4);
    ck_assert_uint_eq(pci_get_bar_addr(d, 0), PCI_BAR_UNMAPPED);
    cfg_write(devfn, 0x10, 0xc000, 4);
    ck_assert_uint_eq(tb_inb(tb, 0xc000), 0xa5);

    /* reset: command and BARs to power-on values, everything unmapped */
    pci_bus_reset(bus);
    ck_assert_uint_eq(cfg_read(devfn, PCI_COMMAND, 2), 0);
    ck_assert_uint_eq(cfg_read(devfn, 0x10, 4), PCI_BAR_SPACE_IO);
    ck_assert_uint_eq(cfg_read(devfn, 0x14, 4), 0);
    ck_assert_uint_eq(cfg_read(devfn, 0x18, 4), 0x0c);
    ck_assert_uint_eq(tb_inb(tb, 0xc000), 0xff);
    ck_assert_uint_eq(mem_ld(0xe0100010, 4), 0xffffffff);
    /* and the host bridge still answers */
    ck_assert_uint_eq(cfg_read(0, 0, 4), 0x12378086);
}
END_TEST

START_TEST(test_status_write_one_to_clear)
{
    PciDevice *d = add_test_dev("addr=3");
    d->config[PCI_STATUS + 1] |= 0x20;   /* received master abort */
    cfg_write(d->devfn, PCI_STATUS, 0x0000, 2);
    ck_assert_uint_eq(cfg_read(d->devfn, PCI_STATUS, 2) & 0x2000, 0x2000);
    cfg_write(d->devfn, PCI_STATUS, 0x2000, 2);
    ck_assert_uint_eq(cfg_read(d->devfn, PCI_STATUS, 2) & 0x2000, 0);
    /* interrupt line is plain storage, interrupt pin read-only */
    cfg_write(d->devfn, PCI_INTERRUPT_LINE, 0x0a0b, 2);
    ck_assert_uint_eq(cfg_read(d->devfn, PCI_INTERRUPT_LINE, 2), 0x010b);
}
END_TEST

/* ---- INTx through PIIX3 ---- */

START_TEST(test_intx_routing)
{
    /* slot S INTA drives PIRQ (S - 1) mod 4: slots 3 and 7 share PIRQC, 4 is PIRQD */
    PciDevice *a = add_test_dev("addr=3");
    PciDevice *b = add_test_dev("addr=7");
    PciDevice *c = add_test_dev("addr=4");
    ck_assert_uint_eq(cfg_read(a->devfn, PCI_INTERRUPT_PIN, 1), 1);

    pci_set_irq(a, 1);
    ck_assert_uint_eq(cfg_read(a->devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT,
                      PCI_STATUS_INTERRUPT);
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        ck_assert_int_eq(tb->irq_level[i], 0);   /* routing disabled after reset */
    }
    /* route PIRQC to IRQ 11: the already-asserted line shows up */
    cfg_write(PIIX3_DEVFN, 0x62, 11, 1);
    ck_assert_int_eq(tb->irq_level[11], 1);
    /* shared line: high while any device asserts */
    pci_set_irq(b, 1);
    pci_set_irq(a, 0);
    ck_assert_int_eq(tb->irq_level[11], 1);
    ck_assert_uint_eq(cfg_read(a->devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT, 0);
    pci_set_irq(b, 0);
    ck_assert_int_eq(tb->irq_level[11], 0);
    ck_assert_int_eq(tb->irq_raises[11], 1);
    /* a second PIRQ (D) on the same ISA IRQ ORs in */
    cfg_write(PIIX3_DEVFN, 0x63, 11, 1);
    pci_set_irq(a, 1);
    pci_set_irq(c, 1);
    pci_set_irq(a, 0);
    ck_assert_int_eq(tb->irq_level[11], 1);
    pci_set_irq(c, 0);
    ck_assert_int_eq(tb->irq_level[11], 0);
    /* the disable bit drops the route */
    pci_set_irq(a, 1);
    ck_assert_int_eq(tb->irq_level[11], 1);
    cfg_write(PIIX3_DEVFN, 0x62, PIIX3_PIRQ_DISABLE | 11, 1);
    ck_assert_int_eq(tb->irq_level[11], 0);
    ck_assert_uint_eq(cfg_read(PIIX3_DEVFN, 0x62, 1), 0x8b);
    /* rerouting moves the level */
    cfg_write(PIIX3_DEVFN, 0x62, 10, 1);
    ck_assert_int_eq(tb->irq_level[10], 1);
    ck_assert_int_eq(tb->irq_level[11], 0);
    /* a reserved IRQ number routes nowhere */
    cfg_write(PIIX3_DEVFN, 0x62, 2, 1);
    ck_assert_int_eq(tb->irq_level[10], 0);
    ck_assert_int_eq(tb->irq_level[2], 0);
    cfg_write(PIIX3_DEVFN, 0x62, 10, 1);
    ck_assert_int_eq(tb->irq_level[10], 1);
    /* INTx disable in the command register masks the pin, status still shows it */
    cfg_write(a->devfn, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    ck_assert_int_eq(tb->irq_level[10], 0);
    ck_assert_uint_eq(cfg_read(a->devfn, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT,
                      PCI_STATUS_INTERRUPT);
    cfg_write(a->devfn, PCI_COMMAND, 0, 2);
    ck_assert_int_eq(tb->irq_level[10], 1);
    /* PIIX3 reset disables every route */
    device_reset(piix3);
    ck_assert_int_eq(tb->irq_level[10], 0);
    ck_assert_uint_eq(cfg_read(PIIX3_DEVFN, PIIX3_PIRQRC, 4), 0x80808080);
    /* device reset deasserts its pin */
    cfg_write(PIIX3_DEVFN, 0x62, 10, 1);
    ck_assert_int_eq(tb->irq_level[10], 1);
    device_reset(DEVICE(a));
    ck_assert_int_eq(tb->irq_level[10], 0);
}
END_TEST

START_TEST(test_intx_swizzle)
{
    /* default core swizzle and the PIIX3 wiring */
    PciDevice *a = add_test_dev("addr=5");
    ck_assert_int_eq(pci_swizzle_irq(a, 0), 1);
    ck_assert_int_eq(pci_swizzle_irq(a, 3), 0);
    ck_assert_int_eq(piix3_map_irq(a, 0), 0);
    ck_assert_int_eq(piix3_map_irq(a, 2), 2);
    /* PIRQA (slot 5 INTA) -> IRQ 5 */
    cfg_write(PIIX3_DEVFN, 0x60, 5, 1);
    pci_set_irq(a, 1);
    ck_assert_int_eq(tb->irq_level[5], 1);
    ck_assert_int_eq(pci_bus_irq_level(bus, 0), 1);
    pci_set_irq(a, 0);
    ck_assert_int_eq(tb->irq_level[5], 0);
}
END_TEST

/* ---- PAM and SMRAM ---- */

static MemoryRegion rom_side, vga_side;

static void map_rom_side(void)
{
    memory_region_init_rom(&rom_side, "test-bios", 0x20000);
    memset(rom_side.host, 0xee, 0x20000);
    memory_region_add_subregion_overlap(&tb->mem_root, 0xe0000, &rom_side, 1);
    memory_region_init_rom(&vga_side, "test-vga", 0x20000);
    memset(vga_side.host, 0x11, 0x20000);
    memory_region_add_subregion_overlap(&tb->mem_root, 0xa0000, &vga_side, 1);
}

static void unmap_rom_side(void)
{
    memory_region_destroy(&rom_side);
    memory_region_destroy(&vga_side);
}

START_TEST(test_pam)
{
    map_rom_side();
    tb->ram.host[0xf0000] = 0x5a;
    tb->ram.host[0xe4000] = 0x24;
    tb->ram.host[0xe0000] = 0x20;
    ck_assert_uint_eq(mem_ld(0xf0000, 1), 0xee);            /* PAM0 = 0: ROM side */

    cfg_write(0, I440FX_PAM0, 0x30, 1);                      /* read/write RAM */
    ck_assert_uint_eq(mem_ld(0xf0000, 1), 0x5a);
    address_space_st(&tb->mem, 0xf0000, 0x77, 1);
    ck_assert_uint_eq(tb->ram.host[0xf0000], 0x77);

    cfg_write(0, I440FX_PAM0, 0x10, 1);                      /* read-only RAM */
    ck_assert_uint_eq(mem_ld(0xf0000, 1), 0x77);
    address_space_st(&tb->mem, 0xf0000, 0x99, 1);
    ck_assert_uint_eq(tb->ram.host[0xf0000], 0x77);
    ck_assert_uint_eq(mem_ld(0xf0000, 1), 0x77);

    cfg_write(0, I440FX_PAM0, 0x20, 1);                      /* write-only: ROM reads */
    ck_assert_uint_eq(mem_ld(0xf0000, 1), 0xee);
    cfg_write(0, I440FX_PAM0, 0x00, 1);
    ck_assert_uint_eq(mem_ld(0xf0000, 1), 0xee);

    /* PAM5 high nibble is 0xe4000-0xe7fff; its low nibble (0xe0000) stays ROM */
    cfg_write(0, I440FX_PAM0 + 5, 0x30, 1);
    ck_assert_uint_eq(mem_ld(0xe4000, 1), 0x24);
    ck_assert_uint_eq(mem_ld(0xe7fff, 1), tb->ram.host[0xe7fff]);
    ck_assert_uint_eq(mem_ld(0xe0000, 1), 0xee);
    ck_assert_uint_eq(mem_ld(0xe8000, 1), 0xee);
    cfg_write(0, I440FX_PAM0 + 5, 0x03, 1);
    ck_assert_uint_eq(mem_ld(0xe0000, 1), 0x20);
    ck_assert_uint_eq(mem_ld(0xe4000, 1), 0xee);

    /* reset puts every chunk back on the ROM side */
    cfg_write(0, I440FX_PAM0, 0x30, 1);
    device_reset_tree(tb->root);
    ck_assert_uint_eq(cfg_read(0, I440FX_PAM0, 1), 0);
    ck_assert_uint_eq(mem_ld(0xf0000, 1), 0xee);
    ck_assert_uint_eq(mem_ld(0xe0000, 1), 0xee);
    unmap_rom_side();
}
END_TEST

START_TEST(test_smram)
{
    map_rom_side();
    tb->ram.host[0xa0000] = 0x33;
    ck_assert_uint_eq(cfg_read(0, I440FX_SMRAM, 1), I440FX_SMRAM_DEFAULT);
    ck_assert_uint_eq(mem_ld(0xa0000, 1), 0x11);
    cfg_write(0, I440FX_SMRAM, I440FX_SMRAM_G_SMRAME | I440FX_SMRAM_D_OPEN, 1);
    ck_assert_uint_eq(cfg_read(0, I440FX_SMRAM, 1), 0x4a);
    ck_assert_uint_eq(mem_ld(0xa0000, 1), 0x33);
    /* D_LCK closes SMRAM and locks the register until reset */
    cfg_write(0, I440FX_SMRAM, I440FX_SMRAM_G_SMRAME | I440FX_SMRAM_D_OPEN |
                               I440FX_SMRAM_D_LCK, 1);
    ck_assert_uint_eq(cfg_read(0, I440FX_SMRAM, 1), 0x1a);
    ck_assert_uint_eq(mem_ld(0xa0000, 1), 0x11);
    cfg_write(0, I440FX_SMRAM, I440FX_SMRAM_G_SMRAME | I440FX_SMRAM_D_OPEN, 1);
    ck_assert_uint_eq(cfg_read(0, I440FX_SMRAM, 1), 0x1a);
    ck_assert_uint_eq(mem_ld(0xa0000, 1), 0x11);
    device_reset_tree(tb->root);
    ck_assert_uint_eq(cfg_read(0, I440FX_SMRAM, 1), I440FX_SMRAM_DEFAULT);
    unmap_rom_side();
}
END_TEST

static Suite *pci_suite(void)
{
    Suite *s = suite_create("pci");
    TCase *tc = tcase_create("i440fx-piix3");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_host_ids);
    tcase_add_test(tc, test_enable_bit_and_empty_slots);
    tcase_add_test(tc, test_byte_word_offsets);
    tcase_add_test(tc, test_cf8_byte_access_not_latching);
    tcase_add_test(tc, test_reset_control_register);
    tcase_add_test(tc, test_addr_property);
    tcase_add_test(tc, test_bar_sizing);
    tcase_add_test(tc, test_bar_mapping);
    tcase_add_test(tc, test_status_write_one_to_clear);
    tcase_add_test(tc, test_intx_routing);
    tcase_add_test(tc, test_intx_swizzle);
    tcase_add_test(tc, test_pam);
    tcase_add_test(tc, test_smram);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(pci_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
