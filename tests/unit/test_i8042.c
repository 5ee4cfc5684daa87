/* Unit tests for the i8042 PS/2 controller, its keyboard and its mouse. */
#include <check.h>
#include <stdlib.h>

#include "hw/input/i8042.h"
#include "system/mainloop.h"
#include "tests/unit/harness.h"

#define KBD_IRQ 1
#define AUX_IRQ 12
#define DATA 0x60
#define CMD 0x64

static TestBoard *tb;
static DeviceState *kbc;

static void setup(void)
{
    tb = tb_new();
    i8042_register_types();
    kbc = tb_add_isa(tb, TYPE_I8042, NULL);
}

static void teardown(void)
{
    tb_free(tb);
}

static uint8_t status(void)
{
    return tb_inb(tb, CMD);
}

/* Read one byte that must be waiting. */
static uint8_t read_data(void)
{
    ck_assert_msg(status() & I8042_STR_OBF, "output buffer empty");
    return tb_inb(tb, DATA);
}

static void expect_bytes(const uint8_t *want, int n)
{
    for (int i = 0; i < n; i++) {
        uint8_t got = read_data();
        ck_assert_msg(got == want[i], "byte %d: got 0x%02x, want 0x%02x", i, got, want[i]);
    }
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
}

#define EXPECT(...) do { \
        const uint8_t want_[] = { __VA_ARGS__ }; \
        expect_bytes(want_, (int)sizeof(want_)); \
    } while (0)

static void write_cmd_byte(uint8_t v)
{
    tb_outb(tb, CMD, 0x60);
    tb_outb(tb, DATA, v);
}

static uint8_t read_cmd_byte(void)
{
    tb_outb(tb, CMD, 0x20);
    return read_data();
}

START_TEST(test_self_tests)
{
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    tb_outb(tb, CMD, 0xaa);
    ck_assert_uint_ne(status() & I8042_STR_A2, 0);
    EXPECT(0x55);
    tb_outb(tb, CMD, 0xab);
    EXPECT(0x00);
    tb_outb(tb, CMD, 0xa9);
    EXPECT(0x00);
    /* replies queue up in order */
    tb_outb(tb, CMD, 0xaa);
    tb_outb(tb, CMD, 0xab);
    EXPECT(0x55, 0x00);
}
END_TEST

START_TEST(test_command_byte_round_trip)
{
    write_cmd_byte(0x65);
    ck_assert_uint_eq(status() & I8042_STR_A2, 0);
    ck_assert_uint_eq(read_cmd_byte(), 0x65);
    ck_assert_uint_ne(status() & I8042_STR_SYS, 0);
    write_cmd_byte(0x01);
    ck_assert_uint_eq(read_cmd_byte(), 0x01);
    ck_assert_uint_eq(status() & I8042_STR_SYS, 0);
    /* other controller RAM bytes */
    tb_outb(tb, CMD, 0x65);
    tb_outb(tb, DATA, 0x3c);
    tb_outb(tb, CMD, 0x25);
    EXPECT(0x3c);
    /* aux and keyboard enable bits */
    tb_outb(tb, CMD, 0xa7);
    tb_outb(tb, CMD, 0xad);
    ck_assert_uint_eq(read_cmd_byte(), 0x01 | I8042_CMD_AUX_DIS | I8042_CMD_KBD_DIS);
    tb_outb(tb, CMD, 0xa8);
    tb_outb(tb, CMD, 0xae);
    ck_assert_uint_eq(read_cmd_byte(), 0x01);
}
END_TEST

START_TEST(test_keyboard_reset_and_identify)
{
    write_cmd_byte(I8042_CMD_KBD_INT);          /* no translation */
    tb_outb(tb, DATA, 0xff);
    EXPECT(0xfa, 0xaa);
    tb_outb(tb, DATA, 0xf2);
    EXPECT(0xfa, 0xab, 0x83);
    /* with translation the id reads 0xab 0x41, as on a real controller */
    write_cmd_byte(I8042_CMD_KBD_INT | I8042_CMD_XLATE);
    tb_outb(tb, DATA, 0xf2);
    EXPECT(0xfa, 0xab, 0x41);
}
END_TEST

