/*
 * Intel 82441FX PMC: the host bridge (configuration mechanism #1 at 0xcf8/0xcfc,
 * PCI bus 0) and its function 00.0 with the PAM registers, which switch the 13
 * chunks of 0xc0000-0xfffff between shadow RAM and the ROM/PCI side, and the SMRAM
 * register, which opens the RAM behind the VGA window at 0xa0000.
 */
#include "hw/pci/i440fx.h"
#include "system/error.h"

#include <stdio.h>
#include <string.h>

#define I440FX_VENDOR_ID 0x8086
#define I440FX_DEVICE_ID 0x1237
#define I440FX_REVISION 0x02
#define I440FX_CLASS_HOST_BRIDGE 0x060000

#define I440FX_NR_CHUNKS 13
#define I440FX_SMRAM_BASE 0xa0000
#define I440FX_SMRAM_SIZE 0x20000

typedef struct I440fxHost {
    DeviceState parent_obj;
    MemoryRegion *sysmem, *io, *ram, *pci_mem;   /* set before realize */
    PciBus *bus;
    DeviceState *func;
    MemoryRegion addr_mr, data_mr;
    bool ports_ready;
    uint32_t config_address;
    const MemoryRegionOps *byte_ops;
    void *byte_opaque;
} I440fxHost;

typedef struct I440fxState {
    PciDevice parent_obj;
    MemoryRegion *sysmem, *ram;                  /* set before realize */
    MemoryRegion shadow_rw[I440FX_NR_CHUNKS];    /* alias onto RAM */
    MemoryRegion shadow_ro[I440FX_NR_CHUNKS];    /* same RAM, writes ignored */
    bool chunk_ok[I440FX_NR_CHUNKS];
    bool ro_ok[I440FX_NR_CHUNKS];
    MemoryRegion smram;
    bool smram_ok;
} I440fxState;

#define I440FX_HOST(o) OBJECT_CHECK(I440fxHost, (o), TYPE_I440FX_PCI_HOST)
#define I440FX(o) OBJECT_CHECK(I440fxState, (o), TYPE_I440FX)

/* Chunk i: its base, size and the PAM register nibble that controls it. */
typedef struct PamChunk {
    uint32_t base, size;
    uint8_t reg;
    uint8_t shift;
} PamChunk;

static PamChunk i440fx_chunk(int i)
{
    if (i == 0) {
        /* PAM0 bits 7:4: the 64 KiB BIOS area */
        return (PamChunk){ 0xf0000, 0x10000, I440FX_PAM0, 4 };
    }
    int n = i - 1; /* PAM1..PAM6, low nibble first, 16 KiB each from 0xc0000 */
    return (PamChunk){ 0xc0000 + 0x4000u * (unsigned)n, 0x4000,
                       (uint8_t)(I440FX_PAM0 + 1 + n / 2), (uint8_t)(n % 2 ? 4 : 0) };
}

/* ---- function 00.0 ---- */

/* Host memory behind [off, off + len) of mr (following aliases), or NULL. */
static uint8_t *i440fx_ram_host(MemoryRegion *mr, uint64_t off, uint64_t len)
{
    for (int depth = 0; mr && depth < 8; depth++) {
        if (off + len < off || off + len > mr->size) {
            return NULL;
        }
        if (mr->kind == MR_ALIAS) {
            off += mr->alias_offset;
            mr = mr->alias;
            continue;
        }
        return mr->kind == MR_RAM && mr->host ? mr->host + off : NULL;
    }
    return NULL;
}

static void i440fx_update_memory(I440fxState *s)
{
    const uint8_t *c = s->parent_obj.config;
    memory_transaction_begin();
    for (int i = 0; i < I440FX_NR_CHUNKS; i++) {
        if (!s->chunk_ok[i]) {
            continue;
        }
        PamChunk ch = i440fx_chunk(i);
        unsigned attr = (c[ch.reg] >> ch.shift) & (I440FX_PAM_RE | I440FX_PAM_WE);
        bool rw = attr == (I440FX_PAM_RE | I440FX_PAM_WE);
        /* Read-only shadow: RAM that ignores writes. Write-only is approximated by
         * the ROM/PCI side (reads matter more than the lost writes). Without a
         * host-backed RAM to build a read-only view on, read-only acts as read-write. */
        bool ro = attr == I440FX_PAM_RE;
        memory_region_set_enabled(&s->shadow_rw[i], rw || (ro && !s->ro_ok[i]));
        if (s->ro_ok[i]) {
            memory_region_set_enabled(&s->shadow_ro[i], ro);
        }
    }
    if (s->smram_ok) {
        uint8_t smram = c[I440FX_SMRAM];
        memory_region_set_enabled(&s->smram, (smram & I440FX_SMRAM_G_SMRAME) &&
                                             (smram & I440FX_SMRAM_D_OPEN));
    }
    memory_transaction_commit();
}

