/* Unit tests for the i8254 PIT: programming through ports 0x40-0x43 and 0x61,
 * time moved by hand with tb_clock_step, IRQ 0 watched on the test ISA bus. */
#include <check.h>
#include <stdlib.h>

#include "hw/timer/i8254.h"
#include "system/timer.h"
#include "tests/unit/harness.h"

#define PIT_CH0 0x40
#define PIT_CH1 0x41
#define PIT_CH2 0x42
#define PIT_CMD 0x43
#define PORT61 0x61

#define US 1000
#define MS 1000000

static TestBoard *tb;

static void setup(void)
{
    tb = tb_new();
    i8254_register_types();
    tb_add_isa(tb, "i8254", NULL);
}

static void teardown(void)
{
    tb_free(tb);
}

/* Ticks of the 1.193182 MHz clock in ns (rounded down), for expectations. */
static int64_t ticks_in(int64_t ns)
{
    return ns * 1193182 / 1000000000;
}

static void program(int ch, int mode, uint16_t count)
{
    tb_outb(tb, PIT_CMD, (uint8_t)((ch << 6) | 0x30 | (mode << 1)));
    tb_outb(tb, PIT_CH0 + ch, count & 0xff);
    tb_outb(tb, PIT_CH0 + ch, count >> 8);
}

static uint16_t read_latched(int ch)
{
    tb_outb(tb, PIT_CMD, (uint8_t)(ch << 6));
    uint8_t lo = tb_inb(tb, PIT_CH0 + ch);
    uint8_t hi = tb_inb(tb, PIT_CH0 + ch);
    return (uint16_t)(lo | (hi << 8));
}

static uint8_t read_status(int ch)
{
    /* read-back: latch status only, of this channel */
    tb_outb(tb, PIT_CMD, (uint8_t)(0xc0 | 0x20 | (2 << ch)));
    return tb_inb(tb, PIT_CH0 + ch);
}

static void step_in(int64_t total, int64_t step)
{
    while (total > 0) {
        int64_t s = total < step ? total : step;
        tb_clock_step(s);
        total -= s;
    }
}

START_TEST(test_count_decreases_with_time)
{
    program(0, 2, 0x1000);
    ck_assert_uint_eq(read_latched(0), 0x1000);
    tb_clock_step(100 * US);
    ck_assert_uint_eq(read_latched(0), 0x1000 - ticks_in(100 * US));
    tb_clock_step(1 * MS);
    ck_assert_uint_eq(read_latched(0), 0x1000 - ticks_in(1100 * US));
    /* mode 2 wraps around to the programmed count (period 4096 ticks) */
    tb_clock_step(3 * MS);
    int64_t d = ticks_in(4100 * US) % 0x1000;
    ck_assert_uint_eq(read_latched(0), 0x1000 - d);
}
END_TEST

START_TEST(test_latch_is_stable)
{
    program(0, 0, 0xf000);
    tb_clock_step(10 * US);
    tb_outb(tb, PIT_CMD, 0x00);                 /* latch channel 0 */
    uint16_t expect = (uint16_t)(0xf000 - ticks_in(10 * US));
    tb_clock_step(500 * US);
    tb_outb(tb, PIT_CMD, 0x00);                 /* ignored: a latch is pending */
    uint8_t lo = tb_inb(tb, PIT_CH0);
    tb_clock_step(500 * US);
    uint8_t hi = tb_inb(tb, PIT_CH0);
    ck_assert_uint_eq(lo | (hi << 8), expect);
    /* after the latched value is read, reads follow the counter again */
    uint8_t live_lo = tb_inb(tb, PIT_CH0);
    uint8_t live_hi = tb_inb(tb, PIT_CH0);
    ck_assert_uint_eq(live_lo | (live_hi << 8), 0xf000 - ticks_in(1010 * US));
}
END_TEST

