/* Unit tests for the ACPI tables: checksums, pointers, FADT and MADT contents, AML. */
#include "hw/i386/acpi_build.h"
#include "hw/i386/pc.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define BASE 0xe0000ull

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++) {
        s += p[i];
    }
    return s;
}

/* The table at guest address addr, checked to lie inside the image with its length. */
static const uint8_t *table_at(const AcpiTables *t, uint64_t addr, const char *sig)
{
    ck_assert_uint_ge(addr, t->base);
    ck_assert_uint_le(addr - t->base + ACPI_HDR_SIZE, t->len);
    const uint8_t *p = t->buf + (addr - t->base);
    ck_assert_mem_eq(p, sig, 4);
    ck_assert_uint_le(addr - t->base + le(p + 4, 4), t->len);
    return p;
}

static void build(AcpiTables *t, int cpus)
{
    AcpiConfig cfg = { .nr_cpus = cpus, .ioapic_id = 0 };
    Error *err = NULL;
    ck_assert(acpi_build_tables(t, &cfg, BASE, &err));
    ck_assert_ptr_null(err);
}

START_TEST(test_rsdp)
{
    AcpiTables t;
    build(&t, 2);
    ck_assert_uint_eq(t.rsdp, BASE);
    const uint8_t *r = t.buf;
    ck_assert_mem_eq(r, "RSD PTR ", 8);
    ck_assert_uint_eq(r[15], 2);
    ck_assert_uint_eq(sum(r, 20), 0);
    ck_assert_uint_eq(le(r + 20, 4), 36);
    ck_assert_uint_eq(sum(r, 36), 0);
    ck_assert_uint_eq(le(r + 16, 4), t.rsdt);
    ck_assert_uint_eq(le(r + 24, 8), t.xsdt);
    table_at(&t, t.rsdt, "RSDT");
    table_at(&t, t.xsdt, "XSDT");
    acpi_tables_free(&t);
}
END_TEST

START_TEST(test_checksums_and_pointers)
{
    AcpiTables t;
    build(&t, 4);
    const struct { uint64_t addr; const char *sig; } tables[] = {
        { t.rsdt, "RSDT" }, { t.xsdt, "XSDT" }, { t.fadt, "FACP" },
        { t.madt, "APIC" }, { t.dsdt, "DSDT" },
    };
    for (size_t i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
        const uint8_t *p = table_at(&t, tables[i].addr, tables[i].sig);
        ck_assert_msg(sum(p, le(p + 4, 4)) == 0, "%s checksum", tables[i].sig);
        ck_assert_uint_eq(acpi_checksum(p, le(p + 4, 4)), 0);
    }
    /* RSDT and XSDT list the FADT and the MADT */
    const uint8_t *rsdt = table_at(&t, t.rsdt, "RSDT");
    const uint8_t *xsdt = table_at(&t, t.xsdt, "XSDT");
    ck_assert_uint_eq(le(rsdt + 4, 4), ACPI_HDR_SIZE + 2 * 4);
    ck_assert_uint_eq(le(xsdt + 4, 4), ACPI_HDR_SIZE + 2 * 8);
    for (int i = 0; i < 2; i++) {
        uint64_t r = le(rsdt + ACPI_HDR_SIZE + 4 * i, 4);
        uint64_t x = le(xsdt + ACPI_HDR_SIZE + 8 * i, 8);
        ck_assert_uint_eq(r, x);
        table_at(&t, r, i == 0 ? "FACP" : "APIC");
    }
    /* FACS: 64-byte aligned, signature, length */
    ck_assert_uint_eq(t.facs % 64, 0);
    const uint8_t *facs = table_at(&t, t.facs, "FACS");
    ck_assert_uint_eq(le(facs + 4, 4), 64);
    acpi_tables_free(&t);
}
END_TEST

