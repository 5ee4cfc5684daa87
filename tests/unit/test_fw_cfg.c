/*
 * Unit tests for the fw_cfg device: selector and data ports, signature and feature
 * bits, the file directory, and the DMA interface against test RAM.
 */
#include "hw/nvram/fw_cfg.h"
#include "tests/unit/harness.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define SEL 0x510
#define DATA 0x511
#define DMA_HI 0x514
#define DMA_LO 0x518

static TestBoard *tb;
static DeviceState *fw;

static const uint8_t alpha_data[5] = { 'a', 'l', 'p', 'h', 'a' };
static const uint8_t zeta_data[3] = { 0x01, 0x02, 0x03 };
static uint8_t e820_data[20];

static void setup(void)
{
    tb = tb_new();
    fw_cfg_register_types();
    fw = tb_add_isa(tb, TYPE_FW_CFG_IO, NULL);
    fw_cfg_set_dma_address_space(fw, &tb->mem);
    for (size_t i = 0; i < sizeof(e820_data); i++) {
        e820_data[i] = (uint8_t)(0x80 + i);
    }
    ck_assert(fw_cfg_add_file(fw, "zeta", zeta_data, sizeof(zeta_data)));
    ck_assert(fw_cfg_add_file(fw, "alpha", alpha_data, sizeof(alpha_data)));
    ck_assert(fw_cfg_add_file(fw, FW_CFG_E820_FILE, e820_data, sizeof(e820_data)));
}

static void teardown(void)
{
    tb_free(tb);
}

static void read_item(uint16_t key, uint8_t *buf, size_t len)
{
    tb_outw(tb, SEL, key);
    for (size_t i = 0; i < len; i++) {
        buf[i] = tb_inb(tb, DATA);
    }
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint16_t be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

/* Write a FWCfgDmaAccess at desc and trigger it (64-bit address: high half first). */
static uint32_t run_dma(uint64_t desc, uint32_t control, uint32_t length, uint64_t addr)
{
    uint8_t d[16];
    for (int i = 0; i < 4; i++) {
        d[i] = (uint8_t)(control >> (24 - 8 * i));
        d[4 + i] = (uint8_t)(length >> (24 - 8 * i));
    }
    for (int i = 0; i < 8; i++) {
        d[8 + i] = (uint8_t)(addr >> (56 - 8 * i));
    }
    address_space_write(&tb->mem, desc, d, sizeof(d));
    if (desc >> 32) {
        tb_outl(tb, DMA_HI, __builtin_bswap32((uint32_t)(desc >> 32)));
    }
    tb_outl(tb, DMA_LO, __builtin_bswap32((uint32_t)desc));
    uint8_t back[4];
    address_space_read(&tb->mem, desc, back, sizeof(back));
    return be32(back);
}

START_TEST(test_signature_and_id)
{
    uint8_t buf[8];
    read_item(FW_CFG_SIGNATURE, buf, 5);
    ck_assert_mem_eq(buf, "QEMU", 4);
    ck_assert_uint_eq(buf[4], 0);                      /* past the end: zero */
    read_item(FW_CFG_ID, buf, 4);
    ck_assert_uint_eq(buf[0] | buf[1] << 8 | buf[2] << 16 | (uint32_t)buf[3] << 24,
                      FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    /* the DMA address register reads "QEMU CFG" */
    for (int i = 0; i < 8; i++) {
        buf[i] = tb_inb(tb, DMA_HI + i);
    }
    ck_assert_mem_eq(buf, "QEMU CFG", 8);
    ck_assert_uint_eq(tb_inl(tb, DMA_HI), 0x554d4551);  /* 'Q','E','M','U' */
    /* the selector is write-only: reading it does not disturb the data offset */
    read_item(FW_CFG_SIGNATURE, buf, 1);
    (void)tb_inb(tb, SEL);
    ck_assert_uint_eq(tb_inb(tb, DATA), 'E');
}
END_TEST

START_TEST(test_no_dma)
{
    DeviceState *plain = tb_add_isa(tb, TYPE_FW_CFG_IO, "iobase=0x520,dma_enabled=off");
    (void)plain;
    uint8_t buf[4];
    tb_outw(tb, 0x520, FW_CFG_ID);
    for (int i = 0; i < 4; i++) {
        buf[i] = tb_inb(tb, 0x521);
    }
    ck_assert_uint_eq(buf[0], FW_CFG_VERSION);
    ck_assert_uint_eq(tb_inb(tb, 0x524), 0xff);        /* no DMA register */
    tb_outw(tb, 0x520, FW_CFG_SIGNATURE);
    ck_assert_uint_eq(tb_inb(tb, 0x521), 'Q');
}
END_TEST

START_TEST(test_integers_little_endian)
{
    uint8_t buf[8];
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, 0x0102030405060708ull);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, 0x0a0b);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, 0xdeadbeef);
    read_item(FW_CFG_RAM_SIZE, buf, 8);
    static const uint8_t want64[8] = { 8, 7, 6, 5, 4, 3, 2, 1 };
    ck_assert_mem_eq(buf, want64, 8);
    read_item(FW_CFG_NB_CPUS, buf, 3);
    ck_assert_uint_eq(buf[0], 0x0b);
    ck_assert_uint_eq(buf[1], 0x0a);
    ck_assert_uint_eq(buf[2], 0);
    read_item(FW_CFG_KERNEL_SIZE, buf, 4);
    static const uint8_t want32[4] = { 0xef, 0xbe, 0xad, 0xde };
    ck_assert_mem_eq(buf, want32, 4);
    /* replacing an item replaces its length too */
    fw_cfg_add_i16(fw, FW_CFG_RAM_SIZE, 0x1234);
    read_item(FW_CFG_RAM_SIZE, buf, 3);
    ck_assert_uint_eq(buf[0], 0x34);
    ck_assert_uint_eq(buf[2], 0);
    /* arch-local keys are a separate table */
    fw_cfg_add_i32(fw, FW_CFG_E820_TABLE, 0x11223344);
    read_item(FW_CFG_E820_TABLE, buf, 4);
    ck_assert_uint_eq(buf[0], 0x44);
    read_item(FW_CFG_E820_TABLE & FW_CFG_ENTRY_MASK, buf, 1);   /* generic key 3 */
    ck_assert_uint_eq(buf[0], 0x34);
    /* device-owned keys cannot be overwritten */
    fw_cfg_add_i32(fw, FW_CFG_SIGNATURE, 0);
    read_item(FW_CFG_SIGNATURE, buf, 4);
    ck_assert_mem_eq(buf, "QEMU", 4);
}
END_TEST

