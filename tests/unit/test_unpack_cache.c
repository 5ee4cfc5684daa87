/* Unit tests: the cache of unpacked kernel payloads. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hw/i386/unpack_cache.h"

static char dir[64];
static uint8_t payload[5000], out[70000];

static void setup(void)
{
    strcpy(dir, "/tmp/ember-cache-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    setenv("EMBER_CACHE", dir, 1);
    unsetenv("EMBER_UNPACK_CACHE");
    for (size_t i = 0; i < sizeof(payload); i++) {
        payload[i] = (uint8_t)(i * 7 + 3);
    }
    for (size_t i = 0; i < sizeof(out); i++) {
        out[i] = (uint8_t)(i ^ (i >> 8));
    }
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

START_TEST(test_store_then_hit)
{
    size_t len = 0;
    ck_assert_ptr_null(unpack_cache_lookup(payload, sizeof(payload), 1 << 20, &len));
    unpack_cache_store(payload, sizeof(payload), out, sizeof(out));
    uint8_t *got = unpack_cache_lookup(payload, sizeof(payload), 1 << 20, &len);
    ck_assert_ptr_nonnull(got);
    ck_assert_uint_eq(len, sizeof(out));
    ck_assert_mem_eq(got, out, sizeof(out));
    free(got);
    /* a limit below the entry's size refuses it */
    ck_assert_ptr_null(unpack_cache_lookup(payload, sizeof(payload), 1000, &len));
}
END_TEST

START_TEST(test_other_payload_misses)
{
    size_t len;
    unpack_cache_store(payload, sizeof(payload), out, sizeof(out));
    payload[100] ^= 1;
    ck_assert_ptr_null(unpack_cache_lookup(payload, sizeof(payload), 1 << 20, &len));
    ck_assert_ptr_null(unpack_cache_lookup(payload, sizeof(payload) - 1, 1 << 20, &len));
}
END_TEST

START_TEST(test_corrupt_entry_is_ignored)
{
    size_t len;
    unpack_cache_store(payload, sizeof(payload), out, sizeof(out));
    char path[256];
    snprintf(path, sizeof(path), "%s/unpacked/%016llx-%zu.vmlinux", dir,
             (unsigned long long)unpack_cache_hash(payload, sizeof(payload)), sizeof(payload));
    FILE *f = fopen(path, "r+b");
    ck_assert_ptr_nonnull(f);
    fseek(f, 40 + 1234, SEEK_SET);
    fputc(0x5a ^ out[1234], f);
    fclose(f);
    ck_assert_ptr_null(unpack_cache_lookup(payload, sizeof(payload), 1 << 20, &len));
    ck_assert_int_eq(truncate(path, 100), 0);
    ck_assert_ptr_null(unpack_cache_lookup(payload, sizeof(payload), 1 << 20, &len));
}
END_TEST

START_TEST(test_disabled)
{
    size_t len;
    setenv("EMBER_UNPACK_CACHE", "off", 1);
    unpack_cache_store(payload, sizeof(payload), out, sizeof(out));
    unsetenv("EMBER_UNPACK_CACHE");
    ck_assert_ptr_null(unpack_cache_lookup(payload, sizeof(payload), 1 << 20, &len));
}
END_TEST

START_TEST(test_unwritable_dir_is_harmless)
{
    size_t len;
    setenv("EMBER_CACHE", "/proc/ember-cannot-exist", 1);
    unpack_cache_store(payload, sizeof(payload), out, sizeof(out));
    ck_assert_ptr_null(unpack_cache_lookup(payload, sizeof(payload), 1 << 20, &len));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("unpack-cache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_store_then_hit);
    tcase_add_test(tc, test_other_payload_misses);
    tcase_add_test(tc, test_corrupt_entry_is_ignored);
    tcase_add_test(tc, test_disabled);
    tcase_add_test(tc, test_unwritable_dir_is_harmless);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
