/* Unit tests for the 16550A UART (isa-serial) and the debug console port, driven
 * through the port space with a memory-buffer chardev on the other end. */
#include "tests/unit/harness.h"
#include "hw/char/serial.h"
#include "system/chardev.h"
#include "system/timer.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define COM1 0x3f8
#define RBR (COM1 + 0)
#define THR (COM1 + 0)
#define DLL (COM1 + 0)
#define IER (COM1 + 1)
#define DLM (COM1 + 1)
#define IIR (COM1 + 2)
#define FCR (COM1 + 2)
#define LCR (COM1 + 3)
#define MCR (COM1 + 4)
#define LSR (COM1 + 5)
#define MSR (COM1 + 6)
#define SCR (COM1 + 7)

#define COM1_IRQ 4

static TestBoard *tb;
static Chardev *buf;
static DeviceState *uart;

static void setup(void)
{
    tb = tb_new();
    serial_register_types();
    debugcon_register_types();
    buf = chardev_new_buffer(NULL);
    uart = tb_add_isa(tb, TYPE_ISA_SERIAL, NULL);
    serial_set_chardev(uart, buf);
    tb_outb(tb, LCR, 0x03);              /* 8N1, as every driver sets it */
}

static void teardown(void)
{
    tb_free(tb);                         /* devices first: they hold the chardev */
    chardev_free(buf);
}

/* One 8N1 frame at divisor 12 (9600 baud) is 10 bits: 1.0417 ms. */
static const int64_t char_ns_9600 = 10 * NS_PER_SEC * 12 / 115200;

static void inject(const char *s)
{
    chardev_inject_input(buf, (const uint8_t *)s, strlen(s));
}

static int irq(void)
{
    return tb->irq_level[COM1_IRQ];
}

START_TEST(test_divisor_latch_round_trip)
{
    tb_outb(tb, LCR, 0x83);
    ck_assert_uint_eq(tb_inb(tb, LCR), 0x83);
    tb_outb(tb, DLL, 0x34);
    tb_outb(tb, DLM, 0x12);
    ck_assert_uint_eq(tb_inb(tb, DLL), 0x34);
    ck_assert_uint_eq(tb_inb(tb, DLM), 0x12);
    /* with DLAB clear the same ports are RBR/THR and IER */
    tb_outb(tb, LCR, 0x03);
    ck_assert_uint_eq(tb_inb(tb, LCR), 0x03);
    tb_outb(tb, IER, 0xff);
    ck_assert_uint_eq(tb_inb(tb, IER), 0x0f);
    size_t len;
    chardev_buffer_contents(buf, &len);
    ck_assert_uint_eq(len, 0);           /* the DLL writes were not transmitted */
    tb_outb(tb, LCR, 0x83);
    ck_assert_uint_eq(tb_inb(tb, DLL), 0x34);
    ck_assert_uint_eq(tb_inb(tb, DLM), 0x12);
}
END_TEST

START_TEST(test_reset_state)
{
    tb_outb(tb, IER, 0x0f);
    tb_outb(tb, MCR, 0x1f);
    tb_outb(tb, SCR, 0x55);
    device_reset(uart);
    ck_assert_uint_eq(tb_inb(tb, IER), 0);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x01);
    ck_assert_uint_eq(tb_inb(tb, LCR), 0);
    ck_assert_uint_eq(tb_inb(tb, MCR), 0);
    ck_assert_uint_eq(tb_inb(tb, LSR), 0x60);
    ck_assert_uint_eq(tb_inb(tb, MSR) & 0x0f, 0);
    ck_assert_int_eq(irq(), 0);
}
END_TEST

START_TEST(test_transmit_reaches_chardev)
{
    const char *msg = "Hello\r\n";
    for (const char *p = msg; *p; p++) {
        ck_assert_uint_eq(tb_inb(tb, LSR) & 0x60, 0x60);    /* a polling driver's loop */
        tb_outb(tb, THR, (uint8_t)*p);
    }
    size_t len;
    const char *out = chardev_buffer_contents(buf, &len);
    ck_assert_uint_eq(len, strlen(msg));
    ck_assert_mem_eq(out, msg, len);
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x60, 0x60);
}
END_TEST

START_TEST(test_receive_from_chardev)
{
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0);
    inject("A");
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0x01);
    ck_assert_uint_eq(tb_inb(tb, RBR), 'A');
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0);
    /* 16450 mode holds one byte: the second waits in the chardev, not lost */
    inject("BC");
    ck_assert_uint_eq(tb_inb(tb, RBR), 'B');
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x03, 0x01);
    ck_assert_uint_eq(tb_inb(tb, RBR), 'C');
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x03, 0);
}
END_TEST

