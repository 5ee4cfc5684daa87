/*
 * ACPI fixed hardware: PM1a_EVT_BLK (status and enable), PM1a_CNT_BLK (SCI_EN and the
 * sleep request) and PM_TMR_BLK (a 24-bit counter at 3.579545 MHz) at iobase, the SCI
 * on an ISA line, and optionally (property rcr) the reset control register at 0xcf9.
 * On the `pc` machine the i440FX claims 0xcf8-0xcfb as one port and the PIIX3 serves
 * 0xcf9 through it, so rcr stays off there: a byte region at 0xcf9 would split the
 * dword configuration-address port.
 *
 * The timer value is computed from CLOCK_VIRTUAL on each read. TMR_STS is set when
 * bit 23 of the counter toggles: found on reads of PM1_STS by comparing the count of
 * toggles with the last one seen, and by a Timer armed only while TMR_EN asks for
 * an interrupt. Registers may be read and written in any width; a write touches only
 * the bytes it covers.
 */
#include "hw/acpi/pm.h"
#include "system/timer.h"
#include "hw/core/isa.h"
#include "hw/i386/pc.h"
#include "system/mainloop.h"

#define ACPI_PM1_STS_BITS   (ACPI_PM1_TMR | ACPI_PM1_BM_STS | ACPI_PM1_GBL | \
                             ACPI_PM1_PWRBTN | ACPI_PM1_SLPBTN | ACPI_PM1_RTC | \
                             ACPI_PM1_WAK_STS)
#define ACPI_PM1_EN_BITS    (ACPI_PM1_TMR | ACPI_PM1_GBL | ACPI_PM1_PWRBTN | \
                             ACPI_PM1_SLPBTN | ACPI_PM1_RTC)
/* Events that raise the SCI when enabled */
#define ACPI_PM1_SCI_EVENTS ACPI_PM1_EN_BITS
/* PM1_CNT bits that hold a value (SLP_EN and GBL_RLS are write-only strobes) */
#define ACPI_PM1_CNT_STORED (ACPI_PM1_CNT_SCI_EN | ACPI_PM1_CNT_BM_RLD | \
                             ACPI_PM1_CNT_SLP_TYP)

#define ACPI_TMR_TOGGLE_SHIFT 23

typedef struct AcpiPmState {
    DeviceState parent_obj;
    /* properties */
    uint16_t iobase;
    uint8_t irq_num;
    bool map_rcr;

    MemoryRegion pm_io, rcr_io;
    IRQ *sci;
    int sci_level;

    uint16_t sts, en, cnt;
    uint64_t toggles_seen;      /* bit-23 toggles of the timer accounted in TMR_STS */
    Timer tmr_timer;
    uint8_t rcr;
} AcpiPmState;

#define ACPI_PM(o) OBJECT_CHECK(AcpiPmState, (o), TYPE_ACPI_PM)

/* ---- PM timer ---- */

/* Ticks of the 3.579545 MHz clock since virtual time 0 (not wrapped). */
static uint64_t acpi_pm_ticks(int64_t now)
{
    if (now < 0) {
        now = 0;
    }
    return (uint64_t)(now / NS_PER_SEC) * ACPI_PM_TIMER_HZ +
           (uint64_t)(now % NS_PER_SEC) * ACPI_PM_TIMER_HZ / NS_PER_SEC;
}

/* First virtual time at which the tick count reaches `ticks`. */
static int64_t acpi_pm_ticks_time(uint64_t ticks)
{
    return (int64_t)(ticks / ACPI_PM_TIMER_HZ) * NS_PER_SEC +
           (int64_t)(((ticks % ACPI_PM_TIMER_HZ) * NS_PER_SEC + ACPI_PM_TIMER_HZ - 1) /
                     ACPI_PM_TIMER_HZ);
}

static void acpi_pm_update_sci(AcpiPmState *s)
{
    int level = (s->sts & s->en & ACPI_PM1_SCI_EVENTS) != 0;
    if (level != s->sci_level) {
        s->sci_level = level;
        irq_set(s->sci, level);
    }
}

/* Fold timer toggles that happened since we last looked into TMR_STS. */
static void acpi_pm_sync_tmr(AcpiPmState *s, int64_t now)
{
    uint64_t toggles = acpi_pm_ticks(now) >> ACPI_TMR_TOGGLE_SHIFT;
    if (toggles != s->toggles_seen) {
        s->toggles_seen = toggles;
        s->sts |= ACPI_PM1_TMR;
    }
}

