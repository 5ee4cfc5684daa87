/*
 * I/O APIC, modelled on the 82093AA with the version 0x20 EOI register: 24 input
 * pins, each routed by a 64-bit redirection entry to an MSI-format message.
 *
 * Edge-triggered entries send one message per rising edge of the (polarity
 * adjusted) input while unmasked; edges on masked pins are dropped. Level-triggered
 * entries send while the input is asserted, unmasked and Remote IRR is clear, and
 * set Remote IRR; an EOI for the vector clears it and re-evaluates the pin.
 * Messages go synchronously to the handler the board installs; Delivery Status is
 * therefore always 0.
 */
#include "hw/intc/ioapic.h"

#include <stdlib.h>
#include <string.h>

#define IOAPIC_MAX_REDIR_INDEX (IOAPIC_NUM_PINS - 1)
#define IOAPIC_REDTBL_END (IOAPIC_REG_REDTBL + 2 * IOAPIC_NUM_PINS)
#define IOAPIC_ID_SHIFT 24
#define IOAPIC_ID_MASK 0x0f

/* Bits the guest may write: vector, delivery mode, destination mode, polarity,
 * trigger mode, mask, destination. Delivery Status and Remote IRR are read-only. */
#define IOAPIC_RTE_WRITABLE \
    (IOAPIC_RTE_VECTOR | (7ull << IOAPIC_RTE_DELIVERY_MODE_SHIFT) | IOAPIC_RTE_DEST_LOGICAL | \
     IOAPIC_RTE_ACTIVE_LOW | IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | \
     (0xffull << IOAPIC_RTE_DEST_SHIFT))

typedef struct IOAPICState {
    DeviceState parent_obj;
    uint8_t id;                  /* property: APIC ID after reset */
    MemoryRegion mmio;
    IRQ *inputs;                 /* IOAPIC_NUM_PINS */
    uint32_t pin_levels;         /* electrical level of each input */
    uint8_t regsel;
    uint8_t apic_id;             /* current ID register */
    uint64_t redir[IOAPIC_NUM_PINS];
    IOAPICDeliverFn deliver;
    void *deliver_opaque;
} IOAPICState;

#define IOAPIC(o) OBJECT_CHECK(IOAPICState, (o), TYPE_IOAPIC)

/* Is the pin asserted, after applying the entry's polarity? */
static bool ioapic_asserted(const IOAPICState *s, int pin)
{
    bool high = (s->pin_levels >> pin) & 1;
    return (s->redir[pin] & IOAPIC_RTE_ACTIVE_LOW) ? !high : high;
}

static void ioapic_send(IOAPICState *s, int pin)
{
    uint64_t entry = s->redir[pin];
    uint32_t dest = (uint32_t)(entry >> IOAPIC_RTE_DEST_SHIFT) & 0xff;
    uint32_t mode = (uint32_t)(entry >> IOAPIC_RTE_DELIVERY_MODE_SHIFT) & 7;
    uint64_t addr = IOAPIC_MSI_ADDR_BASE | ((uint64_t)dest << IOAPIC_MSI_ADDR_DEST_SHIFT);
    uint32_t data = (uint32_t)(entry & IOAPIC_RTE_VECTOR) |
                    (mode << IOAPIC_MSI_DATA_DELIVERY_SHIFT);
    if (entry & IOAPIC_RTE_DEST_LOGICAL) {
        addr |= IOAPIC_MSI_ADDR_LOGICAL;
    }
    if (entry & IOAPIC_RTE_LEVEL) {
        data |= IOAPIC_MSI_DATA_LEVEL | IOAPIC_MSI_DATA_ASSERT;
    }
    if (s->deliver) {
        s->deliver(s->deliver_opaque, addr, data);
    }
}

/* Level-triggered pins: deliver if asserted, unmasked and not awaiting an EOI. */
static void ioapic_service_level(IOAPICState *s, int pin)
{
    uint64_t entry = s->redir[pin];
    if (!(entry & IOAPIC_RTE_LEVEL) || (entry & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR))) {
        return;
    }
    if (ioapic_asserted(s, pin)) {
        /* mark before sending: the handler may answer with an EOI right away */
        s->redir[pin] |= IOAPIC_RTE_REMOTE_IRR;
        ioapic_send(s, pin);
    }
}

static void ioapic_input_handler(void *opaque, int pin, int level)
{
    IOAPICState *s = opaque;
    if (pin < 0 || pin >= IOAPIC_NUM_PINS) {
        return;
    }
    bool was = ioapic_asserted(s, pin);
    if (level) {
        s->pin_levels |= 1u << pin;
    } else {
        s->pin_levels &= ~(1u << pin);
    }
    bool now = ioapic_asserted(s, pin);
    uint64_t entry = s->redir[pin];
    if (entry & IOAPIC_RTE_MASKED) {
        return;
    }
    if (entry & IOAPIC_RTE_LEVEL) {
        ioapic_service_level(s, pin);
    } else if (now && !was) {
        ioapic_send(s, pin);
    }
}

static uint32_t ioapic_read_reg(IOAPICState *s, uint8_t index)
{
    switch (index) {
    case IOAPIC_REG_ID:
    case IOAPIC_REG_ARB:
        return (uint32_t)s->apic_id << IOAPIC_ID_SHIFT;
    case IOAPIC_REG_VER:
        return ((uint32_t)IOAPIC_MAX_REDIR_INDEX << 16) | IOAPIC_VERSION;
    default:
        break;
    }
    if (index >= IOAPIC_REG_REDTBL && index < IOAPIC_REDTBL_END) {
        int pin = (index - IOAPIC_REG_REDTBL) / 2;
        uint64_t entry = s->redir[pin];
        return (index & 1) ? (uint32_t)(entry >> 32) : (uint32_t)entry;
    }
    return 0;
}