START_TEST(test_rx_interrupt_16450_mode)
{
    tb_outb(tb, MCR, 0x08);
    tb_outb(tb, IER, 0x01);
    ck_assert_int_eq(irq(), 0);
    inject("x");
    ck_assert_int_eq(irq(), 1);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x04);
    ck_assert_uint_eq(tb_inb(tb, RBR), 'x');
    ck_assert_int_eq(irq(), 0);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x01);
}
END_TEST

START_TEST(test_fifo_trigger_level)
{
    tb_outb(tb, FCR, 0x47);              /* enable, clear both, trigger 4 */
    tb_outb(tb, MCR, 0x08);
    tb_outb(tb, IER, 0x01);
    inject("abc");
    ck_assert_int_eq(irq(), 0);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc1);
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0x01);
    inject("d");
    ck_assert_int_eq(irq(), 1);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc4);
    ck_assert_uint_eq(tb_inb(tb, RBR), 'a');     /* 3 left: below the trigger */
    ck_assert_int_eq(irq(), 0);
    ck_assert_uint_eq(tb_inb(tb, RBR), 'b');
    ck_assert_uint_eq(tb_inb(tb, RBR), 'c');
    ck_assert_uint_eq(tb_inb(tb, RBR), 'd');
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0);

    /* trigger 14 */
    tb_outb(tb, FCR, 0xc1);
    inject("0123456789abc");
    ck_assert_int_eq(irq(), 0);
    inject("d");
    ck_assert_int_eq(irq(), 1);
}
END_TEST

START_TEST(test_fifo_holds_sixteen_and_flow_controls)
{
    tb_outb(tb, FCR, 0x01);
    const char *msg = "ABCDEFGHIJKLMNOPQRSTUVWX";    /* 24 bytes: more than the FIFO */
    inject(msg);
    for (size_t i = 0; i < strlen(msg); i++) {
        uint8_t lsr = tb_inb(tb, LSR);
        ck_assert_uint_eq(lsr & 0x03, 0x01);          /* data, never an overrun */
        ck_assert_uint_eq(tb_inb(tb, RBR), (uint8_t)msg[i]);
    }
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x03, 0);
}
END_TEST

START_TEST(test_character_timeout)
{
    tb_outb(tb, FCR, 0x41);              /* trigger 4 */
    tb_outb(tb, MCR, 0x08);
    tb_outb(tb, IER, 0x01);
    inject("hi");
    ck_assert_int_eq(irq(), 0);
    tb_clock_step(3 * char_ns_9600);
    ck_assert_int_eq(irq(), 0);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc1);
    tb_clock_step(char_ns_9600 + 1000);
    ck_assert_int_eq(irq(), 1);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xcc);
    /* reading a byte clears the timeout and restarts the count */
    ck_assert_uint_eq(tb_inb(tb, RBR), 'h');
    ck_assert_int_eq(irq(), 0);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc1);
    tb_clock_step(4 * char_ns_9600 + 1000);
    ck_assert_int_eq(irq(), 1);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xcc);
    ck_assert_uint_eq(tb_inb(tb, RBR), 'i');
    ck_assert_int_eq(irq(), 0);
    /* an empty FIFO never times out */
    tb_clock_step(100 * char_ns_9600);
    ck_assert_int_eq(irq(), 0);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc1);
}
END_TEST

START_TEST(test_timeout_follows_baud_rate)
{
    tb_outb(tb, LCR, 0x83);
    tb_outb(tb, DLL, 1);                 /* 115200 baud: 86.8 us a frame */
    tb_outb(tb, DLM, 0);
    tb_outb(tb, LCR, 0x03);
    tb_outb(tb, FCR, 0xc1);
    tb_outb(tb, MCR, 0x08);
    tb_outb(tb, IER, 0x01);
    inject("z");
    int64_t frame = 10 * NS_PER_SEC / 115200;
    tb_clock_step(3 * frame);
    ck_assert_int_eq(irq(), 0);
    tb_clock_step(frame + 1000);
    ck_assert_int_eq(irq(), 1);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xcc);
}
END_TEST

