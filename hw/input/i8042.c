/*
 * The i8042 PS/2 controller, with the keyboard and the mouse that hang off it.
 *
 * Port 0x64 reads the status register and takes controller commands; port 0x60 reads
 * the one-byte output buffer and takes command arguments or bytes for the keyboard.
 * Bytes wait in three bounded queues (controller replies, keyboard, mouse) and move
 * into the output buffer one at a time as the guest reads it; IRQ 1 or IRQ 12 is
 * raised while the buffer holds a byte of that source and its interrupt is enabled.
 * With the translate bit of the command byte set, keyboard bytes are turned from
 * scancode set 2 into set 1 on their way into the buffer, as the real part does.
 */
#include "hw/input/i8042.h"
#include "hw/core/isa.h"
#include "system/mainloop.h"

#include <string.h>

#define I8042_DATA_PORT     0x60
#define I8042_CMD_PORT      0x64
#define I8042_RAM_SIZE      32      /* controller RAM; byte 0 is the command byte */
#define I8042_CTRL_QUEUE    8       /* controller replies waiting for the guest */

/* What the controller looks like after a BIOS has run: interrupts on, system flag set,
 * set-1 translation on (a directly booted kernel expects this state). */
#define I8042_DEFAULT_CMD   (I8042_CMD_KBD_INT | I8042_CMD_AUX_INT | I8042_CMD_SYS | \
                             I8042_CMD_XLATE)
#define I8042_DEFAULT_OUT   0xcf    /* not in reset, A20 on, lines idle high */

/* Keyboard and mouse replies */
#define PS2_ACK             0xfa
#define PS2_RESEND          0xfe
#define PS2_BAT_OK          0xaa
#define PS2_ECHO            0xee

typedef struct ByteQueue {
    uint8_t data[I8042_QUEUE_SIZE];
    unsigned head, count;
} ByteQueue;

typedef struct Ps2Keyboard {
    ByteQueue out;
    uint8_t pending_cmd;        /* command waiting for its argument (0: none) */
    uint8_t scancode_set;       /* 1 or 2 */
    bool scanning;
    uint8_t leds;
    uint8_t typematic;
    uint8_t last_sent;          /* for the resend command */
    bool set1_break;            /* set-1 output: a 0xf0 prefix is pending */
} Ps2Keyboard;

typedef struct Ps2Mouse {
    ByteQueue out;
    uint8_t pending_cmd;
    bool reporting;
    bool remote;
    bool wrap;
    bool scale_2to1;
    uint8_t resolution;
    uint8_t sample_rate;
    uint8_t buttons;
    uint8_t last_sent;
} Ps2Mouse;

typedef struct CtrlReply {
    uint8_t byte;
    bool aux;
} CtrlReply;

typedef struct I8042State {
    DeviceState parent_obj;
    /* properties */
    uint8_t irq_kbd_num;
    uint8_t irq_aux_num;

    MemoryRegion data_io, cmd_io;
    IRQ *irq_kbd, *irq_aux;
    int kbd_level, aux_level;

    uint8_t ram[I8042_RAM_SIZE];
    uint8_t outport;
    bool last_was_cmd;          /* status A2 */
    uint8_t pending;            /* controller command waiting for a data byte */

    uint8_t obuf;               /* the output buffer */
    bool obuf_full;
    bool obuf_aux;
    bool xlate_break;           /* translation saw a 0xf0 prefix */

    CtrlReply ctrl[I8042_CTRL_QUEUE];
    unsigned ctrl_head, ctrl_count;

    Ps2Keyboard kbd;
    Ps2Mouse mouse;

    void (*a20_fn)(void *opaque, bool enabled);
    void *a20_opaque;
} I8042State;

#define I8042(o) OBJECT_CHECK(I8042State, (o), TYPE_I8042)

/* ---- queues ---- */

static void queue_clear(ByteQueue *q)
{
    q->head = q->count = 0;
}