START_TEST(test_fadt_fields)
{
    AcpiTables t;
    build(&t, 1);
    const uint8_t *f = table_at(&t, t.fadt, "FACP");
    ck_assert_uint_eq(le(f + 4, 4), ACPI_FADT_SIZE);
    ck_assert_uint_ge(f[8], 3);
    ck_assert_uint_eq(le(f + 36, 4), t.facs);
    ck_assert_uint_eq(le(f + 40, 4), t.dsdt);
    ck_assert_uint_eq(le(f + 46, 2), PC_ACPI_SCI_IRQ);
    ck_assert_uint_eq(le(f + 48, 4), 0);                   /* SMI_CMD */
    ck_assert_uint_eq(le(f + 56, 4), PC_ACPI_PM_BASE);     /* PM1a_EVT_BLK */
    ck_assert_uint_eq(le(f + 64, 4), PC_ACPI_PM_BASE + 4); /* PM1a_CNT_BLK */
    ck_assert_uint_eq(le(f + 76, 4), PC_ACPI_PM_BASE + 8); /* PM_TMR_BLK */
    ck_assert_uint_eq(f[88], 4);
    ck_assert_uint_eq(f[89], 2);
    ck_assert_uint_eq(f[91], 4);
    ck_assert_uint_eq(le(f + 109, 2) & ACPI_BOOT_ARCH_8042, ACPI_BOOT_ARCH_8042);
    uint32_t flags = (uint32_t)le(f + 112, 4);
    uint32_t want = ACPI_FADT_F_WBINVD | ACPI_FADT_F_PROC_C1 | ACPI_FADT_F_SLP_BUTTON |
                    ACPI_FADT_F_RESET_REG_SUP;
    ck_assert_uint_eq(flags & want, want);
    /* RESET_REG: system I/O, 8 bits at 0xcf9, value 6 */
    ck_assert_uint_eq(f[116], 1);
    ck_assert_uint_eq(f[117], 8);
    ck_assert_uint_eq(le(f + 120, 8), PC_RESET_CONTROL_PORT);
    ck_assert_uint_eq(f[128], 0x06);
    /* X_ fields */
    ck_assert_uint_eq(le(f + 132, 8), t.facs);
    ck_assert_uint_eq(le(f + 140, 8), t.dsdt);
    ck_assert_uint_eq(f[148], 1);
    ck_assert_uint_eq(f[149], 32);
    ck_assert_uint_eq(le(f + 152, 8), PC_ACPI_PM_BASE);     /* X_PM1a_EVT_BLK */
    ck_assert_uint_eq(f[172], 1);
    ck_assert_uint_eq(f[173], 16);
    ck_assert_uint_eq(le(f + 176, 8), PC_ACPI_PM_BASE + 4); /* X_PM1a_CNT_BLK */
    ck_assert_uint_eq(le(f + 212, 8), PC_ACPI_PM_BASE + 8); /* X_PM_TMR_BLK */
    ck_assert_uint_eq(f[209], 32);
    acpi_tables_free(&t);
}
END_TEST

static void check_madt(int cpus)
{
    AcpiTables t;
    build(&t, cpus);
    const uint8_t *m = table_at(&t, t.madt, "APIC");
    size_t len = le(m + 4, 4);
    ck_assert_uint_eq(le(m + 36, 4), PC_LAPIC_BASE);
    ck_assert_uint_eq(le(m + 40, 4) & 1, 1);               /* PCAT_COMPAT */
    int lapics = 0, ioapics = 0, overrides = 0, nmis = 0, total = 0;
    bool irq0 = false, sci = false;
    for (size_t off = 44; off < len;) {
        ck_assert_uint_ge(m[off + 1], 2);
        ck_assert_uint_le(off + m[off + 1], len);
        const uint8_t *e = m + off;
        switch (e[0]) {
        case ACPI_MADT_LOCAL_APIC:
            ck_assert_uint_eq(e[1], 8);
            ck_assert_uint_eq(e[3], lapics);               /* APIC id = index */
            ck_assert_uint_eq(le(e + 4, 4) & 1, 1);        /* enabled */
            lapics++;
            break;
        case ACPI_MADT_IO_APIC:
            ck_assert_uint_eq(e[1], 12);
            ck_assert_uint_eq(le(e + 4, 4), PC_IOAPIC_BASE);
            ck_assert_uint_eq(le(e + 8, 4), 0);
            ioapics++;
            break;
        case ACPI_MADT_INT_OVERRIDE:
            ck_assert_uint_eq(e[1], 10);
            ck_assert_uint_eq(e[2], 0);
            if (e[3] == 0) {
                ck_assert_uint_eq(le(e + 4, 4), 2);
                ck_assert_uint_eq((le(e + 8, 2) >> 2) & 3, 1);     /* edge */
                irq0 = true;
            } else if (e[3] == PC_ACPI_SCI_IRQ) {
                ck_assert_uint_eq(le(e + 4, 4), PC_ACPI_SCI_IRQ);
                ck_assert_uint_eq(le(e + 8, 2) & 3, 1);            /* active high */
                ck_assert_uint_eq((le(e + 8, 2) >> 2) & 3, 3);     /* level */
                sci = true;
            }
            overrides++;
            break;
        case ACPI_MADT_LOCAL_APIC_NMI:
            ck_assert_uint_eq(e[1], 6);
            ck_assert_uint_eq(e[2], 0xff);
            ck_assert_uint_eq(e[5], 1);                    /* LINT1 */
            nmis++;
            break;
        default:
            ck_abort_msg("unexpected MADT entry type %u", e[0]);
        }
        total++;
        off += e[1];
    }
    ck_assert_int_eq(lapics, cpus);
    ck_assert_int_eq(ioapics, 1);
    ck_assert_int_eq(overrides, 2);
    ck_assert(irq0 && sci);
    ck_assert_int_eq(nmis, 1);
    ck_assert_int_eq(total, cpus + 1 + 2 + 1);
    acpi_tables_free(&t);
}