START_TEST(test_thre_interrupt)
{
    tb_outb(tb, MCR, 0x08);
    ck_assert_int_eq(irq(), 0);
    tb_outb(tb, IER, 0x02);              /* enabling it while empty interrupts */
    ck_assert_int_eq(irq(), 1);
    ck_assert_int_eq(tb->irq_raises[COM1_IRQ], 1);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x02);
    /* reading IIR with THRE as the source acknowledged it */
    ck_assert_int_eq(irq(), 0);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x01);
    /* a write empties again at once: a new interrupt */
    tb_outb(tb, THR, 'q');
    ck_assert_int_eq(irq(), 1);
    ck_assert_int_eq(tb->irq_raises[COM1_IRQ], 2);
    /* writing THR while the interrupt is pending clears and re-raises it */
    tb_outb(tb, THR, 'r');
    ck_assert_int_eq(tb->irq_raises[COM1_IRQ], 3);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x02);
    /* Linux's test: disable, re-enable while idle -> asserted again */
    tb_outb(tb, IER, 0x00);
    ck_assert_int_eq(irq(), 0);
    tb_outb(tb, IER, 0x02);
    ck_assert_int_eq(irq(), 1);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x02);
    size_t len;
    const char *out = chardev_buffer_contents(buf, &len);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(out, "qr", 2);
}
END_TEST

START_TEST(test_irq_gated_by_out2)
{
    tb_outb(tb, IER, 0x02);
    ck_assert_int_eq(irq(), 0);          /* pending, but OUT2 closes the gate */
    ck_assert_int_eq(tb->irq_raises[COM1_IRQ], 0);
    tb_outb(tb, MCR, 0x08);
    ck_assert_int_eq(irq(), 1);
    tb_outb(tb, MCR, 0x03);              /* DTR|RTS without OUT2 */
    ck_assert_int_eq(irq(), 0);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x02);    /* the UART still reports it */
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x01);
    tb_outb(tb, MCR, 0x0b);
    ck_assert_int_eq(irq(), 0);          /* acknowledged meanwhile */
}
END_TEST

START_TEST(test_loopback_echo_and_msr)
{
    tb_outb(tb, MCR, 0x10);
    tb_outb(tb, THR, 'Z');
    size_t len;
    chardev_buffer_contents(buf, &len);
    ck_assert_uint_eq(len, 0);           /* nothing leaves the chip */
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0x01);
    ck_assert_uint_eq(tb_inb(tb, RBR), 'Z');
    /* the receiver sees the configured word length only */
    tb_outb(tb, LCR, 0x02);              /* 7 bits */
    tb_outb(tb, THR, 0xff);
    ck_assert_uint_eq(tb_inb(tb, RBR), 0x7f);
    tb_outb(tb, LCR, 0x03);

    /* MCR outputs map onto the MSR inputs */
    static const struct { uint8_t mcr, msr; } map[] = {
        { 0x02, 0x10 },   /* RTS -> CTS */
        { 0x01, 0x20 },   /* DTR -> DSR */
        { 0x04, 0x40 },   /* OUT1 -> RI */
        { 0x08, 0x80 },   /* OUT2 -> DCD */
        { 0x0a, 0x90 },   /* what Linux's autoconfig checks */
        { 0x0f, 0xf0 },
        { 0x00, 0x00 },
    };
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
        tb_outb(tb, MCR, 0x10 | map[i].mcr);
        ck_assert_uint_eq(tb_inb(tb, MSR) & 0xf0, map[i].msr);
    }
    /* deltas: CTS changes, RI only on its trailing edge; cleared by reading */
    tb_outb(tb, MCR, 0x10);
    tb_inb(tb, MSR);
    tb_outb(tb, MCR, 0x16);              /* RTS and OUT1 on */
    ck_assert_uint_eq(tb_inb(tb, MSR), 0x50 | 0x01);
    ck_assert_uint_eq(tb_inb(tb, MSR), 0x50);
    tb_outb(tb, MCR, 0x10);              /* both off: CTS delta and trailing RI edge */
    ck_assert_uint_eq(tb_inb(tb, MSR), 0x01 | 0x04);
    /* leaving loopback: the cable's CTS/DSR/DCD come back */
    tb_outb(tb, MCR, 0x00);
    ck_assert_uint_eq(tb_inb(tb, MSR), 0xb0 | 0x01 | 0x02 | 0x08);
}
END_TEST

START_TEST(test_loopback_disconnects_line_input)
{
    tb_outb(tb, MCR, 0x10);
    inject("q");
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0);
    tb_outb(tb, MCR, 0x00);
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0x01);    /* delivered once reconnected */
    ck_assert_uint_eq(tb_inb(tb, RBR), 'q');
}
END_TEST