static unsigned queue_free(const ByteQueue *q)
{
    return I8042_QUEUE_SIZE - q->count;
}

static bool queue_push(ByteQueue *q, uint8_t b)
{
    if (q->count == I8042_QUEUE_SIZE) {
        return false;
    }
    q->data[(q->head + q->count) % I8042_QUEUE_SIZE] = b;
    q->count++;
    return true;
}

static bool queue_pop(ByteQueue *q, uint8_t *b)
{
    if (q->count == 0) {
        return false;
    }
    *b = q->data[q->head];
    q->head = (q->head + 1) % I8042_QUEUE_SIZE;
    q->count--;
    return true;
}

/* ---- scancode set 2 -> set 1 ---- */

/* Set-2 make code -> set-1 make code; 0 marks codes with no key. Bytes from 0x85 up
 * (prefixes and replies such as 0xe0, 0xfa, 0xaa) pass unchanged. */
static const uint8_t set2_to_set1[0x85] = {
    [0x00] = 0xff,  /* key error / overrun */
    [0x01] = 0x43, [0x02] = 0x41, [0x03] = 0x3f, [0x04] = 0x3d, [0x05] = 0x3b,
    [0x06] = 0x3c, [0x07] = 0x58, [0x09] = 0x44, [0x0a] = 0x42, [0x0b] = 0x40,
    [0x0c] = 0x3e, [0x0d] = 0x0f, [0x0e] = 0x29,
    [0x11] = 0x38, [0x12] = 0x2a, [0x13] = 0x70, [0x14] = 0x1d, [0x15] = 0x10,
    [0x16] = 0x02, [0x1a] = 0x2c, [0x1b] = 0x1f, [0x1c] = 0x1e, [0x1d] = 0x11,
    [0x1e] = 0x03, [0x1f] = 0x5b,
    [0x21] = 0x2e, [0x22] = 0x2d, [0x23] = 0x20, [0x24] = 0x12, [0x25] = 0x05,
    [0x26] = 0x04, [0x27] = 0x5c, [0x29] = 0x39, [0x2a] = 0x2f, [0x2b] = 0x21,
    [0x2c] = 0x14, [0x2d] = 0x13, [0x2e] = 0x06, [0x2f] = 0x5d,
    [0x31] = 0x31, [0x32] = 0x30, [0x33] = 0x23, [0x34] = 0x22, [0x35] = 0x15,
    [0x36] = 0x07, [0x3a] = 0x32, [0x3b] = 0x24, [0x3c] = 0x16, [0x3d] = 0x08,
    [0x3e] = 0x09,
    [0x41] = 0x33, [0x42] = 0x25, [0x43] = 0x17, [0x44] = 0x18, [0x45] = 0x0b,
    [0x46] = 0x0a, [0x49] = 0x34, [0x4a] = 0x35, [0x4b] = 0x26, [0x4c] = 0x27,
    [0x4d] = 0x19, [0x4e] = 0x0c,
    [0x51] = 0x73, [0x52] = 0x28, [0x54] = 0x1a, [0x55] = 0x0d, [0x58] = 0x3a,
    [0x59] = 0x36, [0x5a] = 0x1c, [0x5b] = 0x1b, [0x5d] = 0x2b,
    [0x61] = 0x56, [0x64] = 0x79, [0x66] = 0x0e, [0x67] = 0x7b, [0x69] = 0x4f,
    [0x6a] = 0x7d, [0x6b] = 0x4b, [0x6c] = 0x47,
    [0x70] = 0x52, [0x71] = 0x53, [0x72] = 0x50, [0x73] = 0x4c, [0x74] = 0x4d,
    [0x75] = 0x48, [0x76] = 0x01, [0x77] = 0x45, [0x78] = 0x57, [0x79] = 0x4e,
    [0x7a] = 0x51, [0x7b] = 0x4a, [0x7c] = 0x37, [0x7d] = 0x49, [0x7e] = 0x46,
    [0x83] = 0x41, [0x84] = 0x54,
};

