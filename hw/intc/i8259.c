/*
 * Intel 8259A programmable interrupt controller pair of the PC: master (ports
 * 0x20-0x21) and slave (0xa0-0xa1) cascaded on master IR2, plus the PIIX ELCR
 * (0x4d0-0x4d1) choosing edge or level sensing per IRQ. One device, two chips.
 *
 * Model notes: each chip keeps the levels of its input pins; an edge-sensed pin sets
 * its IRR bit on a rising edge (kept until acknowledged), a level-sensed pin's IRR
 * bit follows the pin. The master's cascade pin follows the slave's INT output with
 * level semantics, so a slave with more requests behind the one just acknowledged
 * re-requests without needing a new edge. ICW1's LTIM bit is ignored, as on PIIX:
 * only the ELCR selects level sensing.
 */
#include "hw/intc/i8259.h"
#include "hw/core/isa.h"
#include "hw/core/memory.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT 0xa0
#define PIC_ELCR_PORT 0x4d0
#define PIC_CASCADE_PIN 2
#define PIC_SPURIOUS_PIN 7

/* ELCR bits that may be set: IRQ 0, 1, 2 (master) and 8, 13 (slave) are always edge. */
#define PIC_ELCR_MASTER_WRITABLE 0xf8
#define PIC_ELCR_SLAVE_WRITABLE 0xde

/* Command byte decoding (port A0 = 0). */
#define PIC_ICW1 0x10
#define PIC_ICW1_NEED_ICW4 0x01
#define PIC_ICW1_SINGLE 0x02
#define PIC_OCW3 0x08
#define PIC_OCW3_READ_ISR 0x01
#define PIC_OCW3_READ_REG 0x02
#define PIC_OCW3_POLL 0x04
#define PIC_OCW3_SPECIAL_MASK 0x20
#define PIC_OCW3_SET_SPECIAL_MASK 0x40
#define PIC_ICW4_AUTO_EOI 0x02
#define PIC_ICW4_SFNM 0x10

/* Which initialisation word the data port expects next (0: none, normal operation). */
enum {
    PIC_INIT_DONE = 0,
    PIC_INIT_ICW2,
    PIC_INIT_ICW3,
    PIC_INIT_ICW4,
};

typedef struct PicChip {
    bool is_master;
    uint8_t pins;            /* current input levels */
    uint8_t irr;             /* interrupt request register */
    uint8_t isr;             /* in-service register */
    uint8_t imr;             /* interrupt mask register */
    uint8_t elcr;            /* 1 = level-sensed */
    uint8_t elcr_writable;
    uint8_t vector_base;     /* ICW2, low 3 bits clear */
    uint8_t icw3;
    uint8_t highest_prio;    /* the IR level with the highest priority (rotation) */
    int init_step;
    bool need_icw4;
    bool single;
    bool auto_eoi;
    bool rotate_on_aeoi;
    bool sfnm;               /* special fully nested mode */
    bool special_mask;
    bool read_isr;           /* OCW3 register select: ISR instead of IRR */
    bool poll;               /* the next read is a poll */
} PicChip;

typedef struct I8259State {
    DeviceState parent_obj;
    PicChip chip[2];         /* [0] master, [1] slave */
    MemoryRegion master_io, slave_io, elcr_io;
    IRQ *inputs;             /* I8259_NUM_IRQS */
    IRQ *intr;
    int intr_level;
} I8259State;

#define I8259(o) OBJECT_CHECK(I8259State, (o), TYPE_I8259)

/* ---- one chip ---- */

/* Pins whose IRR bit follows the pin level. */
static uint8_t pic_level_pins(const PicChip *c)
{
    return c->elcr | (c->is_master ? (1u << PIC_CASCADE_PIN) : 0);
}

/* Priority rank (0 = highest) of the highest-priority bit set in mask; 8 if none. */
static int pic_rank_of(const PicChip *c, uint8_t mask)
{
    for (int rank = 0; rank < 8; rank++) {
        if (mask & (1u << ((c->highest_prio + rank) & 7))) {
            return rank;
        }
    }
    return 8;
}

static int pic_pin_of_rank(const PicChip *c, int rank)
{
    return (c->highest_prio + rank) & 7;
}