START_TEST(test_readback_status)
{
    tb_outb(tb, PIT_CMD, 0x34);                 /* ch0, lo/hi, mode 2, binary */
    /* OUT high, null count (no count yet), access 3, mode 2 */
    ck_assert_uint_eq(read_status(0), 0xf4);
    tb_outb(tb, PIT_CH0, 0x00);
    ck_assert_uint_eq(read_status(0), 0xf4);    /* half written: still null */
    tb_outb(tb, PIT_CH0, 0x10);
    ck_assert_uint_eq(read_status(0), 0xb4);

    tb_outb(tb, PIT_CMD, 0x71);                 /* ch1, lo/hi, mode 0, BCD */
    ck_assert_uint_eq(read_status(1), 0x71);    /* mode 0: OUT low */
    tb_outb(tb, PIT_CH1, 0x00);
    tb_outb(tb, PIT_CH1, 0x01);                 /* 100 in BCD */
    ck_assert_uint_eq(read_status(1), 0x31);
    tb_clock_step(100 * US);                     /* > 100 ticks */
    ck_assert_uint_eq(read_status(1), 0xb1);

    /* modes 6 and 7 are reported as written */
    tb_outb(tb, PIT_CMD, 0xae);                 /* ch2, msb, mode 7 (= 3) */
    ck_assert_uint_eq(read_status(2) & 0x3f, 0x2e);

    /* status and count of two channels at once: status first, then the count */
    program(0, 2, 0x2000);
    program(1, 3, 0x3000);
    tb_clock_step(10 * US);
    tb_outb(tb, PIT_CMD, 0xc6);                 /* latch count + status, ch0 and ch1 */
    tb_clock_step(200 * US);
    ck_assert_uint_eq(tb_inb(tb, PIT_CH0), 0xb4);
    uint16_t c0 = tb_inb(tb, PIT_CH0);
    c0 |= tb_inb(tb, PIT_CH0) << 8;
    ck_assert_uint_eq(c0, 0x2000 - ticks_in(10 * US));
    ck_assert_uint_eq(tb_inb(tb, PIT_CH1), 0xb6);
    uint16_t c1 = tb_inb(tb, PIT_CH1);
    c1 |= tb_inb(tb, PIT_CH1) << 8;
    ck_assert_uint_eq(c1, 0x3000 - 2 * ticks_in(10 * US));   /* mode 3 counts by two */
}
END_TEST

START_TEST(test_mode2_periodic_irq0_rate)
{
    program(0, 2, 1193);                        /* ~1000 Hz */
    int base = tb->irq_raises[0];
    step_in(1000 * MS - 1000, 37 * US);
    tb_clock_step(1000);
    /* rises at k * 1193 ticks: exactly 1000 of them in 1193182 ticks */
    ck_assert_int_eq(tb->irq_raises[0] - base, 1000);
    /* the line is high between the one-clock low pulses */
    ck_assert_int_eq(tb->irq_level[0], 1);

    /* 100 Hz (10.0001 ms) for 51 ms */
    program(0, 2, 11932);
    base = tb->irq_raises[0];
    step_in(51 * MS, 100 * US);
    ck_assert_int_eq(tb->irq_raises[0] - base, 5);
}
END_TEST

START_TEST(test_mode2_late_timer_still_raises)
{
    program(0, 2, 1193);
    int base = tb->irq_raises[0];
    tb_clock_step(10 * MS);           /* ten periods pass before the timer runs */
    ck_assert_int_ge(tb->irq_raises[0] - base, 1);
    int mid = tb->irq_raises[0];
    tb_clock_step(1 * MS);
    ck_assert_int_eq(tb->irq_raises[0] - mid, 1);
}
END_TEST

START_TEST(test_mode2_new_count_at_period_end)
{
    program(0, 2, 1000);
    tb_clock_step(300 * US);          /* 357 ticks into the first period */
    tb_outb(tb, PIT_CH0, 2000 & 0xff);
    tb_outb(tb, PIT_CH0, 2000 >> 8);
    ck_assert_uint_eq(read_status(0) & 0x40, 0x40);   /* not loaded yet */
    /* still counting the old period */
    ck_assert_uint_eq(read_latched(0), 1000 - ticks_in(300 * US));
    int base = tb->irq_raises[0];
    step_in(600 * US, 10 * US);       /* crosses the end of the first period */
    ck_assert_int_eq(tb->irq_raises[0] - base, 1);
    ck_assert_uint_eq(read_status(0) & 0x40, 0);
    /* 900 us = 1073 ticks from the start: 73 into the new 2000-tick period */
    ck_assert_uint_eq(read_latched(0), 2000 - (ticks_in(900 * US) - 1000));
    step_in(1000 * US, 10 * US);      /* the next edge is 2000 ticks later (1.68 ms) */
    ck_assert_int_eq(tb->irq_raises[0] - base, 1);
    step_in(800 * US, 10 * US);
    ck_assert_int_eq(tb->irq_raises[0] - base, 2);
}
END_TEST