static void i440fx_config_write(PciDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    I440fxState *s = I440FX(d);
    uint8_t old_smram = d->config[I440FX_SMRAM];
    pci_default_config_write(d, addr, val, len);
    if (pci_range_overlaps(addr, len, I440FX_SMRAM, 1)) {
        uint8_t v = d->config[I440FX_SMRAM];
        if (old_smram & I440FX_SMRAM_D_LCK) {
            /* locked until reset: only D_CLS still moves */
            v = (uint8_t)((old_smram & ~I440FX_SMRAM_D_CLS) | (v & I440FX_SMRAM_D_CLS));
        } else if (v & I440FX_SMRAM_D_LCK) {
            v &= (uint8_t)~I440FX_SMRAM_D_OPEN;
        }
        d->config[I440FX_SMRAM] = v;
    }
    if (pci_range_overlaps(addr, len, I440FX_PAM0, I440FX_PAM_COUNT) ||
        pci_range_overlaps(addr, len, I440FX_SMRAM, 1)) {
        i440fx_update_memory(s);
    }
}

static bool i440fx_realize(PciDevice *d, Error **errp)
{
    I440fxState *s = I440FX(d);
    if (!s->sysmem || !s->ram) {
        error_setg(errp, "i440fx: created without the board's memory (use i440fx_create)");
        return false;
    }
    /* Memory and bus-master decoding are hard-wired on; a few command bits remain. */
    pci_set_word(d->config, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(d->wmask, PCI_COMMAND, PCI_COMMAND_PARITY | PCI_COMMAND_SERR);
    pci_set_word(d->config, PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM | PCI_STATUS_FAST_BACK);
    memset(d->wmask + 0x50, 0xff, 0x09);              /* PMCCFG..DRAMT */
    d->wmask[I440FX_PAM0] = 0x70;
    memset(d->wmask + I440FX_PAM0 + 1, 0x77, I440FX_PAM_COUNT - 1);
    memset(d->wmask + 0x60, 0xff, 0x09);              /* DRB0-7, FDHC */
    d->wmask[0x70] = 0xff;                            /* MTT */
    d->wmask[0x71] = 0xff;                            /* CLT */
    d->wmask[I440FX_SMRAM] = I440FX_SMRAM_G_SMRAME | I440FX_SMRAM_D_LCK |
                             I440FX_SMRAM_D_CLS | I440FX_SMRAM_D_OPEN;
    d->wmask[0x90] = 0xff;                            /* ERRCMD */
    d->w1cmask[0x91] = 0xff;                          /* ERRSTS */
    d->wmask[0x93] = 0xff;                            /* TRC */

    memory_transaction_begin();
    for (int i = 0; i < I440FX_NR_CHUNKS; i++) {
        PamChunk ch = i440fx_chunk(i);
        char name[48];
        if ((uint64_t)ch.base + ch.size > s->ram->size) {
            continue;   /* less RAM than the chunk: it always shows the ROM/PCI side */
        }
        snprintf(name, sizeof(name), "pam-ram-%05x", ch.base);
        memory_region_init_alias(&s->shadow_rw[i], name, s->ram, ch.base, ch.size);
        s->shadow_rw[i].enabled = false;
        memory_region_add_subregion_overlap(s->sysmem, ch.base, &s->shadow_rw[i],
                                            I440FX_SHADOW_PRIORITY);
        uint8_t *host = i440fx_ram_host(s->ram, ch.base, ch.size);
        if (host) {
            snprintf(name, sizeof(name), "pam-rom-%05x", ch.base);
            memory_region_init_ram_ptr(&s->shadow_ro[i], name, ch.size, host);
            s->shadow_ro[i].kind = MR_ROM;   /* the same RAM, guest writes ignored */
            s->shadow_ro[i].enabled = false;
            memory_region_add_subregion_overlap(s->sysmem, ch.base, &s->shadow_ro[i],
                                                I440FX_SHADOW_PRIORITY);
            s->ro_ok[i] = true;
        }
        s->chunk_ok[i] = true;
    }
    if ((uint64_t)I440FX_SMRAM_BASE + I440FX_SMRAM_SIZE <= s->ram->size) {
        memory_region_init_alias(&s->smram, "smram-open", s->ram, I440FX_SMRAM_BASE,
                                 I440FX_SMRAM_SIZE);
        s->smram.enabled = false;
        memory_region_add_subregion_overlap(s->sysmem, I440FX_SMRAM_BASE, &s->smram,
                                            I440FX_SHADOW_PRIORITY);
        s->smram_ok = true;
    }
    memory_transaction_commit();
    return true;
}

static void i440fx_reset(PciDevice *d)
{
    uint8_t *c = d->config;
    memset(c + 0x50, 0, 0x50);     /* device-specific registers 0x50..0x9f */
    c[0x53] = 0x80;                /* DBC */
    c[0x57] = 0x01;                /* DRAMC */
    c[0x58] = 0x10;                /* DRAMT */
    memset(c + 0x60, 0x02, 8);     /* DRB0-7 */
    c[0x70] = 0x20;                /* MTT */
    c[0x71] = 0x10;                /* CLT */
    c[I440FX_SMRAM] = I440FX_SMRAM_DEFAULT;
    i440fx_update_memory(I440FX(d));
}

static void i440fx_instance_finalize(Object *obj)
{
    I440fxState *s = (I440fxState *)obj;
    memory_transaction_begin();
    for (int i = 0; i < I440FX_NR_CHUNKS; i++) {
        if (s->chunk_ok[i]) {
            memory_region_destroy(&s->shadow_rw[i]);
        }
        if (s->ro_ok[i]) {
            memory_region_destroy(&s->shadow_ro[i]);
        }
    }
    if (s->smram_ok) {
        memory_region_destroy(&s->smram);
    }
    memory_transaction_commit();
}

static void i440fx_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PciDeviceClass *pdc = PCI_DEVICE_CLASS(klass);
    dc->desc = "Intel 82441FX PCI and memory controller (function 00.0)";
    dc->user_creatable = false;
    pdc->vendor_id = I440FX_VENDOR_ID;
    pdc->device_id = I440FX_DEVICE_ID;
    pdc->revision = I440FX_REVISION;
    pdc->class_code = I440FX_CLASS_HOST_BRIDGE;
    pdc->realize = i440fx_realize;
    pdc->reset = i440fx_reset;
    pdc->config_write = i440fx_config_write;
}

