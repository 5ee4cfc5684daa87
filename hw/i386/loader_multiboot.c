/*
 * Multiboot v1 loader (specification 0.6.96): finds the header, loads an ELF32
 * kernel's PT_LOAD segments at their physical addresses or an image described by
 * the a.out kludge fields, places the modules page-aligned after the kernel, and
 * builds the multiboot information structure (memory sizes, command line, modules,
 * memory map from the e820, boot loader name) in low memory.
 *
 * The command line passed is "<kernel path> <cmdline>" and each module's string is
 * its whole "path args" spec, as GRUB and other loaders do. The ELF entry point is
 * translated from virtual to physical when it falls inside a segment's virtual range.
 */
#include "hw/i386/loader.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MB_HEADER_MAGIC      0x1BADB002u
#define MB_SEARCH_LIMIT      8192
#define MB_HEADER_MIN        12      /* magic, flags, checksum */
#define MB_HEADER_KLUDGE     32      /* + header/load/load_end/bss_end/entry addresses */

/* header flags */
#define MB_FLAG_PAGE_ALIGN   (1u << 0)
#define MB_FLAG_MEMORY_INFO  (1u << 1)
#define MB_FLAG_VIDEO_MODE   (1u << 2)
#define MB_FLAG_AOUT_KLUDGE  (1u << 16)
#define MB_FLAGS_KNOWN_REQUIRED (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | MB_FLAG_VIDEO_MODE)

/* info structure flags and layout */
#define MBI_MEMORY           (1u << 0)
#define MBI_CMDLINE          (1u << 2)
#define MBI_MODS             (1u << 3)
#define MBI_MMAP             (1u << 6)
#define MBI_LOADER_NAME      (1u << 9)
#define MBI_SIZE             120
#define MBI_FLAGS            0
#define MBI_MEM_LOWER        4
#define MBI_MEM_UPPER        8
#define MBI_CMDLINE_PTR      16
#define MBI_MODS_COUNT       20
#define MBI_MODS_ADDR        24
#define MBI_MMAP_LENGTH      44
#define MBI_MMAP_ADDR        48
#define MBI_LOADER_NAME_PTR  64
#define MB_MMAP_ENTRY_SIZE   24      /* size field + 20 bytes */
#define MB_MODULE_SIZE       16

#define EM_386               3
#define ET_EXEC              2
#define PT_LOAD              1
#define ELF32_PHDR_SIZE      32
#define ELF_MAX_PHDRS        64
#define PAGE_SIZE            4096ull
#define FOUR_GIB             0x100000000ull

typedef struct MultibootHeader {
    size_t offset;              /* of the magic in the file */
    uint32_t flags;
    uint32_t header_addr, load_addr, load_end_addr, bss_end_addr, entry_addr;
} MultibootHeader;

typedef struct MbSegment {
    uint64_t offset, filesz, paddr, memsz;
} MbSegment;

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        p[i] = (uint8_t)(v >> (8 * i));
    }
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

static bool mb_find_header(const uint8_t *buf, size_t len, MultibootHeader *h)
{
    size_t limit = len < MB_SEARCH_LIMIT ? len : MB_SEARCH_LIMIT;
    for (size_t off = 0; off + MB_HEADER_MIN <= limit; off += 4) {
        uint32_t magic = rd32(buf + off);
        uint32_t flags = rd32(buf + off + 4);
        uint32_t sum = rd32(buf + off + 8);
        if (magic == MB_HEADER_MAGIC && (uint32_t)(magic + flags + sum) == 0) {
            memset(h, 0, sizeof(*h));
            h->offset = off;
            h->flags = flags;
            return true;
        }
    }
    return false;
}

bool multiboot_probe(const uint8_t *buf, size_t len)
{
    MultibootHeader h;
    return mb_find_header(buf, len, &h);
}

bool kernel_is_multiboot(const char *path)
{
    /* O_NONBLOCK so a FIFO can't hang us; only regular files count */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        return false;
    }
    struct stat st;
    uint8_t buf[MB_SEARCH_LIMIT];
    size_t n = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        while (n < sizeof(buf)) {
            ssize_t r = read(fd, buf + n, sizeof(buf) - n);
            if (r < 0 && errno == EINTR) {
                continue;
            }
            if (r <= 0) {
                break;
            }
            n += (size_t)r;
        }
    }
    close(fd);
    return multiboot_probe(buf, n);
}