START_TEST(test_mode0_one_shot)
{
    program(0, 0, 1000);                        /* 1000 ticks = 838 us */
    int base = tb->irq_raises[0];
    ck_assert_int_eq(tb->irq_level[0], 0);
    tb_clock_step(800 * US);
    ck_assert_int_eq(tb->irq_level[0], 0);
    tb_clock_step(50 * US);
    ck_assert_int_eq(tb->irq_level[0], 1);
    ck_assert_int_eq(tb->irq_raises[0] - base, 1);
    step_in(100 * MS, 1 * MS);
    ck_assert_int_eq(tb->irq_raises[0] - base, 1);   /* one shot */
    ck_assert_int_eq(tb->irq_level[0], 1);
    /* the counter keeps going down past zero */
    uint16_t v = read_latched(0);
    ck_assert_uint_eq(v, (uint16_t)(1000 - ticks_in(100850 * US)));

    /* re-arming: writing the LSB drops OUT, the MSB starts a new count */
    tb_outb(tb, PIT_CH0, 0x00);
    ck_assert_int_eq(tb->irq_level[0], 0);
    tb_clock_step(1 * MS);
    ck_assert_int_eq(tb->irq_level[0], 0);           /* stopped between the bytes */
    tb_outb(tb, PIT_CH0, 0x01);                      /* 256 ticks */
    tb_clock_step(200 * US);
    ck_assert_int_eq(tb->irq_level[0], 0);
    tb_clock_step(30 * US);
    ck_assert_int_eq(tb->irq_level[0], 1);
    ck_assert_int_eq(tb->irq_raises[0] - base, 2);
}
END_TEST

START_TEST(test_mode0_count_zero_is_65536)
{
    program(0, 0, 0);
    int base = tb->irq_raises[0];
    step_in(54 * MS, 1 * MS);                   /* 65536 ticks = 54.925 ms */
    ck_assert_int_eq(tb->irq_raises[0] - base, 0);
    step_in(1 * MS, 100 * US);
    ck_assert_int_eq(tb->irq_raises[0] - base, 1);
}
END_TEST

START_TEST(test_mode4_strobe)
{
    program(0, 4, 100);
    int base = tb->irq_raises[0];
    ck_assert_int_eq(tb->irq_level[0], 1);
    step_in(10 * MS, 10 * US);
    ck_assert_int_eq(tb->irq_raises[0] - base, 1);
    ck_assert_int_eq(tb->irq_level[0], 1);
}
END_TEST

START_TEST(test_mode3_square_wave_channel2)
{
    tb_outb(tb, PORT61, 0x01);                  /* gate 2 on, speaker off */
    program(2, 3, 1000);                        /* 838 us period, 419 us per half */
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x21, 0x21);
    tb_clock_step(400 * US);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x20);
    tb_clock_step(40 * US);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x00);
    tb_clock_step(380 * US);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x00);
    tb_clock_step(40 * US);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x20);
    /* count many transitions without drift: 100 periods later we are back */
    tb_clock_step(100 * 838096);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x20);
    /* channel 2 never touches IRQ 0 */
    ck_assert_int_eq(tb->irq_raises[0], 0);
}
END_TEST

