/* Unit tests: the whole `pc` machine without a CPU. A recording engine stands in for
 * KVM so the interrupt wiring (PIC ExtINT, IOAPIC MSI) can be checked end to end. */
#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/i386/pc.h"
#include "system/mainloop.h"
#include "system/timer.h"

static int extint_level, extint_changes, msi_count;
static uint64_t msi_addr;
static uint32_t msi_data;

static void fake_set_extint(Machine *m, int level)
{
    (void)m;
    if (level != extint_level) {
        extint_changes++;
    }
    extint_level = level;
}

static void fake_deliver_msi(Machine *m, uint64_t addr, uint32_t data)
{
    (void)m;
    msi_count++;
    msi_addr = addr;
    msi_data = data;
}

static const AccelOps fake_engine = {
    .name = "fake",
    .set_extint = fake_set_extint,
    .deliver_msi = fake_deliver_msi,
};

static Machine *make_machine(const char *bios, Error **errp)
{
    type_register_all();
    clock_virtual_set_manual(true);
    mainloop_init();
    MachineConfig cfg = { .ram_size = 64ull << 20, .smp = 2, .nr_serial = 1,
                          .serial = { "null" }, .bios = bios, .linux_unpack = true };
    Machine *m = pc_machine_create(&cfg, errp);
    if (m) {
        m->accel = &fake_engine;
    }
    return m;
}

static Machine *machine(void)
{
    Error *err = NULL;
    Machine *m = make_machine("/usr/share/seabios/bios.bin", &err);
    ck_assert_msg(m != NULL, "%s", err ? err->msg : "?");
    extint_level = extint_changes = msi_count = 0;
    return m;
}

static uint8_t inb(Machine *m, uint16_t p) { return (uint8_t)address_space_ld(&m->as_io, p, 1); }
static void outb(Machine *m, uint16_t p, uint8_t v) { address_space_st(&m->as_io, p, v, 1); }
static uint32_t inl(Machine *m, uint16_t p) { return (uint32_t)address_space_ld(&m->as_io, p, 4); }
static void outl(Machine *m, uint16_t p, uint32_t v) { address_space_st(&m->as_io, p, v, 4); }

static uint32_t pci_read(Machine *m, int dev, int fn, int reg)
{
    outl(m, 0xcf8, 0x80000000u | (uint32_t)dev << 11 | (uint32_t)fn << 8 | (uint32_t)reg);
    return inl(m, 0xcfc);
}

START_TEST(test_pci_devices_present)
{
    Machine *m = machine();
    ck_assert_uint_eq(pci_read(m, 0, 0, 0), 0x12378086);   /* i440FX */
    ck_assert_uint_eq(pci_read(m, 1, 0, 0), 0x70008086);   /* PIIX3 */
    ck_assert_uint_eq(pci_read(m, 5, 0, 0), 0xffffffff);   /* empty slot */
}
END_TEST

START_TEST(test_firmware_mapped_at_reset_vector)
{
    Machine *m = machine();
    /* the reset vector at 0xfffffff0 and its low alias at 0xffff0 hold the same bytes */
    uint8_t hi[16], lo[16];
    address_space_read(&m->as_mem, 0xfffffff0, hi, 16);
    address_space_read(&m->as_mem, 0xffff0, lo, 16);
    ck_assert_mem_eq(hi, lo, 16);
    ck_assert_uint_eq(hi[0], 0xea);                          /* SeaBIOS: a far jump */
    /* RAM works below the firmware */
    address_space_st(&m->as_mem, 0x100000, 0x12345678, 4);
    ck_assert_uint_eq(address_space_ld(&m->as_mem, 0x100000, 4), 0x12345678);
}
END_TEST

START_TEST(test_cmos_memory_size)
{
    Machine *m = machine();
    outb(m, 0x70, 0x34);
    unsigned lo = inb(m, 0x71);
    outb(m, 0x70, 0x35);
    unsigned hi = inb(m, 0x71);
    ck_assert_uint_eq((lo | hi << 8), (64 - 16) * 16);     /* 64 KiB units above 16 MiB */
    outb(m, 0x70, 0x5f);
    ck_assert_uint_eq(inb(m, 0x71), 1);                     /* CPUs - 1 */
}
END_TEST

START_TEST(test_fw_cfg_signature_and_ram_size)
{
    Machine *m = machine();
    address_space_st(&m->as_io, 0x510, 0x0000, 2);
    char sig[5] = { 0 };
    for (int i = 0; i < 4; i++) {
        sig[i] = (char)inb(m, 0x511);
    }
    ck_assert_str_eq(sig, "QEMU");
    address_space_st(&m->as_io, 0x510, 0x0003, 2);           /* RAM size, little-endian */
    uint64_t ram = 0;
    for (int i = 0; i < 8; i++) {
        ram |= (uint64_t)inb(m, 0x511) << (8 * i);
    }
    ck_assert_uint_eq(ram, 64ull << 20);
}
END_TEST

/* PIT channel 0 in mode 2 at ~1 kHz; the PIC is initialised with vector base 0x20. */
static void program_pit_and_pic(Machine *m)
{
    outb(m, 0x20, 0x11); outb(m, 0x21, 0x20); outb(m, 0x21, 0x04); outb(m, 0x21, 0x01);
    outb(m, 0xa0, 0x11); outb(m, 0xa1, 0x28); outb(m, 0xa1, 0x02); outb(m, 0xa1, 0x01);
    outb(m, 0x21, 0xfe);                                     /* only IRQ 0 unmasked */
    outb(m, 0x43, 0x34);
    outb(m, 0x40, 1193 & 0xff);
    outb(m, 0x40, 1193 >> 8);
}

