/* Unit tests for the MC146818 RTC: clock formats, time flow, SET, interrupts, CMOS RAM. */
#include <check.h>
#include <stdlib.h>

#include "hw/timer/mc146818.h"
#include "system/timer.h"
#include "tests/unit/harness.h"

#define RTC_IRQ 8
#define NS_PER_MS INT64_C(1000000)
#define NS_PER_US INT64_C(1000)

static TestBoard *tb;
static DeviceState *rtc;

static void setup_with(const char *props)
{
    tb = tb_new();
    mc146818_register_types();
    rtc = tb_add_isa(tb, TYPE_MC146818_RTC, props);
}

static void teardown(void)
{
    tb_free(tb);
    tb = NULL;
    rtc = NULL;
}

static uint8_t rd(uint8_t index)
{
    tb_outb(tb, 0x70, index);
    return tb_inb(tb, 0x71);
}

static void wr(uint8_t index, uint8_t value)
{
    tb_outb(tb, 0x70, index);
    tb_outb(tb, 0x71, value);
}

START_TEST(test_bcd_and_binary_start_time)
{
    setup_with("start=2024-02-29T23:59:58");
    /* power-on format: BCD, 24 hours */
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x58);
    ck_assert_uint_eq(rd(MC146818_MINUTES), 0x59);
    ck_assert_uint_eq(rd(MC146818_HOURS), 0x23);
    ck_assert_uint_eq(rd(MC146818_DAY_OF_WEEK), 5);        /* Thursday */
    ck_assert_uint_eq(rd(MC146818_DAY_OF_MONTH), 0x29);
    ck_assert_uint_eq(rd(MC146818_MONTH), 0x02);
    ck_assert_uint_eq(rd(MC146818_YEAR), 0x24);
    ck_assert_uint_eq(rd(MC146818_CENTURY), 0x20);
    ck_assert_uint_eq(rd(MC146818_REG_D), 0x80);
    ck_assert_uint_eq(rd(MC146818_REG_A) & 0x7f, 0x26);

    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_DM_BINARY);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 58);
    ck_assert_uint_eq(rd(MC146818_MINUTES), 59);
    ck_assert_uint_eq(rd(MC146818_HOURS), 23);
    ck_assert_uint_eq(rd(MC146818_DAY_OF_MONTH), 29);
    ck_assert_uint_eq(rd(MC146818_MONTH), 2);
    ck_assert_uint_eq(rd(MC146818_YEAR), 24);
    ck_assert_uint_eq(rd(MC146818_CENTURY), 20);
    teardown();
}
END_TEST

START_TEST(test_time_advances_across_leap_day)
{
    setup_with("start=2024-02-29T23:59:58");
    tb_clock_step(2 * NS_PER_SEC);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x00);
    ck_assert_uint_eq(rd(MC146818_MINUTES), 0x00);
    ck_assert_uint_eq(rd(MC146818_HOURS), 0x00);
    ck_assert_uint_eq(rd(MC146818_DAY_OF_MONTH), 0x01);
    ck_assert_uint_eq(rd(MC146818_MONTH), 0x03);
    ck_assert_uint_eq(rd(MC146818_DAY_OF_WEEK), 6);        /* Friday */
    /* a long jump: one non-leap year and a bit later */
    tb_clock_step(INT64_C(365) * 86400 * NS_PER_SEC + 3661 * NS_PER_SEC);
    ck_assert_uint_eq(rd(MC146818_YEAR), 0x25);
    ck_assert_uint_eq(rd(MC146818_MONTH), 0x03);
    ck_assert_uint_eq(rd(MC146818_DAY_OF_MONTH), 0x01);
    ck_assert_uint_eq(rd(MC146818_HOURS), 0x01);
    ck_assert_uint_eq(rd(MC146818_MINUTES), 0x01);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x01);
    teardown();
}
END_TEST