START_TEST(test_gate_off_stops_channel2)
{
    tb_outb(tb, PORT61, 0x01);
    program(2, 0, 5000);
    tb_clock_step(1 * MS);
    uint16_t before = read_latched(2);
    ck_assert_uint_eq(before, 5000 - ticks_in(1 * MS));
    tb_outb(tb, PORT61, 0x00);
    tb_clock_step(2 * MS);
    ck_assert_uint_eq(read_latched(2), before);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0);   /* OUT still low */
    tb_outb(tb, PORT61, 0x01);
    tb_clock_step(1 * MS);
    uint16_t after = read_latched(2);
    ck_assert_uint_le(after, before - ticks_in(1 * MS) + 1);
    ck_assert_uint_ge(after, before - ticks_in(1 * MS) - 1);
    tb_clock_step(3 * MS);                             /* 5000 ticks reached */
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x20);

    /* gate low before the count: the count waits for the gate */
    tb_outb(tb, PORT61, 0x00);
    program(2, 2, 3000);
    tb_clock_step(5 * MS);
    ck_assert_uint_eq(read_latched(2), 3000);
    /* mode 2: the rising gate reloads the counter */
    tb_outb(tb, PORT61, 0x01);
    tb_clock_step(1 * MS);
    ck_assert_uint_eq(read_latched(2), 3000 - ticks_in(1 * MS));
    tb_outb(tb, PORT61, 0x00);
    tb_outb(tb, PORT61, 0x01);
    ck_assert_uint_eq(read_latched(2), 3000);
}
END_TEST

START_TEST(test_mode1_gate_trigger)
{
    tb_outb(tb, PORT61, 0x00);
    program(2, 1, 500);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x20);   /* high until triggered */
    tb_clock_step(1 * MS);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x20);
    tb_outb(tb, PORT61, 0x01);                            /* trigger */
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x00);
    tb_clock_step(400 * US);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x00);
    tb_clock_step(50 * US);                               /* 500 ticks = 419 us */
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x20);
    /* retrigger */
    tb_outb(tb, PORT61, 0x00);
    tb_outb(tb, PORT61, 0x01);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x20, 0x00);
}
END_TEST

START_TEST(test_bcd_counting)
{
    tb_outb(tb, PIT_CMD, 0x75);                 /* ch1, lo/hi, mode 2, BCD */
    tb_outb(tb, PIT_CH1, 0x00);
    tb_outb(tb, PIT_CH1, 0x10);                 /* 1000 decimal */
    ck_assert_uint_eq(read_latched(1), 0x1000);
    tb_clock_step(100 * US);                     /* 119 ticks: 881 */
    ck_assert_uint_eq(read_latched(1), 0x0881);
    tb_clock_step(800 * US);                     /* 1073 ticks: wrapped, 1000 - 73 = 927 */
    ck_assert_uint_eq(read_latched(1), 0x0927);

    /* count 0 in BCD is 10000 */
    tb_outb(tb, PIT_CMD, 0x71);                 /* mode 0, BCD */
    tb_outb(tb, PIT_CH1, 0x00);
    tb_outb(tb, PIT_CH1, 0x00);
    ck_assert_uint_eq(read_latched(1), 0x0000);
    tb_clock_step(1 * US);                       /* one tick */
    ck_assert_uint_eq(read_latched(1), 0x9999);
    tb_clock_step(8 * MS);
    ck_assert_uint_eq(tb_inb(tb, PIT_CMD), 0xff);   /* control port is write-only */
    ck_assert_uint_eq(read_status(1) & 0x80, 0);    /* 9546 ticks < 10000 */
    tb_clock_step(500 * US);
    ck_assert_uint_eq(read_status(1) & 0x80, 0x80);
}
END_TEST

