/*
 * Intel 82371SB PIIX3 function 0 (PCI-to-ISA bridge): PIRQ route control to ISA
 * IRQs with wired-OR of shared lines, the other function-0 registers as storage, and
 * the reset control register at I/O port 0xcf9.
 */
#include "hw/pci/piix3.h"
#include "hw/pci/i440fx.h"
#include "system/error.h"
#include "system/log.h"

#include <string.h>

#define PIIX3_VENDOR_ID 0x8086
#define PIIX3_DEVICE_ID 0x7000
#define PIIX3_CLASS_ISA_BRIDGE 0x060100

typedef struct Piix3State {
    PciDevice parent_obj;
    IRQ *isa_irqs;                       /* PIIX3_NUM_ISA_IRQS inputs */
    IRQ *reset_irq;
    bool isa_level[PIIX3_NUM_ISA_IRQS];  /* what we drive on each ISA IRQ */
    uint8_t rc;                          /* reset control register (0xcf9) */
    DeviceState *host;                   /* i440FX whose 0xcf9 byte port we serve */
} Piix3State;

#define PIIX3(o) OBJECT_CHECK(Piix3State, (o), TYPE_PIIX3)

/* Default values of the function-0 registers after reset (offset, value). */
static const struct {
    uint8_t reg, value, wmask;
} piix3_registers[] = {
    { 0x4c, 0x4d, 0x7f },   /* IORT: ISA I/O recovery timer */
    { 0x4e, 0x03, 0xff },   /* XBCS: X-bus chip select, low */
    { 0x4f, 0x00, 0x03 },   /* XBCS, high */
    { 0x60, 0x80, 0x8f },   /* PIRQRC[A] */
    { 0x61, 0x80, 0x8f },   /* PIRQRC[B] */
    { 0x62, 0x80, 0x8f },   /* PIRQRC[C] */
    { 0x63, 0x80, 0x8f },   /* PIRQRC[D] */
    { 0x69, 0x02, 0xfe },   /* TOM: top of memory */
    { 0x6a, 0x00, 0xff },   /* MSTAT: misc status */
    { 0x6b, 0x00, 0x80 },
    { 0x70, 0x80, 0xcf },   /* MBIRQ0: motherboard device IRQ route */
    { 0x71, 0x80, 0xcf },   /* MBIRQ1 */
    { 0x76, 0x0c, 0x8f },   /* MBDMA0 */
    { 0x77, 0x0c, 0x8f },   /* MBDMA1 */
    { 0x78, 0x02, 0xff },   /* PCSC: programmable chip select */
    { 0x79, 0x00, 0xff },
    { 0x80, 0x00, 0x7f },   /* APICBASE */
    { 0x82, 0x00, 0x0f },   /* DLC: deterministic latency control */
    { 0xa0, 0x08, 0x1f },   /* SMICNTL */
    { 0xa2, 0x00, 0xff },   /* SMIEN */
    { 0xa3, 0x00, 0x01 },
    { 0xa4, 0x00, 0xff },   /* SEE: system event enable */
    { 0xa5, 0x00, 0xff },
    { 0xa6, 0x00, 0xff },
    { 0xa7, 0x00, 0xe0 },
    { 0xa8, 0x0f, 0xff },   /* FTMR: fast off timer */
    { 0xaa, 0x00, 0xff },   /* SMIREQ */
    { 0xab, 0x00, 0x03 },
    { 0xac, 0x00, 0xff },   /* CTLTMR */
    { 0xae, 0x00, 0xff },   /* CTHTMR */
};

int piix3_map_irq(PciDevice *dev, int pin)
{
    /* slot 1 INTA is PIRQA: the chipset's wiring as firmware and ACPI expect it */
    return (PCI_SLOT(dev->devfn) + pin + PCI_NUM_PINS - 1) % PCI_NUM_PINS;
}

/* The PIIX3 only routes to these ISA IRQs; 0, 1, 2, 8 and 13 are reserved. */
static bool piix3_irq_routable(unsigned irq)
{
    return irq >= 3 && irq <= 15 && irq != 8 && irq != 13;
}

/* Drive each ISA IRQ with the OR of the PIRQ lines routed to it. Only changes are
 * driven, so an ISA IRQ no PIRQ uses is never touched. */
static void piix3_update_isa_irqs(Piix3State *s)
{
    PciDevice *d = &s->parent_obj;
    bool want[PIIX3_NUM_ISA_IRQS] = { false };
    for (int pirq = 0; pirq < PCI_NUM_PINS && d->bus; pirq++) {
        uint8_t route = d->config[PIIX3_PIRQRC + pirq];
        unsigned irq = route & PIIX3_PIRQ_IRQ_MASK;
        if (!(route & PIIX3_PIRQ_DISABLE) && piix3_irq_routable(irq) &&
            pci_bus_irq_level(d->bus, pirq)) {
            want[irq] = true;
        }
    }
    for (int irq = 0; irq < PIIX3_NUM_ISA_IRQS; irq++) {
        if (want[irq] != s->isa_level[irq]) {
            s->isa_level[irq] = want[irq];
            if (s->isa_irqs) {
                irq_set(&s->isa_irqs[irq], want[irq]);
            }
        }
    }
}

static void piix3_set_pirq(void *opaque, int pirq, int level)
{
    (void)pirq;
    (void)level;
    piix3_update_isa_irqs(opaque);
}

