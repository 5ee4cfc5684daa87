/*
 * Intel 8254 programmable interval timer: three 16-bit down counters clocked at
 * 1.193182 MHz (ports iobase..iobase+3, OUT0 on an ISA IRQ), and the PC's port 0x61
 * (channel 2 gate, speaker data enable, refresh toggle, OUT2).
 *
 * Nothing ticks: each channel remembers when its current cycle started and derives
 * the counter value and OUT from the virtual time elapsed since then. Channel 0 keeps
 * one timer armed for the next rising edge of OUT and pulses the IRQ line there, so
 * an edge is never lost even when the timer runs late (late edges are coalesced).
 * Periodic modes compute every edge from the cycle start, so they do not drift.
 *
 * Simplifications: a count takes effect when written (not one clock later); a new
 * count written in mode 3 takes effect at the end of the current full period (the
 * datasheet says half period); IRQ0 edges closer than 10 us are coalesced.
 */
#include "hw/timer/i8254.h"
#include "hw/core/irq.h"
#include "hw/core/isa.h"
#include "hw/core/memory.h"
#include "system/timer.h"

#include <stdint.h>
#include <string.h>

#define PIT_CHANNELS 3
#define PIT_CONTROL_OFFSET 3
#define PIT_MIN_IRQ_INTERVAL_NS 10000

/* Control word fields. */
#define PIT_CW_SELECT_SHIFT 6
#define PIT_CW_SELECT_READBACK 3
#define PIT_CW_ACCESS_SHIFT 4
#define PIT_CW_MODE_SHIFT 1
#define PIT_CW_BCD 0x01
/* Read-back command: bits are active low for "latch count" / "latch status". */
#define PIT_RB_NO_COUNT 0x20
#define PIT_RB_NO_STATUS 0x10
/* Status byte. */
#define PIT_STATUS_OUT 0x80
#define PIT_STATUS_NULL_COUNT 0x40

enum {
    PIT_ACCESS_LATCH = 0,
    PIT_ACCESS_LSB = 1,
    PIT_ACCESS_MSB = 2,
    PIT_ACCESS_WORD = 3,   /* LSB then MSB */
};

typedef struct PitChannel {
    /* programming */
    uint8_t mode;           /* 0-5 */
    uint8_t mode_bits;      /* M2..M0 as written (6 and 7 alias 2 and 3) */
    uint8_t access;
    bool bcd;
    uint32_t programmed;    /* last count written, in clocks: 1..65536 (BCD 1..10000) */
    bool null_count;        /* written but not yet in the counting element */
    /* counting */
    bool loaded;            /* a count has been written since the control word */
    bool triggered;         /* modes 1 and 5: a gate rising edge started the cycle */
    uint32_t count;         /* initial count of the running cycle */
    int64_t load_time;      /* virtual ns at which the running cycle started */
    bool gate;
    int64_t gate_low_time;  /* when the gate fell (modes 0, 2, 3, 4 pause) */
    uint16_t frozen;        /* counter value as read while not counting */
    bool reload_pending;    /* modes 2 and 3: count written mid-cycle */
    uint32_t reload_count;
    int64_t reload_at;
    int64_t rise_seen;      /* latest OUT rising edge already signalled (channel 0) */
    /* CPU interface */
    bool write_msb_next;
    uint8_t write_lsb;
    bool read_msb_next;
    bool count_latched;
    uint16_t latched_count;
    bool status_latched;
    uint8_t latched_status;
} PitChannel;

typedef struct I8254State {
    DeviceState parent_obj;
    uint16_t iobase;        /* property */
    uint32_t irq;           /* property */
    MemoryRegion io, speaker_io;
    PitChannel ch[PIT_CHANNELS];
    uint8_t port61;         /* bits 0-3 as written */
    bool refresh_toggle;
    IRQ *irq_out;
    int irq_level;
    Timer timer;
} I8254State;

#define I8254(o) OBJECT_CHECK(I8254State, (o), TYPE_I8254)

/* ---- time ---- */

/* Whole input clocks in the interval [from, to). */
static int64_t pit_ticks_between(int64_t from, int64_t to)
{
    if (to <= from) {
        return 0;
    }
    uint64_t delta = (uint64_t)(to - from);
    return (int64_t)((delta / NS_PER_SEC) * I8254_FREQ_HZ +
                     (delta % NS_PER_SEC) * I8254_FREQ_HZ / NS_PER_SEC);
}

