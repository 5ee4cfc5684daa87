/*
 * Unit tests for the small ISA devices: isa-debug-exit, the POST-code port, System
 * Control Port A and the ACPI PM block with the reset control register. Shutdown
 * requests stick for the life of a process, so each shutdown path has its own test
 * case (Check forks one process per test).
 */
#include <check.h>
#include <stdlib.h>

#include "hw/acpi/pm.h"
#include "system/timer.h"
#include "hw/i386/pc.h"
#include "hw/misc/ioport80.h"
#include "hw/misc/port92.h"
#include "system/mainloop.h"
#include "tests/unit/harness.h"

void debugexit_register_types(void);

#define SCI_IRQ 9
#define PM_BASE 0x600
#define PM_TICKS_PER_SEC 3579545u

static TestBoard *tb;

static void setup(void)
{
    tb = tb_new();
    debugexit_register_types();
    ioport80_register_types();
    port92_register_types();
    acpi_pm_register_types();
}

static void teardown(void)
{
    tb_free(tb);
}

static int resets;

static void record_reset(void)
{
    resets++;
}

/* Let the main loop act on pending system requests; returns the resets it performed. */
static int run_mainloop_once(void)
{
    int before = resets;
    mainloop_init();
    system_reset_handler = record_reset;
    devlock_lock();
    mainloop_wait(0);
    devlock_unlock();
    return resets - before;
}

/* The exit status of a requested shutdown (mainloop_run returns at once). */
static int shutdown_status(void)
{
    ck_assert(system_shutdown_requested());
    return mainloop_run();
}

/* ---- isa-debug-exit ---- */

START_TEST(test_debugexit_byte_write)
{
    tb_add_isa(tb, "isa-debug-exit", "iobase=0xf4,iosize=0x04");
    ck_assert(!system_shutdown_requested());
    ck_assert_uint_eq(tb_inb(tb, 0xf4), 0xff);
    ck_assert_uint_eq(tb_inl(tb, 0xf4), 0xffffffffu);
    ck_assert(!system_shutdown_requested());
    tb_outb(tb, 0xf4, 0x10);
    ck_assert_int_eq(system_shutdown_cause(), SHUTDOWN_GUEST_EXIT);
    ck_assert_int_eq(shutdown_status(), (0x10 << 1) | 1);
}
END_TEST

START_TEST(test_debugexit_dword_write)
{
    tb_add_isa(tb, "isa-debug-exit", "iobase=0xf4,iosize=0x04");
    tb_outl(tb, 0xf4, 0x12345678);
    ck_assert_int_eq(system_shutdown_cause(), SHUTDOWN_GUEST_EXIT);
    ck_assert_int_eq(shutdown_status(), (0x12345678 << 1) | 1);
}
END_TEST

START_TEST(test_debugexit_word_write_last_port)
{
    tb_add_isa(tb, "isa-debug-exit", "iobase=0xf4,iosize=0x04");
    tb_outb(tb, 0xf8, 0x01);                    /* past the ports: nothing */
    ck_assert(!system_shutdown_requested());
    tb_outw(tb, 0xf6, 0x0003);
    ck_assert_int_eq(shutdown_status(), 7);
}
END_TEST

START_TEST(test_debugexit_defaults)
{
    tb_add_isa(tb, "isa-debug-exit", NULL);
    tb_outb(tb, 0x503, 0x01);                   /* default ports are 0x501-0x502 */
    tb_outb(tb, 0x500, 0x01);
    ck_assert(!system_shutdown_requested());
    tb_outb(tb, 0x502, 0x00);
    ck_assert_int_eq(shutdown_status(), 1);
}
END_TEST

START_TEST(test_debugexit_user_creatable)
{
    Error *err = NULL;
    DeviceState *dev = device_new_from_options("isa-debug-exit,iobase=0x501,iosize=2", &err);
    ck_assert_ptr_nonnull(dev);
    object_unref(OBJECT(dev));
    /* the board-only devices are not offered to -device */
    static const char *const internal[] = { "ioport80", "port92", "acpi-pm" };
    for (size_t i = 0; i < 3; i++) {
        dev = device_new_from_options(internal[i], &err);
        ck_assert_ptr_null(dev);
        ck_assert_ptr_nonnull(err);
        error_free(err);
        err = NULL;
    }
}
END_TEST

/* ---- port 0x80 / 0xed ---- */

