/*
 * Unit tests for the Multiboot v1 loader: synthetic ELF32 and a.out-kludge kernels
 * built here, checked for segment placement, the entry state, the information
 * structure (memory, command line, memory map, modules) and clean rejects.
 */
#include "hw/i386/loader.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define RAM_SIZE (128ull << 20)
#define MB_MAGIC 0x1BADB002u
#define TEXT_PADDR 0x100000u
#define TEXT_VADDR 0xC0100000u
#define TEXT_SIZE 0x2000u
#define DATA_PADDR 0x104000u
#define DATA_FILESZ 0x80u
#define DATA_MEMSZ 0x3000u

static char tmpdir[64];
static MemoryRegion root, ram;
static AddressSpace as;
static LoadContext ctx;

static void setup(void)
{
    memory_region_init_container(&root, "sys", UINT64_MAX);
    memory_region_init_ram(&ram, "ram", RAM_SIZE);
    memory_region_add_subregion(&root, 0, &ram);
    address_space_init(&as, &root, "mem");
    loader_context_init(&ctx, &as, RAM_SIZE, 0, NULL, 1);
}

static void teardown(void)
{
    address_space_destroy(&as);
    memory_region_destroy(&ram);
    memory_region_destroy(&root);
}

static uint64_t le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++) {
        v |= (uint64_t)p[i] << (8 * i);
    }
    return v;
}

static void put(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static uint64_t guest(uint64_t addr, unsigned n)
{
    uint8_t b[8] = { 0 };
    address_space_read(&as, addr, b, n);
    return le(b, n);
}

static void guest_str(uint64_t addr, char *out, size_t max)
{
    address_space_read(&as, addr, out, max - 1);
    out[max - 1] = '\0';
}

static char *write_file(const char *name, const void *data, size_t len)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

static void expect_error(bool ok, Error **errp, const char *what)
{
    Error *err = *errp;
    ck_assert_msg(!ok, "load should fail with '%s'", what);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err->msg, what), "error '%s' lacks '%s'", err->msg, what);
    error_free(err);
    *errp = NULL;
}

static void put_mb_header(uint8_t *p, uint32_t flags)
{
    put(p, MB_MAGIC, 4);
    put(p + 4, flags, 4);
    put(p + 8, (uint32_t)(0u - MB_MAGIC - flags), 4);
}

/* An ELF32 kernel linked in the higher half (vaddr 0xC01...) loaded at 1 MiB. */
static uint8_t *make_elf32(size_t *len, uint32_t flags, uint32_t text_paddr)
{
    size_t text_off = 0x1000, data_off = text_off + TEXT_SIZE;
    *len = data_off + DATA_FILESZ;
    uint8_t *e = calloc(1, *len);
    memcpy(e, "\x7f" "ELF", 4);
    e[4] = 1;
    e[5] = 1;
    e[6] = 1;
    put(e + 16, 2, 2);
    put(e + 18, 3, 2);
    put(e + 20, 1, 4);
    put(e + 24, TEXT_VADDR + 0x10, 4);      /* entry: virtual */
    put(e + 28, 52, 4);
    put(e + 40, 52, 2);
    put(e + 42, 32, 2);
    put(e + 44, 2, 2);
    const uint32_t ph[2][6] = {
        { 1, (uint32_t)text_off, TEXT_VADDR, text_paddr, TEXT_SIZE, TEXT_SIZE },
        { 1, (uint32_t)data_off, TEXT_VADDR + 0x4000, DATA_PADDR, DATA_FILESZ, DATA_MEMSZ },
    };
    for (int i = 0; i < 2; i++) {
        for (int f = 0; f < 6; f++) {
            put(e + 52 + 32 * i + 4 * f, ph[i][f], 4);
        }
    }
    for (size_t i = 0; i < TEXT_SIZE; i++) {
        e[text_off + i] = (uint8_t)(i * 7 + 1);
    }
    put_mb_header(e + text_off, flags);
    for (size_t i = 0; i < DATA_FILESZ; i++) {
        e[data_off + i] = (uint8_t)(0x80 | i);
    }
    return e;
}

