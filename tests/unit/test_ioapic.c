/* Unit tests for the I/O APIC: registers through its MMIO window mapped at
 * 0xfec00000 on the test memory map, deliveries recorded from the MSI handler. */
#include <check.h>
#include <stdlib.h>

#include "hw/intc/ioapic.h"
#include "tests/unit/harness.h"

#define BASE 0xfec00000ull
#define MAX_MSGS 64

typedef struct Msg {
    uint64_t addr;
    uint32_t data;
} Msg;

static TestBoard *tb;
static DeviceState *ioapic;
static Msg msgs[MAX_MSGS];
static int nr_msgs;

static void record_msi(void *opaque, uint64_t addr, uint32_t data)
{
    ck_assert_ptr_eq(opaque, &msgs);
    ck_assert_int_lt(nr_msgs, MAX_MSGS);
    msgs[nr_msgs].addr = addr;
    msgs[nr_msgs].data = data;
    nr_msgs++;
}

static DeviceState *make_ioapic(const char *id)
{
    Error *err = NULL;
    DeviceState *dev = device_new(TYPE_IOAPIC);
    ck_assert_ptr_nonnull(dev);
    if (id) {
        ck_assert(device_set_prop(dev, "id", id, &err));
    }
    object_add_child(tb->root, "ioapic", OBJECT(dev));
    object_unref(OBJECT(dev));
    ck_assert(device_realize(dev, NULL, &err));
    memory_region_add_subregion(&tb->mem_root, BASE, ioapic_get_mmio(dev));
    ioapic_set_msi_handler(dev, record_msi, &msgs);
    return dev;
}

static void setup(void)
{
    tb = tb_new();
    ioapic_register_types();
    nr_msgs = 0;
    ioapic = make_ioapic(NULL);
}

static void teardown(void)
{
    tb_free(tb);
}

static uint32_t reg_read(uint8_t index)
{
    address_space_st(&tb->mem, BASE + IOAPIC_IOREGSEL, index, 4);
    return (uint32_t)address_space_ld(&tb->mem, BASE + IOAPIC_IOWIN, 4);
}

static void reg_write(uint8_t index, uint32_t val)
{
    address_space_st(&tb->mem, BASE + IOAPIC_IOREGSEL, index, 4);
    address_space_st(&tb->mem, BASE + IOAPIC_IOWIN, val, 4);
}

static void set_entry(int pin, uint64_t entry)
{
    reg_write(IOAPIC_REG_REDTBL + 2 * pin + 1, (uint32_t)(entry >> 32));
    reg_write(IOAPIC_REG_REDTBL + 2 * pin, (uint32_t)entry);
}

static uint64_t get_entry(int pin)
{
    return reg_read(IOAPIC_REG_REDTBL + 2 * pin) |
           ((uint64_t)reg_read(IOAPIC_REG_REDTBL + 2 * pin + 1) << 32);
}

static void set_pin(int pin, int level)
{
    irq_set(ioapic_get_input(ioapic, pin), level);
}

START_TEST(test_version_and_id)
{
    ck_assert_uint_eq(reg_read(IOAPIC_REG_VER), 0x00170020);
    ck_assert_uint_eq(reg_read(IOAPIC_REG_ID), 0);
    reg_write(IOAPIC_REG_VER, 0xffffffff);            /* read-only */
    ck_assert_uint_eq(reg_read(IOAPIC_REG_VER), 0x00170020);
    reg_write(IOAPIC_REG_ID, 0xffffffff);
    ck_assert_uint_eq(reg_read(IOAPIC_REG_ID), 0x0f000000);
    ck_assert_uint_eq(address_space_ld(&tb->mem, BASE + IOAPIC_IOREGSEL, 4), IOAPIC_REG_ID);
    ck_assert_uint_eq(reg_read(0x05), 0);              /* reserved index */
    ck_assert(ioapic_get_input(ioapic, IOAPIC_NUM_PINS) == NULL);
    ck_assert(ioapic_get_input(ioapic, -1) == NULL);
}
END_TEST