/* The first ns offset at which `ticks` clocks have elapsed (inverse of the above). */
static int64_t pit_ticks_to_ns(int64_t ticks)
{
    return (ticks / I8254_FREQ_HZ) * NS_PER_SEC +
           ((ticks % I8254_FREQ_HZ) * NS_PER_SEC + I8254_FREQ_HZ - 1) / I8254_FREQ_HZ;
}

/* ---- one channel ---- */

static uint32_t pit_modulus(const PitChannel *c)
{
    return c->bcd ? 10000 : 65536;
}

static uint32_t pit_decode_count(const PitChannel *c, uint16_t raw)
{
    uint32_t n = raw;
    if (c->bcd) {
        n = ((raw >> 12) & 0xf) * 1000 + ((raw >> 8) & 0xf) * 100 +
            ((raw >> 4) & 0xf) * 10 + (raw & 0xf);
        n %= 10000;   /* invalid digits still give an in-range count */
    }
    return n ? n : pit_modulus(c);
}

static uint16_t pit_encode_value(const PitChannel *c, uint32_t v)
{
    v %= pit_modulus(c);
    if (!c->bcd) {
        return (uint16_t)v;
    }
    return (uint16_t)(((v / 1000) << 12) | ((v / 100 % 10) << 8) | ((v / 10 % 10) << 4) |
                      (v % 10));
}

/* Is a cycle running (counting element loaded and, for 1 and 5, triggered)? */
static bool pit_counting(const PitChannel *c)
{
    if (!c->loaded) {
        return false;
    }
    return c->triggered || (c->mode != 1 && c->mode != 5);
}

/* Does a low gate hold the counter still? (Modes 1 and 5 only use gate edges.) */
static bool pit_paused(const PitChannel *c)
{
    return !c->gate && c->mode != 1 && c->mode != 5;
}

static int64_t pit_elapsed(const PitChannel *c, int64_t now)
{
    return pit_ticks_between(c->load_time, pit_paused(c) ? c->gate_low_time : now);
}

/* Apply a mid-cycle count change of modes 2/3 once its cycle boundary has passed. */
static void pit_sync(PitChannel *c, int64_t now)
{
    if (c->reload_pending && now >= c->reload_at) {
        c->count = c->reload_count;
        c->load_time = c->reload_at;
        c->reload_pending = false;
        c->null_count = false;
    }
}

/* Start a cycle of n clocks now. */
static void pit_start(PitChannel *c, uint32_t n, int64_t now)
{
    c->loaded = true;
    c->triggered = true;
    c->count = n;
    c->load_time = now;
    c->gate_low_time = now;
    c->reload_pending = false;
    c->null_count = false;
    c->rise_seen = now;     /* starting is not an edge: modes 2/3 are already high */
}

static uint16_t pit_counter_value(const PitChannel *c, int64_t now)
{
    if (!pit_counting(c)) {
        return c->frozen;
    }
    int64_t d = pit_elapsed(c, now);
    uint32_t n = c->count, m = pit_modulus(c);
    uint32_t v;
    switch (c->mode) {
    case 2:
        v = n - (uint32_t)(d % n);
        break;
    case 3: {
        /* counts down by two, once through each half of the period */
        uint32_t k = (uint32_t)(d % n), high = (n + 1) / 2;
        uint32_t step = k < high ? k : k - high;
        v = (n & 1) ? (n - 1) - 2 * step : n - 2 * step;
        break;
    }
    default:
        /* one-shot modes keep counting down (and wrap) after terminal count */
        v = (uint32_t)(((uint64_t)n + m - (uint64_t)(d % m)) % m);
        break;
    }
    return pit_encode_value(c, v);
}

static bool pit_out(const PitChannel *c, int64_t now)
{
    if (!c->loaded) {
        return c->mode != 0;    /* a control word sets OUT low in mode 0, else high */
    }
    if (!pit_counting(c)) {
        return true;            /* modes 1, 5 awaiting a trigger */
    }
    if ((c->mode == 2 || c->mode == 3) && !c->gate) {
        return true;
    }
    int64_t d = pit_elapsed(c, now);
    int64_t n = c->count;
    switch (c->mode) {
    case 0:
    case 1:
        return d >= n;
    case 2:
        return n < 2 || d % n != n - 1;   /* low for the clock before each reload */
    case 3:
        return n < 2 || d % n < (n + 1) / 2;
    default:
        return d != n;                    /* modes 4, 5: one-clock strobe */
    }
}