START_TEST(test_modem_status_interrupt)
{
    tb_outb(tb, IER, 0x08);
    tb_outb(tb, MCR, 0x10);              /* cable inputs drop: deltas */
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x00);
    ck_assert_int_eq(irq(), 0);          /* loopback: the OUT2 pin is inactive */
    tb_inb(tb, MSR);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x01);
    tb_outb(tb, MCR, 0x08);              /* back to the cable, OUT2 on: DCTS... */
    ck_assert_int_eq(irq(), 1);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x00);
    tb_inb(tb, MSR);
    ck_assert_int_eq(irq(), 0);
}
END_TEST

START_TEST(test_overrun_fifo_mode)
{
    tb_outb(tb, FCR, 0x01);
    tb_outb(tb, MCR, 0x10);
    for (int i = 0; i < 16; i++) {
        tb_outb(tb, THR, (uint8_t)('a' + i));
    }
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x03, 0x01);
    tb_outb(tb, THR, '!');               /* the 17th: lost, overrun */
    uint8_t lsr = tb_inb(tb, LSR);
    ck_assert_uint_eq(lsr & 0x03, 0x03);
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x02, 0);   /* OE clears on read */
    for (int i = 0; i < 16; i++) {
        ck_assert_uint_eq(tb_inb(tb, RBR), (uint8_t)('a' + i));
    }
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0);
}
END_TEST

START_TEST(test_overrun_16450_mode)
{
    tb_outb(tb, MCR, 0x10);
    tb_outb(tb, THR, '1');
    tb_outb(tb, THR, '2');
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x03, 0x03);
    ck_assert_uint_eq(tb_inb(tb, RBR), '2');        /* the newer byte overwrote */
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x03, 0);
}
END_TEST

START_TEST(test_iir_fifo_bits_and_fcr)
{
    ck_assert_uint_eq(tb_inb(tb, IIR) & 0xc0, 0);
    tb_outb(tb, FCR, 0x01);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc1);
    /* clear RX FIFO */
    tb_outb(tb, MCR, 0x10);
    tb_outb(tb, THR, 'a');
    tb_outb(tb, THR, 'b');
    tb_outb(tb, FCR, 0x03);
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc1);
    /* trigger bits are ignored unless the enable bit is written too */
    tb_outb(tb, FCR, 0x00);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x01);
    tb_outb(tb, FCR, 0xc0);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0x01);
    /* turning FIFOs off empties them */
    tb_outb(tb, FCR, 0x01);
    tb_outb(tb, THR, 'c');
    tb_outb(tb, FCR, 0x00);
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x01, 0);
}
END_TEST

START_TEST(test_scratch_register)
{
    for (unsigned v = 0; v < 256; v += 0x33) {
        tb_outb(tb, SCR, (uint8_t)v);
        ck_assert_uint_eq(tb_inb(tb, SCR), v);
    }
    size_t len;
    chardev_buffer_contents(buf, &len);
    ck_assert_uint_eq(len, 0);
}
END_TEST

START_TEST(test_priority_line_status_beats_data)
{
    tb_outb(tb, FCR, 0x01);              /* trigger 1 */
    tb_outb(tb, IER, 0x07);              /* RLS, THRE, RDA */
    tb_outb(tb, MCR, 0x10);
    for (int i = 0; i < 17; i++) {
        tb_outb(tb, THR, 'x');
    }
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc6);       /* line status first */
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc6);       /* still, until LSR is read */
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x02, 0x02);
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc4);       /* then the data */
    for (int i = 0; i < 16; i++) {
        tb_inb(tb, RBR);
    }
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc2);       /* then THRE */
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc1);
}
END_TEST

START_TEST(test_break_in_loopback)
{
    tb_outb(tb, FCR, 0x01);
    tb_outb(tb, IER, 0x04);
    tb_outb(tb, MCR, 0x10);
    tb_outb(tb, THR, 'a');
    tb_outb(tb, LCR, 0x43);              /* set break: one zero byte with BI arrives */
    tb_outb(tb, LCR, 0x03);
    uint8_t lsr = tb_inb(tb, LSR);
    ck_assert_uint_eq(lsr & 0x80, 0x80);            /* an error somewhere in the FIFO */
    ck_assert_uint_eq(lsr & 0x10, 0);               /* but not in the byte on top */
    ck_assert_uint_eq(tb_inb(tb, RBR), 'a');
    ck_assert_uint_eq(tb_inb(tb, IIR), 0xc6);       /* BI reached the top */
    lsr = tb_inb(tb, LSR);
    ck_assert_uint_eq(lsr & 0x91, 0x91);
    ck_assert_uint_eq(tb_inb(tb, RBR), 0x00);
    /* bit 7 stays until an LSR read finds no more errors in the FIFO */
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x91, 0x80);
    ck_assert_uint_eq(tb_inb(tb, LSR) & 0x91, 0);
}
END_TEST