START_TEST(test_file_directory)
{
    uint8_t dir[4 + 3 * 64];
    read_item(FW_CFG_FILE_DIR, dir, sizeof(dir));
    ck_assert_uint_eq(be32(dir), 3);
    static const char *const names[3] = { "alpha", "etc/e820", "zeta" };
    static const uint32_t sizes[3] = { 5, 20, 3 };
    for (int i = 0; i < 3; i++) {
        const uint8_t *e = dir + 4 + 64 * i;
        ck_assert_uint_eq(be32(e), sizes[i]);
        ck_assert_uint_eq(be16(e + 4), FW_CFG_FILE_FIRST + i);
        ck_assert_uint_eq(be16(e + 6), 0);
        ck_assert_str_eq((const char *)e + 8, names[i]);
        ck_assert_uint_eq(e[8 + 55], 0);
        ck_assert_uint_eq(fw_cfg_file_key(fw, names[i]), FW_CFG_FILE_FIRST + i);
    }
    ck_assert_uint_eq(fw_cfg_file_key(fw, "nope"), 0);
    ck_assert_uint_eq(tb_inb(tb, DATA), 0);            /* past the directory */

    /* modify: new size shows in the directory */
    static const uint8_t longer[7] = { 0x61, 0x62, 0x63, 0x64, 0x65, 0x66, 0x67 };
    ck_assert(fw_cfg_modify_file(fw, "zeta", longer, sizeof(longer)));
    ck_assert(!fw_cfg_modify_file(fw, "missing", longer, sizeof(longer)));
    read_item(FW_CFG_FILE_DIR, dir, sizeof(dir));
    ck_assert_uint_eq(be32(dir), 3);
    ck_assert_uint_eq(be32(dir + 4 + 64 * 2), 7);
    /* a new file sorts into place and renumbers the ones after it */
    ck_assert(fw_cfg_add_file(fw, "bootorder", "x", 1));
    ck_assert_uint_eq(fw_cfg_file_key(fw, "bootorder"), FW_CFG_FILE_FIRST + 1);
    ck_assert_uint_eq(fw_cfg_file_key(fw, "zeta"), FW_CFG_FILE_FIRST + 3);
    /* names must fit in 56 bytes with their terminator */
    char longname[80];
    memset(longname, 'n', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    ck_assert(!fw_cfg_add_file(fw, longname, "x", 1));
}
END_TEST

START_TEST(test_file_read_bytewise)
{
    uint8_t buf[sizeof(e820_data) + 2];
    uint16_t key = fw_cfg_file_key(fw, FW_CFG_E820_FILE);
    ck_assert_uint_eq(key, FW_CFG_FILE_FIRST + 1);
    read_item(key, buf, sizeof(buf));
    ck_assert_mem_eq(buf, e820_data, sizeof(e820_data));
    ck_assert_uint_eq(buf[sizeof(e820_data)], 0);
    ck_assert_uint_eq(buf[sizeof(e820_data) + 1], 0);
    /* reselecting restarts at offset 0 */
    read_item(key, buf, 2);
    ck_assert_mem_eq(buf, e820_data, 2);
    read_item(FW_CFG_FILE_FIRST, buf, 5);
    ck_assert_mem_eq(buf, alpha_data, 5);
}
END_TEST

START_TEST(test_selector_out_of_range)
{
    static const uint16_t keys[] = { 0x3000, FW_CFG_FILE_FIRST + 3, 0x1f, 0x8010, 0xffff,
                                     FW_CFG_FILE_FIRST + 200 };
    for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++) {
        uint8_t buf[4];
        read_item(keys[k], buf, 4);
        for (int i = 0; i < 4; i++) {
            ck_assert_msg(buf[i] == 0, "key 0x%x byte %d = 0x%x", keys[k], i, buf[i]);
        }
    }
    /* the write-channel bit selects the same item */
    uint8_t b;
    read_item(FW_CFG_WRITE_CHANNEL | FW_CFG_SIGNATURE, &b, 1);
    ck_assert_uint_eq(b, 'Q');
    /* data port writes are ignored */
    tb_outw(tb, SEL, FW_CFG_FILE_FIRST);
    tb_outb(tb, DATA, 0x00);
    ck_assert_uint_eq(tb_inb(tb, DATA), 'a');
}
END_TEST