START_TEST(test_century_rollover)
{
    setup_with("start=2099-12-31T23:59:59");
    tb_clock_step(NS_PER_SEC);
    ck_assert_uint_eq(rd(MC146818_YEAR), 0x00);
    ck_assert_uint_eq(rd(MC146818_CENTURY), 0x21);
    ck_assert_uint_eq(rd(MC146818_MONTH), 0x01);
    ck_assert_uint_eq(rd(MC146818_DAY_OF_MONTH), 0x01);
    teardown();
}
END_TEST

START_TEST(test_twelve_hour_mode)
{
    setup_with("start=2024-01-01T13:05:00");
    wr(MC146818_REG_B, 0);                              /* BCD, 12 hours */
    ck_assert_uint_eq(rd(MC146818_HOURS), 0x81);        /* 1 PM */
    wr(MC146818_REG_B, MC146818_B_DM_BINARY);           /* binary, 12 hours */
    ck_assert_uint_eq(rd(MC146818_HOURS), 0x81);
    tb_clock_step(INT64_C(11) * 3600 * NS_PER_SEC);     /* 00:05 next day */
    ck_assert_uint_eq(rd(MC146818_HOURS), 12);          /* 12 AM */
    tb_clock_step(INT64_C(12) * 3600 * NS_PER_SEC);     /* 12:05 */
    ck_assert_uint_eq(rd(MC146818_HOURS), 0x80 | 12);   /* 12 PM */
    /* writing 11 PM in 12-hour mode gives 23 h in 24-hour mode */
    wr(MC146818_HOURS, 0x80 | 11);
    wr(MC146818_REG_B, MC146818_B_DM_BINARY | MC146818_B_24H);
    ck_assert_uint_eq(rd(MC146818_HOURS), 23);
    teardown();
}
END_TEST

START_TEST(test_set_freezes_and_rebases)
{
    setup_with("start=2024-06-15T08:00:00");
    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_UIE);
    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_SET | MC146818_B_UIE);
    ck_assert_uint_eq(rd(MC146818_REG_B) & MC146818_B_UIE, 0);   /* SET clears UIE */
    tb_clock_step(3 * NS_PER_SEC);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x00);               /* frozen */
    ck_assert_uint_eq(rd(MC146818_HOURS), 0x08);
    ck_assert_uint_eq(rd(MC146818_REG_A) & MC146818_A_UIP, 0);
    wr(MC146818_HOURS, 0x10);
    wr(MC146818_MINUTES, 0x20);
    wr(MC146818_SECONDS, 0x30);
    wr(MC146818_DAY_OF_MONTH, 0x31);
    wr(MC146818_MONTH, 0x12);
    wr(MC146818_YEAR, 0x30);
    ck_assert_uint_eq(rd(MC146818_MINUTES), 0x20);               /* bytes read back */
    wr(MC146818_REG_B, MC146818_B_24H);
    ck_assert_uint_eq(rd(MC146818_HOURS), 0x10);
    ck_assert_uint_eq(rd(MC146818_MINUTES), 0x20);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x30);
    ck_assert_uint_eq(rd(MC146818_YEAR), 0x30);
    tb_clock_step(NS_PER_SEC);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x31);
    ck_assert_uint_eq(rd(MC146818_DAY_OF_MONTH), 0x31);
    ck_assert_uint_eq(rd(MC146818_MONTH), 0x12);
    teardown();
}
END_TEST

START_TEST(test_write_while_running_rebases)
{
    setup_with("start=2024-06-15T08:00:10");
    wr(MC146818_MINUTES, 0x45);
    ck_assert_uint_eq(rd(MC146818_MINUTES), 0x45);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x10);
    tb_clock_step(NS_PER_SEC);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x11);
    ck_assert_uint_eq(rd(MC146818_MINUTES), 0x45);
    ck_assert_uint_eq(rd(MC146818_HOURS), 0x08);
    /* a chosen weekday is kept and advances with the date */
    wr(MC146818_DAY_OF_WEEK, 2);
    ck_assert_uint_eq(rd(MC146818_DAY_OF_WEEK), 2);
    tb_clock_step(INT64_C(86400) * NS_PER_SEC);
    ck_assert_uint_eq(rd(MC146818_DAY_OF_WEEK), 3);
    teardown();
}
END_TEST

