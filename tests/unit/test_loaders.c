/*
 * Unit tests for the Linux direct-boot loader and the bzImage unpacker: synthetic
 * bzImages with gzip/xz/zstd-compressed ELF64 payloads built here, checked for where
 * bytes land in guest memory, boot_params, command line, initrd and the entry state,
 * and for clean rejection of broken files. One extra test boots the real Debian
 * kernel's image into memory when ~/.cache/ember/guest/vmlinuz exists.
 */
#include "config-host.h"
#include "hw/i386/bzimage_unpack.h"
#include "hw/i386/loader.h"

#include <check.h>
#include <lzma.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#ifdef CONFIG_ZSTD
#include <zstd.h>
#endif

#define RAM_SIZE (128ull << 20)
#define PREF 0x1000000ull           /* 16 MiB, as Debian's kernel */
#define INIT_SIZE 0x800000u
#define TEXT_SIZE 0x3000u
#define DATA_PADDR (PREF + 0x200000)
#define DATA_FILESZ 0x100u
#define DATA_MEMSZ 0x2000u
#define ENTRY_OFF 0x100u
#define SETUP_SECTS 4
#define PM_PREFIX 0x400u            /* fake decompressor code before the payload */

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
    loader_context_init(&ctx, &as, RAM_SIZE, 0, NULL, 2);
}

static void teardown(void)
{
    address_space_destroy(&as);
    memory_region_destroy(&ram);
    memory_region_destroy(&root);
}

/* ---- little helpers ---- */

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

static char *write_file(const char *name, const void *data, size_t len)
{
    char *path = xasprintf("%s/%s", tmpdir, name);
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    fclose(f);
    return path;
}

/* errp is read after the call under test has run (argument order is unspecified) */
static void expect_error(bool ok, Error **errp, const char *what)
{
    Error *err = *errp;
    ck_assert_msg(!ok, "load should fail with '%s'", what);
    ck_assert_ptr_nonnull(err);
    ck_assert_msg(strstr(err->msg, what), "error '%s' lacks '%s'", err->msg, what);
    ck_assert_ptr_null(strchr(err->msg, '\n'));
    error_free(err);
    *errp = NULL;
}

/* Text bytes with plenty of x86 call/jump opcodes, so the BCJ filter has work. */
static uint8_t text_byte(size_t i)
{
    return (i % 7 == 0) ? 0xe8 : (uint8_t)(i * 31 + 7);
}

/* A vmlinux-like ELF64: text at PREF (entry inside), data+bss at DATA_PADDR. */
static uint8_t *make_elf64(size_t *len, uint64_t text_paddr)
{
    size_t text_off = 0x1000, data_off = text_off + TEXT_SIZE;
    *len = data_off + DATA_FILESZ;
    uint8_t *e = calloc(1, *len);
    memcpy(e, "\x7f" "ELF", 4);
    e[4] = 2;                       /* 64-bit */
    e[5] = 1;                       /* little-endian */
    e[6] = 1;
    put(e + 16, 2, 2);              /* ET_EXEC */
    put(e + 18, 62, 2);             /* x86-64 */
    put(e + 20, 1, 4);
    put(e + 24, text_paddr + ENTRY_OFF, 8);
    put(e + 32, 64, 8);             /* phoff */
    put(e + 52, 64, 2);
    put(e + 54, 56, 2);
    put(e + 56, 3, 2);              /* text, data, a note */
    const struct { uint32_t type; uint64_t off, vaddr, paddr, filesz, memsz; } ph[3] = {
        { 1, text_off, 0xffffffff81000000ull, text_paddr, TEXT_SIZE, TEXT_SIZE },
        { 1, data_off, 0xffffffff81200000ull, DATA_PADDR, DATA_FILESZ, DATA_MEMSZ },
        { 4, text_off, 0, 0, 16, 16 },
    };
    for (int i = 0; i < 3; i++) {
        uint8_t *p = e + 64 + 56 * i;
        put(p, ph[i].type, 4);
        put(p + 8, ph[i].off, 8);
        put(p + 16, ph[i].vaddr, 8);
        put(p + 24, ph[i].paddr, 8);
        put(p + 32, ph[i].filesz, 8);
        put(p + 40, ph[i].memsz, 8);
    }
    for (size_t i = 0; i < TEXT_SIZE; i++) {
        e[text_off + i] = text_byte(i);
    }
    for (size_t i = 0; i < DATA_FILESZ; i++) {
        e[data_off + i] = (uint8_t)(0xd0 ^ i);
    }
    return e;
}