START_TEST(test_lo_hi_flip_flop)
{
    program(0, 2, 0x1234);
    ck_assert_uint_eq(tb_inb(tb, PIT_CH0), 0x34);   /* live reads alternate too */
    ck_assert_uint_eq(tb_inb(tb, PIT_CH0), 0x12);
    ck_assert_uint_eq(tb_inb(tb, PIT_CH0), 0x34);
    /* reads and writes have separate flip-flops */
    tb_outb(tb, PIT_CH0, 0x78);                     /* LSB of a new count */
    ck_assert_uint_eq(tb_inb(tb, PIT_CH0), 0x12);   /* read side was on the MSB */
    tb_outb(tb, PIT_CH0, 0x56);
    /* a control word resets both */
    tb_outb(tb, PIT_CMD, 0x34);
    tb_outb(tb, PIT_CH0, 0xcd);
    tb_outb(tb, PIT_CH0, 0xab);
    ck_assert_uint_eq(read_latched(0), 0xabcd);

    /* LSB only */
    tb_outb(tb, PIT_CMD, 0x14);
    tb_outb(tb, PIT_CH0, 0x80);
    ck_assert_uint_eq(tb_inb(tb, PIT_CH0), 0x80);
    ck_assert_uint_eq(tb_inb(tb, PIT_CH0), 0x80);
    /* MSB only */
    tb_outb(tb, PIT_CMD, 0x24);
    tb_outb(tb, PIT_CH0, 0x02);
    ck_assert_uint_eq(tb_inb(tb, PIT_CH0), 0x02);
    tb_outb(tb, PIT_CMD, 0x00);
    ck_assert_uint_eq(tb_inb(tb, PIT_CH0), 0x02);
    tb_clock_step(10 * US);                          /* 11 ticks: 0x01f5 */
    ck_assert_uint_eq(tb_inb(tb, PIT_CH0), 0x01);
}
END_TEST

START_TEST(test_port61_bits)
{
    tb_outb(tb, PORT61, 0xff);
    uint8_t a = tb_inb(tb, PORT61);
    uint8_t b = tb_inb(tb, PORT61);
    ck_assert_uint_eq(a & 0x0f, 0x0f);              /* gate, speaker, enables */
    ck_assert_uint_eq(a & 0xc0, 0);                 /* no parity/IOCHK errors */
    ck_assert_uint_ne(a & 0x10, b & 0x10);          /* refresh toggles on reads */
    ck_assert_uint_ne(b & 0x10, tb_inb(tb, PORT61) & 0x10);
    tb_outb(tb, PORT61, 0x02);
    ck_assert_uint_eq(tb_inb(tb, PORT61) & 0x03, 0x02);
}
END_TEST

START_TEST(test_reset_and_other_iobase)
{
    program(0, 2, 1000);
    step_in(5 * MS, 100 * US);
    ck_assert_int_gt(tb->irq_raises[0], 0);
    DeviceState *pit = DEVICE(object_resolve_path(tb->root, "i8254"));
    ck_assert_ptr_nonnull(pit);
    device_reset(pit);
    ck_assert_int_eq(tb->irq_level[0], 0);
    int base = tb->irq_raises[0];
    step_in(5 * MS, 100 * US);
    ck_assert_int_eq(tb->irq_raises[0], base);       /* nothing armed after reset */

    /* a second PIT elsewhere, wired to IRQ 5 */
    tb_add_isa(tb, "i8254", "iobase=0x48,irq=5");
    tb_outb(tb, 0x4b, 0x34);
    tb_outb(tb, 0x48, 0x00);
    tb_outb(tb, 0x48, 0x10);
    step_in(10 * MS, 100 * US);
    ck_assert_int_ge(tb->irq_raises[5], 2);
    ck_assert_int_eq(tb->irq_raises[0], base);
}
END_TEST

static Suite *i8254_suite(void)
{
    Suite *s = suite_create("i8254");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_count_decreases_with_time);
    tcase_add_test(tc, test_latch_is_stable);
    tcase_add_test(tc, test_readback_status);
    tcase_add_test(tc, test_mode2_periodic_irq0_rate);
    tcase_add_test(tc, test_mode2_late_timer_still_raises);
    tcase_add_test(tc, test_mode2_new_count_at_period_end);
    tcase_add_test(tc, test_mode0_one_shot);
    tcase_add_test(tc, test_mode0_count_zero_is_65536);
    tcase_add_test(tc, test_mode4_strobe);
    tcase_add_test(tc, test_mode3_square_wave_channel2);
    tcase_add_test(tc, test_gate_off_stops_channel2);
    tcase_add_test(tc, test_mode1_gate_trigger);
    tcase_add_test(tc, test_bcd_counting);
    tcase_add_test(tc, test_lo_hi_flip_flop);
    tcase_add_test(tc, test_port61_bits);
    tcase_add_test(tc, test_reset_and_other_iobase);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(i8254_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
