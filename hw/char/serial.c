/*
 * The 16550A UART ("isa-serial"), as on the PC's COM ports: 16-byte receive FIFO with
 * trigger levels and the character timeout, line and modem status, loopback, and the
 * four prioritised interrupt sources. Transmitted bytes leave at once, so THRE/TEMT
 * are set again as soon as a byte is written. On a PC the interrupt line is driven
 * only while MCR.OUT2 is set (and not in loopback, where the OUT2 pin is inactive).
 */
#include "hw/char/serial.h"
#include "hw/core/isa.h"
#include "system/timer.h"

#include <stddef.h>
#include <string.h>

/* Register offsets from iobase. */
enum {
    UART_RBR_THR = 0,      /* DLL when LCR.DLAB */
    UART_IER = 1,          /* DLM when LCR.DLAB */
    UART_IIR_FCR = 2,
    UART_LCR = 3,
    UART_MCR = 4,
    UART_LSR = 5,
    UART_MSR = 6,
    UART_SCR = 7,
};

#define IER_RDA 0x01       /* received data available (and the FIFO timeout) */
#define IER_THRE 0x02      /* transmitter holding register empty */
#define IER_RLS 0x04       /* receiver line status */
#define IER_MSI 0x08       /* modem status */
#define IER_MASK 0x0f

#define IIR_NONE 0x01      /* no interrupt pending */
#define IIR_MSI 0x00
#define IIR_THRE 0x02
#define IIR_RDA 0x04
#define IIR_RLS 0x06
#define IIR_TIMEOUT 0x0c
#define IIR_FIFOS_ON 0xc0

#define FCR_ENABLE 0x01
#define FCR_CLEAR_RX 0x02
#define FCR_CLEAR_TX 0x04
#define FCR_DMA_MODE 0x08
#define FCR_TRIGGER 0xc0

#define LCR_WORD_LEN 0x03
#define LCR_STOP_BITS 0x04
#define LCR_PARITY 0x08
#define LCR_BREAK 0x40
#define LCR_DLAB 0x80

#define MCR_DTR 0x01
#define MCR_RTS 0x02
#define MCR_OUT1 0x04
#define MCR_OUT2 0x08
#define MCR_LOOP 0x10
#define MCR_MASK 0x1f

#define LSR_DR 0x01
#define LSR_OE 0x02
#define LSR_PE 0x04
#define LSR_FE 0x08
#define LSR_BI 0x10
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define LSR_FIFO_ERROR 0x80
#define LSR_CHAR_ERRORS (LSR_PE | LSR_FE | LSR_BI)   /* belong to one received byte */
#define LSR_ERRORS (LSR_OE | LSR_CHAR_ERRORS)

#define MSR_DCTS 0x01
#define MSR_DDSR 0x02
#define MSR_TERI 0x04
#define MSR_DDCD 0x08
#define MSR_DELTAS 0x0f
#define MSR_CTS 0x10
#define MSR_DSR 0x20
#define MSR_RI 0x40
#define MSR_DCD 0x80

#define SERIAL_FIFO_SIZE 16
#define SERIAL_BAUD_BASE 115200          /* 1.8432 MHz crystal / 16 */
#define SERIAL_RESET_DIVISOR 12          /* 9600 baud */
#define SERIAL_TIMEOUT_CHARS 4

/* With nothing but a null-modem "cable" attached, the far end looks present and ready. */
#define SERIAL_CABLE_INPUTS (MSR_CTS | MSR_DSR | MSR_DCD)

const uint16_t serial_default_iobase[SERIAL_MAX_INDEX] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8 };
const uint8_t serial_default_irq[SERIAL_MAX_INDEX] = { 4, 3, 4, 3 };

