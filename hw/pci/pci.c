/*
 * The PCI core: the bus type, the abstract PCI device (configuration space with
 * write masks, BAR sizing and mapping, INTx with per-PIRQ level counting) and the
 * configuration cycle entry points used by host bridges.
 */
#include "hw/pci/pci.h"
#include "system/error.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Command bits a generic device lets the guest change. */
#define PCI_COMMAND_WRITABLE (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
                              PCI_COMMAND_PARITY | PCI_COMMAND_SERR | \
                              PCI_COMMAND_INTX_DISABLE)

#define PCI_BAR_AREA_SIZE ((PCI_NUM_REGIONS - 1) * 4) /* 0x10..0x27 */
#define PCI_IO_SPACE_LIMIT 0x10000ull                  /* x86 port space */

static uint32_t pci_region_offset(int bar)
{
    return bar == PCI_ROM_SLOT ? PCI_ROM_ADDRESS : PCI_BASE_ADDRESS_0 + 4u * (unsigned)bar;
}

/* ---- the bus ---- */

static void pci_bus_instance_finalize(Object *obj)
{
    PciBus *bus = (PciBus *)obj;
    /* Realized devices hold a reference, so normally none is left; be defensive. */
    for (int i = 0; i < PCI_DEVFN_MAX; i++) {
        if (bus->devices[i]) {
            bus->devices[i]->bus = NULL;
            bus->devices[i] = NULL;
        }
    }
}

static const TypeInfo pci_bus_type_info = {
    .name = TYPE_PCI_BUS,
    .parent = TYPE_BUS,
    .instance_size = sizeof(PciBus),
    .instance_finalize = pci_bus_instance_finalize,
};

PciBus *pci_bus_new(DeviceState *parent, const char *name, MemoryRegion *mem,
                    MemoryRegion *io)
{
    PciBus *bus = PCI_BUS(bus_new(TYPE_PCI_BUS, parent, name));
    bus->mem = mem;
    bus->io = io;
    return bus;
}

void pci_bus_set_irq_router(PciBus *bus, PciSetIrqFunc set_irq, PciMapIrqFunc map_irq,
                            void *opaque)
{
    bus->set_irq = set_irq;
    bus->map_irq = map_irq;
    bus->irq_opaque = opaque;
}

int pci_bus_irq_level(PciBus *bus, int pirq)
{
    if (pirq < 0 || pirq >= PCI_NUM_PINS) {
        return 0;
    }
    return bus->irq_count[pirq] > 0;
}

int pci_swizzle_irq(PciDevice *dev, int pin)
{
    return (PCI_SLOT(dev->devfn) + pin) % PCI_NUM_PINS;
}

PciDevice *pci_bus_find(PciBus *bus, int devfn)
{
    if (!bus || devfn < 0 || devfn >= PCI_DEVFN_MAX) {
        return NULL;
    }
    return bus->devices[devfn];
}

void pci_bus_foreach(PciBus *bus, void (*fn)(PciBus *bus, PciDevice *dev, void *opaque),
                     void *opaque)
{
    for (int i = 0; i < PCI_DEVFN_MAX; i++) {
        if (bus->devices[i]) {
            fn(bus, bus->devices[i], opaque);
        }
    }
}

void pci_bus_reset(PciBus *bus)
{
    for (int i = 0; i < PCI_DEVFN_MAX; i++) {
        if (bus->devices[i]) {
            device_reset(DEVICE(bus->devices[i]));
        }
    }
}

static bool pci_access_ok(uint32_t addr, unsigned len)
{
    return (len == 1 || len == 2 || len == 4) && addr + len <= PCI_CONFIG_SPACE_SIZE;
}

uint32_t pci_config_read(PciDevice *dev, uint32_t addr, unsigned len)
{
    if (!pci_access_ok(addr, len)) {
        return UINT32_MAX;
    }
    PciDeviceClass *pdc = PCI_DEVICE_GET_CLASS(dev);
    uint32_t v = pdc->config_read ? pdc->config_read(dev, addr, len)
                                  : pci_default_config_read(dev, addr, len);
    return len == 4 ? v : v & ((1u << (len * 8)) - 1);
}

void pci_config_write(PciDevice *dev, uint32_t addr, uint32_t val, unsigned len)
{
    if (!pci_access_ok(addr, len)) {
        return;
    }
    PciDeviceClass *pdc = PCI_DEVICE_GET_CLASS(dev);
    if (len < 4) {
        val &= (1u << (len * 8)) - 1;
    }
    if (pdc->config_write) {
        pdc->config_write(dev, addr, val, len);
    } else {
        pci_default_config_write(dev, addr, val, len);
    }
}