START_TEST(test_madt_one_cpu)
{
    check_madt(1);
}
END_TEST

START_TEST(test_madt_many_cpus)
{
    check_madt(4);
    check_madt(PC_MAX_CPUS);
}
END_TEST

/* ---- a small AML walker: enough to check our DSDT is well formed ---- */

typedef struct Aml {
    const uint8_t *p;
    size_t pos, end;
    bool s5_found;
    uint64_t s5[4];
    int s5_count;
    bool pci_hid;
} Aml;

static bool aml_pkglen(Aml *a, size_t *end)
{
    if (a->pos >= a->end) {
        return false;
    }
    size_t start = a->pos;
    uint8_t lead = a->p[a->pos++];
    unsigned extra = lead >> 6;
    size_t len = extra ? (lead & 0xf) : (lead & 0x3f);
    for (unsigned i = 0; i < extra; i++) {
        if (a->pos >= a->end) {
            return false;
        }
        len |= (size_t)a->p[a->pos++] << (4 + 8 * i);
    }
    *end = start + len;
    return *end <= a->end && *end > a->pos - 1;
}

static bool aml_integer(Aml *a, uint64_t *v)
{
    if (a->pos >= a->end) {
        return false;
    }
    uint8_t op = a->p[a->pos++];
    unsigned n;
    switch (op) {
    case 0x00: *v = 0; return true;
    case 0x01: *v = 1; return true;
    case 0xff: *v = ~0ull; return true;
    case 0x0a: n = 1; break;
    case 0x0b: n = 2; break;
    case 0x0c: n = 4; break;
    case 0x0e: n = 8; break;
    default: a->pos--; return false;
    }
    if (a->pos + n > a->end) {
        return false;
    }
    *v = le(a->p + a->pos, n);
    a->pos += n;
    return true;
}

static bool aml_name_string(Aml *a, char seg[5])
{
    if (a->pos < a->end && a->p[a->pos] == '\\') {
        a->pos++;
    }
    if (a->pos + 4 > a->end) {
        return false;
    }
    memcpy(seg, a->p + a->pos, 4);
    seg[4] = '\0';
    for (int i = 0; i < 4; i++) {
        char c = seg[i];
        if (!((c >= 'A' && c <= 'Z') || c == '_' || (i > 0 && c >= '0' && c <= '9'))) {
            return false;
        }
    }
    a->pos += 4;
    return true;
}

/* DataRefObject: integer, Package or Buffer. */
static bool aml_data(Aml *a, const char *name)
{
    uint64_t v;
    if (aml_integer(a, &v)) {
        if (strcmp(name, "_HID") == 0 && v == 0x030ad041) {
            a->pci_hid = true;
        }
        return true;
    }
    uint8_t op = a->p[a->pos++];
    size_t end;
    if (op == 0x12) {                   /* Package */
        if (!aml_pkglen(a, &end) || a->pos >= end) {
            return false;
        }
        unsigned count = a->p[a->pos++];
        for (unsigned i = 0; i < count; i++) {
            if (!aml_integer(a, &v) || a->pos > end) {
                return false;
            }
            if (strcmp(name, "_S5_") == 0 && i < 4) {
                a->s5[i] = v;
                a->s5_count++;
            }
        }
        if (strcmp(name, "_S5_") == 0) {
            a->s5_found = true;
        }
        return a->pos == end;
    }
    if (op == 0x11) {                   /* Buffer: size then bytes */
        if (!aml_pkglen(a, &end) || !aml_integer(a, &v) || a->pos + v != end) {
            return false;
        }
        /* a resource template ends with an End Tag */
        if (v < 2 || a->p[end - 2] != 0x79) {
            return false;
        }
        a->pos = end;
        return true;
    }
    return false;
}