typedef struct SerialState {
    DeviceState parent_obj;

    /* properties */
    uint32_t iobase;
    uint32_t irq;
    uint32_t index;
    char *chardev_id;

    MemoryRegion io;
    IRQ *irq_line;
    Chardev *chr;
    Timer timeout_timer;
    bool irq_out;                /* level currently driven on irq_line */

    uint16_t divisor;
    uint8_t ier, lcr, mcr, scr, fcr;
    uint8_t lsr;                 /* DR, THRE, TEMT and the latched error bits */
    bool fifo_error;             /* LSR bit 7 latch */
    uint8_t msr;
    uint8_t rbr;                 /* last byte read, returned again when empty */
    bool thr_ipending;           /* THRE interrupt latched (cleared by IIR read/THR write) */
    bool timeout_ipending;       /* character timeout occurred */

    /* receive FIFO (one entry deep in 16450 mode) with each byte's PE/FE/BI */
    uint8_t rx_data[SERIAL_FIFO_SIZE];
    uint8_t rx_flags[SERIAL_FIFO_SIZE];
    unsigned rx_head, rx_count;
} SerialState;

#define SERIAL(o) OBJECT_CHECK(SerialState, (o), TYPE_ISA_SERIAL)

static bool serial_fifos_on(const SerialState *s)
{
    return (s->fcr & FCR_ENABLE) != 0;
}

static unsigned serial_rx_capacity(const SerialState *s)
{
    return serial_fifos_on(s) ? SERIAL_FIFO_SIZE : 1;
}

static unsigned serial_rx_trigger(const SerialState *s)
{
    static const unsigned levels[4] = { 1, 4, 8, 14 };
    return levels[(s->fcr & FCR_TRIGGER) >> 6];
}

/* Duration of one character frame (start + data + parity + stop bits) at the current
 * divisor, in ns. Computed in half bits because 5-bit words may use 1.5 stop bits. */
static int64_t serial_char_time_ns(const SerialState *s)
{
    unsigned data_bits = 5 + (s->lcr & LCR_WORD_LEN);
    unsigned half_bits = 2 * (1 + data_bits + ((s->lcr & LCR_PARITY) ? 1 : 0));
    if (!(s->lcr & LCR_STOP_BITS)) {
        half_bits += 2;
    } else {
        half_bits += data_bits == 5 ? 3 : 4;
    }
    uint32_t divisor = s->divisor ? s->divisor : 1;    /* 0 is undefined: run fastest */
    return (int64_t)half_bits * NS_PER_SEC * divisor / (2 * SERIAL_BAUD_BASE);
}

/* The highest-priority pending and enabled source, as IIR bits 0-3 report it. */
static uint8_t serial_irq_source(const SerialState *s)
{
    if ((s->ier & IER_RLS) && (s->lsr & LSR_ERRORS)) {
        return IIR_RLS;
    }
    if (s->ier & IER_RDA) {
        bool triggered = serial_fifos_on(s) ? s->rx_count >= serial_rx_trigger(s)
                                            : s->rx_count > 0;
        if (triggered) {
            return IIR_RDA;
        }
        if (s->timeout_ipending) {
            return IIR_TIMEOUT;
        }
    }
    if ((s->ier & IER_THRE) && s->thr_ipending) {
        return IIR_THRE;
    }
    if ((s->ier & IER_MSI) && (s->msr & MSR_DELTAS)) {
        return IIR_MSI;
    }
    return IIR_NONE;
}

static void serial_update_irq(SerialState *s)
{
    bool gate_open = (s->mcr & MCR_OUT2) && !(s->mcr & MCR_LOOP);
    bool level = gate_open && serial_irq_source(s) != IIR_NONE;
    /* Drive the line only on a change: a port that never interrupts leaves a shared
     * ISA line (COM1/COM3) alone, like the PC's tristate driver. */
    if (level != s->irq_out) {
        s->irq_out = level;
        irq_set(s->irq_line, level);
    }
}