uint32_t pci_bus_config_read(PciBus *bus, uint8_t busnr, uint8_t devfn, uint8_t reg,
                             unsigned size)
{
    PciDevice *dev = busnr == 0 ? pci_bus_find(bus, devfn) : NULL;
    if (!dev || !pci_access_ok(reg, size)) {
        return size >= 4 ? UINT32_MAX : (1u << (size * 8)) - 1;
    }
    return pci_config_read(dev, reg, size);
}

void pci_bus_config_write(PciBus *bus, uint8_t busnr, uint8_t devfn, uint8_t reg,
                          uint32_t val, unsigned size)
{
    PciDevice *dev = busnr == 0 ? pci_bus_find(bus, devfn) : NULL;
    if (dev) {
        pci_config_write(dev, reg, val, size);
    }
}

/* ---- INTx ---- */

static int pci_device_pirq(PciDevice *dev)
{
    int pin = dev->config[PCI_INTERRUPT_PIN] - 1;
    PciMapIrqFunc map = dev->bus->map_irq ? dev->bus->map_irq : pci_swizzle_irq;
    return map(dev, pin) & (PCI_NUM_PINS - 1);
}

/* Bring the bus's count in line with the device's effective INTx level. */
static void pci_update_irq(PciDevice *dev)
{
    PciBus *bus = dev->bus;
    uint8_t pin = dev->config[PCI_INTERRUPT_PIN];
    bool effective = bus && dev->irq_state && pin >= 1 && pin <= PCI_NUM_PINS &&
                     !(pci_get_word(dev->config, PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE);
    if (effective == dev->irq_asserted || !bus) {
        return;
    }
    dev->irq_asserted = effective;
    int pirq = pci_device_pirq(dev);
    int before = bus->irq_count[pirq] > 0;
    bus->irq_count[pirq] += effective ? 1 : -1;
    if (bus->irq_count[pirq] < 0) {
        bus->irq_count[pirq] = 0; /* cannot happen; keep the line sane anyway */
    }
    int after = bus->irq_count[pirq] > 0;
    if (before != after && bus->set_irq) {
        bus->set_irq(bus->irq_opaque, pirq, after);
    }
}

void pci_set_irq(PciDevice *dev, int level)
{
    dev->irq_state = level != 0;
    uint16_t status = pci_get_word(dev->config, PCI_STATUS);
    status = dev->irq_state ? status | PCI_STATUS_INTERRUPT : status & ~PCI_STATUS_INTERRUPT;
    pci_set_word(dev->config, PCI_STATUS, status);
    pci_update_irq(dev);
}

/* ---- BARs ---- */

void pci_register_bar(PciDevice *dev, int bar, uint8_t type, MemoryRegion *mr)
{
    const char *name = object_get_typename(OBJECT(dev));
    uint64_t size = mr ? mr->size : 0;
    bool is_rom = bar == PCI_ROM_SLOT;
    bool is_io = !is_rom && (type & PCI_BAR_SPACE_IO);
    bool is_64 = !is_rom && !is_io && (type & PCI_BAR_MEM_TYPE_64);
    uint64_t min = is_rom ? 0x800 : is_io ? 4 : 16;
    uint64_t max = is_io ? PCI_IO_SPACE_LIMIT : is_64 ? (UINT64_C(1) << 63) : (UINT64_C(1) << 31);
    if (bar < 0 || bar > PCI_ROM_SLOT || !mr || size < min || size > max ||
        (size & (size - 1)) || (is_64 && bar >= PCI_ROM_SLOT - 1) ||
        dev->regions[bar].mr) {
        /* a device model bug, not something a guest can cause */
        error_report("%s: bad BAR %d registration (size 0x%llx, type 0x%x)", name, bar,
                     (unsigned long long)size, type);
        abort();
    }
    PciIORegion *r = &dev->regions[bar];
    r->mr = mr;
    r->size = size;
    r->type = is_rom ? PCI_BAR_SPACE_MEMORY : type;
    r->addr = PCI_BAR_UNMAPPED;
    uint32_t off = pci_region_offset(bar);
    uint64_t mask = ~(size - 1);
    if (is_rom) {
        pci_set_long(dev->config, off, 0);
        pci_set_long(dev->wmask, off, ((uint32_t)mask & 0xfffff800u) | PCI_ROM_ADDRESS_ENABLE);
    } else if (is_io) {
        pci_set_long(dev->config, off, PCI_BAR_SPACE_IO);
        pci_set_long(dev->wmask, off, (uint32_t)mask & ~3u);
    } else {
        uint8_t bits = type & (PCI_BAR_MEM_TYPE_64 | PCI_BAR_MEM_PREFETCH);
        pci_set_long(dev->config, off, bits);
        pci_set_long(dev->wmask, off, (uint32_t)mask & ~0xfu);
        if (is_64) {
            pci_set_long(dev->config, off + 4, 0);
            pci_set_long(dev->wmask, off + 4, (uint32_t)(mask >> 32));
        }
    }
}

uint64_t pci_get_bar_addr(const PciDevice *dev, int bar)
{
    if (bar < 0 || bar >= PCI_NUM_REGIONS || !dev->regions[bar].mr) {
        return PCI_BAR_UNMAPPED;
    }
    return dev->regions[bar].addr;
}

/* Where BAR `bar` decodes with the current config values, or PCI_BAR_UNMAPPED. */
static uint64_t pci_bar_address(PciDevice *dev, int bar)
{
    const PciIORegion *r = &dev->regions[bar];
    uint16_t cmd = pci_get_word(dev->config, PCI_COMMAND);
    uint32_t off = pci_region_offset(bar);
    uint32_t low = pci_get_long(dev->config, off);
    uint64_t addr;

    if (bar != PCI_ROM_SLOT && (r->type & PCI_BAR_SPACE_IO)) {
        if (!(cmd & PCI_COMMAND_IO)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = low & ~3u & ~(r->size - 1);
        if (addr == 0 || addr + r->size > PCI_IO_SPACE_LIMIT) {
            return PCI_BAR_UNMAPPED;
        }
        return addr;
    }
    if (!(cmd & PCI_COMMAND_MEMORY)) {
        return PCI_BAR_UNMAPPED;
    }
    if (bar == PCI_ROM_SLOT) {
        if (!(low & PCI_ROM_ADDRESS_ENABLE)) {
            return PCI_BAR_UNMAPPED;
        }
        addr = low & 0xfffff800u;
    } else {
        addr = low & ~0xfu;
        if (r->type & PCI_BAR_MEM_TYPE_64) {
            addr |= (uint64_t)pci_get_long(dev->config, off + 4) << 32;
        }
    }
    addr &= ~(r->size - 1);
    uint64_t last = addr + r->size - 1;
    bool is_64 = bar != PCI_ROM_SLOT && (r->type & PCI_BAR_MEM_TYPE_64);
    /* 0 means unprogrammed; ending at 0xffffffff is what sizing leaves behind (and
     * would cover the reset vector); wrapping is nonsense. */
    if (addr == 0 || last < addr || last == UINT64_MAX || last == UINT32_MAX ||
        (!is_64 && last > UINT32_MAX)) {
        return PCI_BAR_UNMAPPED;
    }
    return addr;
}

void pci_update_mappings(PciDevice *dev)
{
    PciBus *bus = dev->bus;
    if (!bus) {
        return;
    }
    memory_transaction_begin();
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        PciIORegion *r = &dev->regions[i];
        if (!r->mr) {
            continue;
        }
        uint64_t addr = pci_bar_address(dev, i);
        if (addr == r->addr) {
            continue;
        }
        bool is_io = i != PCI_ROM_SLOT && (r->type & PCI_BAR_SPACE_IO);
        MemoryRegion *container = is_io ? bus->io : bus->mem;
        if (r->mr->container) {
            memory_region_del_subregion(r->mr->container, r->mr);
        }
        r->addr = addr;
        if (addr != PCI_BAR_UNMAPPED && container) {
            memory_region_add_subregion_overlap(container, addr, r->mr, PCI_BAR_PRIORITY);
        }
    }
    memory_transaction_commit();
}

/* ---- configuration space ---- */

uint32_t pci_default_config_read(PciDevice *dev, uint32_t addr, unsigned len)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < len && addr + i < PCI_CONFIG_SPACE_SIZE; i++) {
        v |= (uint32_t)dev->config[addr + i] << (8 * i);
    }
    return v;
}