/* Translate one byte; false when it produces nothing (a 0xf0 prefix or no such key).
 * *brk carries the prefix from one byte to the next. */
static bool i8042_translate(bool *brk, uint8_t in, uint8_t *out)
{
    if (in == 0xf0) {
        *brk = true;
        return false;
    }
    uint8_t v = in;
    if (in < sizeof(set2_to_set1)) {
        v = set2_to_set1[in];
        if (v == 0) {
            *brk = false;
            return false;
        }
    }
    if (*brk) {
        v |= 0x80;
        *brk = false;
    }
    *out = v;
    return true;
}

/* ---- output buffer and interrupts ---- */

static void i8042_update_irq(I8042State *s)
{
    int kbd = s->obuf_full && !s->obuf_aux && (s->ram[0] & I8042_CMD_KBD_INT);
    int aux = s->obuf_full && s->obuf_aux && (s->ram[0] & I8042_CMD_AUX_INT);
    if (kbd != s->kbd_level) {
        s->kbd_level = kbd;
        irq_set(s->irq_kbd, kbd);
    }
    if (aux != s->aux_level) {
        s->aux_level = aux;
        irq_set(s->irq_aux, aux);
    }
}

/* Move the next waiting byte into an empty output buffer. */
static void i8042_refill(I8042State *s)
{
    while (!s->obuf_full) {
        uint8_t b;
        if (s->ctrl_count) {
            CtrlReply r = s->ctrl[s->ctrl_head];
            s->ctrl_head = (s->ctrl_head + 1) % I8042_CTRL_QUEUE;
            s->ctrl_count--;
            s->obuf = r.byte;
            s->obuf_aux = r.aux;
            s->obuf_full = true;
        } else if (!(s->ram[0] & I8042_CMD_KBD_DIS) && queue_pop(&s->kbd.out, &b)) {
            if ((s->ram[0] & I8042_CMD_XLATE) && !i8042_translate(&s->xlate_break, b, &b)) {
                continue;
            }
            s->obuf = b;
            s->obuf_aux = false;
            s->obuf_full = true;
        } else if (!(s->ram[0] & I8042_CMD_AUX_DIS) && queue_pop(&s->mouse.out, &b)) {
            s->obuf = b;
            s->obuf_aux = true;
            s->obuf_full = true;
        } else {
            break;
        }
    }
    i8042_update_irq(s);
}

static void i8042_ctrl_reply(I8042State *s, uint8_t b, bool aux)
{
    if (s->ctrl_count == I8042_CTRL_QUEUE) {
        return;                     /* a guest that never reads loses replies */
    }
    s->ctrl[(s->ctrl_head + s->ctrl_count) % I8042_CTRL_QUEUE] = (CtrlReply){ b, aux };
    s->ctrl_count++;
}

/* ---- keyboard ---- */

static void kbd_send(Ps2Keyboard *k, uint8_t b)
{
    if (queue_push(&k->out, b)) {
        k->last_sent = b;
    }
}

static void kbd_defaults(Ps2Keyboard *k)
{
    k->scancode_set = 2;
    k->typematic = 0x2b;            /* 10.9 characters/s after 500 ms */
    k->leds = 0;
    k->set1_break = false;
    k->pending_cmd = 0;
}

static void kbd_argument(Ps2Keyboard *k, uint8_t cmd, uint8_t arg)
{
    switch (cmd) {
    case 0xed:                      /* set LEDs */
        k->leds = arg & 7;
        kbd_send(k, PS2_ACK);
        break;
    case 0xf3:                      /* typematic rate and delay */
        k->typematic = arg & 0x7f;
        kbd_send(k, PS2_ACK);
        break;
    case 0xf0:                      /* scancode set: 0 asks, 1 or 2 selects */
        if (arg == 0) {
            kbd_send(k, PS2_ACK);
            kbd_send(k, k->scancode_set);
        } else if (arg == 1 || arg == 2) {
            k->scancode_set = arg;
            k->set1_break = false;
            kbd_send(k, PS2_ACK);
        } else {
            kbd_send(k, PS2_RESEND);    /* set 3 is not offered */
        }
        break;
    }
}