START_TEST(test_pit_reaches_cpu_through_pic)
{
    Machine *m = machine();
    program_pit_and_pic(m);
    clock_virtual_advance(2 * 1000 * 1000);
    timers_run_expired();
    ck_assert_int_eq(extint_level, 1);
    ck_assert_int_eq(pc_machine_pic_ack(m), 0x20);
    outb(m, 0x20, 0x20);                                     /* EOI */
}
END_TEST

START_TEST(test_pit_reaches_ioapic_pin2)
{
    Machine *m = machine();
    program_pit_and_pic(m);
    /* IOAPIC redirection entry for pin 2: vector 0x31, fixed, physical, dest 1, unmasked */
    address_space_st(&m->as_mem, PC_IOAPIC_BASE, 0x10 + 2 * 2 + 1, 4);
    address_space_st(&m->as_mem, PC_IOAPIC_BASE + 0x10, 1u << 24, 4);
    address_space_st(&m->as_mem, PC_IOAPIC_BASE, 0x10 + 2 * 2, 4);
    address_space_st(&m->as_mem, PC_IOAPIC_BASE + 0x10, 0x31, 4);
    clock_virtual_advance(5 * 1000 * 1000);
    timers_run_expired();
    ck_assert_int_ge(msi_count, 1);
    ck_assert_uint_eq(msi_data & 0xff, 0x31);
    ck_assert_uint_eq(msi_addr, 0xfee00000u | 1u << 12);
}
END_TEST

static int resets;
static void count_reset(void) { resets++; }

START_TEST(test_reset_register_requests_reset)
{
    Machine *m = machine();
    system_reset_handler = count_reset;
    resets = 0;
    outb(m, 0xcf9, 0x06);
    mainloop_wait(0);
    ck_assert_int_eq(resets, 1);
    ck_assert(!system_shutdown_requested());
}
END_TEST

START_TEST(test_keyboard_controller_reset)
{
    Machine *m = machine();
    system_reset_handler = count_reset;
    resets = 0;
    outb(m, 0x64, 0xfe);
    mainloop_wait(0);
    ck_assert_int_eq(resets, 1);
}
END_TEST

START_TEST(test_acpi_s5_powers_off)
{
    Machine *m = machine();
    /* SLP_TYP = S5 value, SLP_EN */
    address_space_st(&m->as_io, PC_ACPI_PM_BASE + 4,
                      (PC_ACPI_SLP_TYP_S5 << 10) | (1u << 13), 2);
    ck_assert(system_shutdown_requested());
    ck_assert_int_eq(system_shutdown_cause(), SHUTDOWN_GUEST_POWEROFF);
    ck_assert_int_eq(mainloop_run(), 0);
}
END_TEST

START_TEST(test_bad_firmware_rejected)
{
    Error *err = NULL;
    ck_assert_ptr_null(make_machine("/nonexistent/bios.bin", &err));
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err->msg, "/nonexistent/bios.bin"));
    error_free(err);
}
END_TEST

START_TEST(test_device_tree_paths)
{
    Machine *m = machine();
    ck_assert_ptr_nonnull(object_resolve_path(OBJECT(m), "/pic"));
    ck_assert_ptr_nonnull(object_resolve_path(OBJECT(m), "/serial0"));
    ck_assert(object_is_a(object_resolve_path(OBJECT(m), "/pit"), TYPE_DEVICE));
    Error *err = NULL;
    DeviceState *d = device_new_from_options("isa-debug-exit,iobase=0xf4,iosize=4", &err);
    ck_assert_ptr_nonnull(d);
    ck_assert(pc_machine_add_device(m, d, &err));
    address_space_st(&m->as_io, 0xf4, 0x10, 4);
    ck_assert_int_eq(system_shutdown_cause(), SHUTDOWN_GUEST_EXIT);
    ck_assert_int_eq(mainloop_run(), 0x21);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pc-machine");
    TCase *tc = tcase_create("wiring");
    tcase_set_timeout(tc, 30);
    if (access("/usr/share/seabios/bios.bin", R_OK) != 0) {
        fprintf(stderr, "test_pc_machine: /usr/share/seabios/bios.bin missing "
                "(configure installs the seabios package)\n");
        return 1;
    }
    tcase_add_test(tc, test_pci_devices_present);
    tcase_add_test(tc, test_firmware_mapped_at_reset_vector);
    tcase_add_test(tc, test_cmos_memory_size);
    tcase_add_test(tc, test_fw_cfg_signature_and_ram_size);
    tcase_add_test(tc, test_pit_reaches_cpu_through_pic);
    tcase_add_test(tc, test_pit_reaches_ioapic_pin2);
    tcase_add_test(tc, test_reset_register_requests_reset);
    tcase_add_test(tc, test_keyboard_controller_reset);
    tcase_add_test(tc, test_acpi_s5_powers_off);
    tcase_add_test(tc, test_bad_firmware_rejected);
    tcase_add_test(tc, test_device_tree_paths);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
