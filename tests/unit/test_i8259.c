/* Unit tests for the i8259 PIC pair: programming through ports 0x20/0xa0/0x4d0,
 * requests through the input lines, INTA through i8259_acknowledge. */
#include <check.h>
#include <stdlib.h>

#include "hw/intc/i8259.h"
#include "tests/unit/harness.h"

#define MASTER_CMD 0x20
#define MASTER_DATA 0x21
#define SLAVE_CMD 0xa0
#define SLAVE_DATA 0xa1
#define ELCR_MASTER 0x4d0
#define ELCR_SLAVE 0x4d1

#define OCW2_EOI 0x20
#define OCW2_SPECIFIC_EOI 0x60
#define OCW2_ROTATE_EOI 0xa0
#define OCW2_SET_PRIORITY 0xc0
#define OCW3_READ_IRR 0x0a
#define OCW3_READ_ISR 0x0b
#define OCW3_POLL 0x0c
#define OCW3_SET_SMM 0x68
#define OCW3_CLEAR_SMM 0x48

static TestBoard *tb;
static DeviceState *pic;
static IRQ intr_line;
static int intr_level;
static int intr_raises;

static void intr_handler(void *opaque, int n, int level)
{
    (void)opaque;
    (void)n;
    if (level && !intr_level) {
        intr_raises++;
    }
    intr_level = level;
}

static void setup(void)
{
    tb = tb_new();
    i8259_register_types();
    pic = tb_add_isa(tb, "i8259", NULL);
    intr_level = 0;
    intr_raises = 0;
    irq_init(&intr_line, intr_handler, NULL, 0);
    i8259_set_intr_output(pic, &intr_line);
}

static void teardown(void)
{
    tb_free(tb);
}

/* The usual PC initialisation: edge, cascade, ICW4 with the given bits. */
static void pic_init(uint8_t master_base, uint8_t slave_base, uint8_t icw4_master,
                     uint8_t icw4_slave)
{
    tb_outb(tb, MASTER_CMD, 0x11);
    tb_outb(tb, MASTER_DATA, master_base);
    tb_outb(tb, MASTER_DATA, 0x04);
    tb_outb(tb, MASTER_DATA, icw4_master);
    tb_outb(tb, SLAVE_CMD, 0x11);
    tb_outb(tb, SLAVE_DATA, slave_base);
    tb_outb(tb, SLAVE_DATA, 0x02);
    tb_outb(tb, SLAVE_DATA, icw4_slave);
}

static void pic_init_default(void)
{
    pic_init(0x20, 0x28, 0x01, 0x01);
}

static void set_irq(int n, int level)
{
    irq_set(i8259_get_input(pic, n), level);
}

static void pulse_irq(int n)
{
    set_irq(n, 1);
    set_irq(n, 0);
}

static uint8_t read_isr(uint16_t cmd_port)
{
    tb_outb(tb, cmd_port, OCW3_READ_ISR);
    uint8_t v = tb_inb(tb, cmd_port);
    tb_outb(tb, cmd_port, OCW3_READ_IRR);
    return v;
}

static uint8_t read_irr(uint16_t cmd_port)
{
    tb_outb(tb, cmd_port, OCW3_READ_IRR);
    return tb_inb(tb, cmd_port);
}

START_TEST(test_reset_masks_everything)
{
    ck_assert_uint_eq(tb_inb(tb, MASTER_DATA), 0xff);
    ck_assert_uint_eq(tb_inb(tb, SLAVE_DATA), 0xff);
    pulse_irq(1);
    ck_assert(!i8259_intr_pending(pic));
    ck_assert_int_eq(intr_level, 0);
    ck_assert(i8259_get_input(pic, 16) == NULL);
    ck_assert(i8259_get_input(pic, -1) == NULL);
}
END_TEST

START_TEST(test_init_and_vector_base)
{
    pic_init_default();
    ck_assert_uint_eq(tb_inb(tb, MASTER_DATA), 0x00);   /* ICW1 clears the IMR */
    ck_assert_uint_eq(tb_inb(tb, SLAVE_DATA), 0x00);
    pulse_irq(1);
    ck_assert_int_eq(intr_level, 1);
    ck_assert(i8259_intr_pending(pic));
    ck_assert_int_eq(i8259_acknowledge(pic), 0x21);
    ck_assert_int_eq(intr_level, 0);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);

    /* reprogram: the low three bits of ICW2 are ignored */
    pic_init(0x0f, 0x77, 0x01, 0x01);
    pulse_irq(3);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x0b);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    pulse_irq(14);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x76);
}
END_TEST

