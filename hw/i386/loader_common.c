/*
 * Helpers shared by the direct-boot loaders: the load context, reading the user's
 * files, bounds-checked writes into guest RAM, placement of images in the e820 RAM,
 * and the ACPI tables for firmware-less boot.
 */
#include "hw/i386/loader.h"
#include "hw/i386/acpi_build.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LOADER_COPY_CHUNK (1u << 20)

void loader_context_init(LoadContext *ctx, AddressSpace *as, uint64_t ram_below_4g,
                         uint64_t ram_above_4g, const E820Table *e820, int nr_cpus)
{
    memset(ctx, 0, sizeof(*ctx));
    ctx->as = as;
    ctx->ram_below_4g = ram_below_4g;
    ctx->ram_above_4g = ram_above_4g;
    if (e820) {
        ctx->e820 = *e820;
    } else {
        e820_build_pc(&ctx->e820, ram_below_4g, ram_above_4g);
    }
    ctx->nr_cpus = nr_cpus;
    ctx->install_acpi = true;
}

static int loader_open_regular(const char *path, uint64_t *size, Error **errp)
{
    /* O_NONBLOCK: opening a FIFO must not hang; regular files ignore it */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        error_setg(errp, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        error_setg(errp, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    if (!S_ISREG(st.st_mode)) {
        error_setg(errp, "%s: not a regular file", path);
        close(fd);
        return -1;
    }
    *size = (uint64_t)st.st_size;
    return fd;
}

/* Read exactly len bytes (the file may not shrink under us). */
static bool loader_read_exact(int fd, const char *path, void *buf, size_t len, Error **errp)
{
    uint8_t *p = buf;
    while (len > 0) {
        ssize_t r = read(fd, p, len);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r < 0) {
            error_setg(errp, "%s: read error: %s", path, strerror(errno));
            return false;
        }
        if (r == 0) {
            error_setg(errp, "%s: file shrank while being read", path);
            return false;
        }
        p += r;
        len -= (size_t)r;
    }
    return true;
}

uint8_t *loader_read_file(const char *path, uint64_t max, size_t *len, Error **errp)
{
    uint64_t size;
    int fd = loader_open_regular(path, &size, errp);
    if (fd < 0) {
        return NULL;
    }
    if (size > max || size > SIZE_MAX - 1) {
        error_setg(errp, "%s: file too large (%" PRIu64 " bytes, at most %" PRIu64 ")",
                   path, size, max);
        close(fd);
        return NULL;
    }
    uint8_t *buf = xmalloc((size_t)size + 1);
    if (!loader_read_exact(fd, path, buf, (size_t)size, errp)) {
        free(buf);
        close(fd);
        return NULL;
    }
    close(fd);
    *len = (size_t)size;
    return buf;
}

bool loader_file_size(const char *path, uint64_t *size, Error **errp)
{
    int fd = loader_open_regular(path, size, errp);
    if (fd < 0) {
        return false;
    }
    close(fd);
    return true;
}

bool loader_write(LoadContext *ctx, uint64_t addr, const void *buf, uint64_t len,
                  Error **errp)
{
    if (len == 0) {
        return true;
    }
    if (len > UINT64_MAX - addr || !address_space_map(ctx->as, addr, len, true)) {
        error_setg(errp, "guest memory 0x%" PRIx64 "+0x%" PRIx64 " is not RAM", addr, len);
        return false;
    }
    if (address_space_write(ctx->as, addr, buf, len) != MEMTX_OK) {
        error_setg(errp, "write to guest memory 0x%" PRIx64 " failed", addr);
        return false;
    }
    return true;
}

bool loader_zero(LoadContext *ctx, uint64_t addr, uint64_t len, Error **errp)
{
    static const uint8_t zeros[65536];
    while (len > 0) {
        uint64_t n = len < sizeof(zeros) ? len : sizeof(zeros);
        if (!loader_write(ctx, addr, zeros, n, errp)) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

bool loader_copy_file(LoadContext *ctx, const char *path, uint64_t addr, uint64_t size,
                      Error **errp)
{
    uint64_t file_size;
    int fd = loader_open_regular(path, &file_size, errp);
    if (fd < 0) {
        return false;
    }
    if (file_size < size) {
        error_setg(errp, "%s: file shrank while being read", path);
        close(fd);
        return false;
    }
    uint8_t *chunk = xmalloc(LOADER_COPY_CHUNK);
    bool ok = true;
    while (ok && size > 0) {
        size_t n = size < LOADER_COPY_CHUNK ? (size_t)size : LOADER_COPY_CHUNK;
        ok = loader_read_exact(fd, path, chunk, n, errp) &&
             loader_write(ctx, addr, chunk, n, errp);
        addr += n;
        size -= n;
    }
    free(chunk);
    close(fd);
    return ok;
}

bool loader_ranges_overlap(uint64_t a, uint64_t a_size, uint64_t b, uint64_t b_size)
{
    if (a_size == 0 || b_size == 0) {
        return false;
    }
    /* callers guarantee no wrap-around */
    return a < b + b_size && b < a + a_size;
}

bool loader_range_ok(const LoadContext *ctx, uint64_t addr, uint64_t size)
{
    if (size == 0) {
        return true;
    }
    if (size > UINT64_MAX - addr || addr < LOADER_LOW_END) {
        return false;
    }
    return e820_range_is(&ctx->e820, addr, size, E820_RAM);
}

uint64_t loader_find_top(const LoadContext *ctx, uint64_t size, uint64_t align,
                         uint64_t limit, const LoaderRange *avoid, unsigned nr_avoid)
{
    if (size == 0 || align == 0 || (align & (align - 1))) {
        return 0;
    }
    /* e820 entries are sorted: try the highest RAM range first */
    for (unsigned i = ctx->e820.nr; i-- > 0;) {
        const E820Entry *e = &ctx->e820.entries[i];
        if (e->type != E820_RAM) {
            continue;
        }
        uint64_t lo = e->addr < LOADER_LOW_END ? LOADER_LOW_END : e->addr;
        uint64_t hi = e->addr + e->size < limit ? e->addr + e->size : limit;
        if (hi <= lo || hi - lo < size) {
            continue;
        }
        uint64_t cand = (hi - size) & ~(align - 1);
        while (cand >= lo) {
            unsigned j;
            for (j = 0; j < nr_avoid; j++) {
                const LoaderRange *r = &avoid[j];
                if (r->end > r->start &&
                    loader_ranges_overlap(cand, size, r->start, r->end - r->start)) {
                    break;
                }
            }
            if (j == nr_avoid) {
                return cand;
            }
            /* move below the range we hit and try again */
            if (avoid[j].start < size) {
                break;
            }
            cand = (avoid[j].start - size) & ~(align - 1);
        }
    }
    return 0;
}

bool loader_install_acpi(LoadContext *ctx, Error **errp)
{
    ctx->rsdp_addr = 0;
    if (!ctx->install_acpi) {
        return true;
    }
    AcpiConfig cfg = { .nr_cpus = ctx->nr_cpus, .ioapic_id = 0 };
    uint64_t used = 0;
    if (!acpi_install(ctx->as, &cfg, ACPI_DIRECT_BOOT_BASE, ACPI_DIRECT_BOOT_SIZE,
                      &ctx->rsdp_addr, &used, errp)) {
        return false;
    }
    uint64_t len = (used + 0xfff) & ~0xfffull;
    if (!e820_add(&ctx->e820, ACPI_DIRECT_BOOT_BASE, len, E820_ACPI)) {
        error_setg(errp, "e820 table full");
        return false;
    }
    return true;
}