void pci_default_config_write(PciDevice *dev, uint32_t addr, uint32_t val, unsigned len)
{
    for (unsigned i = 0; i < len && addr + i < PCI_CONFIG_SPACE_SIZE; i++) {
        uint32_t a = addr + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        dev->config[a] = (uint8_t)((dev->config[a] & ~dev->wmask[a]) | (b & dev->wmask[a]));
        dev->config[a] &= (uint8_t)~(b & dev->w1cmask[a]);
    }
    bool cmd = pci_range_overlaps(addr, len, PCI_COMMAND, 2);
    if (cmd || pci_range_overlaps(addr, len, PCI_BASE_ADDRESS_0, PCI_BAR_AREA_SIZE) ||
        pci_range_overlaps(addr, len, PCI_ROM_ADDRESS, 4)) {
        pci_update_mappings(dev);
    }
    if (cmd) {
        pci_update_irq(dev);
    }
}

/* ---- the abstract device ---- */

/* "slot" or "slot.fn", hexadecimal as in lspci ("3", "03.0", "0x1f.7"). */
static bool pci_parse_devfn(const char *s, int *devfn)
{
    char *end;
    if (!isxdigit((unsigned char)s[0])) {
        return false;
    }
    errno = 0;
    unsigned long slot = strtoul(s, &end, 16);
    unsigned long fn = 0;
    if (*end == '.') {
        const char *f = end + 1;
        if (!isxdigit((unsigned char)f[0])) {
            return false;
        }
        fn = strtoul(f, &end, 16);
    }
    if (errno || *end || slot >= PCI_SLOT_MAX || fn >= PCI_FUNC_MAX) {
        return false;
    }
    *devfn = PCI_DEVFN((int)slot, (int)fn);
    return true;
}