START_TEST(test_ioport80_post_codes)
{
    DeviceState *dev = tb_add_isa(tb, TYPE_IOPORT80, NULL);
    ck_assert_uint_eq(ioport80_last_code(dev), 0);
    tb_outb(tb, 0x80, 0x3c);
    ck_assert_uint_eq(ioport80_last_code(dev), 0x3c);
    ck_assert_uint_eq(tb_inb(tb, 0x80), 0x3c);
    tb_outb(tb, 0xed, 0x55);                    /* delay port: swallowed */
    ck_assert_uint_eq(tb_inb(tb, 0xed), 0xff);
    ck_assert_uint_eq(ioport80_last_code(dev), 0x3c);
    tb_outb(tb, 0x80, 0xaa);
    ck_assert_uint_eq(tb_inb(tb, 0x80), 0xaa);
    device_reset(dev);
    ck_assert_uint_eq(ioport80_last_code(dev), 0);
}
END_TEST

/* ---- port 0x92 ---- */

static int a20_calls;
static bool a20_last;

static void record_a20(void *opaque, bool enabled)
{
    ck_assert_ptr_eq(opaque, &a20_calls);
    a20_calls++;
    a20_last = enabled;
}

START_TEST(test_port92_a20)
{
    DeviceState *dev = tb_add_isa(tb, TYPE_PORT92, NULL);
    port92_set_a20_handler(dev, record_a20, &a20_calls);
    ck_assert_uint_eq(tb_inb(tb, 0x92), 0);
    tb_outb(tb, 0x92, PORT92_A20);
    ck_assert_int_eq(a20_calls, 1);
    ck_assert(a20_last);
    ck_assert_uint_eq(tb_inb(tb, 0x92), PORT92_A20);
    tb_outb(tb, 0x92, 0);
    ck_assert_int_eq(a20_calls, 2);
    ck_assert(!a20_last);
    ck_assert_uint_eq(tb_inb(tb, 0x92), 0);
    ck_assert_int_eq(run_mainloop_once(), 0);
}
END_TEST

START_TEST(test_port92_fast_reset)
{
    DeviceState *dev = tb_add_isa(tb, TYPE_PORT92, NULL);
    port92_set_a20_handler(dev, record_a20, &a20_calls);
    tb_outb(tb, 0x92, PORT92_A20 | PORT92_FAST_RESET);
    ck_assert(a20_last);
    ck_assert_uint_eq(tb_inb(tb, 0x92), PORT92_A20);    /* the reset bit reads 0 */
    ck_assert_int_eq(run_mainloop_once(), 1);
    /* a read-modify-write of the value read back does not reset again */
    tb_outb(tb, 0x92, tb_inb(tb, 0x92));
    ck_assert_int_eq(run_mainloop_once(), 0);
    device_reset(dev);
    ck_assert_uint_eq(tb_inb(tb, 0x92), 0);
}
END_TEST

/* ---- ACPI PM ---- */

static uint32_t pm_timer(void)
{
    return tb_inl(tb, PM_BASE + ACPI_PM_TMR);
}

START_TEST(test_pm_timer_rate_and_wrap)
{
    tb_add_isa(tb, TYPE_ACPI_PM, NULL);
    uint32_t t0 = pm_timer();
    ck_assert_uint_eq(t0 & ~ACPI_PM_TIMER_MASK, 0);
    tb_clock_step(NS_PER_SEC);
    uint32_t t1 = pm_timer();
    uint32_t delta = (t1 - t0) & ACPI_PM_TIMER_MASK;
    ck_assert_uint_ge(delta, PM_TICKS_PER_SEC - 1);
    ck_assert_uint_le(delta, PM_TICKS_PER_SEC + 1);
    /* 5 s is more than 2^24 ticks: the counter wraps and stays 24 bits wide */
    tb_clock_step(5 * NS_PER_SEC);
    uint32_t t2 = pm_timer();
    ck_assert_uint_eq(t2 & ~ACPI_PM_TIMER_MASK, 0);
    uint32_t want = (5 * PM_TICKS_PER_SEC) & ACPI_PM_TIMER_MASK;
    delta = (t2 - t1) & ACPI_PM_TIMER_MASK;
    ck_assert_uint_ge(delta, want - 1);
    ck_assert_uint_le(delta, want + 1);
    /* byte reads see the same counter; the timer is read-only */
    tb_outl(tb, PM_BASE + ACPI_PM_TMR, 0);
    uint32_t lo = tb_inb(tb, PM_BASE + ACPI_PM_TMR);
    ck_assert_uint_eq(lo, t2 & 0xff);
    ck_assert_uint_eq(tb_inb(tb, PM_BASE + ACPI_PM_TMR + 3), 0);
}
END_TEST