START_TEST(test_divider_reset_holds_clock)
{
    setup_with("start=2024-06-15T08:00:00");
    wr(MC146818_REG_A, 0x76);                    /* divider chain in reset */
    tb_clock_step(5 * NS_PER_SEC);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x00);
    wr(MC146818_REG_A, 0x26);                    /* restart: first update 0.5 s later */
    tb_clock_step(400 * NS_PER_MS);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x00);
    tb_clock_step(100 * NS_PER_MS);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x01);
    teardown();
}
END_TEST

START_TEST(test_reg_c_clear_on_read_lowers_irq)
{
    setup_with("start=2024-06-15T08:00:00");
    ck_assert_int_eq(tb->irq_level[RTC_IRQ], 0);
    wr(MC146818_REG_A, 0x20);                   /* no periodic flag in the way */
    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_UIE);
    tb_clock_step(NS_PER_SEC);
    ck_assert_int_eq(tb->irq_level[RTC_IRQ], 1);
    uint8_t c = rd(MC146818_REG_C);
    ck_assert_uint_eq(c & (MC146818_C_IRQF | MC146818_C_UF), MC146818_C_IRQF | MC146818_C_UF);
    ck_assert_int_eq(tb->irq_level[RTC_IRQ], 0);
    ck_assert_uint_eq(rd(MC146818_REG_C), 0);
    /* flags are set with the interrupt disabled too, but IRQF and the line stay low */
    wr(MC146818_REG_B, MC146818_B_24H);
    tb_clock_step(NS_PER_SEC);
    ck_assert_int_eq(tb->irq_level[RTC_IRQ], 0);
    ck_assert_uint_eq(rd(MC146818_REG_C), MC146818_C_UF);
    /* writes to C and D are ignored */
    wr(MC146818_REG_C, 0xff);
    wr(MC146818_REG_D, 0x00);
    ck_assert_uint_eq(rd(MC146818_REG_C), 0);
    ck_assert_uint_eq(rd(MC146818_REG_D), MC146818_D_VRT);
    teardown();
}
END_TEST

/* Run `total` ns in `step` slices, acknowledging every interrupt; count the acks. */
static int count_acked_irqs(int64_t total, int64_t step, uint8_t flag)
{
    int acks = 0;
    for (int64_t t = 0; t < total; t += step) {
        tb_clock_step(step);
        if (tb->irq_level[RTC_IRQ]) {
            uint8_t c = rd(MC146818_REG_C);
            ck_assert_uint_ne(c & flag, 0);
            ck_assert_int_eq(tb->irq_level[RTC_IRQ], 0);
            acks++;
        }
    }
    return acks;
}

START_TEST(test_periodic_rate_1024hz)
{
    setup_with("start=2024-06-15T08:00:00");
    wr(MC146818_REG_A, 0x26);                    /* rate 6: 1024 Hz */
    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_PIE);
    int acks = count_acked_irqs(NS_PER_SEC, 100 * NS_PER_US, MC146818_C_PF);
    ck_assert_int_ge(acks, 1023);
    ck_assert_int_le(acks, 1025);
    ck_assert_int_eq(tb->irq_raises[RTC_IRQ], acks);
    teardown();
}
END_TEST

START_TEST(test_periodic_rate_2hz_and_off)
{
    setup_with("start=2024-06-15T08:00:00");
    wr(MC146818_REG_A, 0x2f);                    /* rate 15: 2 Hz */
    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_PIE);
    int acks = count_acked_irqs(3 * NS_PER_SEC, 10 * NS_PER_MS, MC146818_C_PF);
    ck_assert_int_eq(acks, 6);
    wr(MC146818_REG_A, 0x20);                    /* rate 0: no periodic interrupt */
    acks = count_acked_irqs(NS_PER_SEC, 10 * NS_PER_MS, MC146818_C_PF);
    ck_assert_int_eq(acks, 0);
    teardown();
}
END_TEST