static bool pci_slot_empty(PciBus *bus, int slot)
{
    for (int fn = 0; fn < PCI_FUNC_MAX; fn++) {
        if (bus->devices[PCI_DEVFN(slot, fn)]) {
            return false;
        }
    }
    return true;
}

static void pci_fill_header(PciDevice *dev, PciDeviceClass *pdc)
{
    memset(dev->config, 0, sizeof(dev->config));
    memset(dev->wmask, 0, sizeof(dev->wmask));
    memset(dev->w1cmask, 0, sizeof(dev->w1cmask));
    memset(dev->regions, 0, sizeof(dev->regions));
    pci_set_word(dev->config, PCI_VENDOR_ID, pdc->vendor_id);
    pci_set_word(dev->config, PCI_DEVICE_ID, pdc->device_id);
    dev->config[PCI_REVISION_ID] = pdc->revision;
    dev->config[PCI_CLASS_PROG] = (uint8_t)pdc->class_code;
    pci_set_word(dev->config, PCI_CLASS_PROG + 1, (uint16_t)(pdc->class_code >> 8));
    dev->config[PCI_HEADER_TYPE] = pdc->multifunction ? PCI_HEADER_TYPE_MULTI_FUNCTION : 0;
    pci_set_word(dev->config, PCI_SUBSYSTEM_VENDOR_ID, pdc->subsystem_vendor_id);
    pci_set_word(dev->config, PCI_SUBSYSTEM_ID, pdc->subsystem_id);
    dev->config[PCI_INTERRUPT_PIN] = pdc->interrupt_pin <= PCI_NUM_PINS ? pdc->interrupt_pin : 0;
    pci_set_word(dev->wmask, PCI_COMMAND, PCI_COMMAND_WRITABLE);
    pci_set_word(dev->w1cmask, PCI_STATUS, PCI_STATUS_ERROR_BITS);
    dev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
    dev->wmask[PCI_LATENCY_TIMER] = 0xff;
    dev->wmask[PCI_INTERRUPT_LINE] = 0xff;
}

static bool pci_device_realize(DeviceState *ds, Error **errp)
{
    PciDevice *dev = PCI_DEVICE(ds);
    PciDeviceClass *pdc = PCI_DEVICE_GET_CLASS(dev);
    const char *type = object_get_typename(OBJECT(ds));
    if (!ds->parent_bus || !object_is_a(OBJECT(ds->parent_bus), TYPE_PCI_BUS)) {
        error_setg(errp, "device '%s' must sit on a PCI bus", type);
        return false;
    }
    PciBus *bus = PCI_BUS(ds->parent_bus);
    int devfn = -1;
    if (dev->addr && *dev->addr) {
        if (!pci_parse_devfn(dev->addr, &devfn)) {
            error_setg(errp, "device '%s': bad PCI address '%s' (want slot[.function] in "
                       "hex, slot below 0x20, function below 8)", type, dev->addr);
            return false;
        }
        if (bus->devices[devfn]) {
            error_setg(errp, "device '%s': PCI address %02x.%x is taken by '%s'", type,
                       PCI_SLOT(devfn), PCI_FUNC(devfn),
                       object_get_typename(OBJECT(bus->devices[devfn])));
            return false;
        }
    } else {
        for (int slot = 0; slot < PCI_SLOT_MAX; slot++) {
            if (pci_slot_empty(bus, slot)) {
                devfn = PCI_DEVFN(slot, 0);
                break;
            }
        }
        if (devfn < 0) {
            error_setg(errp, "device '%s': no free PCI slot", type);
            return false;
        }
    }
    pci_fill_header(dev, pdc);
    dev->irq_state = dev->irq_asserted = false;
    dev->bus = bus;
    dev->devfn = devfn;
    bus->devices[devfn] = dev;
    object_ref(OBJECT(bus));
    if (pdc->realize && !pdc->realize(dev, errp)) {
        for (int i = 0; i < PCI_NUM_REGIONS; i++) {
            if (dev->regions[i].mr && dev->regions[i].mr->container) {
                memory_region_del_subregion(dev->regions[i].mr->container,
                                            dev->regions[i].mr);
            }
        }
        memset(dev->regions, 0, sizeof(dev->regions));
        bus->devices[devfn] = NULL;
        dev->bus = NULL;
        dev->devfn = -1;
        object_unref(OBJECT(bus));
        return false;
    }
    return true;
}