/* (Re)start the character timeout: data sits in the FIFO and nothing moves. */
static void serial_restart_timeout(SerialState *s)
{
    if (serial_fifos_on(s) && s->rx_count > 0) {
        int64_t wait = SERIAL_TIMEOUT_CHARS * serial_char_time_ns(s);
        timer_mod(&s->timeout_timer, clock_get_ns(CLOCK_VIRTUAL) + wait);
    } else {
        timer_del(&s->timeout_timer);
    }
}

static void serial_timeout_expired(void *opaque)
{
    SerialState *s = opaque;
    if (serial_fifos_on(s) && s->rx_count > 0) {
        s->timeout_ipending = true;
        serial_update_irq(s);
    }
}

static void serial_rx_clear(SerialState *s)
{
    s->rx_head = 0;
    s->rx_count = 0;
    s->lsr &= (uint8_t)~LSR_DR;
    s->timeout_ipending = false;
    timer_del(&s->timeout_timer);
}

/* A byte finished arriving in the receive shift register. */
static void serial_rx_push(SerialState *s, uint8_t byte, uint8_t flags)
{
    flags &= LSR_CHAR_ERRORS;
    if (s->rx_count >= serial_rx_capacity(s)) {
        s->lsr |= LSR_OE;
        if (!serial_fifos_on(s)) {
            /* 16450 mode: the new byte overwrites the unread one */
            s->rx_data[s->rx_head] = byte;
            s->rx_flags[s->rx_head] = flags;
            s->lsr |= flags;
        }
        /* FIFO mode: the byte in the shift register is lost */
    } else {
        unsigned slot = (s->rx_head + s->rx_count) % SERIAL_FIFO_SIZE;
        s->rx_data[slot] = byte;
        s->rx_flags[slot] = flags;
        s->rx_count++;
        if (s->rx_count == 1) {
            s->lsr |= flags;         /* errors show when the byte reaches the top */
        }
        if (flags && serial_fifos_on(s)) {
            s->fifo_error = true;
        }
        if (!s->timeout_ipending) {
            serial_restart_timeout(s);
        }
    }
    s->lsr |= LSR_DR;
    serial_update_irq(s);
}

static uint8_t serial_rx_pop(SerialState *s)
{
    if (s->rx_count == 0) {
        return s->rbr;
    }
    s->rbr = s->rx_data[s->rx_head];
    s->rx_head = (s->rx_head + 1) % SERIAL_FIFO_SIZE;
    s->rx_count--;
    s->timeout_ipending = false;
    if (s->rx_count == 0) {
        s->rx_head = 0;
        s->lsr &= (uint8_t)~LSR_DR;
    } else {
        s->lsr |= s->rx_flags[s->rx_head];
    }
    serial_restart_timeout(s);
    serial_update_irq(s);
    chardev_accept_input(s->chr);       /* room again: let waiting input in */
    return s->rbr;
}

static bool serial_fifo_has_errors(const SerialState *s)
{
    for (unsigned i = 0; i < s->rx_count; i++) {
        if (s->rx_flags[(s->rx_head + i) % SERIAL_FIFO_SIZE]) {
            return true;
        }
    }
    return false;
}

static uint8_t serial_read_lsr(SerialState *s)
{
    uint8_t v = s->lsr;
    if (serial_fifos_on(s) && s->fifo_error) {
        v |= LSR_FIFO_ERROR;
    }
    s->lsr &= (uint8_t)~LSR_ERRORS;
    s->fifo_error = serial_fifos_on(s) && serial_fifo_has_errors(s);
    serial_update_irq(s);
    return v;
}

/* The levels of CTS/DSR/RI/DCD: the MCR outputs in loopback, else the cable. */
static uint8_t serial_modem_inputs(const SerialState *s)
{
    if (!(s->mcr & MCR_LOOP)) {
        return SERIAL_CABLE_INPUTS;
    }
    static const struct { uint8_t mcr, msr; } loop_map[] = {
        { MCR_RTS, MSR_CTS },
        { MCR_DTR, MSR_DSR },
        { MCR_OUT1, MSR_RI },
        { MCR_OUT2, MSR_DCD },
    };
    uint8_t v = 0;
    for (size_t i = 0; i < sizeof(loop_map) / sizeof(loop_map[0]); i++) {
        if (s->mcr & loop_map[i].mcr) {
            v |= loop_map[i].msr;
        }
    }
    return v;
}