/* Compressed data plus the le32 size trailer the kernel build appends. */
static uint8_t *with_trailer(uint8_t *buf, size_t *len, size_t raw_len)
{
    put(buf + *len, raw_len, 4);
    *len += 4;
    return buf;
}

static uint8_t *gzip_compress(const uint8_t *in, size_t in_len, size_t *out_len)
{
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&zs, in_len) + 8;
    uint8_t *out = malloc(cap);
    zs.next_in = (Bytef *)in;
    zs.avail_in = in_len;
    zs.next_out = out;
    zs.avail_out = cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    *out_len = zs.total_out;
    deflateEnd(&zs);
    return with_trailer(out, out_len, in_len);
}

static uint8_t *xz_compress(const uint8_t *in, size_t in_len, size_t *out_len)
{
    lzma_options_lzma opt;
    ck_assert(!lzma_lzma_preset(&opt, 6));
    lzma_filter filters[] = {
        { LZMA_FILTER_X86, NULL },
        { LZMA_FILTER_LZMA2, &opt },
        { LZMA_VLI_UNKNOWN, NULL },
    };
    size_t cap = lzma_stream_buffer_bound(in_len) + 8;
    uint8_t *out = malloc(cap);
    *out_len = 0;
    ck_assert_int_eq(lzma_stream_buffer_encode(filters, LZMA_CHECK_CRC32, NULL, in, in_len,
                                               out, out_len, cap), LZMA_OK);
    return with_trailer(out, out_len, in_len);
}

#ifdef CONFIG_ZSTD
static uint8_t *zstd_compress(const uint8_t *in, size_t in_len, size_t *out_len)
{
    size_t cap = ZSTD_compressBound(in_len) + 8;
    uint8_t *out = malloc(cap);
    *out_len = ZSTD_compress(out, cap, in, in_len, 19);
    ck_assert(!ZSTD_isError(*out_len));
    return with_trailer(out, out_len, in_len);
}
#endif

typedef struct FakeKernel {
    uint16_t version;
    uint16_t xloadflags;
    uint32_t cmdline_size;
    uint64_t pref;
    const uint8_t *payload;
    size_t payload_len;
} FakeKernel;

static const FakeKernel default_kernel = {
    .version = 0x020f, .xloadflags = 0x1 | 0x2, .cmdline_size = 2047, .pref = PREF,
};

/* A bzImage: boot sector + setup sectors with the header, then the protected-mode
 * part: PM_PREFIX bytes of "decompressor" followed by the payload. */
static uint8_t *make_bzimage(const FakeKernel *k, size_t *len)
{
    size_t setup = (SETUP_SECTS + 1) * 512;
    *len = setup + PM_PREFIX + k->payload_len;
    uint8_t *b = calloc(1, *len);
    b[0x1f1] = SETUP_SECTS;
    put(b + 0x1fe, 0xaa55, 2);
    b[0x200] = 0xeb;
    b[0x201] = 0x6a;                /* header ends at 0x26c */
    memcpy(b + 0x202, "HdrS", 4);
    put(b + 0x206, k->version, 2);
    b[0x211] = 0x01;                /* LOADED_HIGH */
    put(b + 0x214, 0x100000, 4);
    put(b + 0x22c, 0x7fffffff, 4);
    put(b + 0x230, 0x200000, 4);
    b[0x234] = 1;
    put(b + 0x236, k->xloadflags, 2);
    put(b + 0x238, k->cmdline_size, 4);
    put(b + 0x248, PM_PREFIX, 4);
    put(b + 0x24c, k->payload_len, 4);
    put(b + 0x258, k->pref, 8);
    put(b + 0x260, INIT_SIZE, 4);
    for (size_t i = 0; i < PM_PREFIX; i++) {
        b[setup + i] = (uint8_t)(i ^ 0x5a);
    }
    if (k->payload_len) {
        memcpy(b + setup + PM_PREFIX, k->payload, k->payload_len);
    }
    return b;
}

typedef enum { COMP_GZIP, COMP_XZ, COMP_ZSTD } Compression;

/* A complete kernel file with a compressed ELF payload. */
static char *kernel_file(const char *name, Compression c, const FakeKernel *base,
                         uint64_t text_paddr)
{
    size_t elf_len, pl_len = 0, len;
    uint8_t *elf = make_elf64(&elf_len, text_paddr);
    uint8_t *pl = NULL;
    switch (c) {
    case COMP_GZIP: pl = gzip_compress(elf, elf_len, &pl_len); break;
    case COMP_XZ: pl = xz_compress(elf, elf_len, &pl_len); break;
#ifdef CONFIG_ZSTD
    case COMP_ZSTD: pl = zstd_compress(elf, elf_len, &pl_len); break;
#endif
    default: ck_abort();
    }
    FakeKernel k = *base;
    k.payload = pl;
    k.payload_len = pl_len;
    uint8_t *img = make_bzimage(&k, &len);
    char *path = write_file(name, img, len);
    free(img);
    free(pl);
    free(elf);
    return path;
}