static void kbd_write(Ps2Keyboard *k, uint8_t b)
{
    /* a keyboard drops what it had not sent yet when the host talks to it */
    queue_clear(&k->out);
    if (k->pending_cmd) {
        uint8_t cmd = k->pending_cmd;
        k->pending_cmd = 0;
        kbd_argument(k, cmd, b);
        return;
    }
    switch (b) {
    case 0xed:
    case 0xf0:
    case 0xf3:
        kbd_send(k, PS2_ACK);
        k->pending_cmd = b;
        break;
    case 0xee:
        kbd_send(k, PS2_ECHO);
        break;
    case 0xf2:                      /* identify: an MF2 keyboard */
        kbd_send(k, PS2_ACK);
        kbd_send(k, 0xab);
        kbd_send(k, 0x83);
        break;
    case 0xf4:
        k->scanning = true;
        kbd_send(k, PS2_ACK);
        break;
    case 0xf5:
        kbd_defaults(k);
        k->scanning = false;
        kbd_send(k, PS2_ACK);
        break;
    case 0xf6:
        kbd_defaults(k);
        kbd_send(k, PS2_ACK);
        break;
    case 0xf7: case 0xf8: case 0xf9: case 0xfa: case 0xfb: case 0xfc: case 0xfd:
        kbd_send(k, PS2_ACK);       /* set-3 key types: accepted, no effect */
        break;
    case 0xfe:
        kbd_send(k, k->last_sent);
        break;
    case 0xff:
        kbd_defaults(k);
        k->scanning = true;
        kbd_send(k, PS2_ACK);
        kbd_send(k, PS2_BAT_OK);
        break;
    default:
        kbd_send(k, PS2_RESEND);
        break;
    }
}

void i8042_put_keycode(DeviceState *dev, uint8_t scancode_set2_byte)
{
    I8042State *s = I8042(dev);
    Ps2Keyboard *k = &s->kbd;
    uint8_t b = scancode_set2_byte;
    if (!k->scanning) {
        return;
    }
    if (k->scancode_set == 1 && !i8042_translate(&k->set1_break, b, &b)) {
        return;
    }
    kbd_send(k, b);
    i8042_refill(s);
}

/* ---- mouse ---- */

static void mouse_send(Ps2Mouse *m, uint8_t b)
{
    if (queue_push(&m->out, b)) {
        m->last_sent = b;
    }
}

static void mouse_defaults(Ps2Mouse *m)
{
    m->sample_rate = 100;
    m->resolution = 2;              /* 4 counts/mm */
    m->scale_2to1 = false;
    m->reporting = false;
    m->remote = false;
    m->pending_cmd = 0;
}

static void mouse_send_packet(Ps2Mouse *m, int dx, int dy)
{
    uint8_t head = 0x08 | (m->buttons & 7);
    if (dx < -255 || dx > 255) {
        head |= 0x40;
        dx = dx < 0 ? -255 : 255;
    }
    if (dy < -255 || dy > 255) {
        head |= 0x80;
        dy = dy < 0 ? -255 : 255;
    }
    head |= (dx < 0 ? 0x10 : 0) | (dy < 0 ? 0x20 : 0);
    mouse_send(m, head);
    mouse_send(m, (uint8_t)dx);
    mouse_send(m, (uint8_t)dy);
}