/* ---- the kernel image ---- */

static bool mb_check_segment(const LoadContext *ctx, const char *path, uint64_t addr,
                             uint64_t size, Error **errp)
{
    if (size == 0) {
        return true;
    }
    if (addr + size > FOUR_GIB || !loader_range_ok(ctx, addr, size)) {
        error_setg(errp, "%s: kernel segment 0x%" PRIx64 "+0x%" PRIx64
                   " is outside usable RAM", path, addr, size);
        return false;
    }
    return true;
}

static bool mb_parse_kludge(const LoadContext *ctx, const char *path, size_t len,
                            const MultibootHeader *h, MbSegment *seg, uint64_t *entry,
                            Error **errp)
{
    if (h->header_addr < h->load_addr ||
        h->header_addr - h->load_addr > h->offset) {
        error_setg(errp, "%s: multiboot header_addr 0x%x and load_addr 0x%x don't match "
                   "the header's place in the file", path, h->header_addr, h->load_addr);
        return false;
    }
    seg->offset = h->offset - (h->header_addr - h->load_addr);
    seg->paddr = h->load_addr;
    if (h->load_end_addr == 0) {
        seg->filesz = len - seg->offset;
    } else if (h->load_end_addr < h->load_addr ||
               h->load_end_addr - h->load_addr > len - seg->offset) {
        error_setg(errp, "%s: multiboot load_end_addr 0x%x lies beyond the end of the file",
                   path, h->load_end_addr);
        return false;
    } else {
        seg->filesz = h->load_end_addr - h->load_addr;
    }
    uint64_t end = seg->paddr + seg->filesz;
    if (h->bss_end_addr != 0) {
        if (h->bss_end_addr < end) {
            error_setg(errp, "%s: multiboot bss_end_addr 0x%x is below the loaded image",
                       path, h->bss_end_addr);
            return false;
        }
        end = h->bss_end_addr;
    }
    seg->memsz = end - seg->paddr;
    if (!mb_check_segment(ctx, path, seg->paddr, seg->memsz, errp)) {
        return false;
    }
    if (h->entry_addr < seg->paddr || h->entry_addr >= end) {
        error_setg(errp, "%s: multiboot entry_addr 0x%x is outside the loaded image", path,
                   h->entry_addr);
        return false;
    }
    *entry = h->entry_addr;
    return true;
}