/* Translate through the guest page tables the loader built (2 MiB pages). */
static uint64_t walk(uint64_t cr3, uint64_t va)
{
    uint64_t pml4e = guest(cr3 + ((va >> 39) & 511) * 8, 8);
    ck_assert(pml4e & 1);
    uint64_t pdpte = guest((pml4e & ~0xfffull) + ((va >> 30) & 511) * 8, 8);
    ck_assert(pdpte & 1);
    uint64_t pde = guest((pdpte & ~0xfffull) + ((va >> 21) & 511) * 8, 8);
    ck_assert(pde & 1);
    ck_assert(pde & 0x80);
    return (pde & ~0x1fffffull) + (va & 0x1fffff);
}

static void check_long_mode_entry(const X86State *st, uint64_t rip)
{
    ck_assert_uint_eq(st->rip, rip);
    ck_assert_uint_eq(st->regs[R_ESI], LOADER_ZERO_PAGE_ADDR);
    ck_assert_uint_eq(st->seg[R_CS].selector, 0x10);
    ck_assert(st->seg[R_CS].l);
    ck_assert(!st->seg[R_CS].db);
    for (int s = 0; s < SEG_COUNT; s++) {
        if (s != R_CS) {
            ck_assert_uint_eq(st->seg[s].selector, 0x18);
        }
    }
    ck_assert_uint_eq(st->cr0 & (X86_CR0_PE | X86_CR0_PG), X86_CR0_PE | X86_CR0_PG);
    ck_assert(st->cr4 & X86_CR4_PAE);
    ck_assert_uint_eq(st->efer & (X86_EFER_LME | X86_EFER_LMA), X86_EFER_LME | X86_EFER_LMA);
    ck_assert_uint_eq(st->rflags & X86_FLAG_IF, 0);
    ck_assert_uint_eq(st->tr.type, 0xb);
    /* identity map covers the kernel, boot_params and 4 GiB */
    ck_assert_uint_eq(walk(st->cr3, rip), rip);
    ck_assert_uint_eq(walk(st->cr3, LOADER_ZERO_PAGE_ADDR), LOADER_ZERO_PAGE_ADDR);
    ck_assert_uint_eq(walk(st->cr3, 0xfee00123ull), 0xfee00123ull);
    /* the GDT the guest sees: 0x10 is 64-bit code, 0x18 flat data */
    ck_assert_uint_eq(st->gdt.base, LOADER_GDT_ADDR);
    ck_assert_uint_ge(st->gdt.limit, 0x27);
    ck_assert_uint_eq(guest(LOADER_GDT_ADDR + 0x10, 8), 0x00af9b000000ffffull);
    ck_assert_uint_eq(guest(LOADER_GDT_ADDR + 0x18, 8), 0x00cf93000000ffffull);
}

static void check_boot_params(const char *cmdline, uint16_t version)
{
    uint64_t bp = LOADER_ZERO_PAGE_ADDR;
    ck_assert_uint_eq(guest(bp + 0x202, 4), 0x53726448);       /* HdrS copied */
    ck_assert_uint_eq(guest(bp + 0x206, 2), version);
    ck_assert_uint_eq(guest(bp + 0x210, 1), 0xff);             /* type_of_loader */
    ck_assert_uint_eq(guest(bp + 0x211, 1) & 0x81, 0x81);      /* LOADED_HIGH|CAN_USE_HEAP */
    ck_assert_uint_eq(guest(bp + 0x1fa, 2), 0xffff);           /* vid_mode normal */
    ck_assert_uint_eq(guest(bp + 0x0f, 1), 0);                 /* orig_video_isVGA */
    ck_assert_uint_ne(guest(bp + 0x224, 2), 0);                /* heap_end_ptr */
    ck_assert_uint_eq(guest(bp + 0x260, 4), INIT_SIZE);        /* header copied */
    ck_assert_uint_eq(guest(bp + 0x228, 4), LOADER_CMDLINE_ADDR);
    char got[256] = { 0 };
    address_space_read(&as, LOADER_CMDLINE_ADDR, got, strlen(cmdline) + 1);
    ck_assert_str_eq(got, cmdline);
    /* e820: the table as the context has it, ACPI entry included */
    unsigned n = (unsigned)guest(bp + 0x1e8, 1);
    ck_assert_uint_eq(n, ctx.e820.nr);
    bool acpi = false;
    for (unsigned i = 0; i < n; i++) {
        uint64_t e = bp + 0x2d0 + i * 20;
        ck_assert_uint_eq(guest(e, 8), ctx.e820.entries[i].addr);
        ck_assert_uint_eq(guest(e + 8, 8), ctx.e820.entries[i].size);
        ck_assert_uint_eq(guest(e + 16, 4), ctx.e820.entries[i].type);
        acpi |= guest(e + 16, 4) == E820_ACPI && guest(e, 8) == 0xe0000;
    }
    ck_assert(acpi);
    /* ACPI: the RSDP is in guest memory; its address is passed from 2.14 on */
    ck_assert_uint_eq(ctx.rsdp_addr, 0xe0000);
    ck_assert_uint_eq(guest(0xe0000, 8), le((const uint8_t *)"RSD PTR ", 8));
    ck_assert_uint_eq(guest(bp + 0x70, 8), version >= 0x020e ? 0xe0000 : 0);
}