START_TEST(test_pm_timer_status_and_sci)
{
    tb_add_isa(tb, TYPE_ACPI_PM, NULL);
    int64_t toggle_ns = (int64_t)((UINT64_C(1) << 23) * NS_PER_SEC / PM_TICKS_PER_SEC) + 1;
    /* without TMR_EN the status bit is set but no SCI */
    tb_clock_step(toggle_ns + 1000);
    ck_assert_uint_ne(tb_inw(tb, PM_BASE + ACPI_PM1_STS) & ACPI_PM1_TMR, 0);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 0);
    tb_outw(tb, PM_BASE + ACPI_PM1_STS, ACPI_PM1_TMR);
    ck_assert_uint_eq(tb_inw(tb, PM_BASE + ACPI_PM1_STS) & ACPI_PM1_TMR, 0);
    /* with TMR_EN the next toggle raises the SCI on its own */
    tb_outw(tb, PM_BASE + ACPI_PM1_EN, ACPI_PM1_TMR);
    ck_assert_uint_eq(tb_inw(tb, PM_BASE + ACPI_PM1_EN), ACPI_PM1_TMR);
    tb_clock_step(toggle_ns / 2);
    tb_clock_step(toggle_ns / 2 + 1000);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 1);
    ck_assert_uint_ne(tb_inw(tb, PM_BASE + ACPI_PM1_STS) & ACPI_PM1_TMR, 0);
    tb_outw(tb, PM_BASE + ACPI_PM1_STS, ACPI_PM1_TMR);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 0);
    tb_clock_step(toggle_ns + 1000);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 1);
    ck_assert_int_eq(tb->irq_raises[SCI_IRQ], 2);
    /* disabling the event drops the SCI though the status stays */
    tb_outw(tb, PM_BASE + ACPI_PM1_EN, 0);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 0);
    ck_assert_uint_ne(tb_inw(tb, PM_BASE + ACPI_PM1_STS) & ACPI_PM1_TMR, 0);
}
END_TEST

START_TEST(test_pm_status_write_one_to_clear)
{
    DeviceState *pm = tb_add_isa(tb, TYPE_ACPI_PM, NULL);
    acpi_pm_power_button(pm);
    ck_assert_uint_eq(tb_inw(tb, PM_BASE + ACPI_PM1_STS) & ACPI_PM1_PWRBTN, ACPI_PM1_PWRBTN);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 0);          /* not enabled */
    tb_outw(tb, PM_BASE + ACPI_PM1_EN, ACPI_PM1_PWRBTN);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 1);
    tb_outw(tb, PM_BASE + ACPI_PM1_STS, 0);                /* zeros change nothing */
    ck_assert_uint_ne(tb_inw(tb, PM_BASE + ACPI_PM1_STS) & ACPI_PM1_PWRBTN, 0);
    tb_outb(tb, PM_BASE + ACPI_PM1_STS, 0xff);            /* low byte only */
    ck_assert_uint_ne(tb_inw(tb, PM_BASE + ACPI_PM1_STS) & ACPI_PM1_PWRBTN, 0);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 1);
    tb_outb(tb, PM_BASE + ACPI_PM1_STS + 1, ACPI_PM1_PWRBTN >> 8);
    ck_assert_uint_eq(tb_inw(tb, PM_BASE + ACPI_PM1_STS) & ACPI_PM1_PWRBTN, 0);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 0);
    /* a dword write covers status and enable at once */
    acpi_pm_power_button(pm);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 1);
    tb_outl(tb, PM_BASE + ACPI_PM1_STS, (uint32_t)ACPI_PM1_PWRBTN << 16 | ACPI_PM1_PWRBTN);
    ck_assert_uint_eq(tb_inl(tb, PM_BASE + ACPI_PM1_STS),
                      (uint32_t)ACPI_PM1_PWRBTN << 16);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 0);
    /* PM1_CNT: SCI_EN set at power-on, SLP_EN never reads back */
    ck_assert_uint_eq(tb_inw(tb, PM_BASE + ACPI_PM1_CNT), ACPI_PM1_CNT_SCI_EN);
}
END_TEST

START_TEST(test_pm_s5_powers_off)
{
    tb_add_isa(tb, TYPE_ACPI_PM, NULL);
    tb_outw(tb, PM_BASE + ACPI_PM1_CNT,
            ACPI_PM1_CNT_SCI_EN | (PC_ACPI_SLP_TYP_S5 << ACPI_PM1_CNT_SLP_TYP_SHIFT));
    ck_assert(!system_shutdown_requested());              /* SLP_TYP alone: nothing */
    tb_outw(tb, PM_BASE + ACPI_PM1_CNT, ACPI_PM1_CNT_SCI_EN | ACPI_PM1_CNT_SLP_EN |
            (PC_ACPI_SLP_TYP_S5 << ACPI_PM1_CNT_SLP_TYP_SHIFT));
    ck_assert_int_eq(system_shutdown_cause(), SHUTDOWN_GUEST_POWEROFF);
    ck_assert_int_eq(shutdown_status(), 0);
}
END_TEST