/* Latch delta bits for the inputs that changed (RI: only its trailing edge). */
static void serial_update_msr(SerialState *s)
{
    uint8_t old = s->msr & 0xf0;
    uint8_t now = serial_modem_inputs(s);
    uint8_t changed = old ^ now;
    uint8_t deltas = s->msr & MSR_DELTAS;
    if (changed & MSR_CTS) {
        deltas |= MSR_DCTS;
    }
    if (changed & MSR_DSR) {
        deltas |= MSR_DDSR;
    }
    if ((old & MSR_RI) && !(now & MSR_RI)) {
        deltas |= MSR_TERI;
    }
    if (changed & MSR_DCD) {
        deltas |= MSR_DDCD;
    }
    s->msr = now | deltas;
}

static void serial_transmit(SerialState *s, uint8_t byte)
{
    s->thr_ipending = false;
    s->lsr &= (uint8_t)~(LSR_THRE | LSR_TEMT);
    serial_update_irq(s);
    if (s->mcr & MCR_LOOP) {
        /* the receiver sees only the configured word length */
        uint8_t mask = (uint8_t)((1u << (5 + (s->lcr & LCR_WORD_LEN))) - 1);
        serial_rx_push(s, byte & mask, 0);
    } else if (s->chr) {
        chardev_write(s->chr, &byte, 1);
    }
    /* the byte is on its way: holding register and shift register are empty again */
    s->lsr |= LSR_THRE | LSR_TEMT;
    if (s->ier & IER_THRE) {
        s->thr_ipending = true;
    }
    serial_update_irq(s);
}

static void serial_write_ier(SerialState *s, uint8_t v)
{
    uint8_t old = s->ier;
    s->ier = v & IER_MASK;
    if ((s->ier & IER_THRE) && !(old & IER_THRE) && (s->lsr & LSR_THRE)) {
        s->thr_ipending = true;          /* enabling it while empty interrupts at once */
    } else if (!(s->ier & IER_THRE)) {
        s->thr_ipending = false;
    }
    serial_update_irq(s);
}

static void serial_write_fcr(SerialState *s, uint8_t v)
{
    bool was_on = serial_fifos_on(s);
    bool on = (v & FCR_ENABLE) != 0;
    if (was_on != on) {
        serial_rx_clear(s);              /* switching modes empties both FIFOs */
        s->fifo_error = false;
    }
    if (on) {
        /* the other bits are only programmed while the enable bit is written as 1 */
        if (v & FCR_CLEAR_RX) {
            serial_rx_clear(s);
            s->fifo_error = false;
        }
        /* FCR_CLEAR_TX: the transmit FIFO is always empty, bytes leave at once */
        s->fcr = v & (FCR_ENABLE | FCR_DMA_MODE | FCR_TRIGGER);
    } else {
        s->fcr = 0;
    }
    serial_update_irq(s);
    chardev_accept_input(s->chr);
}

static void serial_write_lcr(SerialState *s, uint8_t v)
{
    uint8_t old = s->lcr;
    s->lcr = v;
    /* In loopback a break on the output reaches our own receiver as one zero byte. */
    if ((s->mcr & MCR_LOOP) && (v & LCR_BREAK) && !(old & LCR_BREAK)) {
        serial_rx_push(s, 0, LSR_BI);
    }
}

static void serial_write_mcr(SerialState *s, uint8_t v)
{
    uint8_t old = s->mcr;
    s->mcr = v & MCR_MASK;
    serial_update_msr(s);
    serial_update_irq(s);
    if ((old ^ s->mcr) & MCR_LOOP) {
        chardev_accept_input(s->chr);   /* the receiver is (re)connected to the line */
    }
}