static void check_vmlinux_in_memory(uint64_t text_paddr)
{
    uint8_t *buf = malloc(DATA_MEMSZ > TEXT_SIZE ? DATA_MEMSZ : TEXT_SIZE);
    address_space_read(&as, text_paddr, buf, TEXT_SIZE);
    for (size_t i = 0; i < TEXT_SIZE; i++) {
        ck_assert_uint_eq(buf[i], text_byte(i));
    }
    address_space_read(&as, DATA_PADDR, buf, DATA_MEMSZ);
    for (size_t i = 0; i < DATA_MEMSZ; i++) {
        ck_assert_uint_eq(buf[i], i < DATA_FILESZ ? (uint8_t)(0xd0 ^ i) : 0);
    }
    free(buf);
}

/* Dirty the bss area so the zero-fill is observable. */
static void dirty_bss(void)
{
    uint8_t junk[DATA_MEMSZ];
    memset(junk, 0xcc, sizeof(junk));
    address_space_write(&as, DATA_PADDR, junk, sizeof(junk));
}

static void unpack_and_check(Compression c)
{
    char *k = kernel_file("vmlinuz", c, &default_kernel, PREF);
    uint8_t initrd[10000];
    for (size_t i = 0; i < sizeof(initrd); i++) {
        initrd[i] = (uint8_t)(i * 13);
    }
    char *ird = write_file("initrd", initrd, sizeof(initrd));
    dirty_bss();
    X86State st;
    Error *err = NULL;
    bool ok = linux_load(&ctx, k, ird, "console=ttyS0 quiet", true, &st, &err);
    ck_assert_msg(ok, "%s", err ? err->msg : "");
    check_vmlinux_in_memory(PREF);
    check_long_mode_entry(&st, PREF + ENTRY_OFF);
    check_boot_params("console=ttyS0 quiet", 0x020f);
    /* initrd: page aligned, beyond the kernel's init_size, inside RAM, intact */
    uint64_t at = guest(LOADER_ZERO_PAGE_ADDR + 0x218, 4);
    ck_assert_uint_eq(guest(LOADER_ZERO_PAGE_ADDR + 0x21c, 4), sizeof(initrd));
    ck_assert_uint_eq(at, ctx.initrd_start);
    ck_assert_uint_eq(at % 4096, 0);
    ck_assert_uint_ge(at, PREF + INIT_SIZE);
    ck_assert_uint_le(at + sizeof(initrd), RAM_SIZE);
    uint8_t back[sizeof(initrd)];
    address_space_read(&as, at, back, sizeof(back));
    ck_assert_mem_eq(back, initrd, sizeof(initrd));
    free(k);
    free(ird);
}

START_TEST(test_unpack_gzip)
{
    unpack_and_check(COMP_GZIP);
}
END_TEST

START_TEST(test_unpack_xz_bcj)
{
    unpack_and_check(COMP_XZ);
}
END_TEST

#ifdef CONFIG_ZSTD
START_TEST(test_unpack_zstd)
{
    unpack_and_check(COMP_ZSTD);
}
END_TEST
#endif