START_TEST(test_id_property_and_reset)
{
    object_unparent(OBJECT(ioapic));                   /* drop the default one */
    ioapic = make_ioapic("5");
    ck_assert_uint_eq(reg_read(IOAPIC_REG_ID), 0x05000000);
    ck_assert_uint_eq(reg_read(IOAPIC_REG_ARB), 0x05000000);
    reg_write(IOAPIC_REG_ID, 0x09000000);
    set_entry(3, 0x31);
    device_reset(ioapic);
    ck_assert_uint_eq(reg_read(IOAPIC_REG_ID), 0x05000000);
    ck_assert_uint_eq(get_entry(3), IOAPIC_RTE_MASKED);
}
END_TEST

START_TEST(test_redirection_entry_bits)
{
    for (int pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        ck_assert_uint_eq(get_entry(pin), IOAPIC_RTE_MASKED);   /* reset: masked */
    }
    reg_write(IOAPIC_REG_REDTBL, 0xffffffff);
    /* Delivery Status (12), Remote IRR (14) and bits 17-31 read as 0 */
    ck_assert_uint_eq(reg_read(IOAPIC_REG_REDTBL), 0x0001afff);
    reg_write(IOAPIC_REG_REDTBL + 1, 0xffffffff);
    ck_assert_uint_eq(reg_read(IOAPIC_REG_REDTBL + 1), 0xff000000);
    /* halves are independent */
    reg_write(IOAPIC_REG_REDTBL, 0x00010042);
    ck_assert_uint_eq(get_entry(0), 0xff00000000010042ull);
    /* the last pin's entry at 0x3e/0x3f, nothing beyond */
    set_entry(23, 0x1200000000000077ull);
    ck_assert_uint_eq(get_entry(23), 0x1200000000000077ull);
    reg_write(0x40, 0xffffffff);
    ck_assert_uint_eq(reg_read(0x40), 0);
    ck_assert_uint_eq(reg_read(0xff), 0);
    ck_assert_int_eq(nr_msgs, 0);
}
END_TEST

START_TEST(test_edge_delivery_once_per_rising_edge)
{
    set_entry(4, (1ull << IOAPIC_RTE_DEST_SHIFT) | 0x31);
    set_pin(4, 1);
    ck_assert_int_eq(nr_msgs, 1);
    ck_assert_uint_eq(msgs[0].addr, 0xfee01000ull);
    ck_assert_uint_eq(msgs[0].data, 0x31);
    set_pin(4, 1);                       /* no edge */
    ck_assert_int_eq(nr_msgs, 1);
    set_pin(4, 0);
    ck_assert_int_eq(nr_msgs, 1);
    set_pin(4, 1);
    ck_assert_int_eq(nr_msgs, 2);
    irq_pulse(ioapic_get_input(ioapic, 4));   /* already high: no new edge */
    ck_assert_int_eq(nr_msgs, 2);
    irq_pulse(ioapic_get_input(ioapic, 4));
    ck_assert_int_eq(nr_msgs, 3);
    /* edge entries never set Remote IRR */
    ck_assert_uint_eq(get_entry(4) & IOAPIC_RTE_REMOTE_IRR, 0);
}
END_TEST

START_TEST(test_masked_pins_do_not_deliver)
{
    set_entry(5, IOAPIC_RTE_MASKED | 0x35);
    irq_pulse(ioapic_get_input(ioapic, 5));
    set_pin(5, 1);
    ck_assert_int_eq(nr_msgs, 0);
    /* an edge seen while masked is dropped, not held */
    set_entry(5, 0x35);
    ck_assert_int_eq(nr_msgs, 0);
    set_pin(5, 0);
    set_pin(5, 1);
    ck_assert_int_eq(nr_msgs, 1);

    /* a masked level pin delivers once unmasked if still asserted */
    set_entry(9, IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL | 0x39);
    set_pin(9, 1);
    ck_assert_int_eq(nr_msgs, 1);
    set_entry(9, IOAPIC_RTE_LEVEL | 0x39);
    ck_assert_int_eq(nr_msgs, 2);
    ck_assert_uint_eq(msgs[1].data & 0xff, 0x39);

    /* other pins stay quiet */
    set_pin(7, 1);
    ck_assert_int_eq(nr_msgs, 2);
}
END_TEST