static bool aml_term_list(Aml *a, size_t end)
{
    size_t saved_end = a->end;
    a->end = end;
    bool ok = true;
    while (ok && a->pos < end) {
        uint8_t op = a->p[a->pos++];
        char name[5];
        size_t body_end;
        if (op == 0x08) {                       /* Name */
            ok = aml_name_string(a, name) && aml_data(a, name);
        } else if (op == 0x10) {                /* Scope */
            ok = aml_pkglen(a, &body_end) && aml_name_string(a, name) &&
                 aml_term_list(a, body_end);
        } else if (op == 0x5b && a->pos < end && a->p[a->pos] == 0x82) {   /* Device */
            a->pos++;
            ok = aml_pkglen(a, &body_end) && aml_name_string(a, name) &&
                 aml_term_list(a, body_end);
        } else {
            ok = false;
        }
    }
    a->end = saved_end;
    return ok && a->pos == end;
}

START_TEST(test_dsdt_aml)
{
    AcpiTables t;
    build(&t, 2);
    const uint8_t *d = table_at(&t, t.dsdt, "DSDT");
    size_t len = le(d + 4, 4);
    ck_assert_uint_gt(len, ACPI_HDR_SIZE);
    ck_assert_uint_eq(d[8], 2);                 /* 64-bit integers */
    ck_assert_ptr_nonnull(memmem(d, len, "_S5_", 4));
    Aml a = { .p = d, .pos = ACPI_HDR_SIZE, .end = len };
    ck_assert(aml_term_list(&a, len));
    ck_assert(a.s5_found);
    ck_assert_int_eq(a.s5_count, 4);
    ck_assert_uint_eq(a.s5[0], PC_ACPI_SLP_TYP_S5);
    ck_assert_uint_eq(a.s5[1], PC_ACPI_SLP_TYP_S5);
    ck_assert(a.pci_hid);
    acpi_tables_free(&t);
}
END_TEST

START_TEST(test_build_rejects)
{
    AcpiTables t;
    AcpiConfig cfg = { .nr_cpus = 0 };
    Error *err = NULL;
    ck_assert(!acpi_build_tables(&t, &cfg, BASE, &err));
    ck_assert_ptr_nonnull(err);
    error_free(err);
    err = NULL;
    cfg.nr_cpus = 300;
    ck_assert(!acpi_build_tables(&t, &cfg, BASE, &err));
    ck_assert_ptr_nonnull(strstr(err->msg, "300"));
    error_free(err);
    err = NULL;
    cfg.nr_cpus = 1;
    ck_assert(!acpi_build_tables(&t, &cfg, BASE + 4, &err));   /* misaligned */
    error_free(err);
}
END_TEST

START_TEST(test_install_into_guest)
{
    MemoryRegion root, ram;
    AddressSpace as;
    memory_region_init_container(&root, "sys", UINT64_MAX);
    memory_region_init_ram(&ram, "ram", 1 << 20);
    memory_region_add_subregion(&root, 0, &ram);
    address_space_init(&as, &root, "mem");

    AcpiConfig cfg = { .nr_cpus = 2 };
    uint64_t rsdp = 0, used = 0;
    Error *err = NULL;
    ck_assert(acpi_install(&as, &cfg, BASE, 0x10000, &rsdp, &used, &err));
    ck_assert_uint_eq(rsdp, BASE);
    uint8_t sig[8];
    address_space_read(&as, rsdp, sig, 8);
    ck_assert_mem_eq(sig, "RSD PTR ", 8);
    AcpiTables t;
    build(&t, 2);
    ck_assert_uint_eq(used, t.len);
    uint8_t *copy = malloc(t.len);
    address_space_read(&as, BASE, copy, t.len);
    ck_assert_mem_eq(copy, t.buf, t.len);
    free(copy);
    acpi_tables_free(&t);

    /* too little room, and a range that is not RAM: refused */
    ck_assert(!acpi_install(&as, &cfg, BASE, 64, &rsdp, NULL, &err));
    ck_assert_ptr_nonnull(err);
    error_free(err);
    err = NULL;
    ck_assert(!acpi_install(&as, &cfg, 0x200000, 0x10000, &rsdp, NULL, &err));
    ck_assert_ptr_nonnull(strstr(err->msg, "not guest RAM"));
    error_free(err);

    address_space_destroy(&as);
    memory_region_destroy(&ram);
    memory_region_destroy(&root);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("acpi");
    TCase *tc = tcase_create("tables");
    tcase_add_test(tc, test_rsdp);
    tcase_add_test(tc, test_checksums_and_pointers);
    tcase_add_test(tc, test_fadt_fields);
    tcase_add_test(tc, test_madt_one_cpu);
    tcase_add_test(tc, test_madt_many_cpus);
    tcase_add_test(tc, test_dsdt_aml);
    tcase_add_test(tc, test_build_rejects);
    tcase_add_test(tc, test_install_into_guest);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