static void ioapic_write_redir(IOAPICState *s, uint8_t index, uint32_t val)
{
    int pin = (index - IOAPIC_REG_REDTBL) / 2;
    uint64_t old = s->redir[pin];
    uint64_t entry;
    if (index & 1) {
        entry = (old & 0xffffffffull) | ((uint64_t)val << 32);
    } else {
        entry = (old & ~0xffffffffull) | val;
    }
    entry = (entry & IOAPIC_RTE_WRITABLE) |
            (old & (IOAPIC_RTE_REMOTE_IRR | IOAPIC_RTE_DELIVERY_STATUS));
    if (!(entry & IOAPIC_RTE_LEVEL)) {
        /* Remote IRR only means something for level-triggered entries */
        entry &= ~IOAPIC_RTE_REMOTE_IRR;
    }
    s->redir[pin] = entry;
    /* unmasking (or a polarity/trigger change) may find a level pin asserted */
    ioapic_service_level(s, pin);
}

static void ioapic_write_reg(IOAPICState *s, uint8_t index, uint32_t val)
{
    if (index == IOAPIC_REG_ID) {
        s->apic_id = (val >> IOAPIC_ID_SHIFT) & IOAPIC_ID_MASK;
    } else if (index >= IOAPIC_REG_REDTBL && index < IOAPIC_REDTBL_END) {
        ioapic_write_redir(s, index, val);
    }
    /* VER and ARB are read-only; other indexes are reserved */
}

static uint64_t ioapic_mmio_read(void *opaque, uint64_t addr, unsigned size)
{
    IOAPICState *s = opaque;
    switch (addr) {
    case IOAPIC_IOREGSEL:
        return s->regsel;
    case IOAPIC_IOWIN:
        return ioapic_read_reg(s, s->regsel);
    default:
        return 0;
    }
}

static void ioapic_mmio_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    IOAPICState *s = opaque;
    switch (addr) {
    case IOAPIC_IOREGSEL:
        s->regsel = (uint8_t)val;
        break;
    case IOAPIC_IOWIN:
        ioapic_write_reg(s, s->regsel, (uint32_t)val);
        break;
    case IOAPIC_EOI:
        ioapic_eoi_broadcast(&s->parent_obj, (int)(val & 0xff));
        break;
    default:
        break;
    }
}

static const MemoryRegionOps ioapic_mmio_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
    .min_access = 4,
    .max_access = 4,
};

/* ---- public interface ---- */

MemoryRegion *ioapic_get_mmio(DeviceState *dev)
{
    return &IOAPIC(dev)->mmio;
}

void ioapic_set_msi_handler(DeviceState *dev,
                            void (*deliver)(void *opaque, uint64_t addr, uint32_t data),
                            void *opaque)
{
    IOAPICState *s = IOAPIC(dev);
    s->deliver = deliver;
    s->deliver_opaque = opaque;
}

IRQ *ioapic_get_input(DeviceState *dev, int pin)
{
    IOAPICState *s = IOAPIC(dev);
    if (pin < 0 || pin >= IOAPIC_NUM_PINS) {
        return NULL;
    }
    return &s->inputs[pin];
}

void ioapic_eoi_broadcast(DeviceState *dev, int vector)
{
    IOAPICState *s = IOAPIC(dev);
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t entry = s->redir[pin];
        if ((entry & IOAPIC_RTE_LEVEL) && (entry & IOAPIC_RTE_REMOTE_IRR) &&
            (int)(entry & IOAPIC_RTE_VECTOR) == vector) {
            s->redir[pin] &= ~IOAPIC_RTE_REMOTE_IRR;
            ioapic_service_level(s, pin);
        }
    }
}

/* ---- device ---- */

static void ioapic_instance_init(Object *obj)
{
    IOAPICState *s = IOAPIC(obj);
    s->inputs = irq_allocate(ioapic_input_handler, s, IOAPIC_NUM_PINS);
    memory_region_init_io(&s->mmio, &ioapic_mmio_ops, s, "ioapic", IOAPIC_MMIO_SIZE);
}

static void ioapic_instance_finalize(Object *obj)
{
    IOAPICState *s = IOAPIC(obj);
    memory_region_destroy(&s->mmio);
    free(s->inputs);
    s->inputs = NULL;
}

static void ioapic_reset(DeviceState *dev)
{
    IOAPICState *s = IOAPIC(dev);
    s->regsel = 0;
    s->apic_id = s->id & IOAPIC_ID_MASK;
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        s->redir[pin] = IOAPIC_RTE_MASKED;
    }
}

static const Property ioapic_props[] = {
    DEFINE_PROP_UINT_RANGE("id", IOAPICState, id, 8, 0, 0, 15, "I/O APIC ID after reset"),
    DEFINE_PROP_END,
};

static void ioapic_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "82093AA-style I/O APIC, 24 pins (the board maps its MMIO window)";
    dc->props = ioapic_props;
    dc->user_creatable = false;
    dc->reset = ioapic_reset;
}

static const TypeInfo ioapic_type_info = {
    .name = TYPE_IOAPIC,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(IOAPICState),
    .class_init = ioapic_class_init,
    .instance_init = ioapic_instance_init,
    .instance_finalize = ioapic_instance_finalize,
};

void ioapic_register_types(void)
{
    type_register(&ioapic_type_info);
}