static uint64_t serial_io_read(void *opaque, uint64_t addr, unsigned size)
{
    SerialState *s = opaque;
    switch (addr & 7) {
    case UART_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            return s->divisor & 0xff;
        }
        return serial_rx_pop(s);
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            return s->divisor >> 8;
        }
        return s->ier;
    case UART_IIR_FCR: {
        uint8_t source = serial_irq_source(s);
        if (source == IIR_THRE) {
            s->thr_ipending = false;     /* reading it as the source acknowledges it */
            serial_update_irq(s);
        }
        return source | (serial_fifos_on(s) ? IIR_FIFOS_ON : 0);
    }
    case UART_LCR:
        return s->lcr;
    case UART_MCR:
        return s->mcr;
    case UART_LSR:
        return serial_read_lsr(s);
    case UART_MSR: {
        uint8_t v = s->msr;
        s->msr &= (uint8_t)~MSR_DELTAS;
        serial_update_irq(s);
        return v;
    }
    default:
        return s->scr;
    }
}

static void serial_io_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    SerialState *s = opaque;
    uint8_t v = (uint8_t)value;
    switch (addr & 7) {
    case UART_RBR_THR:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0xff00) | v);
        } else {
            serial_transmit(s, v);
        }
        break;
    case UART_IER:
        if (s->lcr & LCR_DLAB) {
            s->divisor = (uint16_t)((s->divisor & 0x00ff) | (v << 8));
        } else {
            serial_write_ier(s, v);
        }
        break;
    case UART_IIR_FCR:
        serial_write_fcr(s, v);
        break;
    case UART_LCR:
        serial_write_lcr(s, v);
        break;
    case UART_MCR:
        serial_write_mcr(s, v);
        break;
    case UART_LSR:
    case UART_MSR:
        break;                           /* status registers: factory-test writes ignored */
    default:
        s->scr = v;
        break;
    }
}