/* Clock (since load_time) of the latest OUT rising edge at or before clock d, or -1. */
static int64_t pit_rise_at_or_before(const PitChannel *c, int64_t d)
{
    int64_t n = c->count;
    switch (c->mode) {
    case 0:
    case 1:
        return d >= n ? n : -1;
    case 2:
    case 3:
        return n < 2 ? -1 : (d / n) * n;
    default:
        return d >= n + 1 ? n + 1 : -1;
    }
}

/* Clock of the first OUT rising edge after clock d, or -1 if none will come. */
static int64_t pit_rise_after(const PitChannel *c, int64_t d)
{
    int64_t n = c->count;
    switch (c->mode) {
    case 0:
    case 1:
        return d < n ? n : -1;
    case 2:
    case 3:
        return n < 2 ? -1 : (d / n + 1) * n;
    default:
        return d < n + 1 ? n + 1 : -1;
    }
}

static uint8_t pit_status(const PitChannel *c, int64_t now)
{
    return (pit_out(c, now) ? PIT_STATUS_OUT : 0) | (c->null_count ? PIT_STATUS_NULL_COUNT : 0) |
           (uint8_t)(c->access << PIT_CW_ACCESS_SHIFT) |
           (uint8_t)(c->mode_bits << PIT_CW_MODE_SHIFT) | (c->bcd ? PIT_CW_BCD : 0);
}

static void pit_latch_count(PitChannel *c, int64_t now)
{
    if (!c->count_latched) {    /* a second latch before the read is ignored */
        c->latched_count = pit_counter_value(c, now);
        c->count_latched = true;
    }
}

static void pit_latch_status(PitChannel *c, int64_t now)
{
    if (!c->status_latched) {
        c->latched_status = pit_status(c, now);
        c->status_latched = true;
    }
}

static void pit_set_gate(PitChannel *c, bool gate, int64_t now)
{
    pit_sync(c, now);
    if (gate == c->gate) {
        return;
    }
    if (!gate) {
        c->gate_low_time = now;
        c->reload_pending = false;  /* modes 2/3 reload from `programmed` on the rise */
        c->gate = false;
        return;
    }
    c->gate = true;
    if (!c->loaded) {
        return;
    }
    if (c->mode == 0 || c->mode == 4) {
        c->load_time += now - c->gate_low_time;   /* resume where it paused */
    } else {
        pit_start(c, c->programmed, now);         /* 1, 5: trigger; 2, 3: reload */
    }
}

static void pit_write_count(PitChannel *c, uint16_t raw, int64_t now)
{
    uint32_t n = pit_decode_count(c, raw);
    c->programmed = n;
    c->null_count = true;
    switch (c->mode) {
    case 0:
    case 4:
        pit_start(c, n, now);
        break;
    case 1:
    case 5:
        if (!c->loaded) {
            c->loaded = true;       /* the count waits for a gate trigger */
            c->triggered = false;
        }
        break;
    default:
        if (!c->loaded || !c->gate) {
            pit_start(c, n, now);
        } else if (c->reload_pending) {
            c->reload_count = n;
        } else {
            int64_t end = (pit_elapsed(c, now) / c->count + 1) * c->count;
            c->reload_pending = true;
            c->reload_count = n;
            c->reload_at = c->load_time + pit_ticks_to_ns(end);
        }
        break;
    }
}

static void pit_write_data(PitChannel *c, uint8_t val, int64_t now)
{
    switch (c->access) {
    case PIT_ACCESS_LSB:
        pit_write_count(c, val, now);
        break;
    case PIT_ACCESS_MSB:
        pit_write_count(c, (uint16_t)(val << 8), now);
        break;
    default:
        if (!c->write_msb_next) {
            c->write_lsb = val;
            c->write_msb_next = true;
            if (c->mode == 0) {
                /* the first byte stops the count and drops OUT */
                c->frozen = pit_counter_value(c, now);
                c->loaded = false;
                c->reload_pending = false;
            }
        } else {
            c->write_msb_next = false;
            pit_write_count(c, (uint16_t)(c->write_lsb | (val << 8)), now);
        }
        break;
    }
}