START_TEST(test_level_remote_irr_and_eoi)
{
    set_entry(10, IOAPIC_RTE_LEVEL | 0x40);
    set_pin(10, 1);
    ck_assert_int_eq(nr_msgs, 1);
    ck_assert_uint_eq(msgs[0].data, 0xc040);
    ck_assert(get_entry(10) & IOAPIC_RTE_REMOTE_IRR);
    /* further activity waits for the EOI */
    set_pin(10, 0);
    set_pin(10, 1);
    ck_assert_int_eq(nr_msgs, 1);
    /* the guest cannot clear Remote IRR by writing it */
    reg_write(IOAPIC_REG_REDTBL + 20, (uint32_t)(IOAPIC_RTE_LEVEL | 0x40));
    ck_assert(get_entry(10) & IOAPIC_RTE_REMOTE_IRR);
    ck_assert_int_eq(nr_msgs, 1);
    /* another vector's EOI does nothing */
    ioapic_eoi_broadcast(ioapic, 0x41);
    ck_assert_int_eq(nr_msgs, 1);
    /* EOI with the line still asserted: delivered again */
    ioapic_eoi_broadcast(ioapic, 0x40);
    ck_assert_int_eq(nr_msgs, 2);
    ck_assert(get_entry(10) & IOAPIC_RTE_REMOTE_IRR);
    /* line dropped, EOI: Remote IRR clear, nothing sent */
    set_pin(10, 0);
    ioapic_eoi_broadcast(ioapic, 0x40);
    ck_assert_int_eq(nr_msgs, 2);
    ck_assert_uint_eq(get_entry(10) & IOAPIC_RTE_REMOTE_IRR, 0);
    set_pin(10, 1);
    ck_assert_int_eq(nr_msgs, 3);

    /* the version 0x20 EOI register does the same */
    address_space_st(&tb->mem, BASE + IOAPIC_EOI, 0x40, 4);
    ck_assert_int_eq(nr_msgs, 4);
    set_pin(10, 0);
    address_space_st(&tb->mem, BASE + IOAPIC_EOI, 0x40, 4);
    ck_assert_uint_eq(get_entry(10) & IOAPIC_RTE_REMOTE_IRR, 0);
    ck_assert_int_eq(nr_msgs, 4);
}
END_TEST

START_TEST(test_switch_to_edge_clears_remote_irr)
{
    set_entry(11, IOAPIC_RTE_LEVEL | 0x50);
    set_pin(11, 1);
    ck_assert(get_entry(11) & IOAPIC_RTE_REMOTE_IRR);
    set_entry(11, 0x50);
    ck_assert_uint_eq(get_entry(11) & IOAPIC_RTE_REMOTE_IRR, 0);
    ck_assert_int_eq(nr_msgs, 1);
    /* back to level with the pin high: it is delivered at once */
    set_entry(11, IOAPIC_RTE_LEVEL | 0x50);
    ck_assert_int_eq(nr_msgs, 2);
}
END_TEST