START_TEST(test_classic_64bit_entry)
{
    FakeKernel kcfg = default_kernel;
    kcfg.version = 0x020c;          /* before acpi_rsdp_addr */
    char *k = kernel_file("vmlinuz", COMP_GZIP, &kcfg, PREF);
    X86State st;
    Error *err = NULL;
    ck_assert_msg(linux_load(&ctx, k, NULL, NULL, false, &st, &err), "%s",
                  err ? err->msg : "");
    /* the protected-mode part sits at 1 MiB byte for byte */
    size_t len;
    uint8_t *file = loader_read_file(k, 1 << 30, &len, &err);
    size_t setup = (SETUP_SECTS + 1) * 512;
    uint8_t *mem = malloc(len - setup);
    address_space_read(&as, 0x100000, mem, len - setup);
    ck_assert_mem_eq(mem, file + setup, len - setup);
    free(mem);
    free(file);
    check_long_mode_entry(&st, 0x100200);
    check_boot_params("", 0x020c);
    ck_assert_uint_eq(guest(LOADER_ZERO_PAGE_ADDR + 0x214, 4), 0x100000);
    ck_assert_uint_eq(guest(LOADER_ZERO_PAGE_ADDR + 0x218, 4), 0);     /* no initrd */
    ck_assert_uint_eq(ctx.kernel_reserved_end, PREF + INIT_SIZE);
    free(k);
}
END_TEST

START_TEST(test_classic_32bit_fallback)
{
    FakeKernel kcfg = default_kernel;
    kcfg.xloadflags = 0;            /* no 64-bit entry */
    char *k = kernel_file("vmlinuz", COMP_GZIP, &kcfg, PREF);
    X86State st;
    Error *err = NULL;
    ck_assert(linux_load(&ctx, k, NULL, "x", false, &st, &err));
    ck_assert_uint_eq(st.rip, 0x100000);
    ck_assert_uint_eq(st.regs[R_ESI], LOADER_ZERO_PAGE_ADDR);
    ck_assert_uint_eq(st.regs[R_EBP] | st.regs[R_EDI] | st.regs[R_EBX], 0);
    ck_assert_uint_eq(st.cr0 & (X86_CR0_PE | X86_CR0_PG), X86_CR0_PE);
    ck_assert_uint_eq(st.efer, 0);
    ck_assert_uint_eq(st.seg[R_CS].selector, 0x10);
    ck_assert(st.seg[R_CS].db && !st.seg[R_CS].l);
    ck_assert_uint_eq(st.seg[R_DS].selector, 0x18);
    ck_assert_uint_eq(guest(LOADER_GDT_ADDR + 0x10, 8), 0x00cf9b000000ffffull);
    /* but the unpacker needs the 64-bit entry */
    expect_error(linux_load(&ctx, k, NULL, "x", true, &st, &err), &err,
                 "no 64-bit entry point");
    free(k);
}
END_TEST

/* ---- rejects ---- */

static void load_bytes_expect(const uint8_t *img, size_t len, bool unpack, const char *what)
{
    char *k = write_file("bad", img, len);
    X86State st;
    Error *err = NULL;
    expect_error(linux_load(&ctx, k, NULL, NULL, unpack, &st, &err), &err, what);
    free(k);
}

START_TEST(test_reject_headers)
{
    FakeKernel kcfg = default_kernel;
    static const uint8_t junk[8] = { 1 };
    kcfg.payload = junk;
    kcfg.payload_len = sizeof(junk);
    size_t len;
    uint8_t *img = make_bzimage(&kcfg, &len);
    load_bytes_expect(img, 600, true, "too small");
    img[0x1fe] = 0;
    load_bytes_expect(img, len, true, "0xAA55");
    img[0x1fe] = 0x55;
    img[0x203] = 'x';
    load_bytes_expect(img, len, false, "HdrS");
    img[0x203] = 'd';
    put(img + 0x206, 0x0204, 2);
    load_bytes_expect(img, len, false, "2.04 is too old");
    put(img + 0x206, 0x020f, 2);
    img[0x1f1] = 60;                /* setup longer than the file */
    load_bytes_expect(img, len, false, "truncated");
    free(img);
}
END_TEST

START_TEST(test_reject_payload_bounds)
{
    char *k = kernel_file("vmlinuz", COMP_GZIP, &default_kernel, PREF);
    size_t len;
    Error *err = NULL;
    uint8_t *img = loader_read_file(k, 1 << 30, &len, &err);
    put(img + 0x24c, 0xfffffff0u, 4);                  /* length past the end */
    load_bytes_expect(img, len, true, "outside the file");
    put(img + 0x24c, 16, 4);
    put(img + 0x248, 0x7ffffff0u, 4);                  /* offset past the end */
    load_bytes_expect(img, len, true, "outside the file");
    free(img);
    free(k);
}
END_TEST