/* The pin this chip would present at the next INTA, or -1 (INT output low). */
static int pic_pending_pin(const PicChip *c)
{
    int req_rank = pic_rank_of(c, c->irr & ~c->imr);
    if (req_rank >= 8) {
        return -1;
    }
    uint8_t blocking = c->isr;
    if (c->special_mask) {
        /* masked in-service levels no longer hold off other levels */
        blocking &= ~c->imr;
    }
    int svc_rank = pic_rank_of(c, blocking);
    int pin = pic_pin_of_rank(c, req_rank);
    if (req_rank < svc_rank) {
        return pin;
    }
    /* fully nested for the slave: a new slave request may interrupt the slave's
     * in-service one, at the same master level */
    if (c->sfnm && c->is_master && req_rank == svc_rank && (c->icw3 & (1u << pin))) {
        return pin;
    }
    return -1;
}

static void pic_set_pin(PicChip *c, int pin, bool level)
{
    uint8_t bit = 1u << pin;
    if (pic_level_pins(c) & bit) {
        c->irr = level ? (c->irr | bit) : (c->irr & ~bit);
    } else if (level && !(c->pins & bit)) {
        c->irr |= bit;
    }
    c->pins = level ? (c->pins | bit) : (c->pins & ~bit);
}

/* The acknowledge part of an INTA cycle or a poll for `pin`. */
static void pic_accept(PicChip *c, int pin)
{
    uint8_t bit = 1u << pin;
    if (!(pic_level_pins(c) & bit)) {
        c->irr &= ~bit;
    }
    if (c->auto_eoi) {
        if (c->rotate_on_aeoi) {
            c->highest_prio = (pin + 1) & 7;
        }
    } else {
        c->isr |= bit;
    }
}

static void pic_end_of_interrupt(PicChip *c, int pin, bool rotate)
{
    c->isr &= ~(1u << pin);
    if (rotate) {
        c->highest_prio = (pin + 1) & 7;   /* the serviced level becomes the lowest */
    }
}

static void pic_nonspecific_eoi(PicChip *c, bool rotate)
{
    int rank = pic_rank_of(c, c->isr);
    if (rank < 8) {
        pic_end_of_interrupt(c, pic_pin_of_rank(c, rank), rotate);
    }
}

static void pic_icw1(PicChip *c, uint8_t val)
{
    c->init_step = PIC_INIT_ICW2;
    c->need_icw4 = val & PIC_ICW1_NEED_ICW4;
    c->single = val & PIC_ICW1_SINGLE;
    c->imr = 0;
    c->isr = 0;
    /* edge-sense latches reset: only level-sensed pins keep requesting */
    c->irr = c->pins & pic_level_pins(c);
    c->highest_prio = 0;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_on_aeoi = false;
    if (!c->need_icw4) {
        c->auto_eoi = false;
        c->sfnm = false;
    }
}

static void pic_ocw2(PicChip *c, uint8_t val)
{
    int level = val & 7;
    switch (val >> 5) {
    case 0: c->rotate_on_aeoi = false; break;           /* clear rotate in AEOI */
    case 1: pic_nonspecific_eoi(c, false); break;
    case 2: break;                                       /* no operation */
    case 3: pic_end_of_interrupt(c, level, false); break;
    case 4: c->rotate_on_aeoi = true; break;            /* set rotate in AEOI */
    case 5: pic_nonspecific_eoi(c, true); break;
    case 6: c->highest_prio = (level + 1) & 7; break;   /* set priority: level lowest */
    case 7: pic_end_of_interrupt(c, level, true); break;
    }
}

static void pic_ocw3(PicChip *c, uint8_t val)
{
    if (val & PIC_OCW3_POLL) {
        c->poll = true;
    }
    if (val & PIC_OCW3_READ_REG) {
        c->read_isr = val & PIC_OCW3_READ_ISR;
    }
    if (val & PIC_OCW3_SET_SPECIAL_MASK) {
        c->special_mask = val & PIC_OCW3_SPECIAL_MASK;
    }
}

static void pic_write_command(PicChip *c, uint8_t val)
{
    if (val & PIC_ICW1) {
        pic_icw1(c, val);
    } else if (val & PIC_OCW3) {
        pic_ocw3(c, val);
    } else {
        pic_ocw2(c, val);
    }
}