START_TEST(test_init_clears_pending_edges)
{
    pic_init_default();
    tb_outb(tb, MASTER_DATA, 0xff);
    pulse_irq(4);
    ck_assert_uint_eq(read_irr(MASTER_CMD) & 0x10, 0x10);
    pic_init_default();
    ck_assert_uint_eq(read_irr(MASTER_CMD) & 0x10, 0);
    ck_assert_int_eq(intr_level, 0);
}
END_TEST

START_TEST(test_mask)
{
    pic_init_default();
    tb_outb(tb, MASTER_DATA, 0x02);
    ck_assert_uint_eq(tb_inb(tb, MASTER_DATA), 0x02);
    pulse_irq(1);
    ck_assert_int_eq(intr_level, 0);
    ck_assert(!i8259_intr_pending(pic));
    ck_assert_uint_eq(read_irr(MASTER_CMD) & 0x02, 0x02);   /* latched while masked */
    tb_outb(tb, MASTER_DATA, 0x00);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x21);

    /* masking the cascade input hides every slave IRQ */
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    tb_outb(tb, MASTER_DATA, 0x04);
    pulse_irq(10);
    ck_assert_int_eq(intr_level, 0);
    tb_outb(tb, MASTER_DATA, 0x00);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x2a);
}
END_TEST

START_TEST(test_priority_order)
{
    pic_init_default();
    pulse_irq(5);
    pulse_irq(3);
    pulse_irq(4);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x23);
    /* IRQ 3 in service holds off the lower levels */
    ck_assert_int_eq(intr_level, 0);
    /* a higher level interrupts it */
    pulse_irq(1);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x21);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0x0a);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);   /* ends IRQ 1 */
    ck_assert_int_eq(intr_level, 0);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);   /* ends IRQ 3 */
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x24);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x25);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0);
}
END_TEST

START_TEST(test_specific_and_nonspecific_eoi)
{
    pic_init_default();
    pulse_irq(5);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x25);
    pulse_irq(3);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x23);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0x28);
    /* a specific EOI may end a level that is not the highest */
    tb_outb(tb, MASTER_CMD, OCW2_SPECIFIC_EOI | 5);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0x08);
    pulse_irq(6);
    ck_assert_int_eq(intr_level, 0);     /* IRQ 3 still in service */
    tb_outb(tb, MASTER_CMD, OCW2_EOI);  /* the highest in service: 3 */
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0x00);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x26);
}
END_TEST

START_TEST(test_rotation)
{
    pic_init_default();
    /* set priority: IRQ 4 lowest, so 5 is now highest */
    tb_outb(tb, MASTER_CMD, OCW2_SET_PRIORITY | 4);
    pulse_irq(3);
    pulse_irq(6);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x26);
    /* rotate on non-specific EOI: 6 becomes lowest, 7 highest */
    tb_outb(tb, MASTER_CMD, OCW2_ROTATE_EOI);
    pulse_irq(6);
    pulse_irq(0);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x20);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x23);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x26);
}
END_TEST

START_TEST(test_cascade)
{
    pic_init(0x08, 0x70, 0x01, 0x01);
    set_irq(8, 1);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_uint_eq(read_irr(MASTER_CMD) & 0x04, 0x04);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x70);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0x04);
    ck_assert_uint_eq(read_isr(SLAVE_CMD), 0x01);
    ck_assert_int_eq(intr_level, 0);
    set_irq(8, 0);

    /* another slave IRQ waits for both EOIs */
    pulse_irq(12);
    ck_assert_int_eq(intr_level, 0);
    tb_outb(tb, SLAVE_CMD, OCW2_EOI);
    ck_assert_uint_eq(read_isr(SLAVE_CMD), 0x00);
    ck_assert_int_eq(intr_level, 0);          /* master IRQ 2 still in service */
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x74);

    /* two slave requests: the second follows after EOIs without a new edge */
    tb_outb(tb, SLAVE_CMD, OCW2_EOI);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    pulse_irq(11);
    pulse_irq(9);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x71);
    tb_outb(tb, SLAVE_CMD, OCW2_EOI);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x73);

    /* master IRQ 1 outranks the whole slave */
    tb_outb(tb, SLAVE_CMD, OCW2_EOI);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    pulse_irq(15);
    pulse_irq(1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x09);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x77);
}
END_TEST