START_TEST(test_alarm_fires_at_the_right_second)
{
    setup_with("start=2024-06-15T08:00:00");
    wr(MC146818_SECONDS_ALARM, 0x05);
    wr(MC146818_MINUTES_ALARM, 0x00);
    wr(MC146818_HOURS_ALARM, 0x08);
    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_AIE);
    for (int i = 1; i <= 4; i++) {
        tb_clock_step(NS_PER_SEC);
        ck_assert_int_eq(tb->irq_level[RTC_IRQ], 0);
    }
    tb_clock_step(NS_PER_SEC);
    ck_assert_int_eq(tb->irq_level[RTC_IRQ], 1);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x05);
    ck_assert_uint_ne(rd(MC146818_REG_C) & MC146818_C_AF, 0);
    tb_clock_step(NS_PER_SEC);
    ck_assert_int_eq(tb->irq_level[RTC_IRQ], 0);
    teardown();
}
END_TEST

START_TEST(test_alarm_dont_care)
{
    setup_with("start=2024-06-15T08:00:00");
    wr(MC146818_SECONDS_ALARM, 0x30);
    wr(MC146818_MINUTES_ALARM, 0xc0);           /* any minute */
    wr(MC146818_HOURS_ALARM, 0xff);             /* any hour */
    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_AIE);
    int acks = count_acked_irqs(INT64_C(180) * NS_PER_SEC, 250 * NS_PER_MS, MC146818_C_AF);
    ck_assert_int_eq(acks, 3);                  /* 08:00:30, 08:01:30, 08:02:30 */
    teardown();
}
END_TEST

START_TEST(test_update_interrupt_once_per_second)
{
    setup_with("start=2024-06-15T08:00:00");
    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_UIE);
    int acks = count_acked_irqs(3 * NS_PER_SEC, 10 * NS_PER_MS, MC146818_C_UF);
    ck_assert_int_eq(acks, 3);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x03);
    teardown();
}
END_TEST

START_TEST(test_uip_window)
{
    setup_with("start=2024-06-15T08:00:00");
    /* updates happen each whole second after realize */
    tb_clock_step(NS_PER_SEC - 300 * NS_PER_US);
    ck_assert_uint_eq(rd(MC146818_REG_A) & MC146818_A_UIP, 0);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x00);
    tb_clock_step(100 * NS_PER_US);            /* 200 us before the update */
    ck_assert_uint_eq(rd(MC146818_REG_A) & MC146818_A_UIP, MC146818_A_UIP);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x00);
    tb_clock_step(200 * NS_PER_US);            /* update done */
    ck_assert_uint_eq(rd(MC146818_REG_A) & MC146818_A_UIP, 0);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x01);
    /* no UIP while SET holds the clock */
    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_SET);
    tb_clock_step(NS_PER_SEC - 100 * NS_PER_US);
    ck_assert_uint_eq(rd(MC146818_REG_A) & MC146818_A_UIP, 0);
    teardown();
}
END_TEST