static void piix3_config_write(PciDevice *d, uint32_t addr, uint32_t val, unsigned len)
{
    pci_default_config_write(d, addr, val, len);
    if (pci_range_overlaps(addr, len, PIIX3_PIRQRC, PCI_NUM_PINS)) {
        piix3_update_isa_irqs(PIIX3(d));
    }
}

/* ---- reset control register, reached through the host bridge's 0xcf8-0xcfb ---- */

#define PIIX3_RC_OFFSET (PIIX3_RESET_CONTROL_PORT - I440FX_CONFIG_ADDRESS_PORT)

static void piix3_rc_write_byte(Piix3State *s, uint8_t v)
{
    s->rc = v & PIIX3_RC_SRST;
    if (v & PIIX3_RC_RCPU) {
        if (s->reset_irq) {
            irq_pulse(s->reset_irq);
        } else {
            log_item(LOG_UNIMP, "piix3: reset requested through 0xcf9 but not wired\n");
        }
    }
}

static uint64_t piix3_rc_read(void *opaque, uint64_t off, unsigned size)
{
    Piix3State *s = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = off + i == PIIX3_RC_OFFSET ? s->rc : 0xff;
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void piix3_rc_write(void *opaque, uint64_t off, uint64_t value, unsigned size)
{
    if (off <= PIIX3_RC_OFFSET && PIIX3_RC_OFFSET < off + size) {
        piix3_rc_write_byte(opaque, (uint8_t)(value >> (8 * (PIIX3_RC_OFFSET - off))));
    }
}

static const MemoryRegionOps piix3_rc_ops = {
    .read = piix3_rc_read,
    .write = piix3_rc_write,
};

/* ---- device ---- */

static bool piix3_realize(PciDevice *d, Error **errp)
{
    Piix3State *s = PIIX3(d);
    /* I/O, memory and bus-master decoding are hard-wired on; special cycles move. */
    pci_set_word(d->config, PCI_COMMAND,
                 PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    pci_set_word(d->wmask, PCI_COMMAND, 0x0008);
    pci_set_word(d->config, PCI_STATUS, PCI_STATUS_DEVSEL_MEDIUM);
    for (size_t i = 0; i < sizeof(piix3_registers) / sizeof(piix3_registers[0]); i++) {
        d->wmask[piix3_registers[i].reg] = piix3_registers[i].wmask;
    }
    pci_bus_set_irq_router(d->bus, piix3_set_pirq, piix3_map_irq, s);
    DeviceState *host = i440fx_host_of(d->bus);
    if (host) {
        object_ref(OBJECT(host));
        s->host = host;
        i440fx_host_set_byte_io(host, &piix3_rc_ops, s);
    }
    return true;
}

static void piix3_reset(PciDevice *d)
{
    Piix3State *s = PIIX3(d);
    for (size_t i = 0; i < sizeof(piix3_registers) / sizeof(piix3_registers[0]); i++) {
        d->config[piix3_registers[i].reg] = piix3_registers[i].value;
    }
    s->rc = 0;
    piix3_update_isa_irqs(s);
}

static void piix3_instance_finalize(Object *obj)
{
    Piix3State *s = (Piix3State *)obj;
    PciBus *bus = s->parent_obj.bus;
    if (bus && bus->irq_opaque == s) {
        pci_bus_set_irq_router(bus, NULL, NULL, NULL);
    }
    if (s->host) {
        i440fx_host_set_byte_io(s->host, NULL, NULL);
        object_unref(OBJECT(s->host));
        s->host = NULL;
    }
}

static void piix3_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PciDeviceClass *pdc = PCI_DEVICE_CLASS(klass);
    dc->desc = "Intel 82371SB PIIX3 PCI-to-ISA bridge (function 0)";
    dc->user_creatable = false;
    pdc->vendor_id = PIIX3_VENDOR_ID;
    pdc->device_id = PIIX3_DEVICE_ID;
    pdc->revision = 0x00;
    pdc->class_code = PIIX3_CLASS_ISA_BRIDGE;
    pdc->multifunction = true;
    pdc->realize = piix3_realize;
    pdc->reset = piix3_reset;
    pdc->config_write = piix3_config_write;
}

static const TypeInfo piix3_type_info = {
    .name = TYPE_PIIX3,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(Piix3State),
    .class_init = piix3_class_init,
    .instance_finalize = piix3_instance_finalize,
};

void piix3_register_types(void)
{
    type_register(&piix3_type_info);
}

DeviceState *piix3_create(PciBus *bus, Object *parent, IRQ *isa_irqs, Error **errp)
{
    DeviceState *dev = device_new(TYPE_PIIX3);
    if (!dev) {
        error_setg(errp, "piix3: type not registered");
        return NULL;
    }
    PIIX3(dev)->isa_irqs = isa_irqs;
    if (parent) {
        object_add_child(parent, "piix3", OBJECT(dev));
        object_unref(OBJECT(dev));
    }
    if (!device_set_prop(dev, "addr", "01.0", errp) ||
        !device_realize(dev, BUS(bus), errp)) {
        if (parent) {
            object_unparent(OBJECT(dev));
        } else {
            object_unref(OBJECT(dev));
        }
        return NULL;
    }
    return dev;
}

void piix3_set_isa_irqs(DeviceState *piix3, IRQ *isa_irqs)
{
    Piix3State *s = PIIX3(piix3);
    s->isa_irqs = isa_irqs;
    /* drive the new lines from scratch */
    memset(s->isa_level, 0, sizeof(s->isa_level));
    piix3_update_isa_irqs(s);
}

void piix3_set_reset_irq(DeviceState *piix3, IRQ *reset)
{
    PIIX3(piix3)->reset_irq = reset;
}