START_TEST(test_keyboard_commands)
{
    write_cmd_byte(0);
    tb_outb(tb, DATA, 0xee);
    EXPECT(0xee);
    tb_outb(tb, DATA, 0xed);
    EXPECT(0xfa);
    tb_outb(tb, DATA, 0x07);                    /* LEDs */
    EXPECT(0xfa);
    tb_outb(tb, DATA, 0xf3);
    EXPECT(0xfa);
    tb_outb(tb, DATA, 0x20);                    /* typematic */
    EXPECT(0xfa);
    tb_outb(tb, DATA, 0xf0);
    EXPECT(0xfa);
    tb_outb(tb, DATA, 0x00);                    /* which set? */
    EXPECT(0xfa, 0x02);
    tb_outb(tb, DATA, 0xf0);
    EXPECT(0xfa);
    tb_outb(tb, DATA, 0x03);                    /* set 3 is refused */
    EXPECT(0xfe);
    tb_outb(tb, DATA, 0x42);                    /* not a command */
    EXPECT(0xfe);
    tb_outb(tb, DATA, 0xf6);
    EXPECT(0xfa);
    /* disabled scanning drops keys; enabling brings them back */
    tb_outb(tb, DATA, 0xf5);
    EXPECT(0xfa);
    i8042_put_keycode(kbc, 0x1c);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    tb_outb(tb, DATA, 0xf4);
    EXPECT(0xfa);
    i8042_put_keycode(kbc, 0x1c);
    EXPECT(0x1c);
}
END_TEST

START_TEST(test_keyboard_selects_set1)
{
    write_cmd_byte(0);
    tb_outb(tb, DATA, 0xf0);
    EXPECT(0xfa);
    tb_outb(tb, DATA, 0x01);
    EXPECT(0xfa);
    i8042_put_keycode(kbc, 0x1c);
    i8042_put_keycode(kbc, 0xf0);
    i8042_put_keycode(kbc, 0x1c);
    EXPECT(0x1e, 0x9e);
}
END_TEST

START_TEST(test_irq1_follows_data_and_enable)
{
    write_cmd_byte(I8042_CMD_KBD_INT);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 0);
    i8042_put_keycode(kbc, 0x1c);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 1);
    ck_assert_int_eq(tb->irq_level[AUX_IRQ], 0);
    ck_assert_uint_eq(status() & (I8042_STR_OBF | I8042_STR_AUX_OBF), I8042_STR_OBF);
    ck_assert_uint_eq(tb_inb(tb, DATA), 0x1c);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 0);
    /* two bytes: the line drops and rises again for the second */
    i8042_put_keycode(kbc, 0xf0);
    i8042_put_keycode(kbc, 0x1c);
    int raises = tb->irq_raises[KBD_IRQ];
    ck_assert_uint_eq(tb_inb(tb, DATA), 0xf0);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 1);
    ck_assert_int_eq(tb->irq_raises[KBD_IRQ], raises + 1);
    ck_assert_uint_eq(tb_inb(tb, DATA), 0x1c);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 0);

    /* interrupt disabled: data waits, no IRQ */
    write_cmd_byte(0);
    i8042_put_keycode(kbc, 0x1c);
    ck_assert_uint_ne(status() & I8042_STR_OBF, 0);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 0);
    /* enabling the interrupt with data waiting raises it */
    write_cmd_byte(I8042_CMD_KBD_INT);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 1);
    ck_assert_uint_eq(tb_inb(tb, DATA), 0x1c);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 0);
}
END_TEST

START_TEST(test_keyboard_interface_disable_holds_data)
{
    write_cmd_byte(I8042_CMD_KBD_INT);
    tb_outb(tb, CMD, 0xad);
    i8042_put_keycode(kbc, 0x1c);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 0);
    tb_outb(tb, CMD, 0xae);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 1);
    EXPECT(0x1c);
}
END_TEST

START_TEST(test_translation)
{
    write_cmd_byte(I8042_CMD_XLATE);
    static const uint8_t set2[] = { 0x1c, 0xf0, 0x1c, 0xe0, 0x75, 0xe0, 0xf0, 0x75, 0x76,
                                    0x5a, 0x29, 0x83 };
    for (size_t i = 0; i < sizeof(set2); i++) {
        i8042_put_keycode(kbc, set2[i]);
    }
    /* A make/break, Up make/break, Esc, Enter, Space, F7 */
    EXPECT(0x1e, 0x9e, 0xe0, 0x48, 0xe0, 0xc8, 0x01, 0x1c, 0x39, 0x41);
    /* the scancode-set reply is translated too */
    tb_outb(tb, DATA, 0xf0);
    EXPECT(0xfa);
    tb_outb(tb, DATA, 0x00);
    EXPECT(0xfa, 0x41);
}
END_TEST