static const TypeInfo i440fx_type_info = {
    .name = TYPE_I440FX,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(I440fxState),
    .class_init = i440fx_class_init,
    .instance_finalize = i440fx_instance_finalize,
};

/* ---- the host bridge: configuration mechanism #1 ---- */

static uint64_t size_ones(unsigned size)
{
    return size >= 4 ? UINT32_MAX : (UINT64_C(1) << (size * 8)) - 1;
}

static uint64_t i440fx_addr_read(void *opaque, uint64_t off, unsigned size)
{
    I440fxHost *s = opaque;
    if (off == 0 && size == 4) {
        return s->config_address;
    }
    if (s->byte_ops && s->byte_ops->read) {
        return s->byte_ops->read(s->byte_opaque, off, size) & size_ones(size);
    }
    return size_ones(size);
}

static void i440fx_addr_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    I440fxHost *s = opaque;
    if (off == 0 && size == 4) {
        /* bits 30:24 and 1:0 are reserved and read as zero */
        s->config_address = (uint32_t)value & 0x80fffffcu;
        return;
    }
    if (s->byte_ops && s->byte_ops->write) {
        s->byte_ops->write(s->byte_opaque, off, value, size);
    }
}

static uint64_t i440fx_data_read(void *opaque, uint64_t off, unsigned size)
{
    I440fxHost *s = opaque;
    uint32_t ca = s->config_address;
    if (!(ca & I440FX_CONFIG_ENABLE)) {
        return size_ones(size);
    }
    return pci_bus_config_read(s->bus, (uint8_t)(ca >> 16), (uint8_t)(ca >> 8),
                               (uint8_t)((ca & 0xfc) | off), size);
}

static void i440fx_data_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    I440fxHost *s = opaque;
    uint32_t ca = s->config_address;
    if (ca & I440FX_CONFIG_ENABLE) {
        pci_bus_config_write(s->bus, (uint8_t)(ca >> 16), (uint8_t)(ca >> 8),
                             (uint8_t)((ca & 0xfc) | off), (uint32_t)value, size);
    }
}