START_TEST(test_reject_corrupt_payloads)
{
    size_t elf_len, gz_len, len;
    uint8_t *elf = make_elf64(&elf_len, PREF);
    uint8_t *gz = gzip_compress(elf, elf_len, &gz_len);
    FakeKernel kcfg = default_kernel;
    kcfg.payload = gz;

    /* bit flips in the deflate data */
    uint8_t *bad = malloc(gz_len);
    memcpy(bad, gz, gz_len);
    for (size_t i = 20; i < 60; i++) {
        bad[i] ^= 0xa5;
    }
    kcfg.payload = bad;
    kcfg.payload_len = gz_len;
    uint8_t *img = make_bzimage(&kcfg, &len);
    load_bytes_expect(img, len, true, "corrupt gzip");
    free(img);
    /* cut short */
    kcfg.payload = gz;
    kcfg.payload_len = gz_len / 2;
    img = make_bzimage(&kcfg, &len);
    load_bytes_expect(img, len, true, "truncated");
    free(img);
    /* corrupt xz */
    size_t xz_len;
    uint8_t *xz = xz_compress(elf, elf_len, &xz_len);
    xz[xz_len / 2] ^= 0xff;
    kcfg.payload = xz;
    kcfg.payload_len = xz_len;
    img = make_bzimage(&kcfg, &len);
    load_bytes_expect(img, len, true, "corrupt xz");
    free(img);
    /* a compressed payload that is not an ELF */
    static const char text[] = "this is not an ELF file, just some words";
    size_t t_len;
    uint8_t *t = gzip_compress((const uint8_t *)text, sizeof(text), &t_len);
    kcfg.payload = t;
    kcfg.payload_len = t_len;
    img = make_bzimage(&kcfg, &len);
    load_bytes_expect(img, len, true, "not an ELF");
    free(img);
    /* formats we detect but don't decode */
    static const uint8_t lzma_magic[] = { 0x5d, 0, 0, 0x80, 0, 1, 2, 3, 4, 5 };
    static const uint8_t bzip2_magic[] = { 'B', 'Z', 'h', '9', 1, 2, 3, 4, 5, 6 };
    static const uint8_t lz4_magic[] = { 0x02, 0x21, 0x4c, 0x18, 1, 2, 3, 4, 5, 6 };
    const struct { const uint8_t *p; const char *name; } formats[] = {
        { lzma_magic, "compression lzma" }, { bzip2_magic, "compression bzip2" },
        { lz4_magic, "compression lz4" },
    };
    for (int i = 0; i < 3; i++) {
        kcfg.payload = formats[i].p;
        kcfg.payload_len = 10;
        img = make_bzimage(&kcfg, &len);
        load_bytes_expect(img, len, true, formats[i].name);
        free(img);
    }
    free(t);
    free(xz);
    free(bad);
    free(gz);
    free(elf);
}
END_TEST

START_TEST(test_reject_bad_elf)
{
    /* segment outside RAM, linked away from pref_address, broken program headers */
    char *k = kernel_file("far", COMP_GZIP, &default_kernel, 0x40000000);
    X86State st;
    Error *err = NULL;
    expect_error(linux_load(&ctx, k, NULL, NULL, true, &st, &err), &err,
                 "outside usable RAM");
    free(k);
    k = kernel_file("moved", COMP_GZIP, &default_kernel, PREF + 0x400000);
    err = NULL;
    expect_error(linux_load(&ctx, k, NULL, NULL, true, &st, &err), &err, "linked at");
    free(k);

    size_t elf_len, gz_len, len;
    uint8_t *elf = make_elf64(&elf_len, PREF);
    put(elf + 32, elf_len - 10, 8);                    /* phoff near the end */
    uint8_t *gz = gzip_compress(elf, elf_len, &gz_len);
    FakeKernel kcfg = default_kernel;
    kcfg.payload = gz;
    kcfg.payload_len = gz_len;
    uint8_t *img = make_bzimage(&kcfg, &len);
    load_bytes_expect(img, len, true, "corrupt ELF header");
    free(img);
    free(gz);
    put(elf + 32, 64, 8);
    put(elf + 64 + 32, 0x100000, 8);                   /* text filesz beyond the file */
    gz = gzip_compress(elf, elf_len, &gz_len);
    kcfg.payload = gz;
    kcfg.payload_len = gz_len;
    img = make_bzimage(&kcfg, &len);
    load_bytes_expect(img, len, true, "outside the unpacked file");
    free(img);
    free(gz);
    free(elf);
}
END_TEST