START_TEST(test_dma_read)
{
    uint8_t buf[16];
    memset(tb->ram.host + 0x2000, 0xcc, 32);
    uint32_t ctl = run_dma(0x1000, (uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
                                   FW_CFG_DMA_CTL_READ, 3, 0x2000);
    ck_assert_uint_eq(ctl, 0);
    ck_assert_mem_eq(tb->ram.host + 0x2000, alpha_data, 3);
    ck_assert_uint_eq(tb->ram.host[0x2003], 0xcc);
    /* continue from the offset without selecting; past the end is zero-filled */
    ctl = run_dma(0x1000, FW_CFG_DMA_CTL_READ, 6, 0x2003);
    ck_assert_uint_eq(ctl, 0);
    ck_assert_mem_eq(tb->ram.host + 0x2000, alpha_data, 5);
    static const uint8_t zeros[4];
    ck_assert_mem_eq(tb->ram.host + 0x2005, zeros, 4);
    ck_assert_uint_eq(tb->ram.host[0x2009], 0xcc);
    /* the byte port sees the advanced offset (item exhausted) */
    ck_assert_uint_eq(tb_inb(tb, DATA), 0);
    /* skip then read */
    ctl = run_dma(0x1000, (uint32_t)fw_cfg_file_key(fw, FW_CFG_E820_FILE) << 16 |
                          FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_SKIP, 4, 0);
    ck_assert_uint_eq(ctl, 0);
    ctl = run_dma(0x1000, FW_CFG_DMA_CTL_READ, 4, 0x3000);
    ck_assert_uint_eq(ctl, 0);
    ck_assert_mem_eq(tb->ram.host + 0x3000, e820_data + 4, 4);
    ck_assert_uint_eq(tb_inb(tb, DATA), e820_data[8]);
    /* the signature through DMA, descriptor at a high-half-free address */
    ctl = run_dma(0x1100, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, 0x3100);
    ck_assert_uint_eq(ctl, 0);
    ck_assert_mem_eq(tb->ram.host + 0x3100, "QEMU", 4);
    /* select alone just selects */
    ctl = run_dma(0x1000, (uint32_t)FW_CFG_ID << 16 | FW_CFG_DMA_CTL_SELECT, 0, 0);
    ck_assert_uint_eq(ctl, 0);
    buf[0] = tb_inb(tb, DATA);
    ck_assert_uint_eq(buf[0], FW_CFG_VERSION | FW_CFG_VERSION_DMA);
}
END_TEST

START_TEST(test_dma_errors)
{
    /* writes are rejected with the error bit */
    memset(tb->ram.host + 0x2000, 0x5a, 8);
    uint32_t ctl = run_dma(0x1000, (uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
                                   FW_CFG_DMA_CTL_WRITE, 4, 0x2000);
    ck_assert_uint_eq(ctl, FW_CFG_DMA_CTL_ERROR);
    ck_assert_uint_eq(tb_inb(tb, DATA), 'a');          /* item unchanged */
    /* a buffer outside RAM: error, no crash */
    ctl = run_dma(0x1000, (uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
                          FW_CFG_DMA_CTL_READ, 5, 0x10000000);
    ck_assert_uint_eq(ctl, FW_CFG_DMA_CTL_ERROR);
    /* a buffer straddling the end of RAM: the RAM part is written, then error */
    ctl = run_dma(0x1000, (uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_CTL_SELECT |
                          FW_CFG_DMA_CTL_READ, 5, 0xffffe);
    ck_assert_uint_eq(ctl, FW_CFG_DMA_CTL_ERROR);
    ck_assert_mem_eq(tb->ram.host + 0xffffe, alpha_data, 2);
    /* huge length into nothing, and a wrapping address */
    ctl = run_dma(0x1000, FW_CFG_DMA_CTL_READ, 0xffffffff, 0x40000000);
    ck_assert_uint_eq(ctl, FW_CFG_DMA_CTL_ERROR);
    ctl = run_dma(0x1000, FW_CFG_DMA_CTL_READ, 0x100, 0xfffffffffffffff0ull);
    ck_assert_uint_eq(ctl, FW_CFG_DMA_CTL_ERROR);
    /* a descriptor outside memory (64-bit address) is ignored */
    tb_outl(tb, DMA_HI, __builtin_bswap32(0x12));
    tb_outl(tb, DMA_LO, __builtin_bswap32(0x34560000));
    tb_outl(tb, DMA_LO, __builtin_bswap32(0xfffffff8));
    /* the device still works, and the register went back to 0 after each operation */
    ctl = run_dma(0x1000, (uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_CTL_SELECT |
                          FW_CFG_DMA_CTL_READ, 4, 0x2000);
    ck_assert_uint_eq(ctl, 0);
    ck_assert_mem_eq(tb->ram.host + 0x2000, "QEMU", 4);
    /* no address space: DMA is ignored, control untouched */
    fw_cfg_set_dma_address_space(fw, NULL);
    ctl = run_dma(0x1000, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 4, 0x2000);
    ck_assert_uint_eq(ctl, FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ);
}
END_TEST

START_TEST(test_reset)
{
    tb_outw(tb, SEL, FW_CFG_FILE_FIRST);
    ck_assert_uint_eq(tb_inb(tb, DATA), 'a');
    device_reset(fw);
    ck_assert_uint_eq(tb_inb(tb, DATA), 'Q');
    /* items survive reset */
    tb_outw(tb, SEL, FW_CFG_FILE_FIRST);
    ck_assert_uint_eq(tb_inb(tb, DATA), 'a');
}
END_TEST

static Suite *fw_cfg_suite(void)
{
    Suite *s = suite_create("fw_cfg");
    TCase *tc = tcase_create("io");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_signature_and_id);
    tcase_add_test(tc, test_no_dma);
    tcase_add_test(tc, test_integers_little_endian);
    tcase_add_test(tc, test_file_directory);
    tcase_add_test(tc, test_file_read_bytewise);
    tcase_add_test(tc, test_selector_out_of_range);
    tcase_add_test(tc, test_dma_read);
    tcase_add_test(tc, test_dma_errors);
    tcase_add_test(tc, test_reset);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(fw_cfg_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed != 0;
}