static char *elf32_file(const char *name, uint32_t flags, uint32_t text_paddr)
{
    size_t len;
    uint8_t *e = make_elf32(&len, flags, text_paddr);
    char *p = write_file(name, e, len);
    free(e);
    return p;
}

START_TEST(test_probe)
{
    size_t len;
    uint8_t *e = make_elf32(&len, 0x3, TEXT_PADDR);
    ck_assert(multiboot_probe(e, len));
    ck_assert(!multiboot_probe(e, 0x1000));           /* header not in range */
    char *p = write_file("k", e, len);
    ck_assert(kernel_is_multiboot(p));
    e[0x1008] ^= 1;                                    /* checksum broken */
    ck_assert(!multiboot_probe(e, len));
    uint8_t moved[0x3000] = { 0 };
    put_mb_header(moved + 0x102, 0);                   /* not 32-bit aligned */
    ck_assert(!multiboot_probe(moved, sizeof(moved)));
    put_mb_header(moved + 0x2000, 0);                  /* beyond 8192 bytes */
    ck_assert(!multiboot_probe(moved, sizeof(moved)));
    put_mb_header(moved + 0x1ff4, 0);                  /* last slot that fits */
    ck_assert(multiboot_probe(moved, sizeof(moved)));
    char *missing = xasprintf("%s/none", tmpdir);
    ck_assert(!kernel_is_multiboot(missing));
    free(missing);
    /* a FIFO or a directory is not a kernel, and probing must not block */
    char *fifo = xasprintf("%s/fifo", tmpdir);
    ck_assert_int_eq(mkfifo(fifo, 0600), 0);
    ck_assert(!kernel_is_multiboot(fifo));
    ck_assert(!kernel_is_multiboot(tmpdir));
    X86State st;
    Error *err = NULL;
    expect_error(multiboot_load(&ctx, fifo, NULL, NULL, &st, &err), &err,
                 "not a regular file");
    free(fifo);
    free(p);
    free(e);
}
END_TEST

START_TEST(test_elf32_load_and_entry)
{
    char *k = elf32_file("kernel.elf", 0x3, TEXT_PADDR);
    uint8_t junk[DATA_MEMSZ];
    memset(junk, 0xee, sizeof(junk));
    address_space_write(&as, DATA_PADDR, junk, sizeof(junk));
    X86State st;
    Error *err = NULL;
    ck_assert_msg(multiboot_load(&ctx, k, NULL, "console=ttyS0 debug", &st, &err), "%s",
                  err ? err->msg : "");
    /* segments at p_paddr, bss zeroed */
    for (size_t i = 0; i < TEXT_SIZE; i += 97) {
        if (i >= 12) {
            ck_assert_uint_eq(guest(TEXT_PADDR + i, 1), (uint8_t)(i * 7 + 1));
        }
    }
    ck_assert_uint_eq(guest(TEXT_PADDR, 4), MB_MAGIC);
    for (size_t i = 0; i < DATA_MEMSZ; i++) {
        ck_assert_uint_eq(guest(DATA_PADDR + i, 1), i < DATA_FILESZ ? (0x80 | i) : 0);
    }
    /* entry: translated from the virtual e_entry, 32-bit protected mode, no paging */
    ck_assert_uint_eq(st.rip, TEXT_PADDR + 0x10);
    ck_assert_uint_eq(st.regs[R_EAX], 0x2BADB002);
    ck_assert_uint_eq(st.regs[R_EBX], LOADER_MB_INFO_ADDR);
    ck_assert_uint_eq(st.rflags, 0x2);
    ck_assert_uint_eq(st.cr0 & (X86_CR0_PE | X86_CR0_PG), X86_CR0_PE);
    ck_assert_uint_eq(st.efer, 0);
    ck_assert_uint_eq(st.seg[R_CS].selector, 0x08);
    ck_assert(st.seg[R_CS].db && !st.seg[R_CS].l);
    ck_assert_uint_eq(st.seg[R_CS].base, 0);
    ck_assert_uint_eq(st.seg[R_CS].limit, 0xffffffff);
    for (int s = 0; s < SEG_COUNT; s++) {
        if (s != R_CS) {
            ck_assert_uint_eq(st.seg[s].selector, 0x10);
            ck_assert_uint_eq(st.seg[s].limit, 0xffffffff);
        }
    }
    /* the GDT in guest memory matches the segment registers */
    ck_assert_uint_eq(st.gdt.base, LOADER_GDT_ADDR);
    ck_assert_uint_ge(st.gdt.limit, 0x17);
    ck_assert_uint_eq(guest(LOADER_GDT_ADDR, 8), 0);
    ck_assert_uint_eq(guest(LOADER_GDT_ADDR + 0x08, 8), 0x00cf9b000000ffffull);
    ck_assert_uint_eq(guest(LOADER_GDT_ADDR + 0x10, 8), 0x00cf93000000ffffull);
    free(k);
}
END_TEST