static void mouse_write(Ps2Mouse *m, uint8_t b)
{
    if (m->wrap && b != 0xec && b != 0xff) {
        mouse_send(m, b);           /* wrap mode echoes */
        return;
    }
    queue_clear(&m->out);
    if (m->pending_cmd) {
        uint8_t cmd = m->pending_cmd;
        m->pending_cmd = 0;
        if (cmd == 0xf3) {
            m->sample_rate = b;
        } else {
            m->resolution = b & 3;
        }
        mouse_send(m, PS2_ACK);
        return;
    }
    switch (b) {
    case 0xe6:
        m->scale_2to1 = false;
        mouse_send(m, PS2_ACK);
        break;
    case 0xe7:
        m->scale_2to1 = true;
        mouse_send(m, PS2_ACK);
        break;
    case 0xe8:                      /* set resolution */
    case 0xf3:                      /* set sample rate */
        m->pending_cmd = b;
        mouse_send(m, PS2_ACK);
        break;
    case 0xe9:                      /* status request */
        mouse_send(m, PS2_ACK);
        mouse_send(m, (m->remote ? 0x40 : 0) | (m->reporting ? 0x20 : 0) |
                      (m->scale_2to1 ? 0x10 : 0) | (m->buttons & 7));
        mouse_send(m, m->resolution);
        mouse_send(m, m->sample_rate);
        break;
    case 0xea:
        m->remote = false;
        mouse_send(m, PS2_ACK);
        break;
    case 0xeb:                      /* read data */
        mouse_send(m, PS2_ACK);
        mouse_send_packet(m, 0, 0);
        break;
    case 0xec:
        m->wrap = false;
        mouse_send(m, PS2_ACK);
        break;
    case 0xee:
        m->wrap = true;
        mouse_send(m, PS2_ACK);
        break;
    case 0xf0:
        m->remote = true;
        mouse_send(m, PS2_ACK);
        break;
    case 0xf2:                      /* device id: a plain PS/2 mouse */
        mouse_send(m, PS2_ACK);
        mouse_send(m, 0x00);
        break;
    case 0xf4:
        m->reporting = true;
        mouse_send(m, PS2_ACK);
        break;
    case 0xf5:
        m->reporting = false;
        mouse_send(m, PS2_ACK);
        break;
    case 0xf6:
        mouse_defaults(m);
        mouse_send(m, PS2_ACK);
        break;
    case 0xfe:
        mouse_send(m, m->last_sent);
        break;
    case 0xff:
        mouse_defaults(m);
        m->wrap = false;
        mouse_send(m, PS2_ACK);
        mouse_send(m, PS2_BAT_OK);
        mouse_send(m, 0x00);
        break;
    default:
        mouse_send(m, PS2_RESEND);
        break;
    }
}

void i8042_put_mouse_event(DeviceState *dev, int dx, int dy, unsigned buttons)
{
    I8042State *s = I8042(dev);
    Ps2Mouse *m = &s->mouse;
    m->buttons = buttons & 7;
    if (!m->reporting || m->remote || m->wrap || queue_free(&m->out) < 3) {
        return;
    }
    mouse_send_packet(m, dx, dy);
    i8042_refill(s);
}

/* ---- controller ---- */

void i8042_set_a20_handler(DeviceState *dev, void (*fn)(void *opaque, bool enabled),
                           void *opaque)
{
    I8042State *s = I8042(dev);
    s->a20_fn = fn;
    s->a20_opaque = opaque;
}

static void i8042_write_outport(I8042State *s, uint8_t v)
{
    s->outport = v;
    if (s->a20_fn) {
        s->a20_fn(s->a20_opaque, v & I8042_OUT_A20);
    }
    if (!(v & I8042_OUT_RESET)) {
        system_request_reset();
    }
}

static uint8_t i8042_read_outport(I8042State *s)
{
    uint8_t v = s->outport & ~0x30;
    if (s->obuf_full) {
        v |= s->obuf_aux ? 0x20 : 0x10;
    }
    return v;
}