START_TEST(test_queue_overflow_bounded)
{
    write_cmd_byte(0);
    for (int i = 0; i < 1000; i++) {
        i8042_put_keycode(kbc, 0x1c);
    }
    int n = 0;
    while ((status() & I8042_STR_OBF) && n < 2000) {
        ck_assert_uint_eq(tb_inb(tb, DATA), 0x1c);
        n++;
    }
    ck_assert_int_le(n, I8042_QUEUE_SIZE + 1);
    ck_assert_int_ge(n, I8042_QUEUE_SIZE);
    /* controller replies are bounded too */
    for (int i = 0; i < 1000; i++) {
        tb_outb(tb, CMD, 0xaa);
    }
    n = 0;
    while ((status() & I8042_STR_OBF) && n < 2000) {
        ck_assert_uint_eq(tb_inb(tb, DATA), 0x55);
        n++;
    }
    ck_assert_int_le(n, 16);
    ck_assert_int_ge(n, 1);
    /* the mouse in wrap mode echoes at most its queue size */
    tb_outb(tb, CMD, 0xd4);
    tb_outb(tb, DATA, 0xee);
    EXPECT(0xfa);
    for (int i = 0; i < 1000; i++) {
        tb_outb(tb, CMD, 0xd4);
        tb_outb(tb, DATA, 0x11);
    }
    n = 0;
    while ((status() & I8042_STR_OBF) && n < 2000) {
        ck_assert_uint_eq(tb_inb(tb, DATA), 0x11);
        n++;
    }
    ck_assert_int_le(n, I8042_QUEUE_SIZE + 1);
}
END_TEST

START_TEST(test_aux_device)
{
    write_cmd_byte(I8042_CMD_AUX_INT);
    tb_outb(tb, CMD, 0xd4);
    tb_outb(tb, DATA, 0xff);
    ck_assert_uint_eq(status() & (I8042_STR_OBF | I8042_STR_AUX_OBF),
                      I8042_STR_OBF | I8042_STR_AUX_OBF);
    ck_assert_int_eq(tb->irq_level[AUX_IRQ], 1);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 0);
    EXPECT(0xfa, 0xaa, 0x00);
    ck_assert_int_eq(tb->irq_level[AUX_IRQ], 0);

    tb_outb(tb, CMD, 0xd4);
    tb_outb(tb, DATA, 0xf2);
    EXPECT(0xfa, 0x00);
    tb_outb(tb, CMD, 0xd4);
    tb_outb(tb, DATA, 0xf3);
    EXPECT(0xfa);
    tb_outb(tb, CMD, 0xd4);
    tb_outb(tb, DATA, 40);
    EXPECT(0xfa);
    tb_outb(tb, CMD, 0xd4);
    tb_outb(tb, DATA, 0xe9);
    EXPECT(0xfa, 0x00, 0x02, 40);               /* stream, disabled; res 2; rate 40 */

    /* movement is reported only once enabled */
    i8042_put_mouse_event(kbc, 5, -3, 1);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    tb_outb(tb, CMD, 0xd4);
    tb_outb(tb, DATA, 0xf4);
    EXPECT(0xfa);
    i8042_put_mouse_event(kbc, 5, -3, 1);
    EXPECT(0x29, 0x05, 0xfd);
    tb_outb(tb, CMD, 0xd4);
    tb_outb(tb, DATA, 0xe9);
    EXPECT(0xfa, 0x21, 0x02, 40);
    tb_outb(tb, CMD, 0xd4);
    tb_outb(tb, DATA, 0x42);                    /* unknown */
    EXPECT(0xfe);

    /* loopback through the aux output buffer (Linux's AUX_LOOP probe) */
    tb_outb(tb, CMD, 0xd3);
    tb_outb(tb, DATA, 0x5a);
    ck_assert_uint_ne(status() & I8042_STR_AUX_OBF, 0);
    ck_assert_int_eq(tb->irq_level[AUX_IRQ], 1);
    EXPECT(0x5a);
    /* keyboard output buffer write */
    write_cmd_byte(I8042_CMD_KBD_INT);
    tb_outb(tb, CMD, 0xd2);
    tb_outb(tb, DATA, 0x33);
    ck_assert_uint_eq(status() & I8042_STR_AUX_OBF, 0);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 1);
    EXPECT(0x33);
}
END_TEST