START_TEST(test_info_structure)
{
    char *k = elf32_file("kernel.elf", 0x3, TEXT_PADDR);
    uint8_t m1[5000], m2[100];
    for (size_t i = 0; i < sizeof(m1); i++) {
        m1[i] = (uint8_t)(i ^ 0x33);
    }
    memset(m2, 0x42, sizeof(m2));
    char *p1 = write_file("mod1", m1, sizeof(m1));
    char *p2 = write_file("mod,2", m2, sizeof(m2));
    char *mods = xasprintf("%s arg1 arg2,%s/mod,,2", p1, tmpdir);
    X86State st;
    Error *err = NULL;
    ck_assert_msg(multiboot_load(&ctx, k, mods, "console=ttyS0", &st, &err), "%s",
                  err ? err->msg : "");
    uint64_t mbi = st.regs[R_EBX];
    uint32_t flags = (uint32_t)guest(mbi, 4);
    ck_assert_uint_eq(flags & 0x24d, 0x24d);           /* mem, cmdline, mods, mmap, name */
    ck_assert_uint_eq(flags & 0x2, 0);                 /* no boot device */
    ck_assert_uint_eq(guest(mbi + 4, 4), 639);
    ck_assert_uint_eq(guest(mbi + 8, 4), (RAM_SIZE - 0x100000) / 1024);
    char s[256];
    guest_str(guest(mbi + 16, 4), s, sizeof(s));
    char *want = xasprintf("%s console=ttyS0", k);
    ck_assert_str_eq(s, want);
    free(want);
    guest_str(guest(mbi + 64, 4), s, sizeof(s));
    ck_assert_str_eq(s, "ember");

    /* memory map: the e820 entries, ACPI tables included */
    uint32_t mmap_len = (uint32_t)guest(mbi + 44, 4);
    uint64_t mmap = guest(mbi + 48, 4);
    ck_assert_uint_eq(mmap_len, ctx.e820.nr * 24);
    bool acpi = false, high_ram = false;
    for (uint64_t a = mmap; a < mmap + mmap_len; a += guest(a, 4) + 4) {
        ck_assert_uint_eq(guest(a, 4), 20);
        uint64_t base = guest(a + 4, 8), length = guest(a + 12, 8);
        uint32_t type = (uint32_t)guest(a + 20, 4);
        acpi |= type == 3 && base == 0xe0000;
        high_ram |= type == 1 && base == 0x100000 && length == RAM_SIZE - 0x100000;
    }
    ck_assert(acpi && high_ram);
    ck_assert_uint_eq(guest(0xe0000, 8), le((const uint8_t *)"RSD PTR ", 8));

    /* modules: page aligned after the kernel, contents, strings */
    ck_assert_uint_eq(guest(mbi + 20, 4), 2);
    uint64_t list = guest(mbi + 24, 4);
    uint64_t start1 = guest(list, 4), end1 = guest(list + 4, 4);
    uint64_t start2 = guest(list + 16, 4), end2 = guest(list + 20, 4);
    ck_assert_uint_eq(start1 % 4096, 0);
    ck_assert_uint_eq(start2 % 4096, 0);
    ck_assert_uint_ge(start1, DATA_PADDR + DATA_MEMSZ);
    ck_assert_uint_eq(end1 - start1, sizeof(m1));
    ck_assert_uint_ge(start2, end1);
    ck_assert_uint_eq(end2 - start2, sizeof(m2));
    uint8_t back[sizeof(m1)];
    address_space_read(&as, start1, back, sizeof(back));
    ck_assert_mem_eq(back, m1, sizeof(m1));
    ck_assert_uint_eq(guest(start2 + 99, 1), 0x42);
    guest_str(guest(list + 8, 4), s, sizeof(s));
    want = xasprintf("%s arg1 arg2", p1);
    ck_assert_str_eq(s, want);
    free(want);
    guest_str(guest(list + 24, 4), s, sizeof(s));
    ck_assert_str_eq(s, p2);
    free(mods);
    free(p1);
    free(p2);
    free(k);
}
END_TEST