static void i8042_command(I8042State *s, uint8_t cmd)
{
    s->pending = 0;
    if (cmd >= 0x20 && cmd <= 0x3f) {           /* read controller RAM */
        i8042_ctrl_reply(s, s->ram[cmd & (I8042_RAM_SIZE - 1)], false);
        return;
    }
    if (cmd >= 0x60 && cmd <= 0x7f) {           /* write controller RAM: byte follows */
        s->pending = cmd;
        return;
    }
    if (cmd >= 0xf0) {                          /* pulse output lines low: bit 0 resets */
        if (!(cmd & 0x01)) {
            system_request_reset();
        }
        return;
    }
    switch (cmd) {
    case 0xa4:                                  /* password installed? no */
        i8042_ctrl_reply(s, 0xf1, false);
        break;
    case 0xa7:
        s->ram[0] |= I8042_CMD_AUX_DIS;
        break;
    case 0xa8:
        s->ram[0] &= ~I8042_CMD_AUX_DIS;
        break;
    case 0xa9:                                  /* aux interface test: no error */
    case 0xab:                                  /* keyboard interface test: no error */
        i8042_ctrl_reply(s, 0x00, false);
        break;
    case 0xaa:                                  /* controller self-test: passed */
        i8042_ctrl_reply(s, 0x55, false);
        break;
    case 0xad:
        s->ram[0] |= I8042_CMD_KBD_DIS;
        break;
    case 0xae:
        s->ram[0] &= ~I8042_CMD_KBD_DIS;
        break;
    case 0xc0:                                  /* input port: keyboard not locked */
        i8042_ctrl_reply(s, 0x80, false);
        break;
    case 0xd0:
        i8042_ctrl_reply(s, i8042_read_outport(s), false);
        break;
    case 0xd1:                                  /* write output port */
    case 0xd2:                                  /* write keyboard output buffer */
    case 0xd3:                                  /* write aux output buffer */
    case 0xd4:                                  /* write to the aux device */
        s->pending = cmd;
        break;
    case 0xdd:
        i8042_write_outport(s, s->outport & ~I8042_OUT_A20);
        break;
    case 0xdf:
        i8042_write_outport(s, s->outport | I8042_OUT_A20);
        break;
    case 0xe0:                                  /* test inputs */
        i8042_ctrl_reply(s, 0x00, false);
        break;
    default:
        break;                                  /* unknown commands are ignored */
    }
}

static void i8042_data_write(I8042State *s, uint8_t v)
{
    uint8_t cmd = s->pending;
    s->pending = 0;
    if (cmd >= 0x60 && cmd <= 0x7f) {
        s->ram[cmd & (I8042_RAM_SIZE - 1)] = v;
        return;
    }
    switch (cmd) {
    case 0xd1:
        i8042_write_outport(s, v);
        break;
    case 0xd2:
        i8042_ctrl_reply(s, v, false);
        break;
    case 0xd3:
        i8042_ctrl_reply(s, v, true);
        break;
    case 0xd4:
        mouse_write(&s->mouse, v);
        break;
    default:
        /* a byte for the keyboard; sending it enables the keyboard interface */
        s->ram[0] &= ~I8042_CMD_KBD_DIS;
        s->xlate_break = false;
        kbd_write(&s->kbd, v);
        break;
    }
}

static uint8_t i8042_status(I8042State *s)
{
    uint8_t st = I8042_STR_INH;
    if (s->obuf_full) {
        st |= I8042_STR_OBF | (s->obuf_aux ? I8042_STR_AUX_OBF : 0);
    }
    if (s->ram[0] & I8042_CMD_SYS) {
        st |= I8042_STR_SYS;
    }
    if (s->last_was_cmd) {
        st |= I8042_STR_A2;
    }
    return st;
}

static uint64_t i8042_data_read(void *opaque, uint64_t addr, unsigned size)
{
    I8042State *s = opaque;
    uint8_t v = s->obuf;                        /* an empty buffer reads stale data */
    if (s->obuf_full) {
        s->obuf_full = false;
        i8042_update_irq(s);
        i8042_refill(s);
    }
    return v;
}