static bool mb_parse_elf32(const LoadContext *ctx, const char *path, const uint8_t *d,
                           size_t len, MbSegment *segs, unsigned *nr, uint64_t *entry,
                           Error **errp)
{
    if (len < 52 || memcmp(d, "\x7f" "ELF", 4) != 0) {
        error_setg(errp, "%s: not an ELF file, and the multiboot header has no a.out "
                   "kludge (flag bit 16)", path);
        return false;
    }
    if (d[4] == 2) {
        error_setg(errp, "%s: 64-bit ELF multiboot kernels need the a.out kludge "
                   "(header flag bit 16)", path);
        return false;
    }
    if (d[4] != 1 || d[5] != 1 || rd16(d + 18) != EM_386 || rd16(d + 16) != ET_EXEC) {
        error_setg(errp, "%s: not a 32-bit x86 ELF executable", path);
        return false;
    }
    uint32_t phoff = rd32(d + 28);
    unsigned phentsize = rd16(d + 42), phnum = rd16(d + 44);
    if (phentsize != ELF32_PHDR_SIZE || phnum == 0 || phnum > ELF_MAX_PHDRS ||
        phoff > len || (uint64_t)phnum * ELF32_PHDR_SIZE > len - phoff) {
        error_setg(errp, "%s: corrupt ELF program headers", path);
        return false;
    }
    uint32_t e_entry = rd32(d + 24);
    uint64_t phys_entry = e_entry;
    *nr = 0;
    for (unsigned i = 0; i < phnum; i++) {
        const uint8_t *ph = d + phoff + i * ELF32_PHDR_SIZE;
        if (rd32(ph) != PT_LOAD) {
            continue;
        }
        MbSegment s = {
            .offset = rd32(ph + 4),
            .paddr = rd32(ph + 12),
            .filesz = rd32(ph + 16),
            .memsz = rd32(ph + 20),
        };
        uint32_t vaddr = rd32(ph + 8);
        if (s.filesz > s.memsz || s.offset > len || s.filesz > len - s.offset) {
            error_setg(errp, "%s: ELF segment %u lies outside the file", path, i);
            return false;
        }
        if (s.memsz == 0) {
            continue;
        }
        if (!mb_check_segment(ctx, path, s.paddr, s.memsz, errp)) {
            return false;
        }
        for (unsigned j = 0; j < *nr; j++) {
            if (loader_ranges_overlap(s.paddr, s.memsz, segs[j].paddr, segs[j].memsz)) {
                error_setg(errp, "%s: ELF segments overlap at 0x%" PRIx64, path, s.paddr);
                return false;
            }
        }
        if (e_entry >= vaddr && e_entry - vaddr < s.memsz) {
            phys_entry = s.paddr + (e_entry - vaddr);
        }
        segs[(*nr)++] = s;
    }
    if (*nr == 0) {
        error_setg(errp, "%s: ELF file has nothing to load", path);
        return false;
    }
    bool inside = false;
    for (unsigned j = 0; j < *nr; j++) {
        inside |= phys_entry >= segs[j].paddr && phys_entry - segs[j].paddr < segs[j].memsz;
    }
    if (!inside) {
        error_setg(errp, "%s: ELF entry point 0x%x is outside the loaded segments", path,
                   e_entry);
        return false;
    }
    *entry = phys_entry;
    return true;
}

/* ---- the information structure ---- */

typedef struct MbStrings {
    char buf[LOADER_MB_STRINGS_SIZE];
    size_t len;
} MbStrings;

/* Append a string (joined from two parts, second may be NULL); returns its guest
 * address, 0 when the area is full. */
static uint32_t mb_add_string(MbStrings *s, const char *a, size_t a_len, const char *b)
{
    size_t b_len = b ? strlen(b) : 0;
    size_t need = a_len + (b ? 1 + b_len : 0) + 1;
    if (need > sizeof(s->buf) - s->len) {
        return 0;
    }
    uint32_t addr = (uint32_t)(LOADER_MB_STRINGS_ADDR + s->len);
    memcpy(s->buf + s->len, a, a_len);
    s->len += a_len;
    if (b) {
        s->buf[s->len++] = ' ';
        memcpy(s->buf + s->len, b, b_len);
        s->len += b_len;
    }
    s->buf[s->len++] = '\0';
    return addr;
}

/* Split the next module spec off a comma-separated list (",," is a literal comma).
 * Returns a malloc'd spec or NULL at the end. */
static char *mb_next_module(const char **list)
{
    const char *p = *list;
    if (!p || !*p) {
        return NULL;
    }
    char *out = xmalloc(strlen(p) + 1);
    size_t n = 0;
    while (*p) {
        if (*p == ',') {
            if (p[1] == ',') {
                out[n++] = ',';
                p += 2;
                continue;
            }
            p++;
            break;
        }
        out[n++] = *p++;
    }
    out[n] = '\0';
    *list = p;
    return out;
}