START_TEST(test_aux_disable_holds_data)
{
    write_cmd_byte(I8042_CMD_AUX_INT | I8042_CMD_AUX_DIS);
    tb_outb(tb, CMD, 0xd4);
    tb_outb(tb, DATA, 0xf2);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    tb_outb(tb, CMD, 0xa8);
    ck_assert_int_eq(tb->irq_level[AUX_IRQ], 1);
    EXPECT(0xfa, 0x00);
}
END_TEST

static int a20_calls;
static bool a20_last;

static void record_a20(void *opaque, bool enabled)
{
    ck_assert_ptr_eq(opaque, &a20_calls);
    a20_calls++;
    a20_last = enabled;
}

START_TEST(test_a20_through_output_port)
{
    i8042_set_a20_handler(kbc, record_a20, &a20_calls);
    tb_outb(tb, CMD, 0xd0);
    ck_assert_uint_ne(read_data() & I8042_OUT_A20, 0);
    tb_outb(tb, CMD, 0xd1);
    tb_outb(tb, DATA, 0xdd);                    /* A20 off, not in reset */
    ck_assert_int_eq(a20_calls, 1);
    ck_assert(!a20_last);
    tb_outb(tb, CMD, 0xd0);
    ck_assert_uint_eq(read_data() & (I8042_OUT_A20 | I8042_OUT_RESET), I8042_OUT_RESET);
    tb_outb(tb, CMD, 0xd1);
    tb_outb(tb, DATA, 0xdf);
    ck_assert_int_eq(a20_calls, 2);
    ck_assert(a20_last);
    tb_outb(tb, CMD, 0xdd);
    ck_assert(!a20_last);
    tb_outb(tb, CMD, 0xdf);
    ck_assert(a20_last);
    ck_assert(!system_shutdown_requested());
}
END_TEST

static int resets;

static void record_reset(void)
{
    resets++;
}

/* Let the main loop act on pending system requests. */
static void run_mainloop_once(void)
{
    mainloop_init();
    system_reset_handler = record_reset;
    devlock_lock();
    mainloop_wait(0);
    devlock_unlock();
}

START_TEST(test_pulse_fe_requests_reset)
{
    tb_outb(tb, CMD, 0xff);                     /* pulses nothing */
    run_mainloop_once();
    ck_assert_int_eq(resets, 0);
    tb_outb(tb, CMD, 0xfe);
    run_mainloop_once();
    ck_assert_int_eq(resets, 1);
    run_mainloop_once();
    ck_assert_int_eq(resets, 1);
}
END_TEST

START_TEST(test_output_port_reset_bit)
{
    tb_outb(tb, CMD, 0xd1);
    tb_outb(tb, DATA, 0xdf);                    /* bit 0 high: no reset */
    run_mainloop_once();
    ck_assert_int_eq(resets, 0);
    tb_outb(tb, CMD, 0xd1);
    tb_outb(tb, DATA, 0xde);                    /* bit 0 low: reset */
    run_mainloop_once();
    ck_assert_int_eq(resets, 1);
}
END_TEST

START_TEST(test_device_reset)
{
    write_cmd_byte(I8042_CMD_KBD_INT);
    i8042_put_keycode(kbc, 0x1c);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 1);
    device_reset(kbc);
    ck_assert_int_eq(tb->irq_level[KBD_IRQ], 0);
    ck_assert_uint_eq(status() & I8042_STR_OBF, 0);
    ck_assert_uint_eq(read_cmd_byte(), I8042_CMD_KBD_INT | I8042_CMD_AUX_INT |
                      I8042_CMD_SYS | I8042_CMD_XLATE);
}
END_TEST

static Suite *i8042_suite(void)
{
    Suite *s = suite_create("i8042");
    TCase *tc = tcase_create("i8042");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_self_tests);
    tcase_add_test(tc, test_command_byte_round_trip);
    tcase_add_test(tc, test_keyboard_reset_and_identify);
    tcase_add_test(tc, test_keyboard_commands);
    tcase_add_test(tc, test_keyboard_selects_set1);
    tcase_add_test(tc, test_irq1_follows_data_and_enable);
    tcase_add_test(tc, test_keyboard_interface_disable_holds_data);
    tcase_add_test(tc, test_translation);
    tcase_add_test(tc, test_queue_overflow_bounded);
    tcase_add_test(tc, test_aux_device);
    tcase_add_test(tc, test_aux_disable_holds_data);
    tcase_add_test(tc, test_a20_through_output_port);
    tcase_add_test(tc, test_pulse_fe_requests_reset);
    tcase_add_test(tc, test_output_port_reset_bit);
    tcase_add_test(tc, test_device_reset);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(i8042_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