static void pic_write_data(PicChip *c, uint8_t val)
{
    switch (c->init_step) {
    case PIC_INIT_ICW2:
        c->vector_base = val & 0xf8;
        if (!c->single) {
            c->init_step = PIC_INIT_ICW3;
        } else {
            c->init_step = c->need_icw4 ? PIC_INIT_ICW4 : PIC_INIT_DONE;
        }
        break;
    case PIC_INIT_ICW3:
        c->icw3 = val;
        c->init_step = c->need_icw4 ? PIC_INIT_ICW4 : PIC_INIT_DONE;
        break;
    case PIC_INIT_ICW4:
        /* bit 0 (8086 mode) is assumed; buffered mode bits don't matter here */
        c->auto_eoi = val & PIC_ICW4_AUTO_EOI;
        c->sfnm = val & PIC_ICW4_SFNM;
        c->init_step = PIC_INIT_DONE;
        break;
    default:
        c->imr = val;   /* OCW1 */
        break;
    }
}

static void pic_write_elcr(PicChip *c, uint8_t val)
{
    uint8_t old_level = pic_level_pins(c);
    c->elcr = val & c->elcr_writable;
    uint8_t now_level = pic_level_pins(c) & ~old_level;
    c->irr = (c->irr & ~now_level) | (c->pins & now_level);
}

static void pic_chip_reset(PicChip *c, bool is_master)
{
    uint8_t pins = c->pins;   /* input lines belong to the devices driving them */
    memset(c, 0, sizeof(*c));
    c->is_master = is_master;
    c->pins = pins;
    c->elcr_writable = is_master ? PIC_ELCR_MASTER_WRITABLE : PIC_ELCR_SLAVE_WRITABLE;
    c->icw3 = is_master ? (1u << PIC_CASCADE_PIN) : PIC_CASCADE_PIN;
    c->imr = 0xff;            /* nothing reaches the CPU before the guest programs us */
    c->irr = pins & pic_level_pins(c);
}

/* ---- the pair ---- */

/* Recompute the slave's INT (the master's cascade pin) and the INTR output. */
static void i8259_update(I8259State *s)
{
    bool slave_int = pic_pending_pin(&s->chip[1]) >= 0;
    pic_set_pin(&s->chip[0], PIC_CASCADE_PIN, slave_int);
    int level = pic_pending_pin(&s->chip[0]) >= 0;
    if (level != s->intr_level) {
        s->intr_level = level;
        irq_set(s->intr, level);
    }
}

static void i8259_input_handler(void *opaque, int n, int level)
{
    I8259State *s = opaque;
    if (n < 0 || n >= I8259_NUM_IRQS || n == PIC_CASCADE_PIN) {
        return;
    }
    pic_set_pin(&s->chip[n >> 3], n & 7, level != 0);
    i8259_update(s);
}

/* A poll read: acknowledge the highest request on this chip and report it. */
static uint8_t i8259_poll(I8259State *s, PicChip *c)
{
    c->poll = false;
    int pin = pic_pending_pin(c);
    if (pin < 0) {
        return 0;
    }
    pic_accept(c, pin);
    i8259_update(s);
    return 0x80 | pin;
}

static uint64_t i8259_chip_read(I8259State *s, PicChip *c, uint64_t addr)
{
    if (c->poll) {
        return i8259_poll(s, c);
    }
    if (addr & 1) {
        return c->imr;
    }
    return c->read_isr ? c->isr : c->irr;
}

static void i8259_chip_write(I8259State *s, PicChip *c, uint64_t addr, uint8_t val)
{
    if (addr & 1) {
        pic_write_data(c, val);
    } else {
        pic_write_command(c, val);
    }
    i8259_update(s);
}

static uint64_t i8259_master_read(void *opaque, uint64_t addr, unsigned size)
{
    I8259State *s = opaque;
    return i8259_chip_read(s, &s->chip[0], addr);
}

static void i8259_master_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    I8259State *s = opaque;
    i8259_chip_write(s, &s->chip[0], addr, (uint8_t)val);
}

static uint64_t i8259_slave_read(void *opaque, uint64_t addr, unsigned size)
{
    I8259State *s = opaque;
    return i8259_chip_read(s, &s->chip[1], addr);
}

static void i8259_slave_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    I8259State *s = opaque;
    i8259_chip_write(s, &s->chip[1], addr, (uint8_t)val);
}

static uint64_t i8259_elcr_read(void *opaque, uint64_t addr, unsigned size)
{
    I8259State *s = opaque;
    return s->chip[addr & 1].elcr;
}