START_TEST(test_pm_other_sleep_types_ignored)
{
    tb_add_isa(tb, TYPE_ACPI_PM, NULL);
    for (unsigned typ = 0; typ < 8; typ++) {
        if (typ == PC_ACPI_SLP_TYP_S5) {
            continue;
        }
        uint16_t v = ACPI_PM1_CNT_SCI_EN | ACPI_PM1_CNT_SLP_EN |
                     (uint16_t)(typ << ACPI_PM1_CNT_SLP_TYP_SHIFT);
        tb_outw(tb, PM_BASE + ACPI_PM1_CNT, v);
        ck_assert(!system_shutdown_requested());
        ck_assert_uint_eq(tb_inw(tb, PM_BASE + ACPI_PM1_CNT), v & ~ACPI_PM1_CNT_SLP_EN);
    }
    ck_assert_int_eq(run_mainloop_once(), 0);
}
END_TEST

START_TEST(test_pm_reset_control_register)
{
    DeviceState *pm = tb_add_isa(tb, TYPE_ACPI_PM, "rcr=on");
    ck_assert_uint_eq(tb_inb(tb, PC_RESET_CONTROL_PORT), 0);
    tb_outb(tb, PC_RESET_CONTROL_PORT, 0x02);              /* reset type only */
    ck_assert_uint_eq(tb_inb(tb, PC_RESET_CONTROL_PORT), 0x02);
    ck_assert_int_eq(run_mainloop_once(), 0);
    tb_outb(tb, PC_RESET_CONTROL_PORT, 0xff);
    ck_assert_uint_eq(tb_inb(tb, PC_RESET_CONTROL_PORT), 0x06);
    ck_assert_int_eq(run_mainloop_once(), 1);
    device_reset(pm);
    ck_assert_uint_eq(acpi_pm_reset_control_read(pm), 0);
    acpi_pm_reset_control_write(pm, 0x06);
    ck_assert_int_eq(run_mainloop_once(), 1);
    ck_assert(!system_shutdown_requested());
}
END_TEST

START_TEST(test_pm_properties)
{
    DeviceState *pm = tb_add_isa(tb, TYPE_ACPI_PM, "iobase=0xb000,irq=11");
    acpi_pm_power_button(pm);
    tb_outw(tb, 0xb000 + ACPI_PM1_EN, ACPI_PM1_PWRBTN);
    ck_assert_int_eq(tb->irq_level[11], 1);
    ck_assert_int_eq(tb->irq_level[SCI_IRQ], 0);
    ck_assert_uint_eq(tb_inw(tb, PM_BASE + ACPI_PM1_STS), 0xffff);   /* nothing there */
    tb_outb(tb, PC_RESET_CONTROL_PORT, 0x06);              /* not mapped by default */
    ck_assert_uint_eq(tb_inb(tb, PC_RESET_CONTROL_PORT), 0xff);
    ck_assert_int_eq(run_mainloop_once(), 0);
}
END_TEST

static Suite *misc_suite(void)
{
    Suite *s = suite_create("misc-devices");
    TCase *tc = tcase_create("debug-exit");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_debugexit_byte_write);
    tcase_add_test(tc, test_debugexit_dword_write);
    tcase_add_test(tc, test_debugexit_word_write_last_port);
    tcase_add_test(tc, test_debugexit_defaults);
    tcase_add_test(tc, test_debugexit_user_creatable);
    suite_add_tcase(s, tc);

    tc = tcase_create("ioport80");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_ioport80_post_codes);
    suite_add_tcase(s, tc);

    tc = tcase_create("port92");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_port92_a20);
    tcase_add_test(tc, test_port92_fast_reset);
    suite_add_tcase(s, tc);

    tc = tcase_create("acpi-pm");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_pm_timer_rate_and_wrap);
    tcase_add_test(tc, test_pm_timer_status_and_sci);
    tcase_add_test(tc, test_pm_status_write_one_to_clear);
    tcase_add_test(tc, test_pm_s5_powers_off);
    tcase_add_test(tc, test_pm_other_sleep_types_ignored);
    tcase_add_test(tc, test_pm_reset_control_register);
    tcase_add_test(tc, test_pm_properties);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(misc_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