static const MemoryRegionOps i440fx_addr_ops = {
    .read = i440fx_addr_read,
    .write = i440fx_addr_write,
    .min_access = 1,
    .max_access = 4,
};

static const MemoryRegionOps i440fx_data_ops = {
    .read = i440fx_data_read,
    .write = i440fx_data_write,
    .min_access = 1,
    .max_access = 4,
};

static bool i440fx_host_realize(DeviceState *dev, Error **errp)
{
    I440fxHost *s = I440FX_HOST(dev);
    if (!s->sysmem || !s->io || !s->ram) {
        error_setg(errp, "i440fx-pcihost: created without the board's memory "
                   "(use i440fx_create)");
        return false;
    }
    s->bus = pci_bus_new(dev, "pci.0", s->pci_mem ? s->pci_mem : s->sysmem, s->io);

    DeviceState *f = device_new(TYPE_I440FX);
    I440fxState *fs = I440FX(f);
    fs->sysmem = s->sysmem;
    fs->ram = s->ram;
    object_add_child(OBJECT(dev), "func0", OBJECT(f));
    object_unref(OBJECT(f));
    if (!device_set_prop(f, "addr", "00.0", errp) || !device_realize(f, BUS(s->bus), errp)) {
        object_unparent(OBJECT(f));
        return false;
    }
    s->func = f;

    memory_region_init_io(&s->addr_mr, &i440fx_addr_ops, s, "pci-conf-addr", 4);
    memory_region_init_io(&s->data_mr, &i440fx_data_ops, s, "pci-conf-data", 4);
    memory_transaction_begin();
    memory_region_add_subregion(s->io, I440FX_CONFIG_ADDRESS_PORT, &s->addr_mr);
    memory_region_add_subregion(s->io, I440FX_CONFIG_DATA_PORT, &s->data_mr);
    memory_transaction_commit();
    s->ports_ready = true;
    return true;
}

static void i440fx_host_reset(DeviceState *dev)
{
    I440fxHost *s = I440FX_HOST(dev);
    s->config_address = 0;
    if (s->bus) {
        pci_bus_reset(s->bus);
    }
}

static void i440fx_host_instance_finalize(Object *obj)
{
    I440fxHost *s = (I440fxHost *)obj;
    if (s->ports_ready) {
        memory_transaction_begin();
        memory_region_destroy(&s->addr_mr);
        memory_region_destroy(&s->data_mr);
        memory_transaction_commit();
    }
}

static void i440fx_host_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "i440FX PCI host bridge (configuration ports 0xcf8/0xcfc)";
    dc->user_creatable = false;
    dc->realize = i440fx_host_realize;
    dc->reset = i440fx_host_reset;
}

static const TypeInfo i440fx_host_type_info = {
    .name = TYPE_I440FX_PCI_HOST,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(I440fxHost),
    .class_init = i440fx_host_class_init,
    .instance_finalize = i440fx_host_instance_finalize,
};

PciBus *i440fx_create(Object *parent, BusState *sysbus, MemoryRegion *sysmem,
                      MemoryRegion *io, MemoryRegion *ram, MemoryRegion *pci_mem,
                      Error **errp)
{
    DeviceState *dev = device_new(TYPE_I440FX_PCI_HOST);
    if (!dev) {
        error_setg(errp, "i440fx: type not registered");
        return NULL;
    }
    I440fxHost *s = I440FX_HOST(dev);
    s->sysmem = sysmem;
    s->io = io;
    s->ram = ram;
    s->pci_mem = pci_mem;
    if (parent) {
        object_add_child(parent, "i440fx", OBJECT(dev));
        object_unref(OBJECT(dev));
    }
    if (!device_realize(dev, sysbus, errp)) {
        if (parent) {
            object_unparent(OBJECT(dev));
        } else {
            object_unref(OBJECT(dev));
        }
        return NULL;
    }
    return s->bus;
}

DeviceState *i440fx_host_of(PciBus *bus)
{
    DeviceState *host = bus ? BUS(bus)->parent : NULL;
    return host && object_is_a(OBJECT(host), TYPE_I440FX_PCI_HOST) ? host : NULL;
}

void i440fx_host_set_byte_io(DeviceState *host, const MemoryRegionOps *ops, void *opaque)
{
    I440fxHost *s = I440FX_HOST(host);
    s->byte_ops = ops;
    s->byte_opaque = opaque;
}

void i440fx_register_types(void)
{
    type_register(&i440fx_host_type_info);
    type_register(&i440fx_type_info);
}