static bool mb_load_modules(LoadContext *ctx, const char *modules, uint64_t kernel_end,
                            MbStrings *strings, uint8_t *mods, unsigned *nr_mods,
                            Error **errp)
{
    uint64_t cursor = (kernel_end + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
    *nr_mods = 0;
    const char *list = modules;
    char *spec;
    bool ok = true;
    while (ok && (spec = mb_next_module(&list)) != NULL) {
        if (spec[0] == '\0') {
            free(spec);
            continue;
        }
        char *path = xstrdup(spec);
        char *space = strchr(path, ' ');
        if (space) {
            *space = '\0';
        }
        uint64_t size = 0;
        uint32_t str = 0;
        if (*nr_mods >= LOADER_MB_MAX_MODS) {
            error_setg(errp, "%s: too many multiboot modules (at most %d)", path,
                       LOADER_MB_MAX_MODS);
            ok = false;
        } else if (!loader_file_size(path, &size, errp)) {
            ok = false;
        } else if (cursor + size > FOUR_GIB || !loader_range_ok(ctx, cursor, size)) {
            error_setg(errp, "%s: module of %" PRIu64 " KiB does not fit in guest RAM at "
                       "0x%" PRIx64 "; give the guest more memory", path,
                       (size + 1023) >> 10, cursor);
            ok = false;
        } else if (!(str = mb_add_string(strings, spec, strlen(spec), NULL))) {
            error_setg(errp, "%s: module command lines are too long", path);
            ok = false;
        } else if (loader_copy_file(ctx, path, cursor, size, errp)) {
            uint8_t *m = mods + *nr_mods * MB_MODULE_SIZE;
            wr32(m, (uint32_t)cursor);
            wr32(m + 4, (uint32_t)(cursor + size));
            wr32(m + 8, str);
            wr32(m + 12, 0);
            (*nr_mods)++;
            cursor = (cursor + size + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);
        } else {
            ok = false;
        }
        free(path);
        free(spec);
    }
    ctx->modules_end = cursor;
    return ok;
}

/* KiB of RAM starting at addr in one e820 range. */
static uint32_t mb_ram_kib_at(const LoadContext *ctx, uint64_t addr)
{
    for (unsigned i = 0; i < ctx->e820.nr; i++) {
        const E820Entry *e = &ctx->e820.entries[i];
        if (e->type == E820_RAM && addr >= e->addr && addr < e->addr + e->size) {
            uint64_t kib = (e->addr + e->size - addr) >> 10;
            return kib > UINT32_MAX ? UINT32_MAX : (uint32_t)kib;
        }
    }
    return 0;
}

static bool mb_write_info(LoadContext *ctx, const char *kernel_path, const char *cmdline,
                          MbStrings *strings, const uint8_t *mods, unsigned nr_mods,
                          Error **errp)
{
    uint8_t info[MBI_SIZE] = { 0 };
    uint32_t cmd = mb_add_string(strings, kernel_path, strlen(kernel_path),
                                 cmdline && *cmdline ? cmdline : NULL);
    uint32_t name = mb_add_string(strings, "ember", 5, NULL);
    if (!cmd || !name) {
        error_setg(errp, "%s: the command line and module strings take more than %llu "
                   "KiB", kernel_path, (unsigned long long)LOADER_MB_STRINGS_SIZE >> 10);
        return false;
    }
    uint8_t mmap[E820_MAX_ENTRIES * MB_MMAP_ENTRY_SIZE];
    for (unsigned i = 0; i < ctx->e820.nr; i++) {
        uint8_t *m = mmap + i * MB_MMAP_ENTRY_SIZE;
        wr32(m, MB_MMAP_ENTRY_SIZE - 4);
        wr64(m + 4, ctx->e820.entries[i].addr);
        wr64(m + 12, ctx->e820.entries[i].size);
        wr32(m + 20, ctx->e820.entries[i].type);
    }
    wr32(info + MBI_FLAGS, MBI_MEMORY | MBI_CMDLINE | MBI_MODS | MBI_MMAP | MBI_LOADER_NAME);
    wr32(info + MBI_MEM_LOWER, mb_ram_kib_at(ctx, 0));
    wr32(info + MBI_MEM_UPPER, mb_ram_kib_at(ctx, 0x100000));
    wr32(info + MBI_CMDLINE_PTR, cmd);
    wr32(info + MBI_MODS_COUNT, nr_mods);
    wr32(info + MBI_MODS_ADDR, (uint32_t)LOADER_MB_MODS_ADDR);
    wr32(info + MBI_MMAP_LENGTH, ctx->e820.nr * MB_MMAP_ENTRY_SIZE);
    wr32(info + MBI_MMAP_ADDR, (uint32_t)LOADER_MB_MMAP_ADDR);
    wr32(info + MBI_LOADER_NAME_PTR, name);
    ctx->info_addr = LOADER_MB_INFO_ADDR;
    ctx->cmdline_addr = cmd;
    return loader_write(ctx, LOADER_MB_INFO_ADDR, info, sizeof(info), errp) &&
           loader_write(ctx, LOADER_MB_MMAP_ADDR, mmap, ctx->e820.nr * MB_MMAP_ENTRY_SIZE,
                        errp) &&
           loader_write(ctx, LOADER_MB_MODS_ADDR, mods, nr_mods * MB_MODULE_SIZE, errp) &&
           loader_write(ctx, LOADER_MB_STRINGS_ADDR, strings->buf, strings->len, errp);
}

bool multiboot_load(LoadContext *ctx, const char *kernel_path, const char *modules,
                    const char *cmdline, X86State *entry, Error **errp)
{
    uint64_t ram = ctx->ram_below_4g + ctx->ram_above_4g;
    size_t len;
    uint8_t *d = loader_read_file(kernel_path,
                                  ram < LOADER_MAX_KERNEL_FILE ? ram : LOADER_MAX_KERNEL_FILE,
                                  &len, errp);
    if (!d) {
        return false;
    }
    MultibootHeader h;
    MbSegment segs[ELF_MAX_PHDRS];
    unsigned nr_segs = 0;
    uint64_t rip = 0;
    bool ok = true;
    if (!mb_find_header(d, len, &h)) {
        error_setg(errp, "%s: no multiboot header in the first 8192 bytes", kernel_path);
        ok = false;
    } else if (h.flags & 0xffff & ~MB_FLAGS_KNOWN_REQUIRED) {
        error_setg(errp, "%s: multiboot header requires unsupported features "
                   "(flags 0x%x)", kernel_path, h.flags);
        ok = false;
    }
    if (ok && (h.flags & MB_FLAG_AOUT_KLUDGE)) {
        if (h.offset + MB_HEADER_KLUDGE > len) {
            error_setg(errp, "%s: multiboot header is truncated", kernel_path);
            ok = false;
        } else {
            const uint8_t *p = d + h.offset;
            h.header_addr = rd32(p + 12);
            h.load_addr = rd32(p + 16);
            h.load_end_addr = rd32(p + 20);
            h.bss_end_addr = rd32(p + 24);
            h.entry_addr = rd32(p + 28);
        }
    }
    /* ACPI first: the placement checks use the map with the tables in it */
    ok = ok && loader_install_acpi(ctx, errp);
    if (ok && (h.flags & MB_FLAG_AOUT_KLUDGE)) {
        nr_segs = 1;
        ok = mb_parse_kludge(ctx, kernel_path, len, &h, &segs[0], &rip, errp);
    } else if (ok) {
        ok = mb_parse_elf32(ctx, kernel_path, d, len, segs, &nr_segs, &rip, errp);
    }
    uint64_t lo = UINT64_MAX, hi = 0;
    for (unsigned i = 0; ok && i < nr_segs; i++) {
        ok = loader_write(ctx, segs[i].paddr, d + segs[i].offset, segs[i].filesz, errp) &&
             loader_zero(ctx, segs[i].paddr + segs[i].filesz,
                         segs[i].memsz - segs[i].filesz, errp);
        lo = segs[i].paddr < lo ? segs[i].paddr : lo;
        hi = segs[i].paddr + segs[i].memsz > hi ? segs[i].paddr + segs[i].memsz : hi;
    }
    free(d);
    if (!ok) {
        return false;
    }
    ctx->kernel_start = lo;
    ctx->kernel_end = hi;
    ctx->kernel_reserved_end = hi;

    MbStrings *strings = xzalloc(sizeof(*strings));
    uint8_t *mods = xzalloc(LOADER_MB_MAX_MODS * MB_MODULE_SIZE);
    unsigned nr_mods = 0;
    ok = mb_load_modules(ctx, modules, hi, strings, mods, &nr_mods, errp) &&
         mb_write_info(ctx, kernel_path, cmdline, strings, mods, nr_mods, errp) &&
         boot_setup_entry(ctx, LOADER_ENTRY_MULTIBOOT, rip, entry, errp);
    free(mods);
    free(strings);
    if (ok) {
        entry->regs[R_EAX] = MULTIBOOT_BOOTLOADER_MAGIC;
        entry->regs[R_EBX] = LOADER_MB_INFO_ADDR;
    }
    return ok;
}