static void i8042_data_io_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    I8042State *s = opaque;
    s->last_was_cmd = false;
    i8042_data_write(s, (uint8_t)value);
    i8042_refill(s);
}

static uint64_t i8042_cmd_read(void *opaque, uint64_t addr, unsigned size)
{
    return i8042_status(opaque);
}

static void i8042_cmd_write(void *opaque, uint64_t addr, uint64_t value, unsigned size)
{
    I8042State *s = opaque;
    s->last_was_cmd = true;
    i8042_command(s, (uint8_t)value);
    i8042_refill(s);
}

static const MemoryRegionOps i8042_data_ops = {
    .read = i8042_data_read,
    .write = i8042_data_io_write,
    .min_access = 1,
    .max_access = 1,
};

static const MemoryRegionOps i8042_cmd_ops = {
    .read = i8042_cmd_read,
    .write = i8042_cmd_write,
    .min_access = 1,
    .max_access = 1,
};

/* ---- the device ---- */

static bool i8042_realize(DeviceState *dev, Error **errp)
{
    I8042State *s = I8042(dev);
    if (!isa_device_bus(dev, errp)) {
        return false;
    }
    s->irq_kbd = isa_get_irq(dev, s->irq_kbd_num);
    s->irq_aux = isa_get_irq(dev, s->irq_aux_num);
    memory_region_init_io(&s->data_io, &i8042_data_ops, s, "i8042-data", 1);
    memory_region_init_io(&s->cmd_io, &i8042_cmd_ops, s, "i8042-cmd", 1);
    isa_register_ioport(dev, &s->data_io, I8042_DATA_PORT);
    isa_register_ioport(dev, &s->cmd_io, I8042_CMD_PORT);
    return true;
}

static void i8042_reset(DeviceState *dev)
{
    I8042State *s = I8042(dev);
    memset(s->ram, 0, sizeof(s->ram));
    s->ram[0] = I8042_DEFAULT_CMD;
    s->outport = I8042_DEFAULT_OUT;
    s->last_was_cmd = false;
    s->pending = 0;
    s->obuf = 0;
    s->obuf_full = false;
    s->obuf_aux = false;
    s->xlate_break = false;
    s->ctrl_head = s->ctrl_count = 0;

    queue_clear(&s->kbd.out);
    kbd_defaults(&s->kbd);
    s->kbd.scanning = true;
    s->kbd.last_sent = PS2_ACK;

    queue_clear(&s->mouse.out);
    mouse_defaults(&s->mouse);
    s->mouse.wrap = false;
    s->mouse.buttons = 0;
    s->mouse.last_sent = PS2_ACK;

    i8042_update_irq(s);
}

static void i8042_instance_finalize(Object *obj)
{
    I8042State *s = I8042(obj);
    memory_region_destroy(&s->data_io);
    memory_region_destroy(&s->cmd_io);
}

static const Property i8042_props[] = {
    DEFINE_PROP_UINT_RANGE("irq-kbd", I8042State, irq_kbd_num, 8, 1, 0, ISA_NUM_IRQS - 1,
                           "keyboard interrupt line"),
    DEFINE_PROP_UINT_RANGE("irq-aux", I8042State, irq_aux_num, 8, 12, 0, ISA_NUM_IRQS - 1,
                           "mouse interrupt line"),
    DEFINE_PROP_END,
};

static void i8042_class_init(ObjectClass *klass)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    dc->desc = "i8042 PS/2 keyboard and mouse controller";
    dc->props = i8042_props;
    dc->bus_type = TYPE_ISA_BUS;
    dc->user_creatable = false;
    dc->realize = i8042_realize;
    dc->reset = i8042_reset;
}

static const TypeInfo i8042_type_info = {
    .name = TYPE_I8042,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(I8042State),
    .class_init = i8042_class_init,
    .instance_finalize = i8042_instance_finalize,
};

void i8042_register_types(void)
{
    type_register(&i8042_type_info);
}