START_TEST(test_aout_kludge)
{
    /* a flat binary: header at offset 0x20, loaded at 2 MiB, 0x1000 bytes of bss */
    uint8_t img[0x800];
    for (size_t i = 0; i < sizeof(img); i++) {
        img[i] = (uint8_t)(i * 3);
    }
    const uint32_t load = 0x200000, hdr = 0x20;
    put_mb_header(img + hdr, 0x10003);
    put(img + hdr + 12, load + hdr, 4);               /* header_addr */
    put(img + hdr + 16, load, 4);                     /* load_addr */
    put(img + hdr + 20, load + sizeof(img), 4);       /* load_end_addr */
    put(img + hdr + 24, load + sizeof(img) + 0x1000, 4);   /* bss_end_addr */
    put(img + hdr + 28, load + 0x100, 4);             /* entry_addr */
    char *k = write_file("flat.bin", img, sizeof(img));
    uint8_t junk[0x1000];
    memset(junk, 0xaa, sizeof(junk));
    address_space_write(&as, load + sizeof(img), junk, sizeof(junk));
    X86State st;
    Error *err = NULL;
    ck_assert_msg(multiboot_load(&ctx, k, NULL, NULL, &st, &err), "%s", err ? err->msg : "");
    uint8_t back[sizeof(img)];
    address_space_read(&as, load, back, sizeof(back));
    ck_assert_mem_eq(back, img, sizeof(img));
    ck_assert_uint_eq(guest(load + sizeof(img) + 0xff8, 8), 0);
    ck_assert_uint_eq(st.rip, load + 0x100);
    ck_assert_uint_eq(ctx.kernel_end, load + sizeof(img) + 0x1000);

    /* an ELF64 file is fine with the kludge */
    uint8_t elf64[0x400] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };
    put_mb_header(elf64 + 0x40, 0x10000);
    put(elf64 + 0x40 + 12, 0x300040, 4);
    put(elf64 + 0x40 + 16, 0x300000, 4);
    put(elf64 + 0x40 + 28, 0x300080, 4);
    free(k);
    k = write_file("k64", elf64, sizeof(elf64));
    ck_assert(multiboot_load(&ctx, k, NULL, NULL, &st, &err));
    ck_assert_uint_eq(st.rip, 0x300080);
    ck_assert_uint_eq(guest(0x300040, 4), MB_MAGIC);

    /* kludge fields out of bounds */
    put(elf64 + 0x40 + 20, 0x300000 + 0x10000, 4);    /* load_end beyond the file */
    free(k);
    k = write_file("k64b", elf64, sizeof(elf64));
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "load_end_addr");
    put(elf64 + 0x40 + 20, 0, 4);
    put(elf64 + 0x40 + 16, 0x300000 - 0x1000, 4);     /* load_addr before the file */
    free(k);
    k = write_file("k64c", elf64, sizeof(elf64));
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "load_addr");
    put(elf64 + 0x40 + 16, 0x300000, 4);
    put(elf64 + 0x40 + 28, 0x900000, 4);              /* entry outside the image */
    free(k);
    k = write_file("k64d", elf64, sizeof(elf64));
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "entry_addr");
    free(k);
}
END_TEST