START_TEST(test_cascade_auto_eoi_both)
{
    pic_init(0x08, 0x70, 0x03, 0x03);
    pulse_irq(10);
    pulse_irq(13);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x72);
    ck_assert_int_eq(intr_level, 1);             /* no EOI needed for the next one */
    ck_assert_int_eq(i8259_acknowledge(pic), 0x75);
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0);
    ck_assert_uint_eq(read_isr(SLAVE_CMD), 0);
}
END_TEST

START_TEST(test_external_irq2_ignored)
{
    pic_init_default();
    pulse_irq(2);
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_irr(MASTER_CMD), 0);
}
END_TEST

START_TEST(test_special_fully_nested)
{
    /* without SFNM a higher slave IRQ waits for the master's IRQ 2 EOI */
    pic_init(0x08, 0x70, 0x01, 0x01);
    pulse_irq(10);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x72);
    pulse_irq(9);
    ck_assert_int_eq(intr_level, 0);

    /* with SFNM on the master it nests */
    pic_init(0x08, 0x70, 0x11, 0x01);
    pulse_irq(10);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x72);
    pulse_irq(12);
    ck_assert_int_eq(intr_level, 0);             /* lower than the slave's in-service */
    pulse_irq(9);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x71);
    ck_assert_uint_eq(read_isr(SLAVE_CMD), 0x06);
    /* a lower master level is still held off by IRQ 2 in service */
    pulse_irq(5);
    ck_assert_int_eq(intr_level, 0);
}
END_TEST

START_TEST(test_elcr_level_vs_edge)
{
    pic_init_default();
    tb_outb(tb, ELCR_MASTER, 0xff);
    tb_outb(tb, ELCR_SLAVE, 0xff);
    ck_assert_uint_eq(tb_inb(tb, ELCR_MASTER), 0xf8);   /* IRQ 0, 1, 2 always edge */
    ck_assert_uint_eq(tb_inb(tb, ELCR_SLAVE), 0xde);    /* IRQ 8, 13 always edge */
    tb_outb(tb, ELCR_MASTER, 0x00);
    tb_outb(tb, ELCR_SLAVE, 0x04);                      /* IRQ 10 level */
    ck_assert_uint_eq(tb_inb(tb, ELCR_SLAVE), 0x04);

    /* level: request stays while the line is high, EOI lets it in again */
    set_irq(10, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x2a);
    tb_outb(tb, SLAVE_CMD, OCW2_EOI);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x2a);
    tb_outb(tb, SLAVE_CMD, OCW2_EOI);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    set_irq(10, 0);
    ck_assert_int_eq(intr_level, 0);
    ck_assert_uint_eq(read_irr(SLAVE_CMD), 0);

    /* edge: a line held high requests once; a pulse is remembered */
    set_irq(11, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x2b);
    tb_outb(tb, SLAVE_CMD, OCW2_EOI);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(intr_level, 0);
    set_irq(11, 0);
    pulse_irq(11);
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x2b);

    /* switching a high line to level makes it request at once */
    tb_outb(tb, SLAVE_CMD, OCW2_EOI);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    set_irq(5, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x25);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(intr_level, 0);
    tb_outb(tb, ELCR_MASTER, 0x20);
    ck_assert_int_eq(intr_level, 1);
}
END_TEST

START_TEST(test_auto_eoi)
{
    pic_init(0x20, 0x28, 0x03, 0x01);
    pulse_irq(4);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x24);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0x00);
    pulse_irq(6);
    ck_assert_int_eq(intr_level, 1);      /* nothing in service holds it off */
    ck_assert_int_eq(i8259_acknowledge(pic), 0x26);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0x00);
}
END_TEST

START_TEST(test_ocw3_read_irr_isr)
{
    pic_init_default();
    tb_outb(tb, MASTER_DATA, 0x40);
    pulse_irq(6);
    pulse_irq(3);
    ck_assert_uint_eq(tb_inb(tb, MASTER_CMD), 0x48);      /* IRR is the default */
    ck_assert_int_eq(i8259_acknowledge(pic), 0x23);
    ck_assert_uint_eq(tb_inb(tb, MASTER_CMD), 0x40);
    tb_outb(tb, MASTER_CMD, OCW3_READ_ISR);
    ck_assert_uint_eq(tb_inb(tb, MASTER_CMD), 0x08);
    ck_assert_uint_eq(tb_inb(tb, MASTER_CMD), 0x08);      /* selection persists */
    ck_assert_uint_eq(tb_inb(tb, MASTER_DATA), 0x40);     /* data port still IMR */
    tb_outb(tb, MASTER_CMD, OCW3_READ_IRR);
    ck_assert_uint_eq(tb_inb(tb, MASTER_CMD), 0x40);
}
END_TEST