static void acpi_pm_arm_tmr(AcpiPmState *s)
{
    if (s->en & ACPI_PM1_TMR) {
        uint64_t next = (s->toggles_seen + 1) << ACPI_TMR_TOGGLE_SHIFT;
        timer_mod(&s->tmr_timer, acpi_pm_ticks_time(next));
    } else {
        timer_del(&s->tmr_timer);
    }
}

static void acpi_pm_tmr_cb(void *opaque)
{
    AcpiPmState *s = opaque;
    acpi_pm_sync_tmr(s, clock_get_ns(CLOCK_VIRTUAL));
    acpi_pm_update_sci(s);
    acpi_pm_arm_tmr(s);
}

/* ---- PM1 registers ---- */

static void acpi_pm_write_cnt(AcpiPmState *s, uint16_t v)
{
    s->cnt = v & ACPI_PM1_CNT_STORED;
    if (v & ACPI_PM1_CNT_SLP_EN) {
        unsigned typ = (v & ACPI_PM1_CNT_SLP_TYP) >> ACPI_PM1_CNT_SLP_TYP_SHIFT;
        if (typ == PC_ACPI_SLP_TYP_S5) {
            system_request_shutdown(SHUTDOWN_GUEST_POWEROFF, 0);
        }
        /* other sleep states are not offered by our tables: ignored */
    }
}

static uint64_t acpi_pm_read(void *opaque, uint64_t addr, unsigned size)
{
    AcpiPmState *s = opaque;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    acpi_pm_sync_tmr(s, now);
    acpi_pm_update_sci(s);

    uint32_t tmr = (uint32_t)acpi_pm_ticks(now) & ACPI_PM_TIMER_MASK;
    uint8_t image[ACPI_PM_BLOCK_SIZE] = {
        [ACPI_PM1_STS] = (uint8_t)s->sts, [ACPI_PM1_STS + 1] = (uint8_t)(s->sts >> 8),
        [ACPI_PM1_EN] = (uint8_t)s->en, [ACPI_PM1_EN + 1] = (uint8_t)(s->en >> 8),
        [ACPI_PM1_CNT] = (uint8_t)s->cnt, [ACPI_PM1_CNT + 1] = (uint8_t)(s->cnt >> 8),
        [ACPI_PM_TMR] = (uint8_t)tmr, [ACPI_PM_TMR + 1] = (uint8_t)(tmr >> 8),
        [ACPI_PM_TMR + 2] = (uint8_t)(tmr >> 16), [ACPI_PM_TMR + 3] = (uint8_t)(tmr >> 24),
    };
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint64_t off = addr + i;
        uint8_t b = off < ACPI_PM_BLOCK_SIZE ? image[off] : 0xff;
        v |= (uint64_t)b << (8 * i);
    }
    return v;
}

static void acpi_pm_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    AcpiPmState *s = opaque;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    /* gather the written bytes per 16-bit register: value and byte mask */
    uint16_t val[3] = { 0 }, mask[3] = { 0 };
    for (unsigned i = 0; i < size; i++) {
        uint64_t off = addr + i;
        if (off >= ACPI_PM1_CNT + 2) {
            continue;                       /* reserved bytes and the read-only timer */
        }
        unsigned reg = (unsigned)off / 2, shift = 8 * ((unsigned)off % 2);
        val[reg] |= (uint16_t)(((value >> (8 * i)) & 0xff) << shift);
        mask[reg] |= (uint16_t)(0xff << shift);
    }
    if (mask[0]) {
        acpi_pm_sync_tmr(s, now);           /* a toggle before the write can be cleared */
        s->sts &= ~(val[0] & mask[0] & ACPI_PM1_STS_BITS);
    }
    if (mask[1]) {
        acpi_pm_sync_tmr(s, now);
        s->en = (uint16_t)((s->en & ~mask[1]) | (val[1] & mask[1])) & ACPI_PM1_EN_BITS;
        acpi_pm_arm_tmr(s);
    }
    if (mask[2]) {
        acpi_pm_write_cnt(s, (uint16_t)((s->cnt & ~mask[2]) | (val[2] & mask[2])));
    }
    acpi_pm_update_sci(s);
}

static const MemoryRegionOps acpi_pm_ops = {
    .read = acpi_pm_read,
    .write = acpi_pm_write,
    .min_access = 1,
    .max_access = 4,
};

void acpi_pm_power_button(DeviceState *dev)
{
    AcpiPmState *s = ACPI_PM(dev);
    s->sts |= ACPI_PM1_PWRBTN;
    acpi_pm_update_sci(s);
}

/* ---- reset control register ---- */