START_TEST(test_index_picks_com_resources)
{
    Chardev *b2 = chardev_new_buffer("com2-out");
    tb_add_isa(tb, TYPE_ISA_SERIAL, "index=1,chardev=com2-out");
    tb_outb(tb, 0x2f8 + 3, 0x03);
    tb_outb(tb, 0x2f8, 'K');
    size_t len;
    const char *out = chardev_buffer_contents(b2, &len);
    ck_assert_uint_eq(len, 1);
    ck_assert_int_eq(out[0], 'K');
    chardev_buffer_contents(buf, &len);
    ck_assert_uint_eq(len, 0);           /* COM1 saw nothing */
    tb_outb(tb, 0x2f8 + 4, 0x08);
    tb_outb(tb, 0x2f8 + 1, 0x02);
    ck_assert_int_eq(tb->irq_level[3], 1);
    ck_assert_int_eq(irq(), 0);
    tb_free(tb);
    tb = NULL;
    chardev_free(b2);
    tb = tb_new();                       /* teardown frees this one */
    uart = NULL;
}
END_TEST

START_TEST(test_explicit_resources_and_bad_chardev)
{
    Chardev *b2 = chardev_new_buffer("c2");
    tb_add_isa(tb, TYPE_ISA_SERIAL, "iobase=0x3e8,irq=5,chardev=c2");
    tb_outb(tb, 0x3e8 + 4, 0x08);
    tb_outb(tb, 0x3e8 + 1, 0x02);
    ck_assert_int_eq(tb->irq_level[5], 1);
    tb_outb(tb, 0x3e8, '5');
    size_t len;
    chardev_buffer_contents(b2, &len);
    ck_assert_uint_eq(len, 1);

    /* a missing chardev and a chardev already driven by a frontend are errors */
    Error *err = NULL;
    DeviceState *d = device_new_from_options("isa-serial,iobase=0x2e8,chardev=nope", &err);
    ck_assert_ptr_nonnull(d);
    ck_assert(!device_realize(d, BUS(tb->isa), &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err->msg, "nope"));
    error_free(err);
    err = NULL;
    object_add_child(tb->root, "bad0", OBJECT(d));   /* the board frees it */
    object_unref(OBJECT(d));
    d = device_new_from_options("isa-serial,iobase=0x2e8,chardev=c2", &err);
    ck_assert(!device_realize(d, BUS(tb->isa), &err));
    ck_assert_ptr_nonnull(strstr(err->msg, "already in use"));
    error_free(err);
    object_add_child(tb->root, "bad1", OBJECT(d));
    object_unref(OBJECT(d));
    /* out-of-range properties are refused by the parser */
    err = NULL;
    ck_assert_ptr_null(device_new_from_options("isa-serial,index=4", &err));
    error_free(err);
    err = NULL;
    ck_assert_ptr_null(device_new_from_options("isa-serial,irq=16", &err));
    error_free(err);
    tb_free(tb);
    chardev_free(b2);
    tb = tb_new();
}
END_TEST

START_TEST(test_chardev_swap_and_detach)
{
    Chardev *other = chardev_new_buffer(NULL);
    serial_set_chardev(uart, other);
    tb_outb(tb, THR, 'o');
    size_t len;
    chardev_buffer_contents(buf, &len);
    ck_assert_uint_eq(len, 0);
    chardev_buffer_contents(other, &len);
    ck_assert_uint_eq(len, 1);
    ck_assert(chardev_has_frontend(other));
    ck_assert(!chardev_has_frontend(buf));
    serial_set_chardev(uart, NULL);
    ck_assert(!chardev_has_frontend(other));
    tb_outb(tb, THR, 'p');                /* nowhere to go: dropped quietly */
    chardev_buffer_contents(other, &len);
    ck_assert_uint_eq(len, 1);
    chardev_free(other);
}
END_TEST