START_TEST(test_rejects)
{
    X86State st;
    Error *err = NULL;
    size_t len;
    uint8_t *e = make_elf32(&len, 0x3, TEXT_PADDR);
    /* bad checksum = no header */
    e[0x1008] ^= 0xff;
    char *k = write_file("badsum", e, len);
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "no multiboot header");
    free(k);
    e[0x1008] ^= 0xff;
    /* unknown required feature bit */
    put_mb_header(e + 0x1000, 0x8 | 0x3);
    k = write_file("feature", e, len);
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "unsupported");
    free(k);
    put_mb_header(e + 0x1000, 0x3);
    /* truncated: the program headers point past the end of the file */
    put(e + 28, len - 20, 4);
    k = write_file("trunc", e, len);
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "program headers");
    free(k);
    put(e + 28, 52, 4);
    /* truncated: segment data cut off */
    k = write_file("cut", e, 0x1800);
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "outside the file");
    free(k);
    /* ELF64 without the kludge */
    e[4] = 2;
    k = write_file("elf64", e, len);
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "64-bit ELF");
    free(k);
    e[4] = 1;
    free(e);
    /* segment outside RAM, and in the loader's low memory */
    k = elf32_file("high", 0x3, 0x10000000);
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "outside usable RAM");
    free(k);
    k = elf32_file("low", 0x3, 0x7000);
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "outside usable RAM");
    free(k);
    /* not ELF and no kludge */
    uint8_t raw[256] = { 0 };
    put_mb_header(raw, 0);
    k = write_file("raw", raw, sizeof(raw));
    expect_error(multiboot_load(&ctx, k, NULL, NULL, &st, &err), &err, "not an ELF");
    free(k);
    /* a module that is missing, and one too big for RAM */
    k = elf32_file("ok", 0x3, TEXT_PADDR);
    char *missing = xasprintf("%s/no-module", tmpdir);
    expect_error(multiboot_load(&ctx, k, missing, NULL, &st, &err), &err, missing);
    char *big = xasprintf("%s/big-module", tmpdir);
    FILE *f = fopen(big, "wb");
    ck_assert_int_eq(ftruncate(fileno(f), RAM_SIZE), 0);
    fclose(f);
    expect_error(multiboot_load(&ctx, k, big, NULL, &st, &err), &err, "does not fit");
    free(big);
    free(missing);
    free(k);
}
END_TEST

START_TEST(test_fuzzed_headers_never_crash)
{
    size_t len;
    uint8_t *e = make_elf32(&len, 0x10003, TEXT_PADDR);
    srand(99);
    X86State st;
    for (int i = 0; i < 300; i++) {
        uint8_t *m = malloc(len);
        memcpy(m, e, len);
        /* scramble ELF and kludge fields, then repair the checksum half the time */
        for (int j = 0; j < 3; j++) {
            unsigned off = (unsigned)rand() % 2 ? 0x1000 + 12 + rand() % 20 : rand() % 0x94;
            m[off] = (uint8_t)rand();
        }
        if (i & 1) {
            put_mb_header(m + 0x1000, (uint32_t)le(m + 0x1004, 4) & ~0xfff8u);
        }
        char *k = write_file("fuzz", m, (i % 5 == 0) ? (size_t)rand() % len : len);
        Error *err = NULL;
        bool ok = multiboot_load(&ctx, k, NULL, "x", &st, &err);
        ck_assert(ok == (err == NULL));
        if (ok) {
            ck_assert_uint_lt(ctx.kernel_end, RAM_SIZE + 1);
        }
        error_free(err);
        free(k);
        free(m);
    }
    free(e);
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ember-multiboot-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("multiboot");
    TCase *tc = tcase_create("multiboot");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_probe);
    tcase_add_test(tc, test_elf32_load_and_entry);
    tcase_add_test(tc, test_info_structure);
    tcase_add_test(tc, test_aout_kludge);
    tcase_add_test(tc, test_rejects);
    tcase_add_test(tc, test_fuzzed_headers_never_crash);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    char *cmd = xasprintf("rm -rf '%s'", tmpdir);
    if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", tmpdir);
    }
    free(cmd);
    return failed != 0;
}