static void pci_device_reset(DeviceState *ds)
{
    PciDevice *dev = PCI_DEVICE(ds);
    PciDeviceClass *pdc = PCI_DEVICE_GET_CLASS(dev);
    uint8_t *c = dev->config;

    dev->irq_state = false;
    /* Writable command bits and the error/interrupt status go back to zero;
     * hard-wired bits stay. */
    pci_set_word(c, PCI_COMMAND,
                 pci_get_word(c, PCI_COMMAND) & ~pci_get_word(dev->wmask, PCI_COMMAND));
    pci_set_word(c, PCI_STATUS, pci_get_word(c, PCI_STATUS) &
                 ~(PCI_STATUS_ERROR_BITS | PCI_STATUS_INTERRUPT));
    c[PCI_CACHE_LINE_SIZE] = 0;
    c[PCI_LATENCY_TIMER] = 0;
    c[PCI_INTERRUPT_LINE] = 0;
    /* BAR address bits to zero, type bits kept */
    for (uint32_t a = PCI_BASE_ADDRESS_0; a < PCI_BASE_ADDRESS_0 + PCI_BAR_AREA_SIZE; a++) {
        c[a] &= (uint8_t)~dev->wmask[a];
    }
    for (uint32_t a = PCI_ROM_ADDRESS; a < PCI_ROM_ADDRESS + 4; a++) {
        c[a] &= (uint8_t)~dev->wmask[a];
    }
    if (pdc->reset) {
        pdc->reset(dev);
    }
    pci_update_mappings(dev);
    pci_update_irq(dev);
}

static void pci_device_instance_init(Object *obj)
{
    PciDevice *dev = (PciDevice *)obj;
    dev->devfn = -1;
}

static void pci_device_instance_finalize(Object *obj)
{
    PciDevice *dev = (PciDevice *)obj;
    PciBus *bus = dev->bus;
    if (!bus) {
        return;
    }
    dev->irq_state = false;
    pci_update_irq(dev);
    memory_transaction_begin();
    for (int i = 0; i < PCI_NUM_REGIONS; i++) {
        MemoryRegion *mr = dev->regions[i].mr;
        if (mr && mr->container) {
            memory_region_del_subregion(mr->container, mr);
        }
    }
    memory_transaction_commit();
    if (dev->devfn >= 0 && bus->devices[dev->devfn] == dev) {
        bus->devices[dev->devfn] = NULL;
    }
    dev->bus = NULL;
    object_unref(OBJECT(bus));
}

static const Property pci_device_props[] = {
    DEFINE_PROP_STRING("addr", PciDevice, addr, NULL,
                       "PCI slot[.function] in hex, e.g. 3 or 03.0 (default: first free slot)"),
    DEFINE_PROP_END,
};

static void pci_device_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PciDeviceClass *pdc = (PciDeviceClass *)klass;
    dc->bus_type = TYPE_PCI_BUS;
    dc->props = pci_device_props;
    dc->realize = pci_device_realize;
    dc->reset = pci_device_reset;
    pdc->config_read = pci_default_config_read;
    pdc->config_write = pci_default_config_write;
}

static const TypeInfo pci_device_type_info = {
    .name = TYPE_PCI_DEVICE,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(PciDevice),
    .class_size = sizeof(PciDeviceClass),
    .class_init = pci_device_class_init,
    .instance_init = pci_device_instance_init,
    .instance_finalize = pci_device_instance_finalize,
    .abstract = true,
};

void pci_register_types(void)
{
    type_register(&pci_bus_type_info);
    type_register(&pci_device_type_info);
}