START_TEST(test_wide_access_is_split)
{
    tb_outb(tb, LCR, 0x83);
    tb_outw(tb, DLL, 0x0102);            /* DLL and DLM in one 16-bit write */
    ck_assert_uint_eq(tb_inb(tb, DLL), 0x02);
    ck_assert_uint_eq(tb_inb(tb, DLM), 0x01);
    ck_assert_uint_eq(tb_inw(tb, DLL), 0x0102);
}
END_TEST

START_TEST(test_debugcon)
{
    Chardev *dbg = chardev_new_buffer("dbg");
    DeviceState *d = tb_add_isa(tb, TYPE_ISA_DEBUGCON, "chardev=dbg");
    (void)d;
    ck_assert_uint_eq(tb_inb(tb, 0xe9), 0xe9);
    const char *msg = "SeaBIOS\n";
    for (const char *p = msg; *p; p++) {
        tb_outb(tb, 0xe9, (uint8_t)*p);
    }
    size_t len;
    const char *out = chardev_buffer_contents(dbg, &len);
    ck_assert_uint_eq(len, strlen(msg));
    ck_assert_mem_eq(out, msg, len);
    ck_assert_uint_eq(tb_inb(tb, 0xe8), 0xff);      /* only the one port */

    /* another port, another readback, attached by the board */
    Chardev *dbg2 = chardev_new_buffer(NULL);
    DeviceState *d2 = tb_add_isa(tb, TYPE_ISA_DEBUGCON, "iobase=0x402,readback=0x42");
    debugcon_set_chardev(d2, dbg2);
    ck_assert_uint_eq(tb_inb(tb, 0x402), 0x42);
    tb_outb(tb, 0x402, 'X');
    out = chardev_buffer_contents(dbg2, &len);
    ck_assert_uint_eq(len, 1);
    ck_assert_int_eq(out[0], 'X');
    chardev_buffer_contents(dbg, &len);
    ck_assert_uint_eq(len, strlen(msg));

    /* a debugcon can share the serial port's chardev (output only) */
    DeviceState *d3 = tb_add_isa(tb, TYPE_ISA_DEBUGCON, "iobase=0x403");
    debugcon_set_chardev(d3, buf);
    tb_outb(tb, 0x403, 'd');
    tb_outb(tb, THR, 's');
    out = chardev_buffer_contents(buf, &len);
    ck_assert_uint_eq(len, 2);
    ck_assert_mem_eq(out, "ds", 2);
    tb_free(tb);
    chardev_free(dbg);
    chardev_free(dbg2);
    tb = tb_new();
}
END_TEST

static Suite *serial_suite(void)
{
    Suite *s = suite_create("serial");
    TCase *tc = tcase_create("16550a");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_divisor_latch_round_trip);
    tcase_add_test(tc, test_reset_state);
    tcase_add_test(tc, test_transmit_reaches_chardev);
    tcase_add_test(tc, test_receive_from_chardev);
    tcase_add_test(tc, test_rx_interrupt_16450_mode);
    tcase_add_test(tc, test_fifo_trigger_level);
    tcase_add_test(tc, test_fifo_holds_sixteen_and_flow_controls);
    tcase_add_test(tc, test_character_timeout);
    tcase_add_test(tc, test_timeout_follows_baud_rate);
    tcase_add_test(tc, test_thre_interrupt);
    tcase_add_test(tc, test_irq_gated_by_out2);
    tcase_add_test(tc, test_loopback_echo_and_msr);
    tcase_add_test(tc, test_loopback_disconnects_line_input);
    tcase_add_test(tc, test_modem_status_interrupt);
    tcase_add_test(tc, test_overrun_fifo_mode);
    tcase_add_test(tc, test_overrun_16450_mode);
    tcase_add_test(tc, test_iir_fifo_bits_and_fcr);
    tcase_add_test(tc, test_scratch_register);
    tcase_add_test(tc, test_priority_line_status_beats_data);
    tcase_add_test(tc, test_break_in_loopback);
    tcase_add_test(tc, test_index_picks_com_resources);
    tcase_add_test(tc, test_explicit_resources_and_bad_chardev);
    tcase_add_test(tc, test_chardev_swap_and_detach);
    tcase_add_test(tc, test_wide_access_is_split);
    suite_add_tcase(s, tc);

    TCase *dc = tcase_create("debugcon");
    tcase_add_checked_fixture(dc, setup, teardown);
    tcase_add_test(dc, test_debugcon);
    suite_add_tcase(s, dc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(serial_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