START_TEST(test_msi_encoding)
{
    /* logical destination 0x5a, lowest priority, edge */
    set_entry(1, (0x5aull << IOAPIC_RTE_DEST_SHIFT) | IOAPIC_RTE_DEST_LOGICAL |
                 (1ull << IOAPIC_RTE_DELIVERY_MODE_SHIFT) | 0x77);
    set_pin(1, 1);
    ck_assert_int_eq(nr_msgs, 1);
    ck_assert_uint_eq(msgs[0].addr, 0xfee5a004ull);
    ck_assert_uint_eq(msgs[0].data, 0x0177);

    /* physical 0xff (broadcast), NMI, level */
    set_entry(2, (0xffull << IOAPIC_RTE_DEST_SHIFT) | IOAPIC_RTE_LEVEL |
                 (4ull << IOAPIC_RTE_DELIVERY_MODE_SHIFT) | 0x02);
    set_pin(2, 1);
    ck_assert_int_eq(nr_msgs, 2);
    ck_assert_uint_eq(msgs[1].addr, 0xfeeff000ull);
    ck_assert_uint_eq(msgs[1].data, 0xc402);

    /* ExtINT to APIC 3 */
    set_entry(0, (3ull << IOAPIC_RTE_DEST_SHIFT) | (7ull << IOAPIC_RTE_DELIVERY_MODE_SHIFT));
    set_pin(0, 1);
    ck_assert_int_eq(nr_msgs, 3);
    ck_assert_uint_eq(msgs[2].addr, 0xfee03000ull);
    ck_assert_uint_eq(msgs[2].data, 0x0700);
}
END_TEST

START_TEST(test_polarity)
{
    /* active-low level pin with the line low is asserted as soon as unmasked */
    set_entry(16, IOAPIC_RTE_LEVEL | IOAPIC_RTE_ACTIVE_LOW | 0x60);
    ck_assert_int_eq(nr_msgs, 1);
    set_pin(16, 1);                      /* deasserted */
    ioapic_eoi_broadcast(ioapic, 0x60);
    ck_assert_int_eq(nr_msgs, 1);
    set_pin(16, 0);                      /* asserted again */
    ck_assert_int_eq(nr_msgs, 2);

    /* active-low edge pin: the falling edge of the line delivers */
    set_pin(17, 1);
    set_entry(17, IOAPIC_RTE_ACTIVE_LOW | 0x61);
    ck_assert_int_eq(nr_msgs, 2);
    set_pin(17, 0);
    ck_assert_int_eq(nr_msgs, 3);
    ck_assert_uint_eq(msgs[2].data, 0x61);
    set_pin(17, 1);
    ck_assert_int_eq(nr_msgs, 3);
}
END_TEST

START_TEST(test_no_handler_is_harmless)
{
    ioapic_set_msi_handler(ioapic, NULL, NULL);
    set_entry(3, IOAPIC_RTE_LEVEL | 0x33);
    set_pin(3, 1);
    ck_assert(get_entry(3) & IOAPIC_RTE_REMOTE_IRR);
    ck_assert_int_eq(nr_msgs, 0);
    /* byte access to IOREGSEL selects a register too */
    address_space_st(&tb->mem, BASE + IOAPIC_IOREGSEL, IOAPIC_REG_VER, 1);
    ck_assert_uint_eq(address_space_ld(&tb->mem, BASE + IOAPIC_IOWIN, 4), 0x00170020);
    /* unused offsets of the window read as zero and ignore writes */
    address_space_st(&tb->mem, BASE + 0x20, 0xffffffff, 4);
    ck_assert_uint_eq(address_space_ld(&tb->mem, BASE + 0x20, 4), 0);
    ck_assert_uint_eq(address_space_ld(&tb->mem, BASE + 0xffc, 4), 0);
}
END_TEST

static Suite *ioapic_suite(void)
{
    Suite *s = suite_create("ioapic");
    TCase *tc = tcase_create("core");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_version_and_id);
    tcase_add_test(tc, test_id_property_and_reset);
    tcase_add_test(tc, test_redirection_entry_bits);
    tcase_add_test(tc, test_edge_delivery_once_per_rising_edge);
    tcase_add_test(tc, test_masked_pins_do_not_deliver);
    tcase_add_test(tc, test_level_remote_irr_and_eoi);
    tcase_add_test(tc, test_switch_to_edge_clears_remote_irr);
    tcase_add_test(tc, test_msi_encoding);
    tcase_add_test(tc, test_polarity);
    tcase_add_test(tc, test_no_handler_is_harmless);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(ioapic_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