START_TEST(test_cmos_ram_and_index_masking)
{
    setup_with("start=2024-06-15T08:00:00");
    for (int i = 0x0e; i < 0x80; i++) {
        if (i == MC146818_CENTURY) {
            continue;
        }
        wr((uint8_t)i, (uint8_t)(i * 7 + 3));
    }
    for (int i = 0x0e; i < 0x80; i++) {
        if (i == MC146818_CENTURY) {
            continue;
        }
        ck_assert_uint_eq(rd((uint8_t)i), (uint8_t)(i * 7 + 3));
    }
    /* bit 7 of the index is the NMI mask: 0x80|n selects n */
    wr(0x80 | 0x40, 0xa5);
    ck_assert_uint_eq(rd(0x40), 0xa5);
    ck_assert_uint_eq(rd(0x80 | 0x40), 0xa5);
    ck_assert_uint_eq(rd(0x80 | MC146818_HOURS), 0x08);
    /* the index port reads as 0xff; the board accessors see the same bytes */
    ck_assert_uint_eq(tb_inb(tb, 0x70), 0xff);
    mc146818_set_cmos(rtc, 0x15, 0x80);
    mc146818_set_cmos(rtc, 0x80 | 0x16, 0x02);
    ck_assert_uint_eq(rd(0x15), 0x80);
    ck_assert_uint_eq(rd(0x16), 0x02);
    ck_assert_uint_eq(mc146818_get_cmos(rtc, 0x16), 0x02);
    ck_assert_uint_eq(mc146818_get_cmos(rtc, MC146818_HOURS), 0x08);
    /* get_cmos does not clear register C */
    wr(MC146818_REG_A, 0x20);
    wr(MC146818_REG_B, MC146818_B_24H);
    tb_clock_step(NS_PER_SEC);
    ck_assert_uint_eq(mc146818_get_cmos(rtc, MC146818_REG_C), MC146818_C_UF);
    ck_assert_uint_eq(rd(MC146818_REG_C), MC146818_C_UF);
    ck_assert_uint_eq(rd(MC146818_REG_C), 0);
    teardown();
}
END_TEST

START_TEST(test_reset_keeps_time_clears_enables)
{
    setup_with("start=2024-06-15T08:00:00");
    wr(0x20, 0x5a);
    wr(MC146818_REG_B, MC146818_B_24H | MC146818_B_UIE | MC146818_B_PIE);
    tb_clock_step(NS_PER_SEC);
    ck_assert_int_eq(tb->irq_level[RTC_IRQ], 1);
    device_reset(rtc);
    ck_assert_int_eq(tb->irq_level[RTC_IRQ], 0);
    ck_assert_uint_eq(rd(MC146818_REG_B), MC146818_B_24H);
    ck_assert_uint_eq(rd(0x20), 0x5a);
    ck_assert_uint_eq(rd(MC146818_SECONDS), 0x01);
    teardown();
}
END_TEST

START_TEST(test_bad_properties_rejected)
{
    tb = tb_new();
    mc146818_register_types();
    static const char *const bad[][2] = {
        { "start", "2024-02-30T00:00:00" },
        { "start", "2024-13-01T00:00:00" },
        { "start", "yesterday" },
        { "base", "mars" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        Error *err = NULL;
        DeviceState *dev = device_new(TYPE_MC146818_RTC);
        ck_assert_ptr_nonnull(dev);
        ck_assert(device_set_prop(dev, bad[i][0], bad[i][1], &err));
        object_add_child(tb->root, "bad-rtc", OBJECT(dev));
        object_unref(OBJECT(dev));
        ck_assert(!device_realize(dev, BUS(tb->isa), &err));
        ck_assert_ptr_nonnull(err);
        error_free(err);
    }
    teardown();
}
END_TEST

static Suite *mc146818_suite(void)
{
    Suite *s = suite_create("mc146818");
    TCase *tc = tcase_create("rtc");
    tcase_add_test(tc, test_bcd_and_binary_start_time);
    tcase_add_test(tc, test_time_advances_across_leap_day);
    tcase_add_test(tc, test_century_rollover);
    tcase_add_test(tc, test_twelve_hour_mode);
    tcase_add_test(tc, test_set_freezes_and_rebases);
    tcase_add_test(tc, test_write_while_running_rebases);
    tcase_add_test(tc, test_divider_reset_holds_clock);
    tcase_add_test(tc, test_reg_c_clear_on_read_lowers_irq);
    tcase_add_test(tc, test_periodic_rate_1024hz);
    tcase_add_test(tc, test_periodic_rate_2hz_and_off);
    tcase_add_test(tc, test_alarm_fires_at_the_right_second);
    tcase_add_test(tc, test_alarm_dont_care);
    tcase_add_test(tc, test_update_interrupt_once_per_second);
    tcase_add_test(tc, test_uip_window);
    tcase_add_test(tc, test_cmos_ram_and_index_masking);
    tcase_add_test(tc, test_reset_keeps_time_clears_enables);
    tcase_add_test(tc, test_bad_properties_rejected);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(mc146818_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