static void i8259_elcr_write(void *opaque, uint64_t addr, uint64_t val, unsigned size)
{
    I8259State *s = opaque;
    pic_write_elcr(&s->chip[addr & 1], (uint8_t)val);
    i8259_update(s);
}

static const MemoryRegionOps i8259_master_ops = {
    .read = i8259_master_read, .write = i8259_master_write,
    .min_access = 1, .max_access = 1,
};

static const MemoryRegionOps i8259_slave_ops = {
    .read = i8259_slave_read, .write = i8259_slave_write,
    .min_access = 1, .max_access = 1,
};

static const MemoryRegionOps i8259_elcr_ops = {
    .read = i8259_elcr_read, .write = i8259_elcr_write,
    .min_access = 1, .max_access = 1,
};

/* ---- public interface ---- */

IRQ *i8259_get_input(DeviceState *pic, int irq)
{
    I8259State *s = I8259(pic);
    if (irq < 0 || irq >= I8259_NUM_IRQS) {
        return NULL;
    }
    return &s->inputs[irq];
}

void i8259_set_intr_output(DeviceState *pic, IRQ *intr)
{
    I8259State *s = I8259(pic);
    s->intr = intr;
    irq_set(s->intr, s->intr_level);
}

int i8259_acknowledge(DeviceState *pic)
{
    I8259State *s = I8259(pic);
    PicChip *master = &s->chip[0], *slave = &s->chip[1];
    int vector;
    int pin = pic_pending_pin(master);
    if (pin < 0) {
        /* the request went away before INTA: spurious IRQ 7, nothing in service */
        vector = master->vector_base | PIC_SPURIOUS_PIN;
    } else {
        pic_accept(master, pin);
        if (pin == PIC_CASCADE_PIN) {
            int slave_pin = pic_pending_pin(slave);
            if (slave_pin < 0) {
                vector = slave->vector_base | PIC_SPURIOUS_PIN;   /* spurious IRQ 15 */
            } else {
                pic_accept(slave, slave_pin);
                vector = slave->vector_base | slave_pin;
            }
        } else {
            vector = master->vector_base | pin;
        }
    }
    i8259_update(s);
    return vector;
}

bool i8259_intr_pending(DeviceState *pic)
{
    return pic_pending_pin(&I8259(pic)->chip[0]) >= 0;
}

/* ---- device ---- */

static void i8259_instance_init(Object *obj)
{
    I8259State *s = I8259(obj);
    s->inputs = irq_allocate(i8259_input_handler, s, I8259_NUM_IRQS);
    memory_region_init_io(&s->master_io, &i8259_master_ops, s, "i8259-master", 2);
    memory_region_init_io(&s->slave_io, &i8259_slave_ops, s, "i8259-slave", 2);
    memory_region_init_io(&s->elcr_io, &i8259_elcr_ops, s, "i8259-elcr", 2);
    pic_chip_reset(&s->chip[0], true);
    pic_chip_reset(&s->chip[1], false);
}

static void i8259_instance_finalize(Object *obj)
{
    I8259State *s = I8259(obj);
    memory_region_destroy(&s->master_io);
    memory_region_destroy(&s->slave_io);
    memory_region_destroy(&s->elcr_io);
    free(s->inputs);
    s->inputs = NULL;
}

static bool i8259_realize(DeviceState *dev, Error **errp)
{
    I8259State *s = I8259(dev);
    if (!isa_device_bus(dev, errp)) {
        return false;
    }
    isa_register_ioport(dev, &s->master_io, PIC_MASTER_PORT);
    isa_register_ioport(dev, &s->slave_io, PIC_SLAVE_PORT);
    isa_register_ioport(dev, &s->elcr_io, PIC_ELCR_PORT);
    return true;
}

static void i8259_reset(DeviceState *dev)
{
    I8259State *s = I8259(dev);
    pic_chip_reset(&s->chip[0], true);
    pic_chip_reset(&s->chip[1], false);
    i8259_update(s);
}

static void i8259_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "Intel 8259A interrupt controller pair (master + slave) with ELCR";
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = false;
    dc->realize = i8259_realize;
    dc->reset = i8259_reset;
}

static const TypeInfo i8259_type_info = {
    .name = TYPE_I8259,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(I8259State),
    .class_init = i8259_class_init,
    .instance_init = i8259_instance_init,
    .instance_finalize = i8259_instance_finalize,
};

void i8259_register_types(void)
{
    type_register(&i8259_type_info);
}