uint8_t acpi_pm_reset_control_read(DeviceState *dev)
{
    return ACPI_PM(dev)->rcr & (ACPI_RCR_SYS_RST | ACPI_RCR_RST_CPU);
}

void acpi_pm_reset_control_write(DeviceState *dev, uint8_t value)
{
    AcpiPmState *s = ACPI_PM(dev);
    s->rcr = value & (ACPI_RCR_SYS_RST | ACPI_RCR_RST_CPU);
    if (value & ACPI_RCR_RST_CPU) {
        system_request_reset();
    }
}

static uint64_t acpi_rcr_io_read(void *opaque, uint64_t addr, unsigned size)
{
    AcpiPmState *s = opaque;
    return acpi_pm_reset_control_read(DEVICE(s));
}

static void acpi_rcr_io_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    AcpiPmState *s = opaque;
    acpi_pm_reset_control_write(DEVICE(s), (uint8_t)value);
}

static const MemoryRegionOps acpi_rcr_ops = {
    .read = acpi_rcr_io_read,
    .write = acpi_rcr_io_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- the device ---- */

static bool acpi_pm_realize(DeviceState *dev, Error **errp)
{
    AcpiPmState *s = ACPI_PM(dev);
    if (!isa_device_bus(dev, errp)) {
        return false;
    }
    if ((uint32_t)s->iobase + ACPI_PM_BLOCK_SIZE > 0x10000) {
        error_setg(errp, "device '%s': iobase 0x%x leaves no room for the block",
                   TYPE_ACPI_PM, s->iobase);
        return false;
    }
    s->sci = isa_get_irq(dev, s->irq_num);
    memory_region_init_io(&s->pm_io, &acpi_pm_ops, s, "acpi-pm", ACPI_PM_BLOCK_SIZE);
    isa_register_ioport(dev, &s->pm_io, s->iobase);
    if (s->map_rcr) {
        memory_region_init_io(&s->rcr_io, &acpi_rcr_ops, s, "reset-control", 1);
        isa_register_ioport(dev, &s->rcr_io, PC_RESET_CONTROL_PORT);
    }
    return true;
}

static void acpi_pm_reset(DeviceState *dev)
{
    AcpiPmState *s = ACPI_PM(dev);
    s->sts = 0;
    s->en = 0;
    /* no SMI_CMD on this machine: the hardware is in ACPI mode from power-on */
    s->cnt = ACPI_PM1_CNT_SCI_EN;
    s->rcr = 0;
    s->toggles_seen = acpi_pm_ticks(clock_get_ns(CLOCK_VIRTUAL)) >> ACPI_TMR_TOGGLE_SHIFT;
    timer_del(&s->tmr_timer);
    acpi_pm_update_sci(s);
}

static void acpi_pm_instance_init(Object *obj)
{
    AcpiPmState *s = ACPI_PM(obj);
    timer_init(&s->tmr_timer, CLOCK_VIRTUAL, acpi_pm_tmr_cb, s);
}

static void acpi_pm_instance_finalize(Object *obj)
{
    AcpiPmState *s = ACPI_PM(obj);
    timer_del(&s->tmr_timer);
    memory_region_destroy(&s->pm_io);
    memory_region_destroy(&s->rcr_io);
}

static const Property acpi_pm_props[] = {
    DEFINE_PROP_UINT("iobase", AcpiPmState, iobase, 16, PC_ACPI_PM_BASE,
                     "I/O base of the PM1a event block"),
    DEFINE_PROP_UINT_RANGE("irq", AcpiPmState, irq_num, 8, PC_ACPI_SCI_IRQ, 0,
                           ISA_NUM_IRQS - 1, "SCI interrupt line"),
    DEFINE_PROP_BOOL("rcr", AcpiPmState, map_rcr, false,
                     "map the reset control register at port 0xcf9 (leave off with "
                     "an i440FX, where the PIIX3 serves it)"),
    DEFINE_PROP_END,
};

static void acpi_pm_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "ACPI power management: PM1 event/control, PM timer, reset register";
    dc->props = acpi_pm_props;
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = false;
    dc->realize = acpi_pm_realize;
    dc->reset = acpi_pm_reset;
}

static const TypeInfo acpi_pm_type_info = {
    .name = TYPE_ACPI_PM,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(AcpiPmState),
    .class_init = acpi_pm_class_init,
    .instance_init = acpi_pm_instance_init,
    .instance_finalize = acpi_pm_instance_finalize,
};

void acpi_pm_register_types(void)
{
    type_register(&acpi_pm_type_info);
}