static uint8_t pit_read_data(PitChannel *c, int64_t now)
{
    if (c->status_latched) {
        c->status_latched = false;
        return c->latched_status;
    }
    uint16_t v = c->count_latched ? c->latched_count : pit_counter_value(c, now);
    uint8_t byte;
    switch (c->access) {
    case PIT_ACCESS_LSB:
        byte = v & 0xff;
        c->count_latched = false;
        break;
    case PIT_ACCESS_MSB:
        byte = v >> 8;
        c->count_latched = false;
        break;
    default:
        if (!c->read_msb_next) {
            byte = v & 0xff;
            c->read_msb_next = true;
        } else {
            byte = v >> 8;
            c->read_msb_next = false;
            c->count_latched = false;
        }
        break;
    }
    return byte;
}

static void pit_write_control(I8254State *s, uint8_t val, int64_t now)
{
    int select = val >> PIT_CW_SELECT_SHIFT;
    if (select == PIT_CW_SELECT_READBACK) {
        for (int i = 0; i < PIT_CHANNELS; i++) {
            if (!(val & (2 << i))) {
                continue;
            }
            PitChannel *c = &s->ch[i];
            pit_sync(c, now);
            if (!(val & PIT_RB_NO_COUNT)) {
                pit_latch_count(c, now);
            }
            if (!(val & PIT_RB_NO_STATUS)) {
                pit_latch_status(c, now);
            }
        }
        return;
    }
    PitChannel *c = &s->ch[select];
    pit_sync(c, now);
    int access = (val >> PIT_CW_ACCESS_SHIFT) & 3;
    if (access == PIT_ACCESS_LATCH) {
        pit_latch_count(c, now);
        return;
    }
    c->frozen = pit_counter_value(c, now);
    c->mode_bits = (val >> PIT_CW_MODE_SHIFT) & 7;
    c->mode = c->mode_bits > 5 ? c->mode_bits - 4 : c->mode_bits;
    c->access = (uint8_t)access;
    c->bcd = val & PIT_CW_BCD;
    c->loaded = false;
    c->triggered = false;
    c->reload_pending = false;
    c->null_count = true;
    c->write_msb_next = false;
    c->read_msb_next = false;
    c->count_latched = false;
    c->status_latched = false;
}

/* ---- channel 0 and IRQ ---- */

static void pit_set_irq(I8254State *s, int level)
{
    if (level != s->irq_level) {
        s->irq_level = level;
        irq_set(s->irq_out, level);
    }
}

/* Signal any OUT0 rising edge not yet seen, follow OUT0, arm for the next edge. */
static void pit_update_irq(I8254State *s, int64_t now)
{
    PitChannel *c = &s->ch[0];
    int64_t next = -1;
    pit_sync(c, now);
    if (pit_counting(c) && !pit_paused(c)) {
        int64_t d = pit_elapsed(c, now);
        int64_t rise = pit_rise_at_or_before(c, d);
        if (rise >= 0) {
            int64_t when = c->load_time + pit_ticks_to_ns(rise);
            if (when > c->rise_seen) {
                c->rise_seen = when;
                pit_set_irq(s, 0);
                pit_set_irq(s, 1);
            }
        }
        int64_t tick = pit_rise_after(c, d);
        if (tick >= 0) {
            next = c->load_time + pit_ticks_to_ns(tick);
        }
    }
    pit_set_irq(s, pit_out(c, now));
    if (next >= 0) {
        int64_t earliest = now + PIT_MIN_IRQ_INTERVAL_NS;
        timer_mod(&s->timer, next > earliest ? next : earliest);
    } else {
        timer_del(&s->timer);
    }
}

static void pit_timer_cb(void *opaque)
{
    I8254State *s = opaque;
    pit_update_irq(s, clock_get_ns(CLOCK_VIRTUAL));
}

/* ---- I/O ---- */

static uint64_t pit_io_read(void *opaque, uint64_t addr, unsigned size)
{
    I8254State *s = opaque;
    if (addr >= PIT_CHANNELS) {
        return 0xff;    /* the control word register is write-only */
    }
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    PitChannel *c = &s->ch[addr];
    pit_sync(c, now);
    return pit_read_data(c, now);
}

