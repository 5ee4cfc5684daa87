/* Unit tests for the e820 table: insertion, overlap, merging, the PC layout, formats. */
#include "hw/i386/e820.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void expect_entry(const E820Table *t, unsigned i, uint64_t addr, uint64_t size,
                         uint32_t type)
{
    ck_assert_uint_lt(i, t->nr);
    ck_assert_uint_eq(t->entries[i].addr, addr);
    ck_assert_uint_eq(t->entries[i].size, size);
    ck_assert_uint_eq(t->entries[i].type, type);
}

START_TEST(test_pc_layout_small)
{
    E820Table t;
    e820_build_pc(&t, 128u << 20, 0);
    ck_assert_uint_eq(t.nr, 5);
    expect_entry(&t, 0, 0, 0x9fc00, E820_RAM);
    expect_entry(&t, 1, 0x9fc00, 0x400, E820_RESERVED);
    expect_entry(&t, 2, 0xf0000, 0x10000, E820_RESERVED);
    expect_entry(&t, 3, 0x100000, (128u << 20) - 0x100000, E820_RAM);
    expect_entry(&t, 4, 0xfec00000, 0x100000000ull - 0xfec00000, E820_RESERVED);
    ck_assert_uint_eq(e820_total(&t, E820_RAM), (128u << 20) - 0x100000 + 0x9fc00);
}
END_TEST

START_TEST(test_pc_layout_above_4g)
{
    E820Table t;
    e820_build_pc(&t, 0xe0000000ull, 1ull << 30);
    ck_assert_uint_eq(t.nr, 6);
    expect_entry(&t, 3, 0x100000, 0xe0000000ull - 0x100000, E820_RAM);
    expect_entry(&t, 5, 0x100000000ull, 1ull << 30, E820_RAM);
    ck_assert(e820_range_is(&t, 0x100000000ull, 1ull << 30, E820_RAM));
    ck_assert(!e820_range_is(&t, 0xdff00000ull, 0x200000, E820_RAM));   /* into the hole */
    ck_assert(!e820_range_is(&t, 0x9f000, 0x2000, E820_RAM));           /* into the EBDA */
    ck_assert(e820_range_is(&t, 0x9fc00, 0x400, E820_RESERVED));
}
END_TEST

START_TEST(test_add_overlap_split_merge)
{
    E820Table t;
    e820_init(&t);
    ck_assert(e820_add(&t, 0x100000, 0x100000, E820_RAM));
    /* carve ACPI out of the middle: three entries */
    ck_assert(e820_add(&t, 0x140000, 0x1000, E820_ACPI));
    ck_assert_uint_eq(t.nr, 3);
    expect_entry(&t, 0, 0x100000, 0x40000, E820_RAM);
    expect_entry(&t, 1, 0x140000, 0x1000, E820_ACPI);
    expect_entry(&t, 2, 0x141000, 0xbf000, E820_RAM);
    /* covering it with RAM again merges back into one */
    ck_assert(e820_add(&t, 0x13f000, 0x3000, E820_RAM));
    ck_assert_uint_eq(t.nr, 1);
    expect_entry(&t, 0, 0x100000, 0x100000, E820_RAM);
    /* adjacent same type merges, added out of order stays sorted */
    ck_assert(e820_add(&t, 0x0, 0x1000, E820_NVS));
    ck_assert(e820_add(&t, 0x200000, 0x1000, E820_RAM));
    ck_assert_uint_eq(t.nr, 2);
    expect_entry(&t, 0, 0, 0x1000, E820_NVS);
    expect_entry(&t, 1, 0x100000, 0x101000, E820_RAM);
    /* a range swallowing several entries replaces them */
    ck_assert(e820_add(&t, 0, 0x400000, E820_RESERVED));
    ck_assert_uint_eq(t.nr, 1);
    expect_entry(&t, 0, 0, 0x400000, E820_RESERVED);
}
END_TEST

START_TEST(test_add_rejects)
{
    E820Table t;
    e820_init(&t);
    ck_assert(!e820_add(&t, UINT64_MAX - 10, 100, E820_RAM));   /* wraps */
    ck_assert(!e820_add(&t, 0, 100, 0));                        /* no type */
    ck_assert(e820_add(&t, 0, 0, E820_RAM));                    /* empty: no-op */
    ck_assert_uint_eq(t.nr, 0);
    /* fill the table with alternating types, then one more must fail */
    for (unsigned i = 0; i < E820_MAX_ENTRIES; i++) {
        ck_assert(e820_add(&t, i * 0x2000ull, 0x1000, i % 2 ? E820_RAM : E820_RESERVED));
    }
    ck_assert_uint_eq(t.nr, E820_MAX_ENTRIES);
    E820Table before = t;
    ck_assert(!e820_add(&t, 0x10000000, 0x1000, E820_RAM));
    ck_assert_mem_eq(&before, &t, sizeof(t));
}
END_TEST

START_TEST(test_serialize_formats)
{
    E820Table t;
    e820_build_pc(&t, 64u << 20, 0x200000000ull);
    uint8_t raw[E820_MAX_ENTRIES * E820_ENTRY_SIZE];
    unsigned n = e820_serialize(&t, raw, E820_MAX_ENTRIES);
    ck_assert_uint_eq(n, t.nr);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *p = raw + i * E820_ENTRY_SIZE;
        ck_assert_uint_eq(le(p, 8), t.entries[i].addr);
        ck_assert_uint_eq(le(p + 8, 8), t.entries[i].size);
        ck_assert_uint_eq(le(p + 16, 4), t.entries[i].type);
    }
    ck_assert_uint_eq(e820_serialize(&t, raw, 2), 2);
    size_t len = 0;
    uint8_t *blob = e820_to_fw_cfg(&t, &len);
    ck_assert_uint_eq(len, t.nr * 20u);
    ck_assert_mem_eq(blob, raw, len);
    /* last entry: 8 GiB above 4 GiB */
    ck_assert_uint_eq(le(blob + len - 20, 8), 0x100000000ull);
    ck_assert_uint_eq(le(blob + len - 12, 8), 0x200000000ull);
    ck_assert_uint_eq(le(blob + len - 4, 4), E820_RAM);
    free(blob);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("e820");
    TCase *tc = tcase_create("table");
    tcase_add_test(tc, test_pc_layout_small);
    tcase_add_test(tc, test_pc_layout_above_4g);
    tcase_add_test(tc, test_add_overlap_split_merge);
    tcase_add_test(tc, test_add_rejects);
    tcase_add_test(tc, test_serialize_formats);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