START_TEST(test_poll_mode)
{
    pic_init_default();
    tb_outb(tb, MASTER_CMD, OCW3_POLL);
    ck_assert_uint_eq(tb_inb(tb, MASTER_CMD) & 0x80, 0);   /* nothing requesting */
    pulse_irq(5);
    pulse_irq(7);
    tb_outb(tb, MASTER_CMD, OCW3_POLL);
    ck_assert_uint_eq(tb_inb(tb, MASTER_CMD), 0x85);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0x20);         /* the poll acknowledged it */
    /* poll is one-shot: the next read is a plain IRR read */
    ck_assert_uint_eq(tb_inb(tb, MASTER_CMD), 0x80);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    tb_outb(tb, MASTER_CMD, OCW3_POLL);
    ck_assert_uint_eq(tb_inb(tb, MASTER_CMD), 0x87);
    tb_outb(tb, MASTER_CMD, OCW2_EOI);
    ck_assert_int_eq(intr_level, 0);

    /* slave poll */
    pulse_irq(13);
    tb_outb(tb, MASTER_CMD, OCW3_POLL);
    ck_assert_uint_eq(tb_inb(tb, MASTER_CMD), 0x82);
    tb_outb(tb, SLAVE_CMD, OCW3_POLL);
    ck_assert_uint_eq(tb_inb(tb, SLAVE_CMD), 0x85);
    ck_assert_uint_eq(read_isr(SLAVE_CMD), 0x20);
}
END_TEST

START_TEST(test_spurious_irq7)
{
    pic_init_default();
    tb_outb(tb, ELCR_MASTER, 0x20);
    set_irq(5, 1);
    ck_assert_int_eq(intr_level, 1);
    set_irq(5, 0);                         /* gone before the INTA cycle */
    ck_assert_int_eq(intr_level, 0);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x27);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0x00);   /* spurious: nothing in service */

    /* masked after raising INTR behaves the same */
    pulse_irq(4);
    tb_outb(tb, MASTER_DATA, 0x10);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x27);
    ck_assert_uint_eq(read_isr(MASTER_CMD), 0x00);
}
END_TEST

START_TEST(test_special_mask_mode)
{
    pic_init_default();
    pulse_irq(3);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x23);
    pulse_irq(5);
    ck_assert_int_eq(intr_level, 0);
    tb_outb(tb, MASTER_CMD, OCW3_SET_SMM);
    tb_outb(tb, MASTER_DATA, 0x08);       /* mask the in-service level */
    ck_assert_int_eq(intr_level, 1);
    ck_assert_int_eq(i8259_acknowledge(pic), 0x25);
    tb_outb(tb, MASTER_CMD, OCW2_SPECIFIC_EOI | 5);
    tb_outb(tb, MASTER_CMD, OCW3_CLEAR_SMM);
    pulse_irq(6);
    ck_assert_int_eq(intr_level, 0);      /* IRQ 3 still in service blocks again */
}
END_TEST

START_TEST(test_intr_output_rewired)
{
    pic_init_default();
    pulse_irq(0);
    ck_assert_int_eq(intr_level, 1);
    intr_level = 0;
    i8259_set_intr_output(pic, &intr_line);   /* a new wire learns the level */
    ck_assert_int_eq(intr_level, 1);
    device_reset(pic);
    ck_assert_int_eq(intr_level, 0);
}
END_TEST

static Suite *i8259_suite(void)
{
    Suite *s = suite_create("i8259");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_reset_masks_everything);
    tcase_add_test(tc, test_init_and_vector_base);
    tcase_add_test(tc, test_init_clears_pending_edges);
    tcase_add_test(tc, test_mask);
    tcase_add_test(tc, test_priority_order);
    tcase_add_test(tc, test_specific_and_nonspecific_eoi);
    tcase_add_test(tc, test_rotation);
    tcase_add_test(tc, test_cascade);
    tcase_add_test(tc, test_cascade_auto_eoi_both);
    tcase_add_test(tc, test_external_irq2_ignored);
    tcase_add_test(tc, test_special_fully_nested);
    tcase_add_test(tc, test_elcr_level_vs_edge);
    tcase_add_test(tc, test_auto_eoi);
    tcase_add_test(tc, test_ocw3_read_irr_isr);
    tcase_add_test(tc, test_poll_mode);
    tcase_add_test(tc, test_spurious_irq7);
    tcase_add_test(tc, test_special_mask_mode);
    tcase_add_test(tc, test_intr_output_rewired);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(i8259_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