START_TEST(test_reject_cmdline_initrd_missing)
{
    FakeKernel kcfg = default_kernel;
    kcfg.cmdline_size = 16;
    char *k = kernel_file("vmlinuz", COMP_GZIP, &kcfg, PREF);
    X86State st;
    Error *err = NULL;
    expect_error(linux_load(&ctx, k, NULL, "root=/dev/vda console=ttyS0", true, &st, &err),
                 &err, "too long");
    ck_assert(linux_load(&ctx, k, NULL, "0123456789abcdef", true, &st, &err));

    /* an initrd bigger than the RAM left beside the kernel (a sparse file) */
    char *big = xasprintf("%s/big-initrd", tmpdir);
    FILE *f = fopen(big, "wb");
    ck_assert_int_eq(ftruncate(fileno(f), 110 << 20), 0);
    fclose(f);
    err = NULL;
    expect_error(linux_load(&ctx, k, big, NULL, true, &st, &err), &err, "does not fit");
    err = NULL;
    ck_assert(!linux_load(&ctx, k, big, NULL, true, &st, &err));
    ck_assert_ptr_nonnull(strstr(err->msg, big));
    error_free(err);

    /* missing files: the error names the path */
    char *missing = xasprintf("%s/no-such-kernel", tmpdir);
    err = NULL;
    expect_error(linux_load(&ctx, missing, NULL, NULL, true, &st, &err), &err, missing);
    err = NULL;
    expect_error(linux_load(&ctx, k, missing, NULL, true, &st, &err), &err, missing);
    expect_error(linux_load(&ctx, tmpdir, NULL, NULL, true, &st, &err), &err,
                 "not a regular file");
    free(missing);
    free(big);
    free(k);
}
END_TEST

START_TEST(test_decompression_bomb_capped)
{
    size_t raw = 4 << 20, gz_len, out_len = 0;
    uint8_t *zeros = calloc(1, raw);
    uint8_t *gz = gzip_compress(zeros, raw, &gz_len);
    Error *err = NULL;
    uint8_t *out = bzimage_decompress(gz, gz_len, 1 << 20, &out_len, "bomb", &err);
    ck_assert_ptr_null(out);
    expect_error(false, &err, "more than 1 MiB");
    err = NULL;
    out = bzimage_decompress(gz, gz_len, 8 << 20, &out_len, "bomb", &err);
    ck_assert_ptr_nonnull(out);
    ck_assert_uint_eq(out_len, raw);
    free(out);
    ck_assert_int_eq(bzimage_payload_format(gz, gz_len), BZ_PAYLOAD_GZIP);
    free(gz);
    free(zeros);
}
END_TEST

/* Hostile images never make the loader write outside RAM: an MMIO region right after
 * RAM counts every access. */
static int mmio_writes;
static void mmio_write(void *o, uint64_t a, uint64_t v, unsigned s)
{
    mmio_writes++;
}
static uint64_t mmio_read(void *o, uint64_t a, unsigned s)
{
    return 0;
}
static const MemoryRegionOps mmio_ops = { .read = mmio_read, .write = mmio_write };

START_TEST(test_no_writes_outside_ram)
{
    MemoryRegion mmio;
    memory_region_init_io(&mmio, &mmio_ops, NULL, "mmio", 0x1000000);
    memory_region_add_subregion(&root, RAM_SIZE, &mmio);
    /* even if a (wrong) e820 claims RAM there, writes refuse non-RAM */
    e820_add(&ctx.e820, RAM_SIZE, 0x1000000, E820_RAM);
    Error *err = NULL;
    uint8_t b[16] = { 0 };
    ck_assert(!loader_write(&ctx, RAM_SIZE - 8, b, sizeof(b), &err));
    error_free(err);
    loader_context_init(&ctx, &as, RAM_SIZE, 0, NULL, 1);

    char *k = kernel_file("vmlinuz", COMP_GZIP, &default_kernel, RAM_SIZE);
    X86State st;
    err = NULL;
    ck_assert(!linux_load(&ctx, k, NULL, NULL, true, &st, &err));
    error_free(err);
    free(k);
    /* fuzz: truncations and header byte corruption of a valid image */
    k = kernel_file("vmlinuz", COMP_XZ, &default_kernel, PREF);
    size_t len;
    uint8_t *img = loader_read_file(k, 1 << 30, &len, &err);
    srand(1234);
    for (int i = 0; i < 300; i++) {
        uint8_t *m = malloc(len);
        memcpy(m, img, len);
        size_t cut = len;
        if (i % 3 == 0) {
            cut = (size_t)rand() % len;
        } else {
            for (int j = 0; j < 4; j++) {
                m[0x1f1 + rand() % (0x270 - 0x1f1)] = (uint8_t)rand();
            }
        }
        char *p = write_file("fuzz", m, cut);
        err = NULL;
        bool ok = linux_load(&ctx, p, NULL, "a", i & 1, &st, &err);
        ck_assert(ok == (err == NULL));
        error_free(err);
        free(p);
        free(m);
    }
    ck_assert_int_eq(mmio_writes, 0);
    free(img);
    free(k);
    memory_region_del_subregion(&root, &mmio);
    memory_region_destroy(&mmio);
}
END_TEST