static void pit_io_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    I8254State *s = opaque;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    if (addr == PIT_CONTROL_OFFSET) {
        pit_write_control(s, (uint8_t)val, now);
    } else if (addr < PIT_CHANNELS) {
        PitChannel *c = &s->ch[addr];
        pit_sync(c, now);
        pit_write_data(c, (uint8_t)val, now);
    }
    pit_update_irq(s, now);
}

static uint64_t pit_speaker_read(void *opaque, uint64_t addr, unsigned size)
{
    I8254State *s = opaque;
    int64_t now = clock_get_ns(CLOCK_VIRTUAL);
    PitChannel *c = &s->ch[2];
    pit_sync(c, now);
    s->refresh_toggle = !s->refresh_toggle;
    return (s->port61 & 0x0f) | (s->refresh_toggle ? I8254_PORT61_REFRESH : 0) |
           (pit_out(c, now) ? I8254_PORT61_OUT2 : 0);
}

static void pit_speaker_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    I8254State *s = opaque;
    s->port61 = val & 0x0f;
    pit_set_gate(&s->ch[2], val & I8254_PORT61_GATE2, clock_get_ns(CLOCK_VIRTUAL));
}

static const MemoryRegionOps pit_io_ops = {
    .read = pit_io_read, .write = pit_io_write,
    .min_access = 1, .max_access = 1,
};

static const MemoryRegionOps pit_speaker_ops = {
    .read = pit_speaker_read, .write = pit_speaker_write,
    .min_access = 1, .max_access = 1,
};

/* ---- device ---- */

static void i8254_instance_init(Object *obj)
{
    I8254State *s = I8254(obj);
    memory_region_init_io(&s->io, &pit_io_ops, s, "i8254", 4);
    memory_region_init_io(&s->speaker_io, &pit_speaker_ops, s, "i8254-port61", 1);
    timer_init(&s->timer, CLOCK_VIRTUAL, pit_timer_cb, s);
}

static void i8254_instance_finalize(Object *obj)
{
    I8254State *s = I8254(obj);
    timer_del(&s->timer);
    memory_region_destroy(&s->io);
    memory_region_destroy(&s->speaker_io);
}

static bool i8254_realize(DeviceState *dev, Error **errp)
{
    I8254State *s = I8254(dev);
    if (!isa_device_bus(dev, errp)) {
        return false;
    }
    s->irq_out = isa_get_irq(dev, s->irq);
    isa_register_ioport(dev, &s->io, s->iobase);
    isa_register_ioport(dev, &s->speaker_io, I8254_SPEAKER_PORT);
    return true;
}

static void i8254_reset(DeviceState *dev)
{
    I8254State *s = I8254(dev);
    for (int i = 0; i < PIT_CHANNELS; i++) {
        PitChannel *c = &s->ch[i];
        memset(c, 0, sizeof(*c));
        /* as after a mode 0, LSB-then-MSB control word: OUT low, no count */
        c->access = PIT_ACCESS_WORD;
        c->programmed = pit_modulus(c);
        c->null_count = true;
        c->gate = i != 2;   /* channel 2's gate comes from port 0x61 */
    }
    s->port61 = 0;
    s->refresh_toggle = false;
    timer_del(&s->timer);
    s->irq_level = 0;
    irq_lower(s->irq_out);
}

static const Property i8254_props[] = {
    DEFINE_PROP_UINT_RANGE("iobase", I8254State, iobase, 16, 0x40, 0, 0xfffc,
                           "first of the four I/O ports"),
    DEFINE_PROP_UINT_RANGE("irq", I8254State, irq, 32, 0, 0, ISA_NUM_IRQS - 1,
                           "IRQ driven by channel 0's OUT"),
    DEFINE_PROP_END,
};

static void i8254_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "Intel 8254 programmable interval timer with port 0x61";
    dc->props = i8254_props;
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = false;
    dc->realize = i8254_realize;
    dc->reset = i8254_reset;
}

static const TypeInfo i8254_type_info = {
    .name = TYPE_I8254,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(I8254State),
    .class_init = i8254_class_init,
    .instance_init = i8254_instance_init,
    .instance_finalize = i8254_instance_finalize,
};

void i8254_register_types(void)
{
    type_register(&i8254_type_info);
}