static const MemoryRegionOps serial_io_ops = {
    .read = serial_io_read,
    .write = serial_io_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- chardev frontend ---- */

static int serial_can_receive(void *opaque)
{
    SerialState *s = opaque;
    if (s->mcr & MCR_LOOP) {
        return 0;                        /* the line input is disconnected in loopback */
    }
    return (int)(serial_rx_capacity(s) - s->rx_count);
}

static void serial_receive(void *opaque, const uint8_t *buf, size_t len)
{
    SerialState *s = opaque;
    if (s->mcr & MCR_LOOP) {
        return;
    }
    for (size_t i = 0; i < len; i++) {
        serial_rx_push(s, buf[i], 0);
    }
}

void serial_set_chardev(DeviceState *dev, Chardev *chr)
{
    SerialState *s = SERIAL(dev);
    if (s->chr == chr) {
        return;
    }
    if (s->chr && dev->realized) {
        chardev_set_handlers(s->chr, NULL, NULL, NULL);
    }
    s->chr = chr;
    if (chr && dev->realized) {
        chardev_set_handlers(chr, serial_can_receive, serial_receive, s);
    }
}

/* ---- device ---- */

static void serial_reset(DeviceState *dev)
{
    SerialState *s = SERIAL(dev);
    timer_del(&s->timeout_timer);
    s->divisor = SERIAL_RESET_DIVISOR;
    s->ier = 0;
    s->lcr = 0;
    s->mcr = 0;
    s->scr = 0;
    s->fcr = 0;
    s->lsr = LSR_THRE | LSR_TEMT;
    s->fifo_error = false;
    s->msr = SERIAL_CABLE_INPUTS;
    s->rbr = 0;
    s->thr_ipending = false;
    serial_rx_clear(s);
    memset(s->rx_data, 0, sizeof(s->rx_data));
    memset(s->rx_flags, 0, sizeof(s->rx_flags));
    serial_update_irq(s);
    chardev_accept_input(s->chr);
}

static bool serial_realize(DeviceState *dev, Error **errp)
{
    SerialState *s = SERIAL(dev);
    if (!isa_device_bus(dev, errp)) {
        return false;
    }
    if (s->index >= SERIAL_MAX_INDEX) {
        error_setg(errp, "isa-serial: index %u is out of range (0-%d)", s->index,
                   SERIAL_MAX_INDEX - 1);
        return false;
    }
    /* iobase/irq left at their defaults take the standard COMn resources of index */
    if (s->iobase == serial_default_iobase[0]) {
        s->iobase = serial_default_iobase[s->index];
    }
    if (s->irq == serial_default_irq[0]) {
        s->irq = serial_default_irq[s->index];
    }
    if (s->iobase > 0x10000 - 8) {
        error_setg(errp, "isa-serial: iobase 0x%x leaves no room for 8 ports", s->iobase);
        return false;
    }
    Chardev *chr = s->chr;
    if (s->chardev_id && *s->chardev_id) {
        chr = chardev_find(s->chardev_id);
        if (!chr) {
            error_setg(errp, "isa-serial: no chardev with id '%s' (create it with "
                       "-chardev BACKEND,id=%s)", s->chardev_id, s->chardev_id);
            return false;
        }
    }
    if (chr && chardev_has_frontend(chr)) {
        error_setg(errp, "isa-serial: chardev '%s' is already in use by another device",
                   chardev_get_id(chr) ? chardev_get_id(chr) : "?");
        return false;
    }
    s->irq_line = isa_get_irq(dev, s->irq);
    if (!s->irq_line) {
        error_setg(errp, "isa-serial: no IRQ line %u on this bus", s->irq);
        return false;
    }
    s->chr = chr;
    memory_region_init_io(&s->io, &serial_io_ops, s, "serial", 8);
    isa_register_ioport(dev, &s->io, (uint16_t)s->iobase);
    if (s->chr) {
        chardev_set_handlers(s->chr, serial_can_receive, serial_receive, s);
    }
    return true;
}

static void serial_instance_init(Object *obj)
{
    SerialState *s = SERIAL(obj);
    timer_init(&s->timeout_timer, CLOCK_VIRTUAL, serial_timeout_expired, s);
}

static void serial_instance_finalize(Object *obj)
{
    SerialState *s = SERIAL(obj);
    timer_del(&s->timeout_timer);
    if (s->chr && DEVICE(obj)->realized) {
        chardev_set_handlers(s->chr, NULL, NULL, NULL);
    }
    s->chr = NULL;
    memory_region_destroy(&s->io);
}

static const Property serial_props[] = {
    DEFINE_PROP_UINT_RANGE("iobase", SerialState, iobase, 32, 0x3f8, 0, 0xfff8,
                           "first of the 8 I/O ports"),
    DEFINE_PROP_UINT_RANGE("irq", SerialState, irq, 32, 4, 0, 15, "ISA interrupt line"),
    DEFINE_PROP_UINT_RANGE("index", SerialState, index, 32, 0, 0, SERIAL_MAX_INDEX - 1,
                           "COM port number - 1; iobase/irq left at their defaults "
                           "become 0x3f8/4, 0x2f8/3, 0x3e8/4 or 0x2e8/3"),
    DEFINE_PROP_STRING("chardev", SerialState, chardev_id, NULL,
                       "id of a -chardev to connect"),
    DEFINE_PROP_END,
};

static void serial_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "16550A UART";
    dc->props = serial_props;
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = true;
    dc->realize = serial_realize;
    dc->reset = serial_reset;
}

static const TypeInfo serial_type_info = {
    .name = TYPE_ISA_SERIAL,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(SerialState),
    .class_init = serial_class_init,
    .instance_init = serial_instance_init,
    .instance_finalize = serial_instance_finalize,
};

void serial_register_types(void)
{
    type_register(&serial_type_info);
}