START_TEST(test_find_top_avoids_ranges)
{
    LoaderRange avoid[] = { { RAM_SIZE - 0x100000, RAM_SIZE } };
    uint64_t a = loader_find_top(&ctx, 0x2000, 0x1000, RAM_SIZE, avoid, 1);
    ck_assert_uint_eq(a, RAM_SIZE - 0x100000 - 0x2000);
    ck_assert_uint_eq(loader_find_top(&ctx, RAM_SIZE, 0x1000, RAM_SIZE, NULL, 0), 0);
    /* low memory below LOADER_LOW_END is never handed out */
    LoaderRange all_high[] = { { 0x100000, RAM_SIZE } };
    a = loader_find_top(&ctx, 0x1000, 0x1000, RAM_SIZE, all_high, 1);
    ck_assert_uint_ge(a, LOADER_LOW_END);
    ck_assert_uint_lt(a + 0x1000, 0x9fc00 + 1);
}
END_TEST

/* ---- the real Debian kernel, when it was downloaded ---- */

static char real_kernel[512], real_initrd[512];

START_TEST(test_real_debian_kernel)
{
    teardown();
    memory_region_init_container(&root, "sys", UINT64_MAX);
    memory_region_init_ram(&ram, "ram", 512u << 20);
    memory_region_add_subregion(&root, 0, &ram);
    address_space_init(&as, &root, "mem");
    loader_context_init(&ctx, &as, 512u << 20, 0, NULL, 2);
    X86State st;
    Error *err = NULL;
    bool ok = linux_load(&ctx, real_kernel, real_initrd[0] ? real_initrd : NULL,
                         "console=ttyS0", true, &st, &err);
    ck_assert_msg(ok, "%s", err ? err->msg : "");
    uint64_t pref = guest(LOADER_ZERO_PAGE_ADDR + 0x258, 8);
    uint32_t init_size = (uint32_t)guest(LOADER_ZERO_PAGE_ADDR + 0x260, 4);
    ck_assert_uint_eq(st.rip, pref);                   /* startup_64 at the link address */
    ck_assert_uint_eq(ctx.kernel_start, pref);
    ck_assert_uint_le(ctx.kernel_end, pref + init_size);
    ck_assert_uint_ne(guest(pref, 8), 0);
    if (real_initrd[0]) {
        ck_assert_uint_ge(ctx.initrd_start, pref + init_size);
        ck_assert_uint_eq(guest(ctx.initrd_start, 2), 0x8b1f);  /* gzip magic */
    }
    ck_assert(linux_load(&ctx, real_kernel, NULL, "console=ttyS0", false, &st, &err));
    ck_assert_uint_eq(st.rip, 0x100200);
}
END_TEST

int main(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/ember-loaders-XXXXXX");
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    Suite *s = suite_create("loaders");
    TCase *tc = tcase_create("linux");
    tcase_set_timeout(tc, 120);
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_unpack_gzip);
    tcase_add_test(tc, test_unpack_xz_bcj);
#ifdef CONFIG_ZSTD
    tcase_add_test(tc, test_unpack_zstd);
#endif
    tcase_add_test(tc, test_classic_64bit_entry);
    tcase_add_test(tc, test_classic_32bit_fallback);
    tcase_add_test(tc, test_reject_headers);
    tcase_add_test(tc, test_reject_payload_bounds);
    tcase_add_test(tc, test_reject_corrupt_payloads);
    tcase_add_test(tc, test_reject_bad_elf);
    tcase_add_test(tc, test_reject_cmdline_initrd_missing);
    tcase_add_test(tc, test_decompression_bomb_capped);
    tcase_add_test(tc, test_no_writes_outside_ram);
    tcase_add_test(tc, test_find_top_avoids_ranges);
    const char *home = getenv("HOME");
    if (home) {
        snprintf(real_kernel, sizeof(real_kernel), "%s/.cache/ember/guest/vmlinuz", home);
        snprintf(real_initrd, sizeof(real_initrd), "%s/.cache/ember/guest/initrd.gz", home);
        if (access(real_initrd, R_OK) != 0) {
            real_initrd[0] = '\0';
        }
        if (access(real_kernel, R_OK) == 0) {
            tcase_add_test(tc, test_real_debian_kernel);
        } else {
            printf("loaders: %s not present, real-kernel test not registered\n",
                   real_kernel);
        }
    }
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
